"""Approvers decide in one tap: approve (asked once more above the threshold), approve part,
deny, take over, and undo while the requester has not acted; the requester gives what was
approved."""

from __future__ import annotations

import logging
from contextlib import suppress
from decimal import Decimal

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.i18n import format_money, format_when
from bot.money import parse_amount
from bot.render import errors
from bot.render import escalations as screens
from bot.render.callbacks import Cancel, EscalationStep
from bot.render.cases import given_screen
from bot.render.onboarding import cancelled
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.escalations import EscalationView
from handlers.filters import Typed
from handlers.routing import Routes
from handlers.screens import next_step, show, step_error
from policies.model import Policy

routes = Routes("escalations")
log = logging.getLogger(__name__)


class Deciding(StatesGroup):
    amount = State()  # approve part: the approver types an amount
    confirm = State()
    reason = State()  # deny: the approver types a reason


def _refusal(error: ServiceError, ctx: Context) -> str:
    if error.code == "already_decided" and error.params.get("at") is not None:
        at = format_when(
            error.params["at"],  # type: ignore[arg-type]
            error.params.get("now"),  # type: ignore[arg-type]
            str(error.params.get("timezone") or "UTC"),
            ctx.locale,
        )
        error = ServiceError("already_decided", name=error.params.get("name"), at=at)
    return errors.refusal(error)


async def _refuse(query: CallbackQuery, ctx: Context, error: ServiceError) -> None:
    log.warning("refused %s on an escalation button from user %s", error.code, query.from_user.id)
    await query.answer(_refusal(error, ctx), show_alert=True)


async def _policy(services: Services, view: EscalationView) -> Policy:
    return (await services.policies.in_force(view.org_id)).policy


async def _decided(
    query: CallbackQuery, ctx: Context, services: Services, view: EscalationView
) -> None:
    """The tapped message shows the decision at once, with Undo; the outbox edits the other
    cards."""
    policy = await _policy(services, view)
    await show(query, *screens.decided_card(view, policy, ctx.locale, undo=True))


async def _decide(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    escalation_id: int,
    decision: str,
    **params: object,
) -> None:
    try:
        view = await services.escalations.decide(
            query.from_user.id,
            escalation_id,
            decision,
            message_id=query.message.message_id if query.message else None,
            **params,  # type: ignore[arg-type]
        )
    except ServiceError as error:
        await _refuse(query, ctx, error)
        if error.code not in ("part_above_request", "reason_needed", "note_too_long"):
            await state.clear()
        return
    await state.clear()
    await _decided(query, ctx, services, view)


