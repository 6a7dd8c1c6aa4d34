"""/invite for admins: role → team → number of people → validity → link and QR code."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.db.models import Role
from bot.render import errors, invites
from bot.render.callbacks import InviteStep, id_of
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.invites import MAX_TTL
from handlers.filters import RoleAtLeast
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("invite")
routes.filter(RoleAtLeast(Role.ADMIN))


class InviteFlow(StatesGroup):
    role = State()
    team = State()
    uses = State()
    ttl = State()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


@routes.message(Command("invite"))
async def start_invite(message: Message, state: FSMContext) -> None:
    await state.set_state(InviteFlow.role)
    await state.set_data({})
    await show(message, *invites.choose_role())


@routes.callback_query(InviteFlow.role, InviteStep.filter(F.action == "role"))
async def pick_role(
    query: CallbackQuery,
    callback_data: InviteStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    if callback_data.value not in set(Role):
        await query.answer()
        return
    assert ctx.member is not None
    await state.update_data(role=callback_data.value)
    teams = await services.organisations.teams(ctx.member.org_id)
    if not teams:
        await state.update_data(team_id=None)
        await state.set_state(InviteFlow.uses)
        await show(query, *invites.choose_uses())
        return
    await state.set_state(InviteFlow.team)
    await show(query, *invites.choose_team(teams))


@routes.callback_query(InviteFlow.team, InviteStep.filter(F.action == "team"))
async def pick_team(query: CallbackQuery, callback_data: InviteStep, state: FSMContext) -> None:
    team_id = id_of(callback_data.value) or None
    await state.update_data(team_id=team_id)
    await state.set_state(InviteFlow.uses)
    await show(query, *invites.choose_uses())


@routes.callback_query(InviteFlow.uses, InviteStep.filter(F.action == "uses"))
async def pick_uses(query: CallbackQuery, callback_data: InviteStep, state: FSMContext) -> None:
    uses = id_of(callback_data.value)
    if uses is None:
        await query.answer()
        return
    await state.update_data(uses=uses)
    await state.set_state(InviteFlow.ttl)
    await show(query, *invites.choose_ttl())


@routes.callback_query(InviteFlow.ttl, InviteStep.filter(F.action == "ttl"))
async def pick_ttl(
    query: CallbackQuery,
    callback_data: InviteStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    # A forged count of days past any choice stays past it (and is refused), never overflows.
    days = min(id_of(callback_data.value) or 0, MAX_TTL.days + 1)
    try:
        code = await services.invites.create(
            ctx.member,
            Role(data["role"]),
            data.get("team_id"),
            int(data["uses"]),
            timedelta(days=days),
        )
    except ServiceError as error:
        await show(query, errors.refusal(error))
        return
    await state.clear()
    teams: dict[int, str] = dict(await services.organisations.teams(ctx.member.org_id))
    now = services.clock.now()
    summary = invites.ready(
        role=data["role"],
        team_name=teams.get(data.get("team_id") or 0),
        uses=int(data["uses"]),
        expires_at=now + timedelta(days=days),
        timezone=ctx.member.timezone,
        locale=ctx.locale,
        now=now,
    )
    await show(query, summary)
    me = await bot.me()
    link = invite_link(me.username or "", code)
    photo = BufferedInputFile(qr_png(link), filename="invite.png")
    await bot.send_photo(ctx.user.id, photo, caption=invites.link_caption(link))


@routes.callback_query(InviteStep.filter(F.action == "back"))
async def back(
    query: CallbackQuery,
    callback_data: InviteStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    current = await state.get_state()
    teams = await services.organisations.teams(ctx.member.org_id)
    if current == InviteFlow.ttl.state:
        await state.set_state(InviteFlow.uses)
        await show(query, *invites.choose_uses())
    elif current == InviteFlow.uses.state and teams:
        await state.set_state(InviteFlow.team)
        await show(query, *invites.choose_team(teams))
    elif current in (InviteFlow.uses.state, InviteFlow.team.state):
        await state.set_state(InviteFlow.role)
        await show(query, *invites.choose_role())
    else:
        await query.answer()
