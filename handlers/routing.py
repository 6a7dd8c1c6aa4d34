"""Handlers declared once per module, routers built fresh for each dispatcher (with filters
that cost less to check than aiogram's own; see Resolved and UnpackedOnce).

aiogram attaches a Router to one parent for life; a bot restarted in the same process (tests,
the demo) needs new routers with the same handlers."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from aiogram import Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter

from bot.render.callbacks import in_range

Handler = Callable[..., Any]


class Resolved(Filter):
    """A magic filter (F.document, F.text.startswith("/")…) checked on the event loop. aiogram
    runs any plain callable, which a magic filter's resolve is, through asyncio.to_thread: a
    round trip to a worker thread for every update that reaches the handler."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


@lru_cache(maxsize=1024)
def _unpacked(kind: type[CallbackData], data: str) -> CallbackData | None:
    try:
        unpacked = kind.unpack(data)
    except (TypeError, ValueError):
        return None
    # Out of an id column's range: forged, answered like any button no handler takes.
    return unpacked if in_range(unpacked) else None


class UnpackedOnce(Filter):
    """aiogram's callback-data filter builds the pydantic model from the button's data in
    every handler it is tried on, and one tap is tried on dozens of handlers before the one
    that takes it. Here each (kind, data) is unpacked once; handlers only read it."""

    def __init__(self, inner: CallbackQueryFilter) -> None:
        self.inner = inner

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        unpacked = _unpacked(self.inner.callback_data, query.data)
        if unpacked is None:
            return False
        if self.inner.rule is None or self.inner.rule.resolve(unpacked):
            return {"callback_data": unpacked}
        return False


def _on_loop(filters: tuple[Any, ...]) -> tuple[Any, ...]:
    def cheaper(f: Any) -> Any:
        if isinstance(f, MagicFilter):
            return Resolved(f)
        if isinstance(f, CallbackQueryFilter):
            return UnpackedOnce(f)
        return f

    return tuple(cheaper(f) for f in filters)


class Routes:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[str, tuple[Any, ...], Handler]] = []
        self._filters: list[tuple[str, tuple[Any, ...]]] = []

    def message(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._register("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._register("callback_query", filters)

    def filter(self, *filters: Any) -> None:
        """Filters every handler of this module (messages and callbacks) must pass."""
        self._filters += [("message", filters), ("callback_query", filters)]

    def _register(self, kind: str, filters: tuple[Any, ...]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self._handlers.append((kind, filters, handler))
            return handler

        return decorate

    def build(self) -> Router:
        router = Router(name=self.name)
        for kind, filters in self._filters:
            getattr(router, kind).filter(*_on_loop(filters))
        for kind, filters, handler in self._handlers:
            getattr(router, kind).register(handler, *_on_loop(filters))
        return router
