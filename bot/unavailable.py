"""When the database or Redis is away, the person is told — once a minute at most, in their
language — that what they sent is kept and will be done once casebot is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.types import Update
from aiogram.utils.i18n import I18n

from bot.i18n import pick_locale
from bot.inbox import Claimed, parsed
from bot.render.onboarding import unavailable

log = logging.getLogger(__name__)


class Unavailable:
    def __init__(self, bot: Bot, i18n: I18n, every: float = 60.0) -> None:
        self.bot = bot
        self.i18n = i18n
        self.every = every
        self._told: dict[int, float] = {}
        self.told = 0

    async def row_failed(self, row: Claimed, error: BaseException) -> None:
        update = row.update
        if update is None:
            try:
                update = parsed(row.payload)
            except ValueError:
                return
        await self.updates_failed([update])

    async def updates_failed(self, updates: Sequence[Update]) -> None:
        for update in updates:
            await self._tell(update)

    async def _tell(self, update: Update) -> None:
        user = getattr(update.event, "from_user", None)
        if user is None or user.is_bot:
            return
        now = asyncio.get_running_loop().time()
        if self._told.get(user.id, -self.every) > now - self.every:
            return
        self._told[user.id] = now
        with self.i18n.context(), self.i18n.use_locale(pick_locale(user.language_code)):
            text = unavailable()
        try:
            await self.bot.send_message(user.id, text)
            self.told += 1
        except Exception as error:  # Telegram away too: nothing more can be done now
            log.info("could not tell user %s that casebot is unavailable: %s", user.id, error)
