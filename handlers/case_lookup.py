"""Finding a case by its code: /case and /reopen without one offer my cases and wait for it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.render import cases as screens
from bot.render import errors
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_view import policy_of
from handlers.screens import show, step_error


class FindCase(StatesGroup):
    card = State()  # /case: the typed code opens the card
    reopen = State()  # /reopen: the typed code starts reopening


def typed_code(message: Message, command: CommandObject | None) -> str:
    """The code after the command ("/case k-7q4f"), or the whole message typed at the step."""
    if command is not None:
        return (command.args or "").strip()
    return (message.text or "").strip()


async def ask_for_code(
    target: Message | CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    reopen: bool,
) -> None:
    assert ctx.member is not None
    if reopen:
        cases = await services.cases.reopenable_mine(ctx.member)
    else:
        cases = await services.cases.open_mine(ctx.member)
    screen = screens.ask_case_code(cases, reopen, await policy_of(services, ctx), ctx.locale)
    await state.set_state(FindCase.reopen if reopen else FindCase.card)
    if isinstance(target, CallbackQuery):
        await show(target, *screen)
        return
    await state.set_data({})
    sent = await target.answer(screen[0], reply_markup=screen[1])
    await state.update_data(screen_id=sent.message_id)


async def code_refused(
    message: Message,
    bot: Bot,
    ctx: Context,
    state: FSMContext,
    error: ServiceError,
    reopen: bool,
    at_step: bool,
) -> None:
    """The code led nowhere. Typed at the step: said below it, and the step stays for another
    try; after the command: said, and that is all."""
    if not at_step:
        await message.answer(errors.refusal(error))
        return
    back = screens.back_button("find", "reopen" if reopen else "card")
    await step_error(bot, ctx.user.id, state, errors.refusal(error), back)
