"""One update's unit of work: what it reads in one transaction, what it writes in one more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bot.db.engine import Database

Write = Callable[[AsyncSession], Awaitable[None]]

_current: ContextVar[UnitOfWork | None] = ContextVar("casebot_unit_of_work", default=None)


class DuplicateUpdate(Exception):
    """The update was already handled (by this process earlier, or by another one): its
    effects were rolled back and nobody is told anything."""


class UnitOfWork:
    """Every `db.reading()` of an update shares one read transaction and every
    `db.transaction()` one write transaction, committed just before the first Bot API call
    that follows a write (so nobody is told of what is not stored) or when the update ends.

    Small writes that belong to the update rather than to a use case (its dedupe mark, the
    dialogue state, the account's last seen name) are `defer`red: they go into the use case's
    write transaction if there is one, else into one of their own at the end. A step that
    writes nothing of its own therefore costs one read and one short write transaction.

    The read and then the write transaction run on one pooled connection, one after the
    other, given back before every Bot API call (no update holds a connection while Telegram
    answers) and always taken before the writers' turn (Database.writer_turn), never after:
    a busy pool cannot deadlock on updates that wait for each other's connection or turn.
    """

    def __init__(self, db: Database, label: Any = None) -> None:
        self.db = db
        self.label = label  # what the unit is for (the update's id), for logs and counts
        self.memo: dict[Any, Any] = {}  # what this update already read, by key (the policy id…)
        self._connection: AsyncConnection | None = None
        self._read: AsyncSession | None = None
        self._write: AsyncSession | None = None
        self._blocks = 0  # use-case blocks already flushed into the open write transaction
        self._depth = 0
        self._deferred: dict[Any, Write] = {}
        # Rows read first (the member) that the write session starts with, unread again.
        self.seeds: list[object] = []
        self._after_commit: list[Callable[[], None]] = []
        self.open = True

    # -- entering and leaving ------------------------------------------------------------

    @classmethod
    def current(cls, db: Database) -> UnitOfWork | None:
        unit = _current.get()
        return unit if unit is not None and unit.open and unit.db is db else None

    @asynccontextmanager
    async def bound(self) -> AsyncIterator[UnitOfWork]:
        token = _current.set(self)
        try:
            yield self
        except BaseException:
            await self._close(commit=False)
            raise
        else:
            await self._close(commit=True)
        finally:
            _current.reset(token)

    async def _close(self, commit: bool) -> None:
        try:
            if commit:
                await self.commit()
            else:
                await self._discard_write()
        finally:
            self.open = False
            try:
                await self._end_read()
                await self._discard_write()
            finally:
                await self._release()

    # -- what services see -------------------------------------------------------------

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        if self._write is not None:
            yield self._write  # reads after a write see it
            return
        if self._read is None:
            self._read = self.db.sessions(bind=await self._connected(reading=True))
            _prepare(self._read, [])
            await self._read.begin()
        yield self._read

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        if self._depth:
            assert self._write is not None
            yield self._write  # a block inside a block is part of it
            return
        session = await self._writer()
        savepoint = await session.begin_nested() if self._blocks else None
        self._depth += 1
        try:
            yield session
            await session.flush()
        except BaseException:
            # The failed block leaves nothing behind; earlier blocks of the update stay.
            if savepoint is not None:
                await savepoint.rollback()
            else:
                await self._discard_write()
            raise
        else:
            if savepoint is not None:
                await savepoint.commit()
            self._blocks += 1
        finally:
            self._depth -= 1

    def defer(self, key: Any, write: Write) -> None:
        """A write that belongs to the update; the last one given for a key wins."""
        self._deferred[key] = write

    def forget(self, key: Any) -> None:
        self._deferred.pop(key, None)

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    # -- committing --------------------------------------------------------------------

    async def commit(self, deferred_too: bool = True) -> None:
        """Store what the update wrote so far: at the end (`deferred_too`), and before a
        Bot API call, when only a use case's writes must be stored first — the update's
        own small writes wait for the end, or for a use case's commit, whichever is first,
        so a step that writes nothing else still costs one write."""
        if self._depth:
            return  # inside a use case's block: it is not finished yet
        if self._write is None and (not self._deferred or not deferred_too):
            self._run_after_commit()
            return
        session = await self._writer()
        deferred, self._deferred = self._deferred, {}
        try:
            for write in deferred.values():
                await write(session)
            await session.commit()
        finally:
            await self._discard_write()
            await self._release()
        self._run_after_commit()

    async def pause(self) -> None:
        """Before a Bot API call: the use case's writes committed, the read transaction ended
        and the connection given back, so no update holds a connection (or a snapshot) while
        it waits for Telegram. A read after it begins a new read transaction."""
        if self._depth:
            return
        await self.commit(deferred_too=False)
        await self._end_read()
        await self._release()

    async def _release(self) -> None:
        if self._connection is not None and self._read is None and self._write is None:
            connection, self._connection = self._connection, None
            await connection.close()

    def _run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def _writer(self) -> AsyncSession:
        if self._write is None:
            await self._end_read()
            # The connection before the writers' turn, never the other way round: a writer
            # holding the turn while it waits for the pool, full of updates that wait for the
            # turn, would wait forever.
            connection = await self._connected(reading=False)
            await self.db.writer_turn()
            try:
                self._write = self.db.sessions(bind=connection)
                await self._write.begin()
            except BaseException:
                self.db.writer_done()
                raise
            _prepare(self._write, self.seeds)
            self._blocks = 0
        return self._write

    async def _connected(self, reading: bool) -> AsyncConnection:
        """The update's one connection, checked out once (one pool round, one pre-ping on
        PostgreSQL) and used by its read and then its write transaction, one after the other;
        the options say how the next transaction begins on SQLite, and that its statements
        run on the loop's thread (see _sqlite_begin)."""
        if self._connection is None:
            self._connection = await self.db.engine.connect()
        return await self._connection.execution_options(
            sqlite_begin="DEFERRED" if reading else "IMMEDIATE", sqlite_on_loop=True
        )

    async def _end_read(self) -> None:
        if self._read is not None:
            session, self._read = self._read, None
            try:
                await session.commit()
            finally:
                await session.close()

    async def _discard_write(self) -> None:
        if self._write is not None:
            session, self._write = self._write, None
            self._blocks = 0
            try:
                await session.rollback()
            finally:
                try:
                    await session.close()
                finally:
                    self.db.writer_done()


