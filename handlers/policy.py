"""/policy for everyone; for admins, a .toml document replaces the policy after confirmation."""

from __future__ import annotations

import io

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.db.models import Role
from bot.render import errors, policy
from bot.render.callbacks import PolicyPage, PolicyStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.policies import MAX_POLICY_BYTES
from handlers.filters import RoleAtLeast
from handlers.routing import Routes
from handlers.screens import show
from policies.loader import PolicyError
from policies.model import ROLES

routes = Routes("policy")


@routes.message(Command("policy"))
async def show_rules(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    current = await services.policies.in_force(ctx.member.org_id)
    is_admin = ctx.member.role == Role.ADMIN
    pages = Role(ctx.member.role).at_least(Role.MANAGER)
    await show(message, *policy.rules(current, ctx.member.role, ctx.locale, is_admin, pages))


@routes.callback_query(PolicyPage.filter())
async def show_page(
    query: CallbackQuery, callback_data: PolicyPage, ctx: Context, services: Services
) -> None:
    """A role's page or the last changes, for managers and admins; everyone else keeps to
    their own rules (a forged button is refused)."""
    member = ctx.member
    if member is None or not Role(member.role).at_least(Role.MANAGER):
        await query.answer(errors.refusal(ServiceError("not_allowed")), show_alert=True)
        return
    current = await services.policies.in_force(member.org_id)
    if callback_data.view == "changes":
        changes = await services.policies.changes(member.org_id)
        now = services.clock.now()
        await show(query, *policy.changes_page(changes, now, member.timezone, ctx.locale))
    elif callback_data.view == member.role:
        is_admin = member.role == Role.ADMIN
        await show(query, *policy.rules(current, member.role, ctx.locale, is_admin, True))
    elif callback_data.view in ROLES:
        await show(query, *policy.role_page(current, callback_data.view, ctx.locale))
    else:
        await query.answer()


@routes.callback_query(PolicyStep.filter(F.action == "file"), RoleAtLeast(Role.ADMIN))
async def send_file(query: CallbackQuery, ctx: Context, services: Services, bot: Bot) -> None:
    assert ctx.member is not None
    current = await services.policies.in_force(ctx.member.org_id)
    name = f"policy-v{current.version}.toml"
    await bot.send_document(ctx.user.id, BufferedInputFile(current.source.encode(), name))
    await query.answer()


@routes.message(F.document)
async def upload(message: Message, ctx: Context, services: Services, bot: Bot) -> None:
    assert ctx.member is not None and message.document is not None
    if ctx.member.role != Role.ADMIN:
        await message.answer(policy.only_admins())
        return
    if not (message.document.file_name or "").lower().endswith(".toml"):
        await message.answer(policy.not_a_policy_file())
        return
    size = message.document.file_size or 0
    if size > MAX_POLICY_BYTES:
        # Told from the message itself: a file this big is never fetched.
        error = ServiceError("policy_too_big", limit=MAX_POLICY_BYTES // 1024)
        await message.answer(policy.refused([errors.refusal(error)]))
        return
    buffer = io.BytesIO()
    await bot.download(message.document.file_id, destination=buffer)
    try:
        proposal = await services.policies.propose(ctx.member, buffer.getvalue())
    except PolicyError as error:
        await message.answer(policy.refused(error.render(ctx.locale)))
        return
    except ServiceError as error:
        await message.answer(policy.refused([errors.refusal(error)]))
        return
    await show(message, *policy.proposal(proposal, ctx.locale))


@routes.callback_query(PolicyStep.filter(F.action == "on"), RoleAtLeast(Role.ADMIN))
async def activate(
    query: CallbackQuery, callback_data: PolicyStep, ctx: Context, services: Services
) -> None:
    assert ctx.member is not None
    try:
        current = await services.policies.activate(ctx.member, callback_data.draft_id)
    except ServiceError as error:
        await query.answer(errors.refusal(error), show_alert=True)
        return
    await show(query, policy.activated(current.version))
