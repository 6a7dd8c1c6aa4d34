"""The policy a new organisation starts with, in its own currency and time zone."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision

# Roughly what 1 USD buys, so the default limits mean the same in every currency.
_SCALE = {"UAH": 40, "RUB": 90, "KZT": 450, "JPY": 150, "PLN": 4, "CZK": 23, "HUF": 360}

_TEMPLATE = """\
# The starting policy of a new organisation: change it and send it back to the bot.
currency = "{currency}"
timezone = "{timezone}"

[categories.product]
uk = "Товар чи послуга"
ru = "Товар или услуга"
en = "Product or service"

[categories.waiting]
uk = "Очікування"
ru = "Ожидание"
en = "Waiting"

[categories.staff]
uk = "Персонал"
ru = "Персонал"
en = "Staff"

[categories.billing]
uk = "Оплата"
ru = "Оплата"
en = "Billing"

[categories.other]
uk = "Інше"
ru = "Другое"
en = "Other"

[remedies.apology]
uk = "Вибачення"
ru = "Извинение"
en = "Apology"
money = false

[remedies.discount]
uk = "Знижка"
ru = "Скидка"
en = "Discount"

[remedies.gift]
uk = "Подарунок"
ru = "Подарок"
en = "Gift"

[remedies.refund]
uk = "Повернення коштів"
ru = "Возврат денег"
en = "Refund"

[roles.frontline]
approver = "supervisor"
limits = [
  {{ amount = "{front_case}", scope = "case", interval = "per_case" }},
  {{ amount = "{front_day}", scope = "employee", interval = "day" }},
]

[roles.supervisor]
approver = "manager"
limits = [
  {{ amount = "{super_case}", scope = "case", interval = "per_case" }},
  {{ amount = "{super_week}", scope = "employee", interval = "week" }},
]

[roles.manager]
approver = "none"
unlimited = true
"""


def default_policy_text(currency: str, timezone: str) -> str:
    scale = _SCALE.get(currency.upper(), 1)
    digits = get_currency_precision(currency.upper())

    def amount(usd: int) -> str:
        return str((Decimal(usd) * scale).quantize(Decimal(1).scaleb(-digits)))

    return _TEMPLATE.format(
        currency=currency.upper(),
        timezone=timezone,
        front_case=amount(50),
        front_day=amount(200),
        super_case=amount(300),
        super_week=amount(2000),
    )
