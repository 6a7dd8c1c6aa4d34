"""The policy a new organisation starts with, in its own currency and time zone."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

# Roughly what 1 USD buys, so the default limits mean about the same in every currency; the
# result is rounded to two significant digits ("2000", not "1987.40"). Unlisted: 1.
_SCALE = {
    "UAH": Decimal(40),
    "RUB": Decimal(90),
    "BYN": Decimal(3),
    "KZT": Decimal(450),
    "GEL": Decimal(3),
    "MDL": Decimal(18),
    "AMD": Decimal(400),
    "AZN": Decimal(2),
    "UZS": Decimal(12000),
    "PLN": Decimal(4),
    "CZK": Decimal(23),
    "HUF": Decimal(360),
    "RON": Decimal(5),
    "BGN": Decimal(2),
    "TRY": Decimal(35),
    "SEK": Decimal(10),
    "NOK": Decimal(10),
    "DKK": Decimal(7),
    "ISK": Decimal(140),
    "JPY": Decimal(150),
    "CNY": Decimal(7),
    "KRW": Decimal(1400),
    "INR": Decimal(85),
    "ILS": Decimal(4),
    "AED": Decimal(4),
    "KWD": Decimal("0.3"),
    "BHD": Decimal("0.4"),
    "OMR": Decimal("0.4"),
    "GBP": Decimal("0.8"),
}

_TEMPLATE = """\
# The starting policy of your organisation. Change what differs and send the file back to
# the bot (as a document); it is checked, you see what changes, and it takes effect only when
# you press Activate. Amounts are in quotes ("1500.50") and in the currency below.
currency = "{currency}"
timezone = "{timezone}"
week_start = "monday"          # weekly limits and the digest's week begin on this day
reopen_window_days = 7         # a case reopened within 7 days was not really solved
escalation_sla_minutes = 15    # an approver answers within 15 minutes, or is reminded
on_the_spot_minutes = 5        # "solved on the spot" = resolved within 5 minutes
digest = {{ weekday = "monday", time = "09:00" }}

# What went wrong. Keys (product, waiting…) are short: lowercase letters, digits and _.
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

# What an employee may give. money = false: it costs nothing and needs no authority.
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
quick = true                   # its amounts sit on the case card: one tap to give

[remedies.refund]
uk = "Повернення коштів"
ru = "Возврат денег"
en = "Refund"

# Authority per role. Each limit is an amount per scope (case, customer, employee, team,
# org) per interval (per_case, day, week, month, year, all_time); windows follow the calendar
# in the time zone above. Every limit that applies must have room; above them, the approver
# decides. Add remedies = ["refund"] to a limit to count only those remedies,
# forbidden = ["refund"] to keep a remedy from a role.
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

# The manager decides without a limit; an admin spends as the manager unless the file has
# its own [roles.admin].
[roles.manager]
approver = "none"
unlimited = true
"""


def default_policy_text(currency: str, timezone: str) -> str:
    """A policy that loads cleanly for this currency and time zone: everyday categories and
    remedies, modest limits (about $50 a case and $200 a day for frontline staff)."""
    code = currency.upper()
    scale = _SCALE.get(code, Decimal(1))
    digits = get_currency_precision(code)

    def amount(usd: int) -> str:
        value = Decimal(usd) * scale
        rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - 1), rounding=ROUND_HALF_UP)
        exponent = rounded.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > digits:
            rounded = rounded.quantize(Decimal(1).scaleb(-digits))
        return format(rounded.normalize(), "f")

    return _TEMPLATE.format(
        currency=code,
        timezone=timezone,
        front_case=amount(50),
        front_day=amount(200),
        super_case=amount(300),
        super_week=amount(2000),
    )
