"""An update's unit of work: one read transaction, one write transaction, a failed block that
leaves nothing behind, a second delivery rolled back whole, news only after the commit, and a
dialogue written once and only when it changed — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select

from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import Account, FsmState, InboxUpdate
from bot.db.unit import DuplicateUpdate
from bot.fsm_storage import SqlStorage
from bot.inbox import Inbox

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = StorageKey(bot_id=1, chat_id=5, user_id=5)


class Transactions:
    """Counts the transactions begun on the engine and whether each wrote."""

    def __init__(self, db: Database) -> None:
        self.begun = 0
        self.writing = 0
        engine = db.engine.sync_engine
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)

    def _begin(self, conn: Any) -> None:
        self.begun += 1
        conn.info["wrote"] = False

    def _statement(self, conn: Any, _cursor: Any, text: str, *_: Any) -> None:
        if text.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            conn.info["wrote"] = True

    def _end(self, conn: Any) -> None:
        if conn.info.pop("wrote", False):
            self.writing += 1


def account(user_id: int, name: str = "Olena") -> Account:
    return Account(telegram_user_id=user_id, first_name=name, updated_at=NOW)


async def names(db: Database) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(Account.first_name).order_by(Account.first_name)))


async def test_reads_share_one_transaction_and_writes_another(db: Database) -> None:
    async with db.transaction() as session:
        session.add(account(1, "Andrii"))
    counted = Transactions(db)
    async with db.unit(1).bound():
        for _ in range(3):
            async with db.reading() as session:
                assert await session.get(Account, 1) is not None
        for user_id in (2, 3):
            async with db.transaction() as session:
                session.add(account(user_id, f"Member{user_id}"))
        async with db.reading() as session:
            # A read after a write sees it: it goes through the write transaction.
            assert await session.scalar(select(func.count()).select_from(Account)) == 3
    assert (counted.begun, counted.writing) == (2, 1)
    assert await names(db) == ["Andrii", "Member2", "Member3"]


async def test_a_failed_block_leaves_nothing_and_earlier_blocks_stay(db: Database) -> None:
    async with db.unit(1).bound():
        async with db.transaction() as session:
            session.add(account(1, "Kept"))
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                session.add(account(2, "Dropped"))
                await session.flush()
                raise RuntimeError("the use case refused")
        async with db.transaction() as session:
            session.add(account(3, "Also kept"))
    assert await names(db) == ["Also kept", "Kept"]


async def test_a_first_block_that_fails_rolls_back_only_itself(db: Database) -> None:
    async with db.unit(1).bound():
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                session.add(account(2, "Dropped"))
                await session.flush()
                raise RuntimeError("refused")
        async with db.transaction() as session:
            session.add(account(3, "Kept"))
    assert await names(db) == ["Kept"]


async def test_a_second_delivery_is_rolled_back_whole(db: Database, clock: FrozenClock) -> None:
    log = Inbox(db, "a", clock)
    async with db.unit(77).bound() as unit:
        log.mark_direct(unit, 1, 77, 5)
        async with db.transaction() as session:
            session.add(account(1, "First delivery"))
    assert await log.seen(1, 77)
    with pytest.raises(DuplicateUpdate):
        async with db.unit(77).bound() as unit:
            log.mark_direct(unit, 1, 77, 5)
            async with db.transaction() as session:
                session.add(account(2, "Second delivery"))
            await unit.commit()
    assert await names(db) == ["First delivery"]
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 1


async def test_news_waits_for_the_commit(db: Database) -> None:
    told: list[int] = []
    async with db.unit(1).bound() as unit:
        async with db.transaction() as session:
            session.add(account(1))
        db.after_commit(lambda: told.append(1))
        assert told == []  # written, not committed: nobody may be told yet
        await unit.commit(deferred_too=False)
        assert told == [1]
    db.after_commit(lambda: told.append(2))  # outside an update: at once
    assert told == [1, 2]


async def test_the_dialogue_is_read_once_and_written_once_when_changed(
    db: Database, clock: FrozenClock
) -> None:
    storage = SqlStorage(db, clock)
    await storage.set_state(KEY, "New:description")
    counted = Transactions(db)
    async with db.unit(1).bound():
        assert await storage.get_state(KEY) == "New:description"
        await storage.set_state(KEY, "New:customer")
        await storage.update_data(KEY, {"case": 1})
        await storage.update_data(KEY, {"screen": 9})
        assert await storage.get_data(KEY) == {"case": 1, "screen": 9}
    assert (counted.begun, counted.writing) == (2, 1)
    assert await storage.get_state(KEY) == "New:customer"
    assert await storage.get_data(KEY) == {"case": 1, "screen": 9}

    counted = Transactions(db)
    async with db.unit(2).bound():
        await storage.set_state(KEY, "New:other")
        await storage.set_state(KEY, "New:customer")  # and back: nothing to write
    assert (counted.begun, counted.writing) == (1, 0)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(FsmState)) == 1


async def test_a_small_pool_serves_many_updates_and_background_writers(database_url: str) -> None:
    """Updates that read, let go while they wait for Telegram, and write again, beside
    background writers, through a pool of two connections: each takes its connection before
    the writers' turn, so none holds the turn while waiting for the pool (that was a deadlock)."""
    from tests.conftest import migrated

    await migrated(database_url)
    db = Database(database_url, pool_size=2, max_overflow=0)

    async def update(n: int) -> None:
        async with db.unit(n).bound() as unit:
            async with db.reading() as session:
                await session.get(Account, n)
            await unit.pause()  # as before a Bot API call
            async with db.transaction() as session:
                session.add(account(n, f"Update{n:02}"))
            await unit.pause()
            async with db.transaction() as session:
                (await session.get(Account, n)).first_name += "!"  # type: ignore[union-attr]

    async def background(n: int) -> None:
        async with db.transaction() as session:
            session.add(account(1000 + n, f"Background{n}"))

    try:
        await asyncio.wait_for(
            asyncio.gather(*(update(n) for n in range(20)), *(background(n) for n in range(5))),
            timeout=60,  # a deadlock guard, not a race: this takes well under a second
        )
        done = await names(db)
    finally:
        await db.dispose()
    assert len(done) == 25
    assert sum(name.endswith("!") for name in done) == 20
