"""Handlers declared once per module, routers built fresh for each dispatcher.

aiogram attaches a Router to one parent for life; a bot restarted in the same process (tests,
the demo) needs new routers with the same handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router

Handler = Callable[..., Any]


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
            getattr(router, kind).filter(*filters)
        for kind, filters, handler in self._handlers:
            getattr(router, kind).register(handler, *filters)
        return router
