"""Keeping each person's command menu in step with their role and language."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n

from bot.i18n import DEFAULT_LOCALE, LOCALES
from bot.render.common import commands_for, stranger_commands
from bot.services.context import MemberView


async def set_member_menu(bot: Bot, i18n: I18n, member: MemberView, several_orgs: bool) -> None:
    with i18n.use_locale(member.language):
        commands = commands_for(member.role, several_orgs)
    scope = BotCommandScopeChat(chat_id=member.telegram_user_id)
    # The person may not have opened the chat yet, or may have blocked the bot: nothing to show.
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await bot.set_my_commands(commands, scope=scope)


async def clear_member_menu(bot: Bot, chat_id: int) -> None:
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))


async def set_default_menus(bot: Bot, i18n: I18n) -> None:
    """What strangers see: per Telegram language, and English for everyone else."""
    with i18n.context():
        for locale in (*LOCALES, None):
            with i18n.use_locale(locale or DEFAULT_LOCALE):
                commands = stranger_commands()
            await bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=locale
            )
