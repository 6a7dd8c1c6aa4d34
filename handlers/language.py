"""/language: switch the language at any time; the menu follows."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.render import errors, onboarding
from bot.render.callbacks import LanguagePick
from bot.render.common import floor_keyboard
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.menu import set_member_menu
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("language")


class LanguageChoice(StatesGroup):
    pick = State()


@routes.message(Command("language"))
async def ask_language(message: Message, ctx: Context, state: FSMContext) -> None:
    await state.set_state(LanguageChoice.pick)
    await show(message, *onboarding.choose_language(ctx.locale))


@routes.callback_query(LanguageChoice.pick, LanguagePick.filter())
async def set_language(
    query: CallbackQuery,
    callback_data: LanguagePick,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    assert ctx.member is not None
    try:
        await services.members.set_language(ctx.member, callback_data.code)
    except ServiceError as error:
        await show(query, errors.refusal(error))
        return
    await state.clear()
    updated = await services.context.load(ctx.user)
    assert updated.member is not None
    await set_member_menu(bot, i18n, updated.member, updated.org_count > 1)
    with i18n.use_locale(updated.member.language):
        # The phone keyboard changes only with a new message: the picker gives way to it.
        await query.answer()
        if isinstance(query.message, Message):
            with suppress(TelegramBadRequest):
                await query.message.delete()
        await bot.send_message(
            ctx.user.id, onboarding.language_set(), reply_markup=floor_keyboard()
        )
