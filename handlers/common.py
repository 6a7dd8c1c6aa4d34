"""/help, /cancel, /org and what is left over: outdated buttons and unexpected messages."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.db.models import Role
from bot.render import errors, onboarding
from bot.render.callbacks import Cancel, OrgPick
from bot.render.common import cancel_button as cancel_key
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.filters import RoleAtLeast
from handlers.menu import set_member_menu
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("common")


@routes.message(Command("help"))
async def help_screen(message: Message, ctx: Context) -> None:
    assert ctx.member is not None
    await message.answer(onboarding.home(ctx.member, ctx.org_count > 1))


@routes.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext, bot: Bot) -> None:
    screen_id = (await state.get_data()).get("screen_id")
    await state.clear()
    if screen_id:
        # The left step's buttons go too: nothing on screen invites a tap that does nothing.
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=screen_id, reply_markup=None
            )
    await message.answer(onboarding.cancelled())


@routes.callback_query(Cancel.filter())
async def cancel_button(query: CallbackQuery, state: FSMContext, i18n: I18n) -> None:
    # Someone joining may have picked a language other than Telegram's: answer in it.
    language = (await state.get_data()).get("language", i18n.current_locale)
    await state.clear()
    with i18n.use_locale(language):
        await show(query, onboarding.cancelled())


@routes.message(Command("org"))
async def choose_org(message: Message, ctx: Context, services: Services) -> None:
    orgs = await services.members.organisations(ctx.user.id)
    rows = [
        [
            InlineKeyboardButton(
                text=("✓ " if ctx.member and org_id == ctx.member.org_id else "") + name[:30],
                callback_data=OrgPick(org_id=org_id).pack(),
            )
        ]
        for org_id, name in orgs
    ]
    rows.append([cancel_key()])
    await message.answer(
        _("<b>Organisation</b>\nChoose where you are working now:"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@routes.callback_query(OrgPick.filter())
async def switch_org(
    query: CallbackQuery,
    callback_data: OrgPick,
    ctx: Context,
    services: Services,
    bot: Bot,
    i18n: I18n,
) -> None:
    try:
        await services.members.switch_organisation(ctx.user.id, callback_data.org_id)
    except ServiceError as error:
        await query.answer(errors.refusal(error), show_alert=True)
        return
    now = await services.context.load(ctx.user)
    assert now.member is not None
    await set_member_menu(bot, i18n, now.member, now.org_count > 1)
    with i18n.use_locale(now.member.language):
        await show(query, onboarding.home(now.member, now.org_count > 1))


@routes.message(Command("invite", "team"))
async def not_for_role(message: Message) -> None:
    await message.answer(onboarding.not_allowed())


@routes.callback_query()
async def outdated(query: CallbackQuery) -> None:
    # Forged, stale or from a finished dialogue: nothing happens but a short notice.
    await query.answer(onboarding.outdated_button(), show_alert=False)


@routes.message(F.text.startswith("/"), RoleAtLeast(Role.FRONTLINE))
async def unknown_command(message: Message) -> None:
    """A command no router took: said so, never read as the text a step waits for."""
    await message.answer(_("There is no such command. See /help for what I can do."))


@routes.message(F.text | F.photo | F.document | F.voice)
async def unexpected(message: Message, ctx: Context, state: FSMContext) -> None:
    if ctx.member is None:
        await message.answer(_("Please finish joining with the buttons above, or /cancel."))
        return
    if await state.get_state():
        # The step's own message may have scrolled off: a way out is right here.
        await message.answer(
            _("Please use the buttons above, or /cancel."),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel_key()]]),
        )
        return
    await message.answer(_("I did not understand that. See /help for what I can do."))
