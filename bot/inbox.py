"""The inbox: every update is stored before Telegram is told it arrived, and handled until it
succeeds — at least once, one at a time per chat, in the order it came.

How an update travels:
1. **Received.** The poller (getUpdates) or the webhook stores it: one row per update, the
   update id unique, in one transaction with the claim of what this instance handles next.
   Only then is it acknowledged — the next getUpdates carries the offset past it, or the
   webhook answers 200. A process that dies before that leaves the update with Telegram,
   which delivers it again.
2. **Claimed.** A row is handled by the instance holding its lease. Only the oldest waiting
   row of each chat may be claimed, so a chat's updates are handled one after the other, in
   order, across instances. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite takes
   its write lock (`BEGIN IMMEDIATE`).
3. **Handled.** The row is marked done in the update's own write transaction (the unit of
   work, bot/db/unit.py), with what handling it wrote: the effects and the mark commit or
   vanish together. A second delivery, or a second instance that took over a slow lease,
   finds the mark at its commit and is rolled back (DuplicateUpdate).
4. **Retried.** An update that failed because the database or Redis was away goes back to
   the head of its chat with a backoff; one that fails for any other reason is tried three
   times, then kept as "failed" with its error.

Leases are short and belong to an instance that heartbeats (Heartbeat): it renews them every
few seconds while it lives, so a dead instance's updates and notifications are taken over
within LEASE, not a minute later.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram.types import Update
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database, conflict_insert
from bot.db.models import InboxUpdate, OutboxMessage
from bot.db.unit import DuplicateUpdate, UnitOfWork

if TYPE_CHECKING:
    from bot.telemetry import Telemetry

log = logging.getLogger(__name__)

# How long a lease lasts without its instance's heartbeat; renewed every LEASE / 3.
LEASE = timedelta(seconds=9)
# Telegram keeps an unconfirmed update for 24 hours: a handled row is kept twice that long
# as the mark that a redelivery is not handled again.
KEEP = timedelta(hours=48)
OTHER_ATTEMPTS = 3  # a failure that is not the database's or Redis's: tried this often
# Seconds between tries of one update while the database or Redis is away: 0.25 s doubling
# up to 5 s. The cap is short on purpose: the outage is the dependency's, not the update's,
# and a long wait earned in an outage (attempts count every claim, kills included) would keep
# a person waiting long after the dependency came back.
TRANSIENT_BACKOFF_CAP = 5.0


def instance_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:64]


def chat_of(update: Update) -> int:
    """Whose updates are handled in order: the person's (or the chat's) id."""
    event = update.event
    user = getattr(event, "from_user", None)
    if user is not None:
        return int(user.id)
    chat = getattr(event, "chat", None)
    return int(chat.id) if chat is not None else 0


def transient(error: BaseException) -> bool:
    """A failure of the database or of Redis (it passes), not of the update."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, OperationalError | PoolTimeout | ConnectionError | OSError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is optional
        return False
    return isinstance(error, RedisConnectionError | RedisTimeout)


@dataclass
class Claimed:
    """A row this instance holds the lease of; `update` is the parsed update when this
    instance received it (no second parse), else parsed from the payload."""

    id: int
    bot_id: int
    update_id: int
    chat_id: int
    payload: str
    attempts: int
    update: Update | None = None


