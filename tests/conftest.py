"""Shared fixtures: a database per test (SQLite by default, PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db import migrate
from bot.db.engine import Database
from bot.services import Services

if TYPE_CHECKING:
    from tests.e2e.harness import Harness

POSTGRES_URL = os.environ.get("CASEBOT_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("CASEBOT_TEST_REDIS_URL")

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="CASEBOT_TEST_POSTGRES_URL is not set (.ci/run sets it)"
)
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="CASEBOT_TEST_REDIS_URL is not set (.ci/run sets it)"
)


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'casebot.sqlite3'}"


async def empty_postgres(url: str) -> None:
    """Start every PostgreSQL test from an empty public schema."""
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Tests that take this run on SQLite, and on PostgreSQL when it is configured."""
    if request.param == "postgres":
        assert POSTGRES_URL is not None
        return POSTGRES_URL
    return sqlite_url(tmp_path)


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


async def migrated(url: str) -> Database:
    """An empty database at the newest schema. On PostgreSQL a schema already at head (left by
    the test before) is emptied with one TRUNCATE instead of dropped and migrated again —
    eleven migrations for each of some 350 tests were minutes of CI."""
    if url.startswith("postgresql"):
        if await _truncated_at_head(url):
            return Database(url)
        await empty_postgres(url)
    elif await _copied_from_template(url):
        return Database(url)
    db = Database(url)
    await migrate.upgrade(db.engine)
    return db


_SQLITE_TEMPLATE: list[Path] = []


async def _copied_from_template(url: str) -> bool:
    """A new SQLite file at head is a copy of one migrated once per run."""
    target = _new_sqlite_file(url)
    if target is None:
        return False
    if not _SQLITE_TEMPLATE:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="casebot-template-"))
        db = Database(sqlite_url(directory))
        await migrate.upgrade(db.engine)
        await db.dispose()  # the last connection closed: the WAL is folded into the file
        _SQLITE_TEMPLATE.append(directory / "casebot.sqlite3")
    _copy(_SQLITE_TEMPLATE[0], target)
    return True


def _new_sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or Path(database).exists():
        return None
    return Path(database)


def _copy(template: Path, target: Path) -> None:
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


async def _truncated_at_head(url: str) -> bool:
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            tables = (
                (
                    await connection.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                )
                .scalars()
                .all()
            )
            if "alembic_version" not in tables:
                return False
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            if version != migrate.head_revision():
                return False
            data = [name for name in tables if name != "alembic_version"]
            if data:
                names = ", ".join(f'"{name}"' for name in data)
                await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return True
    finally:
        await db.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await migrated(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def services(db: Database, clock: FrozenClock) -> Services:
    return make_services(db, clock)


@pytest.fixture
async def harness(db: Database, database_url: str, clock: FrozenClock) -> AsyncIterator[Harness]:
    """A sandbox and the bot running against it, as in production."""
    from bot.cli import SANDBOX_BOT_USERNAME
    from bot.sandbox import Sandbox
    from tests.e2e.harness import Harness, harness_settings

    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(port=0)
    h = Harness(sandbox, make_services(db, clock), harness_settings(database_url))
    await h.start_bot()
    try:
        yield h
    finally:
        if h.app is not None:
            await h.stop_bot()
        await sandbox.stop()
