"""/team for admins: the roster, a member's card, role and team changes, deactivation."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.db.models import Role
from bot.render import errors, team
from bot.render.callbacks import TeamAction, id_of
from bot.services import Services
from bot.services.context import Context, MemberView
from bot.services.errors import ServiceError
from handlers.filters import RoleAtLeast
from handlers.menu import clear_member_menu, set_member_menu
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("team")
routes.filter(RoleAtLeast(Role.ADMIN))


@routes.message(Command("team"))
async def open_roster(
    message: Message, ctx: Context, services: Services, state: FSMContext
) -> None:
    assert ctx.member is not None
    await state.clear()
    page = await services.members.page(ctx.member, 0)
    await show(message, *team.roster(page, ctx.member.org_name))


@routes.callback_query(TeamAction.filter())
async def on_action(
    query: CallbackQuery,
    callback_data: TeamAction,
    ctx: Context,
    services: Services,
    bot: Bot,
    i18n: I18n,
    fsm_storage: BaseStorage,
) -> None:
    assert ctx.member is not None
    try:
        await _act(query, callback_data, ctx.member, services, bot, i18n, fsm_storage)
    except ServiceError as error:
        await query.answer(errors.refusal(error), show_alert=True)


async def _act(
    query: CallbackQuery,
    data: TeamAction,
    actor: MemberView,
    services: Services,
    bot: Bot,
    i18n: I18n,
    storage: BaseStorage,
) -> None:
    members = services.members
    match data.action:
        case "page":
            page = await members.page(actor, id_of(data.value) or 0)
            await show(query, *team.roster(page, actor.org_name))
        case "open":
            await show(query, *team.card(await members.get(actor, data.member_id)))
        case "role":
            await show(query, *team.choose_role(await members.get(actor, data.member_id)))
        case "setrole" if data.value in set(Role):
            updated = await members.change_role(actor, data.member_id, Role(data.value))
            await _tell_member(
                bot, i18n, updated, team.role_changed, updated.org_name, updated.role
            )
            await _refresh_menu(bot, i18n, services, updated)
            await show(query, *team.card(updated))
        case "team":
            target = await members.get(actor, data.member_id)
            teams = await services.organisations.teams(actor.org_id)
            await show(query, *team.choose_team(target, teams))
        case "setteam" if id_of(data.value) is not None:
            team_id = id_of(data.value) or None
            await show(query, *team.card(await members.change_team(actor, data.member_id, team_id)))
        case "off":
            await show(query, *team.confirm_deactivation(await members.get(actor, data.member_id)))
        case "offok":
            gone = await members.deactivate(actor, data.member_id)
            await _forget_dialogue(storage, bot, gone.telegram_user_id)
            await clear_member_menu(bot, gone.telegram_user_id)
            await _tell_member(bot, i18n, gone, team.farewell, gone.org_name)
            await show(query, *team.card(gone))
        case "close":
            await show(query, team.closed())
        case _:
            await query.answer()


async def _forget_dialogue(storage: BaseStorage, bot: Bot, user_id: int) -> None:
    key = StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)
    await storage.set_state(key, None)
    await storage.set_data(key, {})


async def _refresh_menu(bot: Bot, i18n: I18n, services: Services, member: MemberView) -> None:
    orgs = await services.members.organisations(member.telegram_user_id)
    await set_member_menu(bot, i18n, member, len(orgs) > 1)


async def _tell_member(bot: Bot, i18n: I18n, member: MemberView, text: Any, *args: str) -> None:
    """News for the person concerned, in their language; an unreachable chat is no error."""
    with i18n.use_locale(member.language):
        message = text(*args)
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await bot.send_message(member.telegram_user_id, message)
