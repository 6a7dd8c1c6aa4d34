"""Money as people type it and as the database keeps it: Decimal in, minor units stored."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    list_currencies,
    parse_decimal,
)

from bot.i18n import babel_locale
from bot.services.errors import ServiceError
from bot.services.typed import AMOUNT_LIMIT, readable

# Nobody on a shop floor gives away more than this in one go; a typo is likelier.
ABSURD = Decimal(10) ** 9
_ISO_CODES = frozenset(list_currencies())


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency))


def parse_amount(text: str, locale: str, currency: str, *, money: bool = True) -> Decimal:
    """An amount typed in the reader's locale ("1 500,50" in uk/ru, "1,500.50" in en), with
    or without the organisation's currency ("150 грн", "$150"), strictly: anything doubtful
    is refused with a reason, never rounded."""
    if len(text) > AMOUNT_LIMIT or not readable(text):
        raise ServiceError("amount_format", example=_example(locale))
    cleaned = text.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2212", "-")
    digits_at = [i for i, char in enumerate(cleaned) if char.isdigit()]
    if not digits_at:
        if cleaned and _currency_named(cleaned) is None:
            raise ServiceError("amount_format", example=_example(locale))
        raise ServiceError("amount_empty", example=_example(locale))
    before = cleaned[: digits_at[0]].strip()
    number = cleaned[digits_at[0] : digits_at[-1] + 1]
    after = cleaned[digits_at[-1] + 1 :].strip()
    if before.endswith("-") or before.startswith("-"):
        raise ServiceError("amount_negative")
    _check_currency(before, currency, locale)
    _check_currency(after, currency, locale)
    if not re.fullmatch(r"[0-9][0-9 .,]*", number):
        raise ServiceError("amount_format", example=_example(locale))
    if locale in ("uk", "ru") and "." in number:
        # Here a dot groups thousands in some habits and separates cents in others: only
        # "150.5" / "400.00" (one dot, one or two digits, nothing after) is unambiguous.
        if "," in number or not re.fullmatch(r"[0-9 ]*[0-9]\.[0-9]{1,2}", number):
            raise ServiceError("amount_format", example=_example(locale))
        number = number.replace(".", ",")
    where = babel_locale(locale)
    try:
        # Babel's strict mode refuses grouping that does not fit the locale ("1.500,50" in en).
        amount = parse_decimal(number.replace(" ", "\u00a0"), locale=where, strict=True)
    except NumberFormatError:
        try:
            amount = parse_decimal(number, locale=where, strict=True)
        except NumberFormatError:
            raise ServiceError("amount_format", example=_example(locale)) from None
    if amount < 0:
        raise ServiceError("amount_negative")
    if amount == 0 and money:
        raise ServiceError("amount_zero")
    if amount >= ABSURD:
        raise ServiceError("amount_absurd")
    digits = get_currency_precision(currency)
    # As typed, zeros too: "12,340" may be twelve thousand written the English way.
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise ServiceError("amount_decimals", currency=currency, digits=digits)
    return amount.quantize(Decimal(1).scaleb(-digits))


# How people write a currency beside an amount (lower case; a trailing dot is dropped):
# signs, ISO codes and the words in uk, ru and en with their common case forms.
CURRENCY_WORDS: dict[str, str] = {
    "USD": "$ us$ usd dollar dollars долар долари долара доларів дол доллар доллары доллара "
    "долларов долл",
    "EUR": "€ eur euro euros євро евро",
    "UAH": "₴ uah hryvnia hryvnias hryvnya грн гривня гривні гривень гривню гривна гривны "
    "гривен гривну",
    "RUB": "₽ rub rouble roubles ruble rubles руб р рубль рублі рубля рублів рубли рублей",
    "GBP": "£ gbp pound pounds фунт фунти фунта фунтів фунты фунтов",
    "PLN": "zł zl pln zloty zlotys złoty злотий злоті злотих злотый злотых злотого",
}
_CURRENCY_OF = {word: code for code, words in CURRENCY_WORDS.items() for word in words.split()}


def _currency_named(word: str) -> str | None:
    """The ISO code a word or sign names, or None when it names no currency we know."""
    word = word.strip().lower()
    if word.endswith(".") and len(word) > 1:
        word = word[:-1]
    if word in _CURRENCY_OF:
        return _CURRENCY_OF[word]
    if re.fullmatch(r"[a-z]{3}", word) and word.upper() in _ISO_CODES:
        return word.upper()
    return None


def _check_currency(word: str, currency: str, locale: str) -> None:
    if not word:
        return
    named = _currency_named(word)
    if named is None:
        raise ServiceError("amount_format", example=_example(locale))
    if named != currency:
        raise ServiceError("amount_currency", currency=currency)


def _example(locale: str) -> str:
    return "1,500.50" if locale == "en" else "1 500,50"
