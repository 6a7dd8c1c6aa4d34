"""The case card and what it leads to: /case, /my, void, asking the customer."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.render import cases as screens
from bot.render import errors
from bot.render import survey as survey_screens
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_view import (
    card_screen,
    case_or_refuse,
    policy_of,
    refuse,
)
from handlers.filters import KeyboardTap
from handlers.invite import qr_png
from handlers.routing import Routes
from handlers.screens import show

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
    try:
        await services.lifecycle.void(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await refuse(query, error)
        return
    await state.clear()
    await show(query, *await card_screen(ctx, services, callback_data.case_id))


@routes.callback_query(CaseStep.filter(F.action == "survey"))
async def ask_the_customer(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services, bot: Bot
) -> None:
    assert ctx.member is not None
    try:
        token = await services.surveys.issue(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await refuse(query, error)
        return
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    await bot.send_photo(
        ctx.user.id,
        BufferedInputFile(qr_png(link), filename="survey.png"),
        caption=survey_screens.link_caption(link),
    )
    await query.answer()


@routes.message(Command("case"))
async def open_by_code(message: Message, ctx: Context, services: Services) -> None:
    """/case K-7Q4F: the card of a case of this organisation."""
    assert ctx.member is not None
    code = (message.text or "").partition(" ")[2].strip().upper()
    try:
        case = await services.cases.find(ctx.member, code)
        text, markup = await card_screen(ctx, services, case.id)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    await message.answer(text, reply_markup=markup)


@routes.message(Command("my"))
@routes.message(KeyboardTap("my"))
async def my_cases(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    cases, page, pages = await services.cases.mine(ctx.member, 0)
    policy = await policy_of(services, ctx)
    await show(message, *screens.my_cases(cases, page, pages, policy, ctx.locale))


@routes.callback_query(CaseStep.filter(F.action == "my"))
async def my_cases_page(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services
) -> None:
    assert ctx.member is not None
    page = int(callback_data.value) if callback_data.value.isdigit() else 0
    cases, page, pages = await services.cases.mine(ctx.member, page)
    policy = await policy_of(services, ctx)
    await show(query, *screens.my_cases(cases, page, pages, policy, ctx.locale))
