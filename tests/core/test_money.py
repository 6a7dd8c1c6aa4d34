"""Amounts as people type them on the floor: what is read, what is refused and why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.money import parse_amount
from bot.services.errors import ServiceError

ACCEPTED = [
    # locale, currency, typed, read
    ("uk", "USD", "150", "150.00"),
    ("uk", "USD", "1 500,50", "1500.50"),
    ("uk", "USD", "1\u00a0500,5", "1500.50"),
    ("uk", "USD", "25,5", "25.50"),
    ("uk", "USD", "150.5", "150.50"),
    ("uk", "USD", "400.00", "400.00"),
    ("uk", "USD", "1 500.25", "1500.25"),
    ("uk", "USD", "150 USD", "150.00"),
    ("uk", "USD", "150 usd", "150.00"),
    ("uk", "USD", "$150", "150.00"),
    ("uk", "USD", "150$", "150.00"),
    ("uk", "USD", "150 доларів", "150.00"),
    ("uk", "USD", "1 долар", "1.00"),
    ("uk", "USD", "2 долари", "2.00"),
    ("uk", "UAH", "150 грн", "150.00"),
    ("uk", "UAH", "150 грн.", "150.00"),
    ("uk", "UAH", "150грн", "150.00"),
    ("uk", "UAH", "150 ₴", "150.00"),
    ("uk", "UAH", "1 500,50 гривень", "1500.50"),
    ("uk", "UAH", "1 гривня", "1.00"),
    ("uk", "UAH", "3 гривні", "3.00"),
    ("uk", "UAH", "99.9 UAH", "99.90"),
    ("ru", "USD", "150.5", "150.50"),
    ("ru", "USD", "400.00", "400.00"),
    ("ru", "USD", "150 долларов", "150.00"),
    ("ru", "USD", "1 доллар", "1.00"),
    ("ru", "USD", "5 доллара", "5.00"),
    ("ru", "UAH", "150 гривен", "150.00"),
    ("ru", "UAH", "150 грн", "150.00"),
    ("ru", "RUB", "150 руб", "150.00"),
    ("ru", "RUB", "150 руб.", "150.00"),
    ("ru", "RUB", "150 рублей", "150.00"),
    ("ru", "RUB", "150 ₽", "150.00"),
    ("ru", "EUR", "20 евро", "20.00"),
    ("uk", "EUR", "20 євро", "20.00"),
    ("en", "EUR", "20 euro", "20.00"),
    ("en", "EUR", "€20", "20.00"),
    ("en", "GBP", "£20.50", "20.50"),
    ("en", "GBP", "20 pounds", "20.00"),
    ("uk", "GBP", "20 фунтів", "20.00"),
    ("en", "PLN", "20 zł", "20.00"),
    ("uk", "PLN", "20 злотих", "20.00"),
    ("en", "USD", "150", "150.00"),
    ("en", "USD", "1,500.50", "1500.50"),
    ("en", "USD", "150.5", "150.50"),
    ("en", "USD", "$150", "150.00"),
    ("en", "USD", "$ 1,500", "1500.00"),
    ("en", "USD", "150 dollars", "150.00"),
    ("en", "USD", "150 USD", "150.00"),
    ("en", "UAH", "150 UAH", "150.00"),
    ("en", "UAH", "150 hryvnias", "150.00"),
    ("en", "UAH", "150 грн", "150.00"),
]

REFUSED = [
    # locale, currency, typed, error code
    ("uk", "USD", "1.500", "amount_format"),  # a thousand and a half, or one and a half?
    ("uk", "USD", "1.500,50", "amount_format"),
    ("uk", "USD", "1.5.0", "amount_format"),
    ("uk", "USD", "150.", "amount_format"),
    ("uk", "USD", "150.505", "amount_format"),
    ("ru", "USD", "1.500", "amount_format"),
    ("ru", "RUB", "1.500,50 руб", "amount_format"),
    ("uk", "USD", "12,345", "amount_decimals"),
    ("uk", "USD", "12,340", "amount_decimals"),  # not silently 12.34
    ("uk", "USD", "150 грн", "amount_currency"),
    ("uk", "USD", "150 EUR", "amount_currency"),
    ("uk", "USD", "€150", "amount_currency"),
    ("uk", "USD", "150 CHF", "amount_currency"),
    ("uk", "UAH", "150 доларів", "amount_currency"),
    ("uk", "UAH", "$150", "amount_currency"),
    ("uk", "UAH", "150 руб", "amount_currency"),
    ("ru", "UAH", "150 долларов", "amount_currency"),
    ("ru", "USD", "150 рублей", "amount_currency"),
    ("en", "USD", "150 EUR", "amount_currency"),
    ("en", "USD", "£150", "amount_currency"),
    ("en", "UAH", "$150", "amount_currency"),
    ("uk", "USD", "150 штук", "amount_format"),
    ("uk", "USD", "150 USD 20", "amount_format"),
    ("uk", "USD", "1.5k", "amount_format"),
    ("uk", "USD", "сто", "amount_format"),
    ("uk", "USD", "", "amount_empty"),
    ("uk", "UAH", "грн", "amount_empty"),
    ("uk", "USD", "-5", "amount_negative"),
    ("uk", "USD", "-$5", "amount_negative"),
    ("en", "USD", "$-5", "amount_negative"),
    ("uk", "USD", "0", "amount_zero"),
    ("uk", "UAH", "0 грн", "amount_zero"),
    ("uk", "USD", "999999999999", "amount_absurd"),
    ("en", "USD", "1.500,50", "amount_format"),
    ("en", "USD", "150,5", "amount_format"),
    ("en", "USD", "12.345", "amount_decimals"),
    ("en", "USD", "1.500", "amount_decimals"),  # a European thousand and a half? ask again
]


@pytest.mark.parametrize(("locale", "currency", "typed", "read"), ACCEPTED)
def test_accepted(locale: str, currency: str, typed: str, read: str) -> None:
    amount = parse_amount(typed, locale, currency)
    assert amount == Decimal(read)
    assert str(amount) == read  # the currency's own precision, nothing rounded away


@pytest.mark.parametrize(("locale", "currency", "typed", "code"), REFUSED)
def test_refused(locale: str, currency: str, typed: str, code: str) -> None:
    with pytest.raises(ServiceError) as refused:
        parse_amount(typed, locale, currency)
    assert refused.value.code == code
    if code in ("amount_format", "amount_empty"):
        assert refused.value.params["example"] == ("1,500.50" if locale == "en" else "1 500,50")
    if code == "amount_currency":
        assert refused.value.params == {"currency": currency}
