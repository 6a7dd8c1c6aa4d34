"""The outbox: notifications are written in the same transaction as the change that caused
them, and a sender delivers them with Telegram's pacing.

Delivery guarantee: at least once, in order per chat. A message is marked sent only after
Telegram answered; a sender that dies between Telegram's answer and that mark leaves the row
leased, and after the lease another sender sends it again. So the worst case is one duplicate
per chat per crash — never a lost message. For a notification ("Dmytro approved $600") a rare
repeat is harmless, while a lost one leaves a person waiting; that is the right trade.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Member, OutboxMessage

log = logging.getLogger(__name__)

# Renewed by the instance's heartbeat (bot/inbox.py) while it lives: a dead sender's messages
# are taken over after this, not a minute later.
LEASE = timedelta(seconds=9)
Unreachable = Callable[[AsyncSession, int], Awaitable[None]]


def enqueue(
    session: AsyncSession,
    clock: Clock,
    *,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    org_id: int | None = None,
    dedup_key: str | None = None,
    edit_message_id: int | None = None,
    edit_of: OutboxMessage | None = None,
) -> OutboxMessage:
    """Queue a message, or an edit of one, inside the caller's transaction. `edit_of` edits a
    message this outbox sends: its Telegram id is looked up when the edit goes out, which is
    always after the message itself (one chat's messages go out in order)."""
    payload: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    if edit_message_id is not None:
        payload["message_id"] = edit_message_id
    edit = edit_message_id is not None or edit_of is not None
    return _queue(
        session,
        clock,
        chat_id=chat_id,
        method="editMessageText" if edit else "sendMessage",
        payload=payload,
        org_id=org_id,
        dedup_key=dedup_key,
        edit_of=edit_of,
    )


def enqueue_photo(
    session: AsyncSession,
    clock: Clock,
    *,
    chat_id: int,
    png: bytes,
    caption: str,
    org_id: int | None = None,
    filename: str = "chart.png",
) -> OutboxMessage:
    """Queue a photo (a chart) with its caption inside the caller's transaction."""
    payload = {"photo": base64.b64encode(png).decode(), "caption": caption, "filename": filename}
    return _queue(
        session, clock, chat_id=chat_id, method="sendPhoto", payload=payload, org_id=org_id
    )


def enqueue_media(
    session: AsyncSession,
    clock: Clock,
    *,
    chat_id: int,
    kind: str,
    file_id: str,
    caption: str,
    org_id: int | None = None,
) -> OutboxMessage:
    """Queue a photo or a voice note (`kind`) that Telegram already holds, sent again by its
    file id (a case's own photo to its approver), inside the caller's transaction."""
    method = {"photo": "sendPhoto", "voice": "sendVoice"}[kind]
    payload = {"file_id": file_id, "caption": caption}
    return _queue(session, clock, chat_id=chat_id, method=method, payload=payload, org_id=org_id)


def _queue(
    session: AsyncSession,
    clock: Clock,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    org_id: int | None,
    dedup_key: str | None = None,
    edit_of: OutboxMessage | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        org_id=org_id,
        chat_id=chat_id,
        method=method,
        payload=json.dumps(payload, ensure_ascii=False),
        status="pending",
        attempts=0,
        not_before=clock.now(),
        dedup_key=dedup_key,
        edit_of_id=edit_of.id if edit_of is not None else None,
        created_at=clock.now(),
    )
    session.add(row)
    return row


@dataclass
class Pacing:
    """Telegram's limits: about 30 messages a second in all, one a second per chat."""

    per_second: float = 30.0
    per_chat_interval: float = 1.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    _last_global: float = field(default=float("-inf"))
    _last_chat: dict[int, float] = field(default_factory=dict)
    _paused_until: float = field(default=float("-inf"))

    async def wait_turn(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            ready = max(
                self._paused_until,
                self._last_global + 1 / self.per_second,
                self._last_chat.get(chat_id, float("-inf")) + self.per_chat_interval,
            )
            if ready <= now:
                self._last_global = now
                self._last_chat[chat_id] = now
                return
            await asyncio.sleep(ready - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, asyncio.get_running_loop().time() + seconds)


class OutboxSender:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        clock: Clock | None = None,
        pacing: Pacing | None = None,
        batch: int = 50,
        wakeup: asyncio.Event | None = None,
        on_unreachable: Unreachable | None = None,
        instance: str | None = None,
    ) -> None:
        self.db = db
        self.instance = instance  # whose heartbeat renews the leases
        self.bot = bot
        self.clock = clock or Clock()
        self.pacing = pacing or Pacing()
        self.batch = batch
        # Set by this process's services after they commit a notification: no poll delay.
        self.wakeup = wakeup or asyncio.Event()
        self.on_unreachable = on_unreachable

    async def run(self, stop: asyncio.Event, idle_poll: float = 1.0) -> None:
        """Send until `stop`; when idle, wait for a wake-up (this process queued something)
        or `idle_poll` seconds (another process may have)."""
        while not stop.is_set():
            self.wakeup.clear()
            try:
                handled = await self.drain_once()
            except Exception:  # one bad row or a lost database must not stop delivery
                log.exception("the outbox sender failed; trying again shortly")
                handled = 0
            if handled == 0:
                waits = {
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self.wakeup.wait()),
                }
                await asyncio.wait(waits, timeout=idle_poll, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waits:
                    waiter.cancel()

    async def drain_once(self) -> int:
        """Send what is due now: the oldest pending message of each chat. Returns how many
        were handled (sent, rescheduled or given up)."""
        rows = await self._claim()
        for row in rows:
            try:
                await self._deliver(row)
            except Exception as error:  # a message that can never go: logged, not retried
                log.exception("outbox message %s could not be sent", row.id)
                await self._give_up(row, repr(error))
        return len(rows)

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock.now()
        async with self.db.transaction() as session:
            heads = (
                select(func.min(OutboxMessage.id))
                .where(OutboxMessage.status == "pending")
                .group_by(OutboxMessage.chat_id)
            )
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.id.in_(heads),
                        OutboxMessage.not_before <= now,
                        (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until < now),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.lease_until = now + LEASE
                row.leased_by = self.instance
            return rows

    async def _deliver(self, row: OutboxMessage) -> None:
        payload = json.loads(row.payload)
        markup = payload.get("reply_markup")
        keyboard = InlineKeyboardMarkup.model_validate(markup) if markup else None
        if row.method == "editMessageText" and "message_id" not in payload:
            payload["message_id"] = await self._original_id(row)
            if payload["message_id"] is None:
                await self._give_up(row, "the message to edit was never delivered")
                return
        await self.pacing.wait_turn(row.chat_id)
        try:
            if row.method == "editMessageText":
                result = await self.bot.edit_message_text(
                    payload["text"],
                    chat_id=row.chat_id,
                    message_id=payload["message_id"],
                    reply_markup=keyboard,
                )
                message_id = (
                    payload["message_id"] if isinstance(result, bool) else (result.message_id)
                )
            elif row.method == "sendPhoto" and "file_id" in payload:
                sent = await self.bot.send_photo(
                    row.chat_id, payload["file_id"], caption=payload["caption"]
                )
                message_id = sent.message_id
            elif row.method == "sendPhoto":
                photo = BufferedInputFile(base64.b64decode(payload["photo"]), payload["filename"])
                sent = await self.bot.send_photo(row.chat_id, photo, caption=payload["caption"])
                message_id = sent.message_id
            elif row.method == "sendVoice":
                sent = await self.bot.send_voice(
                    row.chat_id, payload["file_id"], caption=payload["caption"]
                )
                message_id = sent.message_id
            else:
                sent = await self.bot.send_message(
                    row.chat_id, payload["text"], reply_markup=keyboard
                )
                message_id = sent.message_id
        except TelegramRetryAfter as error:
            self.pacing.pause(error.retry_after)
            await self._later(row, timedelta(seconds=error.retry_after), str(error))
        except (TelegramServerError, TelegramNetworkError) as error:
            delay = min(self.pacing.backoff_base * 2**row.attempts, self.pacing.backoff_cap)
            await self._later(row, timedelta(seconds=delay), str(error))
        except TelegramForbiddenError as error:
            await self._give_up(row, str(error), unreachable=True)
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                await self._done(row, payload.get("message_id"))
            else:
                await self._give_up(row, str(error))
        else:
            await self._done(row, message_id)

    async def _original_id(self, row: OutboxMessage) -> int | None:
        async with self.db.reading() as session:
            return await session.scalar(
                select(OutboxMessage.telegram_message_id).where(OutboxMessage.id == row.edit_of_id)
            )

    async def _done(self, row: OutboxMessage, message_id: int | None) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    status="sent",
                    sent_at=self.clock.now(),
                    lease_until=None,
                    telegram_message_id=message_id,
                    attempts=row.attempts + 1,
                )
            )

    async def _later(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    not_before=self.clock.now() + delay,
                    lease_until=None,
                    attempts=row.attempts + 1,
                    last_error=error[:500],
                )
            )

    async def _give_up(self, row: OutboxMessage, error: str, unreachable: bool = False) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    status="dead",
                    lease_until=None,
                    attempts=row.attempts + 1,
                    last_error=error[:500],
                )
            )
            if unreachable:
                # The person blocked the bot: no retries; they are marked, and their admins
                # are told in the same transaction (through this outbox).
                marked = await session.execute(
                    update(Member)
                    .where(Member.telegram_user_id == row.chat_id, Member.reachable.is_(True))
                    .values(reachable=False)
                )
                if marked.rowcount and self.on_unreachable is not None:  # type: ignore[attr-defined]
                    await self.on_unreachable(session, row.chat_id)
        log.warning("outbox message %s to chat %s given up: %s", row.id, row.chat_id, error)
