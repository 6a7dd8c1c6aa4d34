"""Giving a remedy: what, how much, the policy's decision, confirm; /authority."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from html import escape

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.i18n import format_money
from bot.money import parse_amount
from bot.render import cases as screens
from bot.render import errors
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.cases import CaseView
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_view import (
    case_or_refuse,
    message_id,
    offered,
    policy_of,
    refuse,
)
from handlers.filters import KeyboardTap, Typed
from handlers.resolve import ask_first_contact
from handlers.routing import Routes
from handlers.screens import next_step, show, step_error
from policies.engine import Outcome
from policies.explain import explain, role_name
from policies.presets import presets, quick_gives

routes = Routes("remedy")
log = logging.getLogger(__name__)


# What a Confirm button may ask of CaseService.give ("close": give, then resolve).
_MODES = ("give", "close", "now", "split", "ask")


class GiveRemedy(StatesGroup):
    remedy = State()
    amount = State()
    confirm = State()


async def _givable(
    query: CallbackQuery, ctx: Context, services: Services, case_id: int
) -> CaseView | None:
    """The case, if this member may give on it now (open, reopened, or waiting for an
    approval); else the refusal is shown and None returned."""
    case = await case_or_refuse(query, ctx, services, case_id)
    if case is not None and case.state not in ("open", "reopened", "escalated"):
        await refuse(query, ServiceError("case_not_open"))
        return None
    return case


@routes.callback_query(CaseStep.filter(F.action == "remedy"))
async def pick_remedy(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await _givable(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(GiveRemedy.remedy)
    await state.set_data({"case_id": case.id, "screen_id": message_id(query)})
    await show(query, *screens.choose_remedy(case, await policy_of(services, ctx), ctx.locale))


@routes.callback_query(GiveRemedy.remedy, CaseStep.filter(F.action == "rem"))
async def chosen_remedy(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    remedy = policy.remedies.get(callback_data.value)
    data = await state.get_data()
    if remedy is None or data.get("case_id") != callback_data.case_id:
        await query.answer()
        return
    await state.update_data(remedy=remedy.key)
    case = await services.cases.get(ctx.member, callback_data.case_id)
    if not remedy.money:
        await _decide(query, ctx, services, state, Decimal(0))
        return
    authority = await services.cases.authority(ctx.member, remedy.key, case.id)
    await state.set_state(GiveRemedy.amount)
    line = screens.authority_line(authority, policy, ctx.member, ctx.locale)
    amounts = presets(policy, ctx.member.role, remedy.key)
    await show(
        query,
        *screens.ask_amount(
            case,
            remedy.labels.get(ctx.locale),
            ctx.member.currency,
            ctx.locale,
            line,
            offered(remedy.key, amounts, authority),
            policy,
        ),
    )


def _preset(value: str) -> Decimal | None:
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return None
    return amount if amount.is_finite() else None


@routes.callback_query(GiveRemedy.amount, CaseStep.filter(F.action == "pre"))
async def chosen_preset(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """A preset amount tapped: straight to the policy's decision."""
    assert ctx.member is not None
    data = await state.get_data()
    amount = _preset(callback_data.value)
    policy = await policy_of(services, ctx)
    if (
        data.get("case_id") != callback_data.case_id
        or amount is None
        or amount not in presets(policy, ctx.member.role, data.get("remedy", ""))
    ):
        await query.answer()  # a forged or outdated button does nothing
        return
    await _decide(query, ctx, services, state, amount)


