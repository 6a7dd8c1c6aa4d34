"""A case's photo or voice note: sent again from the card's button; and one sent outside any
dialogue offered as the description of a new case."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.db.models import Role
from bot.render import cases as screens
from bot.render import errors, media
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.typed import DESCRIPTION_LIMIT, typed
from handlers.case_view import policy_of, refuse
from handlers.filters import RoleAtLeast
from handlers.new_case import NewCase
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("case_media")


class MediaOffer(StatesGroup):
    offered = State()  # "New case with this photo?" waits for a tap


@routes.callback_query(CaseStep.filter(F.action == "media"))
async def send_media(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services, bot: Bot
) -> None:
    """The card's Photo / Voice note button: the media itself, as a new message below."""
    assert ctx.member is not None
    try:
        # Whom the card concerns only (a sensitive case: those who may read it).
        case = await services.cases.for_action(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await refuse(query, error)
        return
    caption = media.caption(case.code, case.description)
    if callback_data.value == "photo" and case.photo_file_id:
        await bot.send_photo(ctx.user.id, case.photo_file_id, caption=caption)
    elif callback_data.value == "voice" and case.voice_file_id:
        await bot.send_voice(ctx.user.id, case.voice_file_id, caption=caption)
    await query.answer()


@routes.message(
    StateFilter(None, MediaOffer.offered), F.photo | F.voice, RoleAtLeast(Role.FRONTLINE)
)
async def offer_case(message: Message, state: FSMContext, bot: Bot) -> None:
    """A photo or voice note out of the blue is most likely a problem on the floor."""
    earlier = (await state.get_data()).get("screen_id")
    if earlier:
        # The newer media is the one offered: the older offer's buttons go.
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=earlier, reply_markup=None
            )
    try:
        description = typed(message.caption, DESCRIPTION_LIMIT, "description_too_long")
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    draft = {
        "photo": message.photo[-1].file_id if message.photo else None,
        "voice": message.voice.file_id if message.voice else None,
        "description": description,
    }
    await state.set_state(MediaOffer.offered)
    text, markup = media.offer("voice" if draft["voice"] else "photo")
    sent = await message.answer(text, reply_markup=markup)
    await state.set_data({**draft, "screen_id": sent.message_id})


@routes.callback_query(MediaOffer.offered, CaseStep.filter(F.action == "withmedia"))
async def start_with_media(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext
) -> None:
    """/new with the description given: after the category comes the customer step."""
    policy = await policy_of(services, ctx)
    draft = await state.get_data()
    await state.set_state(NewCase.category)
    await state.set_data(
        {key: draft.get(key) for key in ("photo", "voice", "description", "screen_id")}
    )
    await show(query, *screens.choose_category(policy, ctx.locale))
