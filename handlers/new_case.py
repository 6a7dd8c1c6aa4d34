"""/new: log a case in seconds — category, one message, done; optional customer and words."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.i18n import format_money
from bot.render import cases as screens
from bot.render import errors
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.cases import customer_key_of
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.typed import (
    CUSTOMER_KEY_LIMIT,
    CUSTOMER_WORDS_LIMIT,
    DESCRIPTION_LIMIT,
    typed,
)
from handlers.case_view import (
    card_screen,
    policy_of,
)
from handlers.filters import KeyboardTap, Typed
from handlers.routing import Routes
from handlers.screens import next_step, show, step_error

routes = Routes("new_case")
log = logging.getLogger(__name__)


class NewCase(StatesGroup):
    category = State()
    description = State()
    customer = State()
    words = State()


@routes.message(Command("new"))
@routes.message(KeyboardTap("new"))
async def start_case(message: Message, ctx: Context, services: Services, state: FSMContext) -> None:
    policy = await policy_of(services, ctx)
    await state.set_state(NewCase.category)
    await state.set_data({})
    text, markup = screens.choose_category(policy, ctx.locale)
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(screen_id=sent.message_id)


@routes.callback_query(NewCase.category, CaseStep.filter(F.action == "cat"))
async def pick_category(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    policy = await policy_of(services, ctx)
    if callback_data.value not in policy.categories:
        await query.answer()
        return
    label = policy.categories[callback_data.value].get(ctx.locale)
    data = await state.update_data(category=callback_data.value, category_label=label)
    if data.get("photo") or data.get("voice"):
        # Described already (a photo or voice note sent before /new): on to the customer.
        await state.set_state(NewCase.customer)
        await show(query, *screens.ask_customer(label))
        return
    await state.set_state(NewCase.description)
    await show(query, *screens.ask_description(label))


@routes.message(NewCase.description, Typed(media=True))
async def take_description(message: Message, ctx: Context, state: FSMContext, bot: Bot) -> None:
    try:
        text = typed(message.text or message.caption, DESCRIPTION_LIMIT, "description_too_long")
    except ServiceError as error:
        await _refused(bot, ctx, state, error)
        return
    photo = message.photo[-1].file_id if message.photo else None
    voice = message.voice.file_id if message.voice else None
    await state.update_data(description=text, photo=photo, voice=voice)
    await state.set_state(NewCase.customer)
    data = await state.get_data()
    await next_step(bot, ctx.user.id, state, *screens.ask_customer(data["category_label"]))


@routes.message(NewCase.customer, Typed())
async def take_customer(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    try:
        key = typed(customer_key_of(message.text), CUSTOMER_KEY_LIMIT, "customer_key_too_long")
    except ServiceError as error:
        await _refused(bot, ctx, state, error)
        return
    await state.update_data(customer=key)
    history_text = None
    open_case = None
    earlier, spent = await services.cases.customer_history(ctx.member, key)
    if earlier:
        history_text = screens.returning_customer(
            len(earlier), format_money(spent, ctx.member.currency, ctx.locale)
        )
        # Still open: this may be the same problem again, better added than logged twice.
        open_case = await services.cases.open_case_of_customer(ctx.member, key)
    await state.set_state(NewCase.words)
    data = await state.get_data()
    await next_step(
        bot,
        ctx.user.id,
        state,
        *screens.ask_words(data["category_label"], history_text, open_case),
    )


@routes.callback_query(NewCase.words, CaseStep.filter(F.action == "addto"))
async def add_to_open_case(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    """The returning customer's open case gets the new description; no second case."""
    assert ctx.member is not None
    data = await state.get_data()
    try:
        case = await services.cases.add_to(
            ctx.member,
            callback_data.case_id,
            data.get("description", ""),
            photo_file_id=data.get("photo"),
            voice_file_id=data.get("voice"),
        )
    except ServiceError as error:
        await query.answer(errors.refusal(error), show_alert=True)
        return
    await state.clear()
    await show(query, *await card_screen(ctx, services, case.id))


@routes.message(NewCase.words, Typed())
async def take_words(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    try:
        words = typed(message.text, CUSTOMER_WORDS_LIMIT, "words_too_long")
    except ServiceError as error:
        await _refused(bot, ctx, state, error)
        return
    await state.update_data(words=words)
    await _create(ctx, services, state, bot, None)


async def _refused(bot: Bot, ctx: Context, state: FSMContext, error: ServiceError) -> None:
    """Refused now, while the person can still mend what they typed; the step stays."""
    await step_error(bot, ctx.user.id, state, errors.refusal(error), screens.back_button("back"))


@routes.callback_query(NewCase.customer, CaseStep.filter(F.action == "skip"))
async def skip_customer(query: CallbackQuery, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(NewCase.words)
    await show(query, *screens.ask_words(data["category_label"], None))


@routes.callback_query(NewCase.customer, CaseStep.filter(F.action == "create"))
@routes.callback_query(NewCase.words, CaseStep.filter(F.action == "create"))
async def create_now(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _create(ctx, services, state, bot, query)


async def _create(
    ctx: Context, services: Services, state: FSMContext, bot: Bot, query: CallbackQuery | None
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    try:
        case = await services.cases.create(
            ctx.member,
            category=data["category"],
            description=data.get("description", ""),
            customer_key=data.get("customer"),
            customer_words=data.get("words"),
            photo_file_id=data.get("photo"),
            voice_file_id=data.get("voice"),
        )
    except ServiceError as error:
        # Nothing is lost: the draft stays, the person fixes the one thing that was wrong.
        text = errors.refusal(error)
        if query is not None:
            await query.answer(text, show_alert=True)
        else:
            await step_error(bot, ctx.user.id, state, text, screens.back_button("back"))
        return
    await state.clear()
    screen = await card_screen(ctx, services, case.id)
    if query is not None:
        await show(query, *screen)
    else:
        if data.get("screen_id"):
            await bot.edit_message_reply_markup(
                chat_id=ctx.user.id, message_id=data["screen_id"], reply_markup=None
            )
        await bot.send_message(ctx.user.id, screen[0], reply_markup=screen[1])


@routes.callback_query(CaseStep.filter(F.action == "back"))
async def back(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    current = await state.get_state()
    if current == NewCase.description.state:
        await state.set_state(NewCase.category)
        await show(query, *screens.choose_category(await policy_of(services, ctx), ctx.locale))
    elif current == NewCase.customer.state:
        await state.set_state(NewCase.description)
        await show(query, *screens.ask_description(data["category_label"]))
    elif current == NewCase.words.state:
        await state.set_state(NewCase.customer)
        await show(query, *screens.ask_customer(data["category_label"]))
    else:
        await query.answer()
