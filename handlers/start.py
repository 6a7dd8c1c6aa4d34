"""Joining with an invite link: language, confirmation, welcome. /start for members."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.render import errors, onboarding
from bot.render.callbacks import JoinStep, LanguagePick
from bot.render.common import floor_keyboard
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.menu import set_member_menu
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("start")


class Onboarding(StatesGroup):
    language = State()
    confirm = State()


@routes.message(CommandStart(deep_link=True))
async def open_invite(
    message: Message, command: CommandObject, ctx: Context, services: Services, state: FSMContext
) -> None:
    try:
        offer = await services.invites.inspect(command.args or "", ctx.user.id)
    except ServiceError as error:
        await state.clear()
        await message.answer(errors.refusal(error))
        return
    if offer.already_member:
        await state.clear()
        await services.members.switch_organisation(ctx.user.id, offer.org_id)
        await message.answer(onboarding.already_member(offer.org_name))
        return
    # The code itself is never stored: the dialogue keeps the invite's id.
    await state.set_state(Onboarding.language)
    await state.set_data({"invite_id": offer.invite_id})
    await show(message, *onboarding.choose_language(ctx.locale))


@routes.callback_query(Onboarding.language, LanguagePick.filter())
async def pick_language(
    query: CallbackQuery,
    callback_data: LanguagePick,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    with i18n.use_locale(callback_data.code):
        try:
            offer = await services.invites.offer(data["invite_id"], ctx.user.id)
        except ServiceError as error:
            await state.clear()
            await show(query, errors.refusal(error))
            return
        # The screen first: if Telegram fails, the person is still on this step and can tap again.
        await show(query, *onboarding.confirm_join(offer))
        await state.set_state(Onboarding.confirm)
        await state.update_data(language=callback_data.code)


@routes.callback_query(Onboarding.confirm, JoinStep.filter(F.action == "back"))
async def back_to_language(query: CallbackQuery, state: FSMContext, i18n: I18n) -> None:
    data = await state.get_data()
    await state.set_state(Onboarding.language)
    with i18n.use_locale(data.get("language", i18n.current_locale)):
        await show(query, *onboarding.choose_language(data.get("language", "en")))


@routes.callback_query(Onboarding.confirm, JoinStep.filter(F.action == "ok"))
async def join(
    query: CallbackQuery,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    data = await state.get_data()
    language = data.get("language", ctx.locale)
    with i18n.use_locale(language):
        try:
            await services.invites.redeem(data["invite_id"], ctx.user, language)
        except ServiceError as error:
            await state.clear()
            await show(query, errors.refusal(error))
            return
        await state.clear()
        joined = await services.context.load(ctx.user)
        assert joined.member is not None
        several = joined.org_count > 1
        # The menu first: when the welcome appears, the commands it lists are in place.
        await set_member_menu(bot, i18n, joined.member, several)
        await show(query, onboarding.home(joined.member, several, welcome=True))
        await bot.send_message(
            ctx.user.id, onboarding.new_case_hint(), reply_markup=floor_keyboard()
        )


@routes.message(StateFilter(Onboarding.language, Onboarding.confirm), ~Command("cancel"))
async def finish_joining_first(
    message: Message, ctx: Context, services: Services, state: FSMContext, i18n: I18n
) -> None:
    """Someone who opened an invite but has not joined yet writes or sends a command: nothing
    of the bot is theirs yet, so they are shown the way back to the joining screen."""
    data = await state.get_data()
    language = data.get("language", ctx.locale)
    with i18n.use_locale(language):
        screen = onboarding.choose_language(language)
        if await state.get_state() == Onboarding.confirm.state:
            try:
                screen = onboarding.confirm_join(
                    await services.invites.offer(data["invite_id"], ctx.user.id)
                )
            except ServiceError as error:
                await state.clear()
                await message.answer(errors.refusal(error))
                return
        text, markup = screen
        await message.answer(
            "\n\n".join((onboarding.finish_joining_first(), text)), reply_markup=markup
        )


@routes.message(StateFilter(Onboarding.language, Onboarding.confirm), Command("cancel"))
async def cancel_joining(message: Message, state: FSMContext, i18n: I18n, ctx: Context) -> None:
    language = (await state.get_data()).get("language", ctx.locale)
    await state.clear()
    with i18n.use_locale(language):
        await message.answer(onboarding.cancelled())


@routes.message(CommandStart())
async def home(message: Message, ctx: Context, state: FSMContext) -> None:
    await state.clear()
    assert ctx.member is not None
    await message.answer(
        onboarding.home(ctx.member, ctx.org_count > 1), reply_markup=floor_keyboard()
    )
