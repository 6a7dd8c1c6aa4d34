"""The case card and what it leads to: /case, /my, void, asking the customer."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.render import cases as screens
from bot.render import survey as survey_screens
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.context import Context, MemberView
from bot.services.errors import ServiceError
from handlers.case_lookup import FindCase, ask_for_code, code_refused, typed_code
from handlers.case_view import (
    card_screen,
    case_or_refuse,
    policy_of,
    refuse,
)
from handlers.filters import KeyboardTap, Typed
from handlers.invite import qr_png
from handlers.routing import Routes
from handlers.screens import next_step, show

routes = Routes("case_card")
log = logging.getLogger(__name__)


@routes.callback_query(CaseStep.filter(F.action == "card"))
async def back_to_card(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await state.clear()
    try:
        await show(query, *await card_screen(ctx, services, callback_data.case_id))
    except ServiceError as error:
        await refuse(query, error)


async def _then_card(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    act: Callable[[MemberView, int], Awaitable[object]],
    case_id: int,
) -> None:
    """A one-tap change to the case (void, withdraw): done, and the card shows it; or the
    refusal, and nothing changes."""
    assert ctx.member is not None
    try:
        await act(ctx.member, case_id)
    except ServiceError as error:
        await refuse(query, error)
        return
    await state.clear()
    await show(query, *await card_screen(ctx, services, case_id))


@routes.callback_query(CaseStep.filter(F.action == "void"))
async def ask_void(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services
) -> None:
    case = await case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is not None:
        await show(query, *screens.confirm_void(case))


@routes.callback_query(CaseStep.filter(F.action == "voidok"))
async def void(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    await _then_card(query, ctx, services, state, services.lifecycle.void, callback_data.case_id)


@routes.callback_query(CaseStep.filter(F.action == "wd"))
async def withdraw_request(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """The requester takes back what waits for approval; the approvers' cards say so."""
    assert ctx.member is not None
    await _then_card(
        query, ctx, services, state, services.lifecycle.withdraw, callback_data.case_id
    )


@routes.callback_query(CaseStep.filter(F.action == "survey"))
async def ask_the_customer(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services, bot: Bot
) -> None:
    assert ctx.member is not None
    try:
        issued = await services.surveys.issue(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await refuse(query, error)
        if error.code == "survey_already_answered" and isinstance(query.message, Message):
            # The card on screen still offers the button: show it as it stands now.
            text, markup = await card_screen(ctx, services, callback_data.case_id)
            with suppress(TelegramBadRequest):
                await query.message.edit_text(text, reply_markup=markup)
        return
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={issued.token}"
    await bot.send_photo(
        ctx.user.id,
        BufferedInputFile(qr_png(link), filename="survey.png"),
        caption=survey_screens.link_caption(link, issued.refreshed),
    )
    await query.answer()


@routes.message(Command("case"))
@routes.message(FindCase.card, Typed())
async def open_by_code(
    message: Message,
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
    command: CommandObject | None = None,
) -> None:
    """/case K-7Q4F (or 7q4f, k 7q4f): the card; without a code, my open cases and a step
    that waits for one (the step's typed code comes here too, without a command)."""
    assert ctx.member is not None
    typed = typed_code(message, command)
    at_step = command is None
    if not typed:
        await ask_for_code(message, ctx, services, state, reopen=False)
        return
    try:
        case = await services.cases.find(ctx.member, typed)
        text, markup = await card_screen(ctx, services, case.id)
    except ServiceError as error:
        await code_refused(message, bot, ctx, state, error, reopen=False, at_step=at_step)
        return
    if at_step:
        await next_step(bot, ctx.user.id, state, text, markup)
        await state.clear()
        return
    await message.answer(text, reply_markup=markup)


@routes.callback_query(CaseStep.filter(F.action == "find"))
async def find_again(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """Back from a code that led nowhere: the cases on buttons again."""
    await ask_for_code(query, ctx, services, state, reopen=callback_data.value == "reopen")


@routes.message(Command("my"))
@routes.message(KeyboardTap("my"))
async def my_cases(
    message: Message, ctx: Context, services: Services, command: CommandObject | None = None
) -> None:
    """/my: my cases, open ones first; /my 412: that customer's cases (the keyboard's My
    cases comes without a command, and without a customer)."""
    assert ctx.member is not None
    key = (command.args or "").strip() if command is not None else ""
    found = await services.cases.listing(ctx.member, customer_key=key or None)
    policy = await policy_of(services, ctx)
    await show(message, *screens.my_cases(found, policy, ctx.locale, services.clock.now()))


@routes.callback_query(CaseStep.filter(F.action == "my"))
async def my_cases_page(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services
) -> None:
    """A page, or the other filter; value: the page and "o" (open only) or "a" (all)."""
    assert ctx.member is not None
    asked = re.fullmatch(r"(\d{1,4})([oa]?)", callback_data.value)
    page = int(asked.group(1)) if asked else 0
    only_open = {"o": True, "a": False}.get(asked.group(2)) if asked else None
    try:
        found = await services.cases.listing(
            ctx.member, page, only_open=only_open, customer_of=callback_data.case_id or None
        )
    except ServiceError as error:
        await refuse(query, error)
        return
    policy = await policy_of(services, ctx)
    await show(query, *screens.my_cases(found, policy, ctx.locale, services.clock.now()))
