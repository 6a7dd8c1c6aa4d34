"""Resolving a case (outcome, first contact, note, and why it keeps happening) and reopening
it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.render import cases as screens
from bot.render import errors
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.cases import CaseView
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_lookup import FindCase, ask_for_code, code_refused, typed_code
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
    cause = State()  # "Another reason…": the resolver's own line


# Outcomes that are not a resolution at first contact: the question is not asked.
NOT_SOLVED = ("unsatisfied", "unresolvable")


class ReopenCase(StatesGroup):
    reason = State()


async def _open_step(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    case_id: int,
    step: State,
    ask: Callable[[CaseView], tuple[Any, ...]],
) -> None:
    """A case's step that waits for the person: the case checked, the step and the screen it
    edits remembered, its question shown in place."""
    case = await case_or_refuse(query, ctx, services, case_id)
    if case is None:
        return
    await state.set_state(step)
    await state.set_data({"case_id": case.id, "screen_id": message_id(query)})
    await show(query, *ask(case))


@routes.callback_query(CaseStep.filter(F.action == "resolve"))
async def start_resolve(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await _open_step(
        query, ctx, services, state, callback_data.case_id, ResolveCase.outcome, screens.ask_outcome
    )


@routes.callback_query(CaseStep.filter(F.action == "close"))
async def close_with_remedy(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """Close the case right after giving: the outcome "with remedy" goes without asking."""
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is not None:
        await ask_first_contact(query, state, case, "with_remedy")


async def ask_first_contact(
    query: CallbackQuery, state: FSMContext, case: CaseView, outcome: str
) -> None:
    await state.set_state(ResolveCase.first_contact)
    await state.set_data({"case_id": case.id, "outcome": outcome, "screen_id": message_id(query)})
    await show(query, *screens.ask_first_contact(case))


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
    if callback_data.value in NOT_SOLVED:
        # Not a resolution at first contact by definition: nothing to ask.
        await state.update_data(outcome=callback_data.value)
        await _resolve(query, ctx, services, state, first_contact=False)
        return
    await ask_first_contact(query, state, case, callback_data.value)


@routes.callback_query(ResolveCase.first_contact, CaseStep.filter(F.action == "fc"))
async def chosen_first_contact(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if data.get("case_id") != callback_data.case_id or callback_data.value not in ("yes", "no"):
        await query.answer()
        return
    await _resolve(query, ctx, services, state, first_contact=callback_data.value == "yes")


async def _resolve(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    first_contact: bool,
) -> None:
    """Resolved at once; what follows (a note, the survey) is optional."""
    assert ctx.member is not None
    data = await state.get_data()
    try:
        await services.lifecycle.resolve(
            ctx.member, data["case_id"], data["outcome"], first_contact
        )
    except ServiceError as error:
        await state.clear()
        await refuse(query, error)
        return
    await state.set_state(ResolveCase.note)
    await state.set_data({"case_id": data["case_id"], "screen_id": message_id(query)})
    case = await services.cases.get(ctx.member, data["case_id"])
    await show(query, *screens.resolved_screen(case, await policy_of(services, ctx), ctx.locale))


@routes.callback_query(CaseStep.filter(F.action == "cause"))
async def chosen_cause(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """One tap on the screen after resolving; the screen stays (a note may still follow)."""
    assert ctx.member is not None
    try:
        await services.lifecycle.record_cause(
            ctx.member, callback_data.case_id, cause=callback_data.value
        )
    except ServiceError as error:
        await refuse(query, error)
        return
    await _resolved_again(query, ctx, services, state, callback_data.case_id)


async def _resolved_again(
    target: CallbackQuery | Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    case_id: int,
    bot: Bot | None = None,
) -> None:
    """The screen after resolving, with the cause now told; a typed note is still taken."""
    assert ctx.member is not None
    case = await services.cases.get(ctx.member, case_id)
    screen = screens.resolved_screen(case, await policy_of(services, ctx), ctx.locale)
    await state.set_state(ResolveCase.note)
    if isinstance(target, CallbackQuery):
        await state.set_data({"case_id": case_id, "screen_id": message_id(target)})
        await show(target, *screen)
        return
    assert bot is not None
    await next_step(bot, ctx.user.id, state, *screen)


@routes.callback_query(CaseStep.filter(F.action == "causew"))
async def cause_in_words(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await _open_step(
        query,
        ctx,
        services,
        state,
        callback_data.case_id,
        ResolveCase.cause,
        screens.ask_cause_words,
    )


@routes.message(ResolveCase.cause, Typed())
async def typed_cause(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    data = await state.get_data()
    try:
        await services.lifecycle.record_cause(ctx.member, data["case_id"], words=message.text)
    except ServiceError as error:
        fixable = ("note_too_long", "unreadable_text", "reason_needed")
        await _words_refused(message, ctx, state, bot, error, data["case_id"], fixable)
        return
    await _resolved_again(message, ctx, services, state, data["case_id"], bot)


@routes.message(ResolveCase.note, Typed())
async def typed_note(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    data = await state.get_data()
    try:
        await services.lifecycle.add_note(ctx.member, data["case_id"], message.text)
    except ServiceError as error:
        fixable = ("note_too_long", "unreadable_text")
        await _words_refused(message, ctx, state, bot, error, data["case_id"], fixable)
        return
    await next_step(bot, ctx.user.id, state, *await card_screen(ctx, services, data["case_id"]))
    await state.clear()


async def _words_refused(
    message: Message,
    ctx: Context,
    state: FSMContext,
    bot: Bot,
    error: ServiceError,
    case_id: int,
    fixable: tuple[str, ...],
) -> None:
    """Typed words a case step could not take: a fault the person can mend (`fixable`) keeps
    the step, with Back to the card; any other ends the dialogue with the reason."""
    if error.code in fixable:
        back = screens.back_button("card", case_id=case_id)
        await step_error(bot, ctx.user.id, state, errors.refusal(error), back)
        return
    await state.clear()
    await message.answer(errors.refusal(error))


@routes.callback_query(CaseStep.filter(F.action == "reopen"))
async def start_reopen(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await _open_step(
        query,
        ctx,
        services,
        state,
        callback_data.case_id,
        ReopenCase.reason,
        screens.ask_reopen_reason,
    )


@routes.message(ReopenCase.reason, Typed())
async def reopen_with_reason(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    data = await state.get_data()
    try:
        await services.lifecycle.reopen(ctx.member, data["case_id"], message.text)
    except ServiceError as error:
        await _words_refused(
            message,
            ctx,
            state,
            bot,
            error,
            data["case_id"],
            ("reason_needed", "note_too_long", "unreadable_text"),
        )
        return
    await state.clear()
    await next_step(bot, ctx.user.id, state, *await card_screen(ctx, services, data["case_id"]))


@routes.message(Command("reopen"))
@routes.message(FindCase.reopen, Typed())
async def reopen_typed(
    message: Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
    command: CommandObject | None = None,
) -> None:
    """/reopen K-7Q4F (or 7q4f): asks the reason, or says why not; without a code, my cases
    that can still be reopened, and a step that waits for the code (the step's typed code
    comes here too, without a command)."""
    assert ctx.member is not None
    typed = typed_code(message, command)
    at_step = command is None
    if not typed:
        await ask_for_code(message, ctx, services, state, reopen=True)
        return
    try:
        case = await services.cases.find(ctx.member, typed)
        deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
        if deadline is None:
            raise ServiceError("case_not_resolved")
        if services.clock.now() >= deadline:
            policy = await policy_of(services, ctx)
            raise ServiceError("reopen_window_over", days=policy.reopen_window_days)
    except ServiceError as error:
        await code_refused(message, bot, ctx, state, error, reopen=True, at_step=at_step)
        return
    # At the step, the list's buttons go when the question comes.
    screen_id = (await state.get_data()).get("screen_id") if at_step else None
    await state.set_state(ReopenCase.reason)
    await state.set_data({"case_id": case.id, "screen_id": screen_id})
    await next_step(bot, ctx.user.id, state, *screens.ask_reopen_reason(case))