@routes.callback_query(EscalationStep.filter(F.action.in_({"ok", "take"})))
async def approve_or_take(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    decision = "approve" if callback_data.action == "ok" else "take"
    if decision == "approve":
        try:
            view = await services.escalations.for_approver(
                query.from_user.id, callback_data.escalation_id
            )
        except ServiceError as error:
            await _refuse(query, ctx, error)
            return
        above = view.confirm_above
        if view.state == "pending" and above is not None and view.amount > above:
            # A large approval is asked once more, on the card itself.
            await state.clear()
            policy = await _policy(services, view)
            await show(query, *screens.confirm_approve(view, policy, ctx.locale))
            return
    await _decide(query, ctx, services, state, callback_data.escalation_id, decision)


@routes.callback_query(EscalationStep.filter(F.action == "sure"))
async def approve_confirmed(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await _decide(query, ctx, services, state, callback_data.escalation_id, "approve")


@routes.callback_query(EscalationStep.filter(F.action == "undo"))
async def undo_decision(
    query: CallbackQuery, callback_data: EscalationStep, ctx: Context, services: Services
) -> None:
    """The approver takes the decision back: the card waits again, ready to decide anew."""
    try:
        view = await services.escalations.undo(query.from_user.id, callback_data.escalation_id)
    except ServiceError as error:
        await _refuse(query, ctx, error)
        return
    policy = await _policy(services, view)
    await show(query, *screens.card(view, policy, ctx.locale, services.clock.now()))


async def _for_approver(
    query: CallbackQuery, ctx: Context, services: Services, escalation_id: int
) -> EscalationView | None:
    try:
        view = await services.escalations.for_approver(query.from_user.id, escalation_id)
    except ServiceError as error:
        await _refuse(query, ctx, error)
        return None
    if view.state != "pending":
        await _decided(query, ctx, services, view)
        return None
    return view


async def _begin(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    callback_data: EscalationStep,
    step: State,
) -> EscalationView | None:
    """A decision that needs words (an amount, a reason): the request, if it still waits and
    this approver may decide it, with the dialogue's state set."""
    view = await _for_approver(query, ctx, services, callback_data.escalation_id)
    if view is None:
        return None
    await state.set_state(step)
    card_id = query.message.message_id if query.message else None
    # The card's own message is kept apart from the step's screen: an error reply may become
    # the screen, but leaving the step always puts the card back where the outbox edits it.
    await state.set_data({"escalation_id": view.id, "screen_id": card_id, "card_id": card_id})
    return view


async def _restore_card(
    bot: Bot, ctx: Context, services: Services, state: FSMContext, view: EscalationView
) -> bool:
    """The approval card back in its own message, the step's other screen without buttons;
    False when the dialogue kept no card."""
    data = await state.get_data()
    await state.clear()
    card_id, screen_id = data.get("card_id"), data.get("screen_id")
    if card_id is None:
        return False
    text, markup = screens.card(
        view, await _policy(services, view), ctx.locale, services.clock.now()
    )
    with suppress(TelegramBadRequest):
        await bot.edit_message_text(
            text, chat_id=ctx.user.id, message_id=card_id, reply_markup=markup
        )
    if screen_id and screen_id != card_id:
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=ctx.user.id, message_id=screen_id, reply_markup=None
            )
    return True


async def _leave_decision(bot: Bot, ctx: Context, services: Services, state: FSMContext) -> bool:
    """Cancelled mid-decision: nothing decided; the card ready to tap again, when it still
    waits (False: the request is gone or decided, and only the dialogue ends)."""
    data = await state.get_data()
    try:
        view = await services.escalations.for_approver(ctx.user.id, data["escalation_id"])
    except ServiceError:
        await state.clear()
        return False
    return await _restore_card(bot, ctx, services, state, view)


@routes.message(StateFilter(Deciding), Command("cancel"))
async def cancel_typed_decision(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _leave_decision(bot, ctx, services, state)
    await message.answer(cancelled())


@routes.callback_query(StateFilter(Deciding), Cancel.filter())
async def cancel_decision(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    if await _leave_decision(bot, ctx, services, state):
        await query.answer(cancelled())
    else:
        await show(query, cancelled())


@routes.callback_query(EscalationStep.filter(F.action == "part"))
async def ask_part(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _begin(query, ctx, services, state, callback_data, Deciding.amount)
    if view is not None:
        await show(query, *screens.ask_part(view, ctx.locale))


@routes.message(Deciding.amount, Typed())
async def typed_part(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    text = message.text or ""
    data = await state.get_data()
    try:
        view = await services.escalations.for_approver(ctx.user.id, data["escalation_id"])
        amount = parse_amount(text, ctx.locale, view.currency)
        if amount > view.amount:
            raise ServiceError(
                "part_above_request", asked=format_money(view.amount, view.currency, ctx.locale)
            )
    except ServiceError as error:
        # The step stays: the approver types the amount again.
        back = screens.back_button(data["escalation_id"])
        await step_error(bot, ctx.user.id, state, _refusal(error, ctx), back)
        return
    await state.update_data(amount=str(amount))
    await state.set_state(Deciding.confirm)
    policy = await _policy(services, view)
    await next_step(
        bot, ctx.user.id, state, *screens.confirm_part(view, amount, policy, ctx.locale)
    )


@routes.callback_query(Deciding.confirm, EscalationStep.filter(F.action == "partok"))
async def confirm_part(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if data.get("escalation_id") != callback_data.escalation_id or "amount" not in data:
        await query.answer()
        return
    await _decide(
        query,
        ctx,
        services,
        state,
        callback_data.escalation_id,
        "part",
        amount=Decimal(data["amount"]),
    )


@routes.callback_query(EscalationStep.filter(F.action == "deny"))
async def ask_reason(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _begin(query, ctx, services, state, callback_data, Deciding.reason)
    if view is not None:
        await show(query, *screens.ask_reason(view, await _policy(services, view), ctx.locale))


@routes.callback_query(EscalationStep.filter(F.action == "why"))
async def deny_with_preset(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _for_approver(query, ctx, services, callback_data.escalation_id)
    if view is None:
        return
    if callback_data.value not in screens.deny_reasons(await _policy(services, view), ctx.locale):
        await query.answer()
        return
    await _decide(query, ctx, services, state, view.id, "deny", reason=f"@{callback_data.value}")


@routes.message(Deciding.reason, Typed())
async def deny_with_typed_reason(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    text = message.text or ""
    data = await state.get_data()
    try:
        view = await services.escalations.decide(
            ctx.user.id, data["escalation_id"], "deny", reason=text, message_id=data.get("card_id")
        )
    except ServiceError as error:
        log.warning("refused %s on a typed denial from user %s", error.code, ctx.user.id)
        if error.code in ("reason_needed", "note_too_long", "unreadable_text"):
            back = screens.back_button(data["escalation_id"])
            await step_error(bot, ctx.user.id, state, _refusal(error, ctx), back)
            return
        await message.answer(_refusal(error, ctx))
        await state.clear()
        return
    await state.clear()
    policy = await _policy(services, view)
    await next_step(
        bot, ctx.user.id, state, *screens.decided_card(view, policy, ctx.locale, undo=True)
    )


@routes.callback_query(EscalationStep.filter(F.action == "back"))
async def back_to_card(
    query: CallbackQuery,
    callback_data: EscalationStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
) -> None:
    view = await _for_approver(query, ctx, services, callback_data.escalation_id)
    if view is None:
        return
    data = await state.get_data()
    here = query.message.message_id if query.message else None
    if data.get("escalation_id") == view.id and data.get("card_id") not in (None, here):
        # Back from an error reply: the card returns to its own message.
        await _restore_card(bot, ctx, services, state, view)
        await query.answer()
        return
    await state.clear()
    policy = await _policy(services, view)
    await show(query, *screens.card(view, policy, ctx.locale, services.clock.now()))


@routes.callback_query(EscalationStep.filter(F.action == "use"))
async def give_approved(
    query: CallbackQuery, callback_data: EscalationStep, ctx: Context, services: Services
) -> None:
    """The requester gives what was approved: one tap, one spend, authorised by the approver."""
    if ctx.member is None:
        await query.answer()
        return
    try:
        view = await services.escalations.give_approved(ctx.member, callback_data.escalation_id)
        case = await services.cases.get(ctx.member, view.case_id)
    except ServiceError as error:
        await _refuse(query, ctx, error)
        return
    policy = await _policy(services, view)
    given = format_money(view.approved or Decimal(0), view.currency, ctx.locale)
    remedy = policy.remedy_label(view.remedy, ctx.locale)
    await show(query, *given_screen(case, remedy, given, None, None))