class Inbox:
    """The inbox table's statements (see the module's docstring)."""

    def __init__(self, db: Database, instance: str | None = None, clock: Clock | None = None):
        self.db = db
        # The leases' owner: this process, not only its name. A restarted instance keeps its
        # name (CASEBOT_INSTANCE_ID, e.g. host-8081 under systemd) but must not renew what the
        # dead one held, or those updates would never be taken over.
        self.instance = f"{(instance or instance_name())[:56]}/{secrets.token_hex(3)}"
        # Leases are about processes being alive: wall time, whatever the services' clock.
        self.clock = clock or Clock()
        insert = conflict_insert(db.engine.dialect.name)
        self._insert = (
            insert(InboxUpdate)
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
            .returning(InboxUpdate.chat_id)
        )
        self._mark_done = (
            update(InboxUpdate)
            .where(InboxUpdate.id == bindparam("row_id"), InboxUpdate.status == "pending")
            .values(status="done", done_at=bindparam("now"), lease_until=None)
        )
        self._mark_direct = (
            insert(InboxUpdate)
            .values(
                bot_id=bindparam("bot_id"),
                update_id=bindparam("update_id"),
                chat_id=bindparam("chat_id"),
                payload="",
                status="done",
                attempts=1,
                not_before=bindparam("now"),
                received_at=bindparam("now"),
                done_at=bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        )

    # -- receiving and claiming -----------------------------------------------------------

    async def receive(
        self, bot_id: int, updates: Sequence[tuple[Update | None, int, int, str]], limit: int
    ) -> tuple[list[Claimed], Counter[int]]:
        """Store the updates (update, update_id, chat_id, payload JSON) and claim up to
        `limit` rows, in one transaction. Returns the claimed rows and, per chat, how many
        rows were newly stored (a redelivery of a stored update is not stored again)."""
        now = self.clock.now()
        parsed = {update_id: update for update, update_id, _, _ in updates}
        stored: Counter[int] = Counter()
        async with self.db.transaction(on_loop=True) as session:
            if updates:
                connection = await session.connection()
                result = await connection.execute(
                    self._insert,
                    [
                        {
                            "bot_id": bot_id,
                            "update_id": update_id,
                            "chat_id": chat_id,
                            "payload": payload,
                            "status": "pending",
                            "attempts": 0,
                            "not_before": now,
                            "received_at": now,
                        }
                        for _, update_id, chat_id, payload in updates
                    ],
                )
                stored.update(chat_id for (chat_id,) in result.all())
            claimed = await self._claim(session, now, limit) if limit > 0 else []
        for row in claimed:
            row.update = parsed.get(row.update_id) if row.bot_id == bot_id else None
        return claimed, stored

    async def claim(self, limit: int) -> list[Claimed]:
        async with self.db.transaction(on_loop=True) as session:
            return await self._claim(session, self.clock.now(), limit)

    async def _claim(self, session: AsyncSession, now: datetime, limit: int) -> list[Claimed]:
        heads = (
            select(func.min(InboxUpdate.id))
            .where(InboxUpdate.status == "pending")
            .group_by(InboxUpdate.chat_id)
        )
        rows = (
            await session.execute(
                select(
                    InboxUpdate.id,
                    InboxUpdate.bot_id,
                    InboxUpdate.update_id,
                    InboxUpdate.chat_id,
                    InboxUpdate.payload,
                    InboxUpdate.attempts,
                )
                .where(
                    InboxUpdate.id.in_(heads),
                    InboxUpdate.not_before <= now,
                    InboxUpdate.lease_until.is_(None) | (InboxUpdate.lease_until < now),
                )
                .order_by(InboxUpdate.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return []
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id.in_([row.id for row in rows]))
            .values(
                lease_until=now + LEASE,
                leased_by=self.instance,
                attempts=InboxUpdate.attempts + 1,
            )
        )
        return [
            Claimed(row.id, row.bot_id, row.update_id, row.chat_id, row.payload, row.attempts + 1)
            for row in rows
        ]

    # -- the outcome ------------------------------------------------------------------------

    def mark(self, unit: UnitOfWork, row_id: int) -> None:
        """The row done, in the update's own write transaction (see the module's docstring)."""
        values = {"row_id": row_id, "now": self.clock.now()}

        async def write(session: AsyncSession) -> None:
            result = await (await session.connection()).execute(self._mark_done, values)
            if not result.rowcount:
                raise DuplicateUpdate(row_id)

        unit.defer(("inbox", row_id), write)

    def mark_direct(self, unit: UnitOfWork, bot_id: int, update_id: int, chat_id: int) -> None:
        """For an update fed straight to the dispatcher (not through the inbox): recorded as
        done with its effects; a second one of the same id is rolled back."""
        values = {
            "bot_id": bot_id,
            "update_id": update_id,
            "chat_id": chat_id,
            "now": self.clock.now(),
        }

        async def write(session: AsyncSession) -> None:
            result = await (await session.connection()).execute(self._mark_direct, values)
            if not result.rowcount:
                raise DuplicateUpdate(update_id)

        unit.defer(("inbox", bot_id, update_id), write)

    async def seen(self, bot_id: int, update_id: int) -> bool:
        async with self.db.reading() as session:
            found = await session.scalar(
                select(InboxUpdate.status).where(
                    InboxUpdate.bot_id == bot_id,
                    InboxUpdate.update_id == update_id,
                    InboxUpdate.status != "pending",
                )
            )
        return found is not None

    async def retry(self, row: Claimed, error: BaseException, delay: float) -> None:
        """Back to the head of its chat, tried again after `delay` seconds."""
        async with self.db.transaction() as session:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.id == row.id, InboxUpdate.status == "pending")
                .values(
                    lease_until=None,
                    leased_by=None,
                    not_before=self.clock.now() + timedelta(seconds=delay),
                    last_error=repr(error)[:500],
                )
            )

    async def fail(self, row: Claimed, error: BaseException) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.id == row.id, InboxUpdate.status == "pending")
                .values(
                    status="failed",
                    lease_until=None,
                    done_at=self.clock.now(),
                    last_error=repr(error)[:500],
                )
            )

    # -- leases, housekeeping, figures -------------------------------------------------------

    async def renew(self, outbox_clock: Clock | None = None) -> None:
        """This instance's leases, in the inbox and the outbox, renewed (its heartbeat). The
        outbox's leases are on the outbox's clock (the services' one, which tests move)."""
        async with self.db.transaction() as session:
            for table, clock in ((InboxUpdate, self.clock), (OutboxMessage, outbox_clock)):
                until = (clock or self.clock).now() + LEASE
                await session.execute(
                    update(table)
                    .where(
                        table.leased_by == self.instance,
                        table.status == "pending",
                        table.lease_until.is_not(None),
                    )
                    .values(lease_until=until)
                )

    async def release(self) -> None:
        """On a clean stop: what this instance still holds is free for the others at once."""
        async with self.db.transaction() as session:
            for table in (InboxUpdate, OutboxMessage):
                await session.execute(
                    update(table)
                    .where(table.leased_by == self.instance, table.status == "pending")
                    .values(lease_until=None, leased_by=None)
                )

    async def prune(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(InboxUpdate).where(
                    InboxUpdate.status != "pending",
                    InboxUpdate.received_at < self.clock.now() - KEEP,
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def waiting(self) -> tuple[int, float]:
        """How many updates wait, and the age in seconds of the oldest (as /metrics says)."""
        from bot.telemetry import INBOX_PENDING, count_pending

        async with self.db.reading() as session:
            return await count_pending(session, INBOX_PENDING, self.clock.now())


def stored_form(update: Update) -> tuple[Update, int, int, str]:
    """An update as the inbox stores it: itself, its id, its chat, its JSON — in ASCII, so
    that text no encoder takes (a lone surrogate someone typed) is stored as its escape, and
    the handler refuses it, rather than the update failing to be stored at all."""
    data = update.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return update, update.update_id, chat_of(update), json.dumps(data, ensure_ascii=True)


def parsed(payload: str | bytes, bot: Any = None) -> Update:
    """An update from its stored JSON (Python's parser: it keeps lone surrogates, as
    aiogram's reading of getUpdates does)."""
    data = json.loads(payload)
    return Update.model_validate(data, context={"bot": bot} if bot is not None else None)


def raw_form(body: bytes | str) -> tuple[None, int, int, str]:
    """A webhook's body as the inbox stores it (parsed later, by whoever handles it)."""
    update = parsed(body)
    text = body if isinstance(body, str) else body.decode("utf-8", "surrogatepass")
    return None, update.update_id, chat_of(update), text


Dispatch = Callable[[Claimed], Awaitable[None]]


class Workers:
    """This instance's handling of inbox rows: at most `concurrency` at once; rows stored
    here are claimed in the same transaction; the rest (a dead instance's, a chat's next one,
    a retry that is due) by a claim when one finishes or every `poll` seconds."""

    def __init__(
        self,
        inbox: Inbox,
        dispatch: Dispatch,
        *,
        concurrency: int = 32,
        poll: float = 1.0,
        on_transient: Callable[[Claimed, BaseException], Awaitable[None]] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.inbox = inbox
        self.telemetry = telemetry
        self.dispatch = dispatch
        self.concurrency = concurrency
        self.poll = poll
        self.on_transient = on_transient
        self.running: set[asyncio.Task[None]] = set()
        self._behind: Counter[int] = Counter()  # rows stored here, not yet started, by chat
        self._active: Counter[int] = Counter()  # rows being handled here, by chat
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._starved = False  # the last claim took as many rows as there were free slots
        self.handled = 0
        self.claim_failures = 0

    async def receive(self, bot_id: int, updates: Sequence[tuple[Any, int, int, str]]) -> None:
        """Store `updates` (raises if they could not be: then they must not be acknowledged)
        and start handling what this instance claimed with them."""
        free = self._free()
        claimed, stored = await self.inbox.receive(bot_id, updates, free)
        self._behind.update(stored)
        self._start(claimed)
        # A row stored behind one this instance was still handling: if that one has finished
        # meanwhile (its wake-up came before this row was counted), claim now.
        if any(self._behind[chat] and not self._active[chat] for chat in stored):
            self._wake.set()
        if free and len(claimed) == free:
            self._starved = True
            self._wake.set()

    def _free(self) -> int:
        return max(self.concurrency - len(self.running), 0)

    def _start(self, rows: list[Claimed]) -> None:
        for row in rows:
            self._quiet.clear()
            if self._behind[row.chat_id] > 0:
                self._behind[row.chat_id] -= 1
                if not self._behind[row.chat_id]:
                    del self._behind[row.chat_id]
            task = asyncio.create_task(self._handle(row))
            self._active[row.chat_id] += 1
            self.running.add(task)
            task.add_done_callback(functools.partial(self._finished, chat_id=row.chat_id))

    def _finished(self, task: asyncio.Task[None], *, chat_id: int) -> None:
        self.running.discard(task)
        self._active[chat_id] -= 1
        if not self._active[chat_id]:
            del self._active[chat_id]
        # A claim only when it may find something: this chat's next update, or a free slot
        # for what could not be claimed for want of one.
        if self._behind[chat_id] > 0 or self._starved:
            self._wake.set()

    async def _handle(self, row: Claimed) -> None:
        try:
            await self.dispatch(row)
            self.handled += 1
        except Exception as error:
            await self._after_failure(row, error)

    async def _after_failure(self, row: Claimed, error: BaseException) -> None:
        is_transient = transient(error)
        given_up = not is_transient and row.attempts >= OTHER_ATTEMPTS
        if self.telemetry is not None:
            self.telemetry.update_handled("failed" if given_up else "retried")
        try:
            if is_transient:
                delay = min(2.0 ** min(row.attempts - 1, 10) / 4, TRANSIENT_BACKOFF_CAP)
                log.warning(
                    "update %s: %s; tried again in %.1f s", row.update_id, _short(error), delay
                )
                await self.inbox.retry(row, error, delay)
                if self.on_transient is not None:
                    await self.on_transient(row, error)
            elif given_up:
                log.error("update %s failed %s times; kept as failed", row.update_id, row.attempts)
                await self.inbox.fail(row, error)
            else:
                log.exception("update %s failed; tried again", row.update_id)
                await self.inbox.retry(row, error, 1.0)
        except Exception:
            # The database is away: the lease runs out and the row is taken again then.
            log.warning("update %s: its retry could not be recorded", row.update_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and handle until `stop`; then finish what was started."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self._wake.clear()
                free = self._free()
                rows: list[Claimed] = []
                if free:
                    try:
                        rows = await self.inbox.claim(free)
                    except Exception as error:
                        self.claim_failures += 1
                        log.warning("the inbox could not be read: %s", _short(error))
                    self._start(rows)
                if not rows and not self.running and not self._behind:
                    self._quiet.set()
                self._starved = not free or len(rows) == free
                if free and len(rows) == free:
                    continue  # there may be more right now
                waits = {stopping, asyncio.ensure_future(self._wake.wait())}
                await asyncio.wait(waits, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waits - {stopping}:
                    waiter.cancel()
        finally:
            stopping.cancel()
            await self.finish()

    async def finish(self) -> None:
        while self.running:
            await asyncio.gather(*list(self.running), return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    async def quiet(self) -> None:
        """Until nothing is being handled and nothing this instance knows of waits (tests)."""
        while True:
            self._quiet.clear()
            self._wake.set()
            await self._quiet.wait()
            if not self.running and not self._behind:
                return


class Heartbeat:
    """Renews this instance's leases every LEASE / 3 until stopped."""

    def __init__(self, inbox: Inbox, outbox_clock: Clock | None = None) -> None:
        self.inbox = inbox
        self.outbox_clock = outbox_clock
        self.beats = 0

    async def run(self, stop: asyncio.Event) -> None:
        interval = LEASE.total_seconds() / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set():
                return
            try:
                await self.inbox.renew(self.outbox_clock)
                self.beats += 1
            except Exception as error:
                log.warning("the leases could not be renewed: %s", _short(error))


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:160]
