"""Async engine and session factory; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.sqlite import one_hop_dbapi
from bot.db.unit import UnitOfWork, WatchedSession


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We say BEGIN ourselves (see _sqlite_begin), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Writers take the write lock when they begin, not when they first write: a deferred
    transaction that reads and then writes fails at once ("database is locked") when another
    writer got in between, while BEGIN IMMEDIATE simply waits its turn (busy_timeout)."""
    options = connection.get_execution_options()
    mode = options.get("sqlite_begin", "IMMEDIATE")
    # An update's transactions run on the loop's thread (bot/db/sqlite.py, OneHopConnection).
    connection.connection.dbapi_connection.on_loop = bool(options.get("sqlite_on_loop"))
    connection.exec_driver_sql(f"BEGIN {mode}")


def conflict_insert(dialect: str) -> Any:
    """The dialect's INSERT, the one with ON CONFLICT (both databases have it)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("module", one_hop_dbapi())
        # Sessions always end their transactions; the pool's extra rollback on every
        # return would be one more trip to SQLite's thread for nothing.
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The engine plus a session factory; services open one transaction per use case."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=WatchedSession
        )
        self.readers = async_sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"),
            expire_on_commit=False,
            sync_session_class=WatchedSession,
        )
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._writers: asyncio.Lock | None = None

    async def writer_turn(self) -> None:
        """On SQLite, this process's writers take turns before they BEGIN IMMEDIATE: one that
        runs on the loop's thread must never find the write lock held by another of this
        process's writers (it would wait in SQLite, and stop the loop that writer needs)."""
        if self.sqlite:
            if self._writers is None:
                self._writers = asyncio.Lock()
            await self._writers.acquire()

    def writer_done(self) -> None:
        if self.sqlite and self._writers is not None and self._writers.locked():
            self._writers.release()

    def unit(self, label: Any = None) -> UnitOfWork:
        """A unit of work for one update (see bot/db/unit.py); bind it with `bound()`."""
        return UnitOfWork(self, label)

    @asynccontextmanager
    async def transaction(self, on_loop: bool = False) -> AsyncIterator[AsyncSession]:
        """A read-write transaction (on SQLite it holds the write lock from its start).
        Inside an update it is a block of the update's one write transaction. `on_loop`: its
        SQLite statements run on the loop's thread, as an update's do (short ones only: the
        inbox's)."""
        unit = UnitOfWork.current(self)
        if unit is not None:
            async with unit.writing() as session:
                yield session
            return
        if not self.sqlite:
            async with self.sessions() as session, session.begin():
                yield session
            return
        # The connection first, then the writers' turn, as an update does: taking the turn
        # first and then waiting for a pooled connection held by updates that wait for the
        # turn would be a deadlock.
        async with self.engine.connect() as connection:
            if on_loop:
                connection = await connection.execution_options(sqlite_on_loop=True)
            await self.writer_turn()
            try:
                async with self.sessions(bind=connection) as session, session.begin():
                    yield session
            finally:
                self.writer_done()

    @asynccontextmanager
    async def reading_apart(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction of its own even inside an update, its statements off the
        loop's thread: for long analytic queries (weekly figures, exports) that must not
        stall every other update while they run."""
        async with self.readers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction: never waits for writers. Inside an update, the update's
        one read transaction (or its write transaction, once it has written)."""
        unit = UnitOfWork.current(self)
        if unit is not None:
            async with unit.reading() as session:
                yield session
            return
        async with self.readers() as session, session.begin():
            yield session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what the caller wrote is committed (at once outside an update)."""
        unit = UnitOfWork.current(self)
        if unit is not None:
            unit.after_commit(callback)
        else:
            callback()

    async def dispose(self) -> None:
        await self.engine.dispose()
