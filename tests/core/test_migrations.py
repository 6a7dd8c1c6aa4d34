"""Migrations and models agree, and the schema goes down to nothing and back up."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.db import migrate
from bot.db.base import Base
from bot.db.engine import Database


async def _differences(db: Database) -> list[Any]:
    async with db.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_models_and_migrations_agree(db: Database) -> None:
    assert await migrate.current_revision(db.engine) == migrate.head_revision()
    assert await _differences(db) == []


async def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    await migrate.downgrade(db.engine, "base")
    assert await _tables(db) <= {"alembic_version"}
    await migrate.upgrade(db.engine)
    assert set(Base.metadata.tables) <= await _tables(db)
    assert await _differences(db) == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_database_url: str) -> None:
    db = Database(sqlite_database_url)
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()
