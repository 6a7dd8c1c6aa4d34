"""The outbox sender against the sandbox: every message arrives, in order per chat, within
Telegram's pacing (measured by the sandbox), through 429s, 5xx and a crash mid-batch."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.app import make_bot
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import OutboxMessage
from bot.outbox import LEASE, OutboxSender, Pacing, enqueue
from bot.sandbox import Sandbox
from tests.e2e.harness import Harness

CHATS = (501, 502, 503)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        for chat in CHATS:
            await sb.user(chat, f"P{chat}").send("hi")
        yield sb


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    bot = make_bot(sandbox.token, sandbox.url)  # as production builds it (HTML by default)
    yield bot
    await bot.session.close()


def fast() -> Pacing:
    # Faster than Telegram so the test is short; the sandbox checks these limits exactly.
    return Pacing(per_second=40, per_chat_interval=0.1, backoff_base=0.05)


async def fill(db: Database, clock: FrozenClock, per_chat: int) -> None:
    async with db.transaction() as session:
        for n in range(per_chat):
            for chat in CHATS:
                enqueue(session, clock, chat_id=chat, text=f"<b>{chat}</b> #{n}")


async def everything_arrived(sandbox: Sandbox, per_chat: int) -> None:
    def done() -> bool | None:
        counts = [len(sandbox.users[c].bot_messages) for c in CHATS]
        return True if all(count >= per_chat for count in counts) else None

    await sandbox.wait_for(done, 30)


def assert_paced(sandbox: Sandbox, pacing: Pacing) -> None:
    times = [t for t, _, _ in sandbox.deliveries]
    for chat in CHATS:
        mine = [t for t, _, c in sandbox.deliveries if c == chat]
        gaps = [b - a for a, b in itertools.pairwise(mine)]
        assert all(gap >= pacing.per_chat_interval * 0.95 for gap in gaps), (chat, gaps)
    for i, start in enumerate(times):
        in_a_second = [t for t in times[i:] if t < start + 1]
        assert len(in_a_second) <= pacing.per_second + 1


def in_order(sandbox: Sandbox) -> None:
    for chat in CHATS:
        texts = [m.text for m in sandbox.users[chat].bot_messages]
        numbers = [int(t.rsplit("#", 1)[1]) for t in texts]
        assert numbers == sorted(numbers), (chat, numbers)


async def test_every_message_arrives_in_order_within_the_pacing(
    db: Database, clock: FrozenClock, sandbox: Sandbox, bot: Bot
) -> None:
    await fill(db, clock, 5)
    pacing = fast()
    sender = OutboxSender(db, bot, clock, pacing)
    started = asyncio.get_running_loop().time()
    while await sender.drain_once():
        pass
    await everything_arrived(sandbox, 5)
    elapsed = asyncio.get_running_loop().time() - started
    in_order(sandbox)
    assert_paced(sandbox, pacing)
    rate = len(sandbox.deliveries) / elapsed
    print(f"\ndelivered={len(sandbox.deliveries)} in {elapsed:.2f}s rate={rate:.1f}/s")
    async with db.reading() as session:
        statuses = {row.status for row in await session.scalars(select(OutboxMessage))}
    assert statuses == {"sent"}


async def test_429_and_5xx_are_retried_and_nothing_is_lost(
    db: Database, clock: FrozenClock, sandbox: Sandbox, bot: Bot
) -> None:
    await fill(db, clock, 3)
    sandbox.fail_next("sendMessage", status=429, retry_after=1)
    sandbox.fail_next("sendMessage", status=502, times=2)
    sender = OutboxSender(db, bot, clock, fast())
    for _ in range(200):
        if not await sender.drain_once():
            clock.advance(timedelta(seconds=2))  # due times are in the clock's time
        async with db.reading() as session:
            left = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending").limit(1)
            )
        if left is None:
            break
    await everything_arrived(sandbox, 3)
    in_order(sandbox)
    async with db.reading() as session:
        retried = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 1))
        ).all()
    assert len(retried) == 3  # one 429 and two 502s, each retried once


async def test_a_crash_mid_batch_loses_nothing(
    db: Database, clock: FrozenClock, sandbox: Sandbox, bot: Bot
) -> None:
    await fill(db, clock, 4)
    gate = sandbox.hold("sendMessage")
    first = OutboxSender(db, bot, clock, fast())
    crashed = asyncio.create_task(first.drain_once())
    await gate.reached.wait()
    crashed.cancel()  # the process dies while Telegram holds a request
    gate.release()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    clock.advance(LEASE + timedelta(seconds=1))  # the dead sender's lease runs out
    second = OutboxSender(db, bot, clock, fast())
    while await second.drain_once():
        pass
    await everything_arrived(sandbox, 4)
    in_order(sandbox)
    for chat in CHATS:
        texts = [m.text for m in sandbox.users[chat].bot_messages]
        # At least once: every message; at most one repeat, of the one in flight.
        assert sorted(set(texts)) == sorted(f"{chat} #{n}" for n in range(4))
        assert len(texts) - len(set(texts)) <= 1


async def test_a_blocked_person_is_given_up_on(
    db: Database, clock: FrozenClock, sandbox: Sandbox, bot: Bot
) -> None:
    sandbox.block(502)
    await fill(db, clock, 1)
    sender = OutboxSender(db, bot, clock, fast())
    while await sender.drain_once():
        pass
    async with db.reading() as session:
        rows = {row.chat_id: row.status for row in await session.scalars(select(OutboxMessage))}
    assert rows == {501: "sent", 502: "dead", 503: "sent"}


async def test_the_running_bot_delivers_what_services_queue(harness: Harness) -> None:
    h = harness
    olena = h.user(7001, "Olena", "uk")
    await olena.send("hi")  # the chat exists for Telegram once the person has written
    await h.settle()
    async with h.db.transaction() as session:
        enqueue(session, h.services.clock, chat_id=7001, text="<b>News</b> for you")
    news = await olena.expect("News for you", timeout=15)
    assert news.bold == ["News"]


async def test_a_live_senders_leases_are_kept_a_dead_ones_taken_over_in_seconds(
    db: Database, clock: FrozenClock, sandbox: Sandbox, bot: Bot
) -> None:
    """Leases belong to an instance whose heartbeat renews them (bot/inbox.py): while it
    lives, nobody else sends its messages; once it is dead, another sender takes them after
    LEASE (9 s), not a minute."""
    from bot.inbox import Inbox

    assert timedelta(seconds=10) >= LEASE
    await fill(db, clock, 1)
    alive = Inbox(db, "a", clock)
    gate = sandbox.hold("sendMessage")
    first = OutboxSender(db, bot, clock, fast(), instance=alive.instance)
    held = asyncio.create_task(first.drain_once())
    await gate.reached.wait()
    second = OutboxSender(db, bot, clock, fast(), instance="b")
    clock.advance(LEASE / 2)
    await alive.renew(clock)  # its heartbeat
    clock.advance(LEASE / 2 + timedelta(seconds=1))
    assert await second.drain_once() == 0  # alive: its leases hold
    held.cancel()  # now it dies, with Telegram holding its request
    gate.release()
    with pytest.raises(asyncio.CancelledError):
        await held
    clock.advance(LEASE + timedelta(seconds=1))  # no heartbeat since
    while await second.drain_once():
        pass
    await everything_arrived(sandbox, 1)
