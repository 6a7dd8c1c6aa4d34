"""Resolving a case (outcome, first contact, note) and reopening it."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.render import cases as screens
from bot.render import errors
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_view import (
    card_screen,
    case_or_refuse,
    message_id,
    policy_of,
    refuse,
)
from handlers.filters import Typed
from handlers.routing import Routes
from handlers.screens import next_step, show, step_error

routes = Routes("resolve")
log = logging.getLogger(__name__)


class ResolveCase(StatesGroup):
    outcome = State()
    first_contact = State()
    note = State()


class ReopenCase(StatesGroup):
    reason = State()


@routes.callback_query(CaseStep.filter(F.action == "resolve"))
async def start_resolve(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(ResolveCase.outcome)
    await state.set_data({"case_id": case.id, "screen_id": message_id(query)})
    await show(query, *screens.ask_outcome(case))


@routes.callback_query(ResolveCase.outcome, CaseStep.filter(F.action == "out"))
async def chosen_outcome(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None or callback_data.value not in screens.OUTCOME_LABELS:
        return
    await state.update_data(outcome=callback_data.value)
    await state.set_state(ResolveCase.first_contact)
    await show(query, *screens.ask_first_contact(case))


@routes.callback_query(ResolveCase.first_contact, CaseStep.filter(F.action == "fc"))
async def chosen_first_contact(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.update_data(first_contact=callback_data.value == "yes")
    await state.set_state(ResolveCase.note)
    await show(query, *screens.ask_note(case))


@routes.callback_query(ResolveCase.note, CaseStep.filter(F.action == "finish"))
async def finish_without_note(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _resolve(ctx, services, state, bot, query, None)


@routes.message(ResolveCase.note, Typed())
async def finish_with_note(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _resolve(ctx, services, state, bot, None, message.text)


async def _resolve(
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
    query: CallbackQuery | None,
    note: str | None,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    try:
        await services.lifecycle.resolve(
            ctx.member, data["case_id"], data["outcome"], bool(data["first_contact"]), note
        )
    except ServiceError as error:
        if query is not None:
            await refuse(query, error)
        else:
            await bot.send_message(ctx.user.id, errors.refusal(error))
        if error.code != "note_too_long":
            await state.clear()
        return
    await state.clear()
    screen = await card_screen(ctx, services, data["case_id"])
    if query is not None:
        await show(query, *screen)
    else:
        await next_step(bot, ctx.user.id, state, *screen)


@routes.callback_query(CaseStep.filter(F.action == "reopen"))
async def start_reopen(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(ReopenCase.reason)
    await state.set_data({"case_id": case.id, "screen_id": message_id(query)})
    await show(query, *screens.ask_reopen_reason(case))


@routes.message(ReopenCase.reason, Typed())
async def reopen_with_reason(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    data = await state.get_data()
    try:
        await services.lifecycle.reopen(ctx.member, data["case_id"], message.text)
    except ServiceError as error:
        if error.code in ("reason_needed", "note_too_long"):
            back = screens.back_button("card", case_id=data["case_id"])
            await step_error(bot, ctx.user.id, state, errors.refusal(error), back)
            return
        await message.answer(errors.refusal(error))
        await state.clear()
        return
    await state.clear()
    await next_step(bot, ctx.user.id, state, *await card_screen(ctx, services, data["case_id"]))


@routes.message(Command("reopen"))
async def reopen_typed(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    """/reopen K-7Q4F: a typed attempt gets the card (with the button) or the reason why not."""
    assert ctx.member is not None
    code = (message.text or "").partition(" ")[2].strip().upper()
    try:
        case = await services.cases.find(ctx.member, code)
        deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
        if deadline is None:
            raise ServiceError("case_not_resolved")
        if services.clock.now() >= deadline:
            policy = await policy_of(services, ctx)
            raise ServiceError("reopen_window_over", days=policy.reopen_window_days)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    await state.set_state(ReopenCase.reason)
    await state.set_data({"case_id": case.id})
    await next_step(bot, ctx.user.id, state, *screens.ask_reopen_reason(case))
