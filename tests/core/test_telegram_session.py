"""CachedResponseSession answers and raises as aiogram's stock session, with one model per type."""

from __future__ import annotations

import gc
import json
import weakref
from collections import Counter
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    Response,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import Message

from bot import telegram_session
from bot.app import make_bot
from bot.telegram_session import CachedResponseSession

BOT = Bot("42:TEST")
MESSAGE = {
    "message_id": 7,
    "date": 1767225600,
    "chat": {"id": 100, "type": "private", "first_name": "Olena"},
    "from": {"id": 42, "is_bot": True, "first_name": "Casebot"},
    "text": "Case 1042",
    "reply_markup": {"inline_keyboard": [[{"text": "Give", "callback_data": "case:give:1042"}]]},
}


def send() -> SendMessage:
    return SendMessage(chat_id=100, text="Case 1042")


def edit() -> EditMessageText:
    return EditMessageText(chat_id=100, message_id=7, text="Case 1042")


def answer() -> AnswerCallbackQuery:
    return AnswerCallbackQuery(callback_query_id="cb-1")


def body(**fields: Any) -> str:
    return json.dumps(fields)


OK = [
    pytest.param(send(), body(ok=True, result=MESSAGE), id="sendMessage"),
    pytest.param(edit(), body(ok=True, result=MESSAGE), id="editMessageText-message"),
    pytest.param(edit(), body(ok=True, result=True), id="editMessageText-true"),
    pytest.param(answer(), body(ok=True, result=True), id="answerCallbackQuery"),
]

ERRORS = [
    pytest.param(
        send(),
        400,
        body(ok=False, error_code=400, description="Bad Request: chat not found"),
        TelegramBadRequest,
        id="400",
    ),
    pytest.param(
        send(),
        429,
        body(
            ok=False,
            error_code=429,
            description="Too Many Requests: retry after 3",
            parameters={"retry_after": 3},
        ),
        TelegramRetryAfter,
        id="429-retry-after",
    ),
    pytest.param(
        send(),
        400,
        body(
            ok=False,
            error_code=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": -1001234},
        ),
        TelegramMigrateToChat,
        id="400-migrate-to-chat",
    ),
    pytest.param(
        answer(),
        403,
        body(ok=False, error_code=403, description="Forbidden: bot was blocked by the user"),
        TelegramForbiddenError,
        id="403",
    ),
    pytest.param(
        send(),
        500,
        body(ok=False, error_code=500, description="Internal Server Error"),
        TelegramServerError,
        id="500",
    ),
    pytest.param(
        send(),
        200,
        body(ok=False, description="odd: ok false with 200"),
        TelegramAPIError,
        id="200-ok-false",
    ),
    pytest.param(send(), 200, "<html>bad gateway</html>", ClientDecodeError, id="not-json"),
    pytest.param(
        send(), 200, body(ok=True, result={"message_id": "x"}), ClientDecodeError, id="invalid"
    ),
]


@pytest.fixture
def stock() -> AiohttpSession:
    return AiohttpSession()


@pytest.fixture
def cached() -> CachedResponseSession:
    return CachedResponseSession()


@pytest.mark.parametrize(("method", "content"), OK)
def test_an_ok_answer_is_the_stock_response(
    stock: AiohttpSession,
    cached: CachedResponseSession,
    method: TelegramMethod[Any],
    content: str,
) -> None:
    expected = stock.check_response(BOT, method, 200, content)
    got = cached.check_response(BOT, method, 200, content)
    assert type(got) is type(expected)
    assert got == expected
    assert got.model_dump() == expected.model_dump()
    if isinstance(got.result, Message):
        assert isinstance(expected.result, Message)
        assert got.result.bot is BOT
        assert got.result.reply_markup == expected.result.reply_markup


@pytest.mark.parametrize(("method", "status", "content", "kind"), ERRORS)
def test_an_error_raises_what_stock_raises(
    stock: AiohttpSession,
    cached: CachedResponseSession,
    method: TelegramMethod[Any],
    status: int,
    content: str,
    kind: type[Exception],
) -> None:
    with pytest.raises(kind) as expected:
        stock.check_response(BOT, method, status, content)
    with pytest.raises(kind) as got:
        cached.check_response(BOT, method, status, content)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)
    # A decode error carries the exception it wraps: a new one per parse, equal by repr only.
    assert list(map(repr, got.value.args)) == list(map(repr, expected.value.args))
    for name in ("method", "message", "retry_after", "migrate_to_chat_id", "data"):
        assert getattr(got.value, name, None) == getattr(expected.value, name, None)
    assert repr(getattr(got.value, "original", None)) == repr(
        getattr(expected.value, "original", None)
    )


def test_the_retry_after_of_a_429_reaches_the_caller(cached: CachedResponseSession) -> None:
    content = body(
        ok=False, error_code=429, description="Too Many Requests", parameters={"retry_after": 7}
    )
    with pytest.raises(TelegramRetryAfter) as raised:
        cached.check_response(BOT, send(), 429, content)
    assert raised.value.retry_after == 7


class CountingResponse:
    """Stands in for `Response` in bot.telegram_session: counts each parametrisation."""

    def __init__(self) -> None:
        self.built: Counter[Any] = Counter()

    def __getitem__(self, returning: Any) -> Any:
        self.built[returning] += 1
        return Response[returning]


def test_the_response_model_is_parametrised_once_per_method_class(
    monkeypatch: pytest.MonkeyPatch, cached: CachedResponseSession
) -> None:
    counting = CountingResponse()
    monkeypatch.setattr(telegram_session, "Response", counting)
    message, true = body(ok=True, result=MESSAGE), body(ok=True, result=True)
    calls = [(send(), message), (edit(), message), (edit(), true), (answer(), true)]
    for _ in range(5):
        for method, content in calls:
            cached.check_response(BOT, method, 200, content)
        # An error answer goes through the kept model's lookup too and builds nothing new.
        with pytest.raises(TelegramBadRequest):
            cached.check_response(BOT, send(), 400, body(ok=False, description="Bad Request"))
        gc.collect()
    assert counting.built == {Message: 1, Message | bool: 1, bool: 1}


def test_one_model_per_returning_type(cached: CachedResponseSession) -> None:
    photo = SendPhoto(chat_id=100, photo="AgACAgIAAxkBAAIB")
    message = body(ok=True, result={**MESSAGE, "photo": []})
    true = body(ok=True, result=True)
    for method, content in [(send(), message), (photo, message), (edit(), true), (answer(), true)]:
        cached.check_response(BOT, method, 200, content)
    models = {id(model): model for model in cached._response_types.values()}
    assert len(cached._response_types) == 4
    assert sorted(models.values(), key=str) == sorted(
        [Response[Message], Response[Message | bool], Response[bool]], key=str
    )
    assert cached.response_type(photo) is cached.response_type(send()) is Response[Message]


def test_the_model_outlives_a_full_collection(cached: CachedResponseSession) -> None:
    content = body(ok=True, result=MESSAGE)
    first = weakref.ref(type(cached.check_response(BOT, send(), 200, content)))
    gc.collect()
    assert first() is type(cached.check_response(BOT, send(), 200, content))


def test_make_bot_uses_the_cached_session() -> None:
    bot = make_bot("42:TEST", "http://127.0.0.1:1")
    assert isinstance(bot.session, CachedResponseSession)
