"""The aiohttp session of the bot, with one `Response[T]` model kept per Bot API method."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class CachedResponseSession(AiohttpSession):
    """`AiohttpSession` whose `check_response` parses a good answer with a kept `Response[T]`.

    aiogram's `check_response` writes `Response[method.__returning__]` on every call. pydantic
    keeps parametrised generics in a WeakValueDictionary only, and once a call has returned
    nothing else holds `Response[Message]`, so every full garbage collection drops it and the
    next call builds the model again: a new class, its core schema and validator, 1-5 ms
    (benchmarks/responses.py). Between collections it still costs pydantic's cache-key work.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Keyed by the method's class: `__returning__` is a constant of the class, and the key
        # then never hashes a union (pydantic tells `Message | bool` from `bool | Message`, a
        # dict keyed on the union would not). The strong references are the point: they keep
        # pydantic's weak cache entries alive too, for aiogram's own check_response below.
        self._response_types: dict[type[TelegramMethod[Any]], type[Response[Any]]] = {}

    def response_type(self, method: TelegramMethod[TelegramType]) -> type[Response[TelegramType]]:
        """The `Response[...]` model of the method, parametrised once per method class."""
        kind = type(method)
        try:
            return self._response_types[kind]
        except KeyError:
            model: type[Response[Any]] = Response[method.__returning__]  # type: ignore[name-defined]
            self._response_types[kind] = model
            return model

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        # Looked up first whatever the status: an error answer is parsed by aiogram's
        # Response[T] below, and the kept model is what keeps that one warm too.
        model = self.response_type(method)
        # Only a 2xx that decodes, validates and says ok is answered here, the way aiogram's
        # check_response answers it. Everything else (an error status, ok=false, JSON or
        # validation failing) is handed to aiogram's own check_response, which decodes it again
        # and raises exactly what it always raises: TelegramRetryAfter, TelegramBadRequest,
        # TelegramMigrateToChat, ClientDecodeError... Errors are rare; parsing twice is cheap.
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            response = self._ok_response(bot, model, content)
            if response is not None:
                return response
        return super().check_response(bot, method, status_code, content)

    def _ok_response(
        self, bot: Bot, model: type[Response[TelegramType]], content: str
    ) -> Response[TelegramType] | None:
        try:
            json_data = self.json_loads(content)
            response = model.model_validate(json_data, context={"bot": bot})
        # Any exception: json_loads is configurable and may raise anything; whatever it is,
        # the stock path below meets it again and raises it in aiogram's own words.
        except Exception:
            return None
        return response if response.ok else None
