"""The inbox (bot/inbox.py): stored once, claimed by one instance at a time, one update per
chat at a time and in order, taken over when a lease runs out, retried after a failure of
the database, and marked done only with what handling wrote."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import Account, InboxUpdate
from bot.db.unit import DuplicateUpdate
from bot.inbox import LEASE, OTHER_ATTEMPTS, Claimed, Inbox, Workers

BOT = 7
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rows(*pairs: tuple[int, int]) -> list[tuple[None, int, int, str]]:
    """(update_id, chat_id) pairs as the inbox stores them."""
    return [(None, update_id, chat_id, "{}") for update_id, chat_id in pairs]


async def status(db: Database) -> dict[int, str]:
    async with db.reading() as session:
        found = await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))
        return dict(found.all())  # type: ignore[arg-type]


async def handle(
    db: Database, inbox: Inbox, row: Claimed, name: str, user_id: int | None = None
) -> None:
    """What a worker does: the update's effects and its mark in one unit of work."""
    async with db.unit(row.update_id).bound() as unit:
        inbox.mark(unit, row.id)
        async with db.transaction() as session:
            session.add(
                Account(telegram_user_id=user_id or row.update_id, first_name=name, updated_at=NOW)
            )


async def test_one_chat_one_at_a_time_in_order(db: Database, clock: FrozenClock) -> None:
    inbox = Inbox(db, "a", clock)
    claimed, stored = await inbox.receive(BOT, rows((1, 10), (2, 10), (3, 11), (4, 10)), 10)
    assert stored == {10: 3, 11: 1}
    assert [r.update_id for r in claimed] == [1, 3]  # each chat's oldest only
    assert await inbox.claim(10) == []  # chat 10's next waits for its first
    await handle(db, inbox, claimed[0], "first")
    assert [r.update_id for r in await inbox.claim(10)] == [2]
    assert (await inbox.waiting())[0] == 3


async def test_a_redelivered_update_is_stored_once(db: Database, clock: FrozenClock) -> None:
    inbox = Inbox(db, "a", clock)
    await inbox.receive(BOT, rows((1, 10)), 0)
    claimed, stored = await inbox.receive(BOT, rows((1, 10), (2, 11)), 0)
    assert stored == {11: 1} and claimed == []
    assert await status(db) == {1: "pending", 2: "pending"}


async def test_a_dead_instance_is_taken_over_after_its_lease(
    db: Database, clock: FrozenClock
) -> None:
    a, b = Inbox(db, "a", clock), Inbox(db, "b", clock)
    [row], _ = await a.receive(BOT, rows((1, 10)), 10)
    clock.advance(LEASE / 2)
    await a.renew()  # a lives: its lease is renewed, b finds nothing
    clock.advance(LEASE / 2 + timedelta(seconds=1))
    assert await b.claim(10) == []
    clock.advance(LEASE)  # a died: no heartbeat since
    [taken] = await b.claim(10)
    assert taken.update_id == 1 and taken.attempts == 2
    await handle(db, b, taken, "by b")
    # a comes back to life and finishes too: its effects are rolled back whole.
    with pytest.raises(DuplicateUpdate):
        await handle(db, a, row, "by a", user_id=2)
    async with db.reading() as session:
        names = list(await session.scalars(select(Account.first_name)))
    assert names == ["by b"]
    assert await status(db) == {1: "done"}


async def test_a_clean_stop_frees_the_leases_at_once(db: Database, clock: FrozenClock) -> None:
    a, b = Inbox(db, "a", clock), Inbox(db, "b", clock)
    await a.receive(BOT, rows((1, 10), (2, 11)), 10)
    await a.release()
    assert sorted(r.update_id for r in await b.claim(10)) == [1, 2]


async def test_workers_retry_what_failed_for_want_of_the_database(
    db: Database, clock: FrozenClock
) -> None:
    inbox = Inbox(db, "a")  # wall time: the retry's backoff passes
    calls: list[int] = []
    told: list[int] = []

    all_tried = asyncio.Event()

    async def dispatch(row: Claimed) -> None:
        calls.append(row.update_id)
        if len(calls) == 4:
            all_tried.set()
        if row.update_id == 1 and calls.count(1) == 1:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database away"))
        await handle(db, inbox, row, f"u{row.update_id}")

    async def on_transient(row: Claimed, error: BaseException) -> None:
        told.append(row.update_id)

    workers = Workers(inbox, dispatch, poll=0.05, on_transient=on_transient)
    stop = asyncio.Event()
    running = asyncio.create_task(workers.run(stop))
    await workers.receive(BOT, rows((1, 10), (2, 10), (3, 11)))
    await asyncio.wait_for(all_tried.wait(), 10)
    await asyncio.wait_for(workers.quiet(), 10)
    stop.set()
    await running
    # Update 1 failed once and was done on its second try, before chat 10's next one.
    assert calls.index(2) > [i for i, u in enumerate(calls) if u == 1][1]
    assert told == [1]
    assert await status(db) == {1: "done", 2: "done", 3: "done"}


async def test_a_failing_update_is_kept_as_failed(db: Database, clock: FrozenClock) -> None:
    inbox = Inbox(db, "a")

    tries = 0
    third = asyncio.Event()

    async def dispatch(row: Claimed) -> None:
        nonlocal tries
        tries += 1
        if tries == OTHER_ATTEMPTS:
            third.set()
        raise RuntimeError("a bug")

    workers = Workers(inbox, dispatch, poll=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(workers.run(stop))
    await workers.receive(BOT, rows((1, 10)))

    await asyncio.wait_for(third.wait(), 10)
    await asyncio.wait_for(workers.quiet(), 10)
    stop.set()
    await running
    async with db.reading() as session:
        attempts = await session.scalar(select(InboxUpdate.attempts))
    assert await status(db) == {1: "failed"} and attempts == tries == OTHER_ATTEMPTS


async def test_a_restarted_instance_does_not_keep_the_dead_ones_leases(
    db: Database, clock: FrozenClock
) -> None:
    """Under systemd a restarted instance has the same name (host-8081): its heartbeat must
    not renew what the killed process held, or that chat would wait forever."""
    dead, restarted, other = Inbox(db, "a", clock), Inbox(db, "a", clock), Inbox(db, "b", clock)
    await dead.receive(BOT, rows((1, 10)), 10)
    clock.advance(LEASE / 2)
    await restarted.renew()
    clock.advance(LEASE / 2 + timedelta(seconds=1))
    assert [r.update_id for r in await other.claim(10)] == [1]
