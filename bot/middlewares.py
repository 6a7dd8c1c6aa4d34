"""Outer middlewares run for every update, in this order: track, deduplicate, throttle, load
who is writing (and their language), then let through only what their membership allows."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from bot.db.engine import Database
from bot.db.unit import UnitOfWork
from bot.inbox import Inbox, chat_of
from bot.render import onboarding as texts
from bot.services import Services
from bot.services.context import TelegramUser

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InFlight(BaseMiddleware):
    """Counts updates being handled, so shutdown (and tests) can wait until none is."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()


class CommitAtEnd(BaseMiddleware):
    """The update's writes are committed before aiogram releases the dialogue's lock (its
    FSM middleware runs around ours): the next update of the same chat reads what this one
    wrote."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        result = await handler(event, data)
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            await unit.commit()
        return result


class Deduplicate(BaseMiddleware):
    """Marks the update handled in its own write transaction, with what handling it wrote
    (Inbox.mark): a second delivery, here or in another instance, is rolled back at its
    commit. An update fed straight to the dispatcher (not from the inbox) is checked first."""

    def __init__(self, db: Database, inbox: Inbox) -> None:
        self.db = db
        self.inbox = inbox

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        unit = UnitOfWork.current(self.db)
        if unit is None:
            return await handler(event, data)
        row_id = data.get("inbox_row")
        if row_id is not None:
            self.inbox.mark(unit, row_id)
            return await handler(event, data)
        bot: Bot = data["bot"]
        if await self.inbox.seen(bot.id, event.update_id):
            log.info("update %s was delivered again; skipped", event.update_id)
            return None
        self.inbox.mark_direct(unit, bot.id, event.update_id, chat_of(event))
        return await handler(event, data)


class CommitBeforeSending(BaseRequestMiddleware):
    """Before the bot tells anyone anything, what the update's use cases wrote so far is
    committed (a reply never speaks of what a failed commit did not keep), and the update lets
    go of its connection while it waits for Telegram."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            await unit.pause()
        return await make_request(bot, method)


class LateCallbackAnswer(BaseRequestMiddleware):
    """A button's spinner that can no longer be stopped is no failure of the tap: Telegram
    refuses answerCallbackQuery some seconds after the tap ("query is too old"), which is
    what a tap handled late — after a restart, behind a slow step — meets. The tap's work
    and its screen stand; the refused answer is logged and counted as given."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            late = "query is too old" in error.message or "query ID is invalid" in error.message
            if not isinstance(method, AnswerCallbackQuery) or not late:
                raise
            log.info("a late tap's answer was refused: %s", error.message)
            return Response[TelegramType](ok=True, result=True)


class FloodControl(BaseMiddleware):
    """At most `rate` updates per user in `window` seconds; the excess is dropped with one
    warning per window. Per process: several instances each allow the rate."""

    def __init__(self, rate: int, window: float) -> None:
        self.rate = rate
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = asyncio.get_running_loop().time()
        seen = self._seen.setdefault(user.id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.rate:
            seen.append(now)
            return await handler(event, data)
        if self._warned.get(user.id, -self.window) <= now - self.window:
            self._warned[user.id] = now
            data["flood_warning"] = True
            return await handler(event, data)
        log.info("flood control dropped an update from user %s", user.id)
        return None


class LoadContext(BaseMiddleware):
    """Puts `ctx` (account, membership, language) and `services` into handler data and sets
    the locale for gettext."""

    def __init__(self, services: Services, i18n: I18n) -> None:
        self.services = services
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        data["services"] = self.services
        data["i18n"] = self.i18n
        if user is None or user.is_bot:
            return None
        ctx = await self.services.context.load(
            TelegramUser(id=user.id, first_name=user.first_name, language_code=user.language_code)
        )
        data["ctx"] = ctx
        with self.i18n.context(), self.i18n.use_locale(ctx.locale):
            if data.pop("flood_warning", False):
                await _tell(event, data, texts.too_fast())
                return None
            return await handler(event, data)


class MembershipGate(BaseMiddleware):
    """Nobody without an active membership gets anything but the invite hint, except the
    steps of joining (an invite link and the dialogue that follows it) and a customer's
    survey (its link and its questions)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        chat = event.message.chat if event.message else None
        if chat is None and event.callback_query and event.callback_query.message:
            chat = event.callback_query.message.chat
        if chat is None or chat.type != "private":
            return None  # casebot lives in private chats only
        ctx = data["ctx"]
        if ctx.member is not None or await _joining(event, data):
            return await handler(event, data)
        if ctx.inactive_org_name:
            await _tell(event, data, texts.deactivated(ctx.inactive_org_name))
        else:
            await _tell(event, data, texts.stranger_hint())
        return None


async def _joining(event: Update, data: dict[str, Any]) -> bool:
    from handlers.start import Onboarding
    from handlers.survey import SurveyFlow

    if event.message and (event.message.text or "").startswith("/start "):
        return True
    state: FSMContext | None = data.get("state")
    current = await state.get_state() if state is not None else None
    return current in (*Onboarding.__all_states_names__, *SurveyFlow.__all_states_names__)


async def _tell(event: TelegramObject, data: dict[str, Any], text: str) -> None:
    bot: Bot = data["bot"]
    update = event if isinstance(event, Update) else None
    if update and update.callback_query:
        await bot.answer_callback_query(update.callback_query.id, text=_plain(text))
        return
    user: User | None = data.get("event_from_user")
    if user is not None:
        await bot.send_message(user.id, text)


def _plain(html_text: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html_text))[:200]
