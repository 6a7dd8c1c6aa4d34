"""aiogram's I18n fed from our .po catalogs, compiled in memory at start-up."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiogram.utils.i18n import I18n

from bot.i18n import DEFAULT_LOCALE, LOCALES, LOCALES_DIR, translations


class CatalogI18n(I18n):
    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return {locale: translations(locale) for locale in LOCALES}

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's gettext looks up I18n's own context variable; a subclass gets a separate
        # one, so register under the base class.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)


def make_i18n() -> CatalogI18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=DEFAULT_LOCALE, domain="casebot")


class OutsideRenderer:
    """Renders screens in a reader's language outside any handler (the services write them to
    the outbox; the scheduler and the sender have no update): the base of the services'
    notices."""

    def __init__(self) -> None:
        self.i18n = make_i18n()

    def _render(
        self, locale: str, screen: Callable[[], tuple[str, Any]]
    ) -> tuple[str, dict[str, Any] | None]:
        with self.i18n.context(), self.i18n.use_locale(locale):
            text, markup = screen()
        return text, markup.model_dump(exclude_none=True) if markup is not None else None
