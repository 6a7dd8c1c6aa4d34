"""aiogram's I18n fed from our .po catalogs, compiled in memory at start-up."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager

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