@routes.callback_query(CaseStep.filter(F.action == "qg"))
async def quick_give(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """A quick give on the case card: remedy and amount in one tap, then the decision."""
    assert ctx.member is not None
    remedy, _, typed = callback_data.value.partition("=")
    amount = _preset(typed)
    policy = await policy_of(services, ctx)
    if amount is None or (remedy, amount) not in quick_gives(policy, ctx.member.role):
        await query.answer()
        return
    case = await _givable(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(GiveRemedy.amount)
    await state.set_data(
        {"case_id": case.id, "remedy": remedy, "screen_id": message_id(query), "from_card": True}
    )
    await _decide(query, ctx, services, state, amount)


@routes.callback_query(GiveRemedy.confirm, CaseStep.filter(F.action == "amount"))
async def back_to_amount(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    await chosen_remedy(
        query,
        CaseStep(action="rem", value=data.get("remedy", ""), case_id=callback_data.case_id),
        ctx,
        services,
        state,
    )


@routes.message(GiveRemedy.amount, Typed())
async def typed_amount(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    try:
        amount = parse_amount(message.text, ctx.locale, ctx.member.currency)
    except ServiceError as error:
        # The step stays; the person types the amount again.
        case_id = (await state.get_data()).get("case_id", 0)
        back = screens.back_button("remedy", case_id=case_id)
        await step_error(bot, ctx.user.id, state, errors.refusal(error), back)
        return
    await _decide(None, ctx, services, state, amount, bot)


async def _decide(
    query: CallbackQuery | None,
    ctx: Context,
    services: Services,
    state: FSMContext,
    amount: Decimal,
    bot: Bot | None = None,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    policy = await policy_of(services, ctx)
    case = await services.cases.get(ctx.member, data["case_id"])
    decision = await services.cases.preview(ctx.member, case.id, data["remedy"], amount)
    # A fresh key per confirmation screen: a double tap on it records one spend.
    await state.update_data(amount=str(amount), request_key=secrets.token_urlsafe(16))
    await state.set_state(GiveRemedy.confirm)
    money = ctx.member.currency
    screen = screens.decision_screen(
        case,
        policy.remedies[data["remedy"]].labels.get(ctx.locale),
        format_money(amount, money, ctx.locale),
        decision,
        explain(decision, policy, ctx.locale),
        format_money(decision.now, money, ctx.locale),
        format_money(decision.rest, money, ctx.locale),
        back_to_card=bool(data.get("from_card")),
    )
    if query is not None:
        await show(query, *screen)
    else:
        assert bot is not None
        await next_step(bot, ctx.user.id, state, *screen)


@routes.callback_query(GiveRemedy.confirm, CaseStep.filter(F.action == "go"))
async def confirm(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    if data.get("case_id") != callback_data.case_id or callback_data.value not in _MODES:
        await query.answer()
        return
    close = callback_data.value == "close"
    try:
        result = await services.cases.give(
            ctx.member,
            callback_data.case_id,
            data["remedy"],
            Decimal(data["amount"]),
            data["request_key"],
            mode="give" if close else callback_data.value,
        )
    except ServiceError as error:
        await refuse(query, error)
        return
    if (
        result.given == 0
        and result.escalated == 0
        and not result.repeated
        and (result.decision.outcome != Outcome.ALLOWED)
    ):
        # Authority changed since the screen was shown (someone spent meanwhile): show anew.
        await _decide(query, ctx, services, state, Decimal(data["amount"]))
        return
    await state.clear()
    policy = await policy_of(services, ctx)
    case = await services.cases.get(ctx.member, callback_data.case_id)
    if close and not result.escalated:
        # Confirm & close: the outcome is "resolved with remedy"; one question is left.
        await ask_first_contact(query, state, case, "with_remedy")
        return
    money = ctx.member.currency
    approvers = None
    if result.approvers and result.approver_role:
        approvers = "{names} ({role})".format(
            names=escape(", ".join(result.approvers)),
            role=role_name(result.approver_role, ctx.locale),
        )
    elif result.approver_role and not result.admins:
        approvers = role_name(result.approver_role, ctx.locale, "a")
    screen = screens.given_screen(
        case,
        policy.remedies[data["remedy"]].labels.get(ctx.locale),
        format_money(result.given, money, ctx.locale) if result.given else None,
        format_money(result.escalated, money, ctx.locale) if result.escalated else None,
        approvers,
        escape(", ".join(result.admins)) if result.admins else None,
        approver_count=max(len(result.approvers), 1),
    )
    await show(query, *screen)


@routes.message(Command("authority"))
@routes.message(KeyboardTap("authority"))
async def show_authority(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    decisions = [
        (remedy, await services.cases.authority(ctx.member, remedy)) for remedy in policy.remedies
    ]
    await message.answer(screens.authority_screen(decisions, policy, ctx.member, ctx.locale))
