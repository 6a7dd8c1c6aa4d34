"""SQLite through aiosqlite with one thread hop per statement instead of four, or none."""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

# SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes in four round
# trips to aiosqlite's worker thread; each costs a thread wake-up both ways, and a short
# statement's own work is smaller than that. Here the whole statement runs in one call on
# the worker thread (aiosqlite's `_execute`, the same queue SQLAlchemy's adapter itself uses
# for isolation_level), and the results come back together.


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """Nothing is open on the worker thread between statements."""

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if getattr(self._adapt_connection, "on_loop", False):
            result = _run(connection._conn, operation, parameters, many)
        else:
            async with self._adapt_connection._execute_mutex:
                result = await connection._execute(
                    _run, connection._conn, operation, parameters, many
                )
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """`on_loop` (set per transaction by the engine's begin hook): this transaction's
    statements run on the event loop's own thread, with no hop at all. For an update's short
    statements a hop costs several times the statement (a read transaction of five: 2.5 ms of
    CPU through the worker, 0.5 ms without). Only safe where nothing can make SQLite wait:
    WAL readers never do, and writers of this process take Database's writer lock before they
    begin, so BEGIN IMMEDIATE finds the write lock free (or held, briefly, by another process).
    Long analytic queries keep the worker thread, so the loop never stalls on them."""

    __slots__ = ("on_loop",)
    _cursor_cls = OneHopCursor  # type: ignore[assignment]

    def _ended_on_loop(self, how: str) -> bool:
        """Commit or roll back right here when the transaction ran on the loop's thread."""
        if not getattr(self, "on_loop", False):
            return False
        self.on_loop = False
        try:
            getattr(self._connection._conn, how)()
        except Exception as error:
            self._handle_exception(error)
        return True

    def commit(self) -> None:
        if not self._ended_on_loop("commit"):
            super().commit()

    def rollback(self) -> None:
        if not self._ended_on_loop("rollback"):
            super().rollback()


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # Used from the loop's thread too (see OneHopConnection), never from two at once.
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    """The DBAPI module to give create_async_engine(module=…) for sqlite+aiosqlite URLs."""
    return OneHopDbapi(aiosqlite, sqlite3)
