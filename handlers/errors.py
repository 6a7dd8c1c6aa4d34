"""The last resort: an unexpected failure is logged, and the person is told what to do next."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from bot.db.unit import DuplicateUpdate
from bot.i18n import pick_locale
from bot.inbox import transient
from bot.render.onboarding import unexpected_failure

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, **data: Any) -> bool:
    if isinstance(event.exception, DuplicateUpdate):
        # Handled before (another delivery committed first): its effects are rolled back.
        log.info("update %s was delivered again; skipped", event.update.update_id)
        return True
    if transient(event.exception):
        # The database or Redis is away: the update goes back to the inbox to be handled
        # again, and the person is told it is kept (bot/unavailable.py), not that it failed.
        raise event.exception
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    user = event.update.message.from_user if event.update.message else None
    query = event.update.callback_query
    if query is not None:
        user = query.from_user
    if user is None:
        return True
    ctx = data.get("ctx")
    i18n: I18n | None = data.get("i18n")
    locale = ctx.locale if ctx is not None else pick_locale(user.language_code)
    if i18n is None:
        return True
    with i18n.context(), i18n.use_locale(locale), suppress(TelegramAPIError):
        text = unexpected_failure()
        if query is not None:
            await bot.answer_callback_query(query.id, text=text, show_alert=True)
        else:
            await bot.send_message(user.id, text)
    return True
