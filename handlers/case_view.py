"""What the case dialogues share: the policy in force, the case card, refusals."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from html import escape
from typing import Any

from aiogram.types import CallbackQuery

from bot.db.models import Role
from bot.render import cases as screens
from bot.render import errors
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from policies.engine import Decision, Outcome
from policies.explain import role_name
from policies.model import Policy
from policies.presets import quick_gives

log = logging.getLogger(__name__)


async def policy_of(services: Services, ctx: Context) -> Any:
    assert ctx.member is not None
    return (await services.policies.in_force(ctx.member.org_id)).policy


def first_money_remedy(policy: Any) -> str:
    return next((k for k, r in policy.remedies.items() if r.money), next(iter(policy.remedies)))


async def card_screen(ctx: Context, services: Services, case_id: int) -> tuple[str, Any]:
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    # Only whom it concerns sees the card (a forged "card" button included).
    case = await services.cases.for_action(ctx.member, case_id)
    authority = None
    works = None
    quick: list[screens.Preset] = []
    if case.state in ("open", "reopened", "escalated"):
        first = first_money_remedy(policy)
        authority = await services.cases.authority(ctx.member, first, case.id)
        quick = await quick_presets(ctx, services, policy, case.id, {first: authority})
        works = await services.what_works.figures(
            ctx.member.org_id, case.category, ctx.member.currency
        )
    deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
    may_reopen = (
        deadline is not None
        and services.clock.now() < deadline
        and (ctx.member.id == case.reporter_id or Role(ctx.member.role).at_least(Role.SUPERVISOR))
    )
    rating = await services.surveys.result(ctx.member, case.id)
    now = services.clock.now()
    history = screens.timeline(
        await services.cases.timeline(ctx.member, case.id), policy, ctx.member, ctx.locale, now
    )
    waiting = None
    if case.state == "escalated":
        role, names = await services.escalations.waiting_for(ctx.member, case.id)
        if names and role:
            waiting = f"{escape(', '.join(names))} ({role_name(role, ctx.locale)})"
    return screens.card(
        case,
        policy,
        ctx.member,
        ctx.locale,
        authority,
        may_reopen,
        rating,
        history,
        waiting,
        quick=quick,
        now=now,
        works=works,
    )


def room_of(decision: Decision) -> Decimal | None:
    """What the member may give now for the decision's remedy; None: no limit."""
    if decision.unlimited:
        return None
    if decision.outcome == Outcome.FORBIDDEN:
        return Decimal(0)
    return min((check.remaining for check in decision.checks), default=Decimal(0))


def offered(remedy: str, amounts: Iterable[Decimal], authority: Decision) -> list[screens.Preset]:
    room = room_of(authority)
    return [screens.Preset(remedy, a, room is None or a <= room) for a in amounts]


async def quick_presets(
    ctx: Context,
    services: Services,
    policy: Policy,
    case_id: int,
    known: dict[str, Decision],
) -> list[screens.Preset]:
    """The card's one-tap gives: the quick remedy's presets, marked where approval is due
    (`known`: authorities the card has read already, not read again)."""
    assert ctx.member is not None
    gives = quick_gives(policy, ctx.member.role)
    found: list[screens.Preset] = []
    for remedy in dict.fromkeys(remedy for remedy, _ in gives):
        authority = known.get(remedy) or await services.cases.authority(ctx.member, remedy, case_id)
        found += offered(remedy, (a for r, a in gives if r == remedy), authority)
    return found


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