def _prepare(session: AsyncSession, seeds: list[object]) -> None:
    """A session's identity map holds objects weakly: a member or case loaded by one service
    and dropped would be selected again by the next one. While the update's session lives,
    what it loaded or added stays (`info["kept"]`, filled by WatchedSession's listeners), so
    `session.get` of it costs no statement; what the update read
    first (its member) is put in without a statement. `info["memo"]` keeps figures derived
    by queries (what was spent on a case) until the session next writes."""
    kept: list[object] = []
    session.info["kept"] = kept
    session.info["memo"] = {}
    sync = session.sync_session
    for seed in seeds:
        kept.append(sync.merge(seed, load=False))


def _kept(session: Any, instance: object) -> None:
    kept = session.info.get("kept")
    if kept is not None:
        kept.append(instance)


def _flushed(session: Any, _context: Any) -> None:
    memo = session.info.get("memo")
    if memo:
        memo.clear()


class WatchedSession(Session):
    """The sessions of every unit of work, with the listeners of `_prepare` put once on the
    class (registering listeners per session costs more than a short statement)."""


event.listen(WatchedSession, "loaded_as_persistent", _kept)
event.listen(WatchedSession, "pending_to_persistent", _kept)
event.listen(WatchedSession, "after_flush", _flushed)


def memo_of(session: AsyncSession) -> dict[Any, Any] | None:
    """The session's memo of derived figures, if it is an update's (see _prepare)."""
    return session.info.get("memo")


def bound_unit() -> UnitOfWork | None:
    """The unit of work this task is in, whatever its database (for counting statements)."""
    unit = _current.get()
    return unit if unit is not None and unit.open else None
