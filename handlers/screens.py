"""Showing a screen: edit the step's message in place, or send a new one when there is none."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message):
            try:
                await message.edit_text(text, reply_markup=markup)
            except TelegramBadRequest as exc:
                # A second tap on the same button asks for the same screen: not an error.
                if "message is not modified" not in exc.message:
                    raise
        await target.answer()
        return
    await target.answer(text, reply_markup=markup)


async def next_step(
    bot: Bot, chat_id: int, state: FSMContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    """A new step after the person typed: the old step loses its buttons, the new one
    arrives below their message, and its id is kept for later edits."""
    data = await state.get_data()
    if data.get("screen_id"):
        # A gone or unchanged message is no obstacle here.
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=data["screen_id"], reply_markup=None
            )
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await state.update_data(screen_id=sent.message_id)


async def step_error(
    bot: Bot, chat_id: int, state: FSMContext, text: str, back: InlineKeyboardButton
) -> None:
    """What was typed cannot be taken: said below it, with Back and Cancel (the step's own
    message may have scrolled off). The step stays open; this message becomes its screen."""
    from bot.render.common import cancel_button

    markup = InlineKeyboardMarkup(inline_keyboard=[[back, cancel_button()]])
    await next_step(bot, chat_id, state, text, markup)
