"""Showing a screen: edit the step's message in place, or send a new one when there is none."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


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
