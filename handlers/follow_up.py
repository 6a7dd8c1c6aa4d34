"""Closing a follow-up from its card: the outcome (called, visited, an extra remedy within
one's authority, could not reach), a note or Skip, then "Is it better now?" for the customer
when they answered in Telegram. Each step edits the card's message in place; a typed note or
amount gets the next step below it."""

from __future__ import annotations

import secrets
from decimal import Decimal

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.money import parse_amount
from bot.render import errors
from bot.render import follow_ups as screens
from bot.render.callbacks import FollowUpStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.follow_ups import FollowUpView
from bot.services.typed import NOTE_LIMIT, units
from handlers.case_view import message_id, policy_of
from handlers.filters import Typed
from handlers.routing import Routes
from handlers.screens import next_step, show, step_error
from policies.engine import Outcome
from policies.explain import explain

routes = Routes("follow_up")

CONTACTS = ("called", "visited", "unreached")


class FollowUpFlow(StatesGroup):
    remedy = State()  # picking the extra remedy
    amount = State()  # typing its amount
    note = State()  # typing a note, or Skip
    resurvey = State()  # send "Is it better now?" or not


async def _refuse(query: CallbackQuery, error: ServiceError) -> None:
    if error.code == "follow_up_closed":
        text = screens.already_closed(str(error.params.get("by") or ""))
    else:
        text = errors.refusal(error)
    await query.answer(text, show_alert=True)


async def _open(
    query: CallbackQuery, ctx: Context, services: Services, follow_up_id: int
) -> FollowUpView | None:
    assert ctx.member is not None
    try:
        return await services.follow_ups.for_closing(ctx.member, follow_up_id)
    except ServiceError as error:
        await _refuse(query, error)
        return None


