"""What the case dialogues share: the policy in force, the case card, refusals."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram.types import CallbackQuery

from bot.db.models import Role
from bot.render import cases as screens
from bot.render import errors
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from policies.explain import role_name

log = logging.getLogger(__name__)


async def policy_of(services: Services, ctx: Context) -> Any:
    assert ctx.member is not None
    return (await services.policies.in_force(ctx.member.org_id)).policy


def first_money_remedy(policy: Any) -> str:
    return next((k for k, r in policy.remedies.items() if r.money), next(iter(policy.remedies)))


async def card_screen(ctx: Context, services: Services, case_id: int) -> tuple[str, Any]:
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    case = await services.cases.get(ctx.member, case_id)
    authority = None
    if case.state in ("open", "reopened"):
        authority = await services.cases.authority(ctx.member, first_money_remedy(policy), case.id)
    deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
    may_reopen = (
        deadline is not None
        and services.clock.now() < deadline
        and (ctx.member.id == case.reporter_id or Role(ctx.member.role).at_least(Role.SUPERVISOR))
    )
    rating = await services.surveys.result(ctx.member, case.id)
    history = screens.timeline(
        await services.cases.timeline(ctx.member, case.id), policy, ctx.member, ctx.locale
    )
    waiting = None
    if case.state == "escalated":
        role, names = await services.escalations.waiting_for(ctx.member, case.id)
        if names and role:
            waiting = f"{escape(', '.join(names))} ({role_name(role, ctx.locale)})"
    return screens.card(
        case, policy, ctx.member, ctx.locale, authority, may_reopen, rating, history, waiting
    )


async def refuse(query: CallbackQuery, error: ServiceError) -> None:
    log.warning("refused %s on a case button from member %s", error.code, query.from_user.id)
    await query.answer(errors.refusal(error), show_alert=True)


def message_id(query: CallbackQuery) -> int | None:
    return query.message.message_id if query.message else None


async def case_or_refuse(
    query: CallbackQuery, ctx: Context, services: Services, case_id: int
) -> Any:
    assert ctx.member is not None
    try:
        return await services.cases.for_action(ctx.member, case_id)
    except ServiceError as error:
        await refuse(query, error)
        return None
