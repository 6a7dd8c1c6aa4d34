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
    if url.startswith("postgresql"):
        await empty_postgres(url)
    db = Database(url)
    await migrate.upgrade(db.engine)
    return db


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