@routes.callback_query(FollowUpStep.filter(F.action.in_(CONTACTS)))
async def contacted(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    await _ask_note(query, state, view, callback_data.action)


async def _ask_note(
    target: CallbackQuery | Message, state: FSMContext, view: FollowUpView, outcome: str
) -> None:
    await state.set_state(FollowUpFlow.note)
    data = {"follow_up_id": view.id, "outcome": outcome}
    if isinstance(target, CallbackQuery):
        await state.set_data({**data, "screen_id": message_id(target)})
        await show(target, *screens.ask_note(view, outcome))
        return
    await state.update_data(data)
    assert target.bot is not None
    await next_step(target.bot, target.chat.id, state, *screens.ask_note(view, outcome))


@routes.callback_query(FollowUpStep.filter(F.action == "remedy"))
async def extra_remedy(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """The remedies this person may give at all, one tap each."""
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    # What the engine forbids the role outright (decide's FORBIDDEN), without a read each.
    forbidden = policy.rules(ctx.member.role).forbidden
    offered = [key for key in policy.remedies if key not in forbidden]
    await state.set_state(FollowUpFlow.remedy)
    await state.set_data({"follow_up_id": view.id, "screen_id": message_id(query)})
    await show(query, *screens.pick_remedy(view, policy, ctx.locale, offered))


@routes.callback_query(FollowUpFlow.remedy, FollowUpStep.filter(F.action == "give"))
async def remedy_picked(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    assert ctx.member is not None
    policy = await policy_of(services, ctx)
    remedy = callback_data.value
    if remedy not in policy.remedies:
        await query.answer()
        return
    # One key per amount screen: the same give retried (a repeated update) records one spend.
    await state.update_data(remedy=remedy, request_key=secrets.token_urlsafe(16))
    if not policy.remedies[remedy].money:
        await _give(query, ctx, services, state, view, remedy, None)
        return
    decision = await services.cases.authority(ctx.member, remedy, view.case_id)
    room = None if decision.unlimited else decision.now
    await state.set_state(FollowUpFlow.amount)
    await show(query, *screens.ask_amount(view, policy, ctx.locale, remedy, room))


@routes.message(FollowUpFlow.amount, Typed())
async def typed_amount(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    data = await state.get_data()
    try:
        amount = parse_amount(message.text, ctx.locale, ctx.member.currency)
        view = await services.follow_ups.for_closing(ctx.member, data["follow_up_id"])
    except ServiceError as error:
        # The step stays; the person types the amount again (or goes back).
        await step_error(
            bot,
            ctx.user.id,
            state,
            errors.refusal(error),
            screens.back_button(data["follow_up_id"]),
        )
        return
    await _give(message, ctx, services, state, view, data["remedy"], amount)


async def _give(
    target: CallbackQuery | Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    view: FollowUpView,
    remedy: str,
    amount: Decimal | None,
) -> None:
    """Through the normal authority check: within it, given and on to the note; beyond it,
    nothing given and the limit explained (a follow-up asks nobody: a supervisor who needs
    more escalates from the case)."""
    assert ctx.member is not None
    data = await state.get_data()
    value = amount if amount is not None else Decimal(0)
    try:
        given = await services.cases.give(
            ctx.member, view.case_id, remedy, value, data["request_key"], follow_up=True
        )
    except ServiceError as error:
        text, markup = screens.refused(view, errors.refusal(error))
        await _reply(target, state, text, markup)
        return
    policy = await policy_of(services, ctx)
    if given.decision.outcome != Outcome.ALLOWED:
        text, markup = screens.refused(view, explain(given.decision, policy, ctx.locale))
        await _reply(target, state, text, markup)
        return
    view = await services.follow_ups.for_closing(ctx.member, view.id)
    await _ask_note(target, state, view, "remedy")


async def _reply(
    target: CallbackQuery | Message, state: FSMContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
        return
    assert target.bot is not None
    await next_step(target.bot, target.chat.id, state, text, markup)


@routes.message(FollowUpFlow.note, Typed())
async def typed_note(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    try:
        view = await services.follow_ups.for_closing(ctx.member, data["follow_up_id"])
    except ServiceError as error:
        await state.clear()
        await message.answer(errors.refusal(error))
        return
    text = (message.text or "").strip()
    if units(text) > NOTE_LIMIT:
        await next_step(
            bot,
            ctx.user.id,
            state,
            *screens.note_too_long(view, data["outcome"], NOTE_LIMIT),
        )
        return
    await state.update_data(note=text)
    await _after_note(message, ctx, services, state, view, data["outcome"], bot)


@routes.callback_query(FollowUpFlow.note, FollowUpStep.filter(F.action == "skip"))
async def skipped_note(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if data.get("follow_up_id") != callback_data.follow_up_id:
        await query.answer()
        return
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    await state.update_data(note=None)
    await _after_note(query, ctx, services, state, view, data["outcome"], bot)


async def _after_note(
    target: CallbackQuery | Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    view: FollowUpView,
    outcome: str,
    bot: Bot,
) -> None:
    if view.reachable and outcome != "unreached":
        await state.set_state(FollowUpFlow.resurvey)
        await _reply(target, state, *screens.ask_resurvey(view, outcome))
        return
    await _close(target, ctx, services, state, view.id, outcome, bot, resurvey=False)


@routes.callback_query(FollowUpFlow.resurvey, FollowUpStep.filter(F.action.in_({"send", "close"})))
async def resurvey_chosen(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if data.get("follow_up_id") != callback_data.follow_up_id:
        await query.answer()
        return
    await _close(
        query,
        ctx,
        services,
        state,
        callback_data.follow_up_id,
        data["outcome"],
        bot,
        resurvey=callback_data.action == "send",
    )


async def _close(
    target: CallbackQuery | Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    follow_up_id: int,
    outcome: str,
    bot: Bot,
    *,
    resurvey: bool,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    link = None
    if resurvey:
        me = await bot.me()
        link = f"https://t.me/{me.username}?start="
    try:
        view, sent = await services.follow_ups.close(
            ctx.member, follow_up_id, outcome, data.get("note"), link
        )
    except ServiceError as error:
        await state.clear()
        if isinstance(target, CallbackQuery):
            await _refuse(target, error)
        else:
            await target.answer(errors.refusal(error))
        return
    await state.clear()
    policy = await policy_of(services, ctx)
    await _reply(target, state, *screens.closed(view, policy, ctx.locale, sent))


@routes.callback_query(FollowUpStep.filter(F.action == "open"))
async def open_card(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    bot: Bot,
) -> None:
    """From /queue: the follow-up's card below the queue, so the queue stays where it was."""
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    policy = await policy_of(services, ctx)
    text, markup = screens.card(view, policy, ctx.locale)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


@routes.callback_query(FollowUpStep.filter(F.action == "back"))
async def back_to_card(
    query: CallbackQuery,
    callback_data: FollowUpStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    view = await _open(query, ctx, services, callback_data.follow_up_id)
    if view is None:
        return
    await state.clear()
    policy = await policy_of(services, ctx)
    await show(query, *screens.card(view, policy, ctx.locale))
