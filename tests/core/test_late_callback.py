"""A tap handled late (after a restart, or a second time after a crash) meets Telegram's
refusal to answer its callback again; the tap's work stands (bot/middlewares.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.middlewares import LateCallbackAnswer

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def refusing(message: str) -> Any:
    async def make_request(bot: Bot, method: Any) -> Any:
        raise TelegramBadRequest(method=method, message=message)

    return make_request


async def test_a_late_answer_is_taken_as_given_and_anything_else_still_fails() -> None:
    bot = Bot("1:TEST")
    late = LateCallbackAnswer()
    answer = AnswerCallbackQuery(callback_query_id="1")
    response = await late(refusing(TOO_OLD), bot, answer)
    assert response.ok and response.result is True
    # Another refusal of an answer, or the same words for another method: not ours to hide.
    with pytest.raises(TelegramBadRequest):
        await late(refusing("Bad Request: text is too long"), bot, answer)
    with pytest.raises(TelegramBadRequest):
        await late(refusing(TOO_OLD), bot, SendMessage(chat_id=1, text="x"))
    await bot.session.close()
