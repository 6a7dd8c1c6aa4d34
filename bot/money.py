"""Money as people type it and as the database keeps it: Decimal in, minor units stored."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal

from bot.i18n import babel_locale
from bot.services.errors import ServiceError

# Nobody on a shop floor gives away more than this in one go; a typo is likelier.
ABSURD = Decimal(10) ** 9


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency))


def parse_amount(text: str, locale: str, currency: str, *, money: bool = True) -> Decimal:
    """An amount typed in the reader's locale ("1 500,50" in uk/ru, "1,500.50" in en),
    strictly: anything doubtful is refused with a reason, never rounded."""
    cleaned = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    for symbol in ("₴", "$", "€", "£", currency, currency.lower()):
        cleaned = cleaned.replace(symbol, "")
    cleaned = cleaned.strip()
    if not cleaned:
        raise ServiceError("amount_empty")
    if cleaned.startswith("-"):
        raise ServiceError("amount_negative")
    foreign = "." if locale in ("uk", "ru") else None
    if not re.fullmatch(r"[0-9][0-9 .,]*", cleaned) or (foreign and foreign in cleaned):
        # Digits and this locale's separators only: "1.500" in Kyiv is not 1.5 nor 1500.
        raise ServiceError("amount_format", example=_example(locale))
    where = babel_locale(locale)
    try:
        # Babel's strict mode refuses grouping that does not fit the locale ("1.500,50" in en).
        amount = parse_decimal(cleaned.replace(" ", "\u00a0"), locale=where, strict=True)
    except NumberFormatError:
        try:
            amount = parse_decimal(cleaned, locale=where, strict=True)
        except NumberFormatError:
            raise ServiceError("amount_format", example=_example(locale)) from None
    if amount < 0:
        raise ServiceError("amount_negative")
    if amount == 0 and money:
        raise ServiceError("amount_zero")
    if amount >= ABSURD:
        raise ServiceError("amount_absurd")
    digits = get_currency_precision(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise ServiceError("amount_decimals", currency=currency, digits=digits)
    return amount.quantize(Decimal(1).scaleb(-digits))


def _example(locale: str) -> str:
    return "1,500.50" if locale == "en" else "1 500,50"
