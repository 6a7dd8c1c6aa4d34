"""Translations from the gettext catalogs in locales/; Babel formatting in the reader's locale."""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_time,
    get_datetime_format,
)
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

LOCALES: tuple[str, ...] = ("uk", "ru", "en")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# Babel needs a territory for currency symbols and grouping that people expect.
_BABEL_LOCALE = {"uk": "uk_UA", "ru": "ru_RU", "en": "en_US"}


def babel_locale(locale: str) -> Locale:
    return Locale.parse(_BABEL_LOCALE.get(locale, _BABEL_LOCALE[DEFAULT_LOCALE]))


def pick_locale(*candidates: str | None) -> str:
    """First supported language among the candidates (e.g. member choice, Telegram's code)."""
    for code in candidates:
        if not code:
            continue
        short = code.split("-")[0].split("_")[0].lower()
        if short in LOCALES:
            return short
    return DEFAULT_LOCALE


def load_catalog(locale: str, directory: Path = LOCALES_DIR) -> Catalog:
    """All .po files of one language merged into one catalog (one file per package domain)."""
    merged = Catalog(locale=locale)
    for po_path in sorted((directory / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        for message in catalog:
            if message.id:
                merged[message.id] = message
    return merged


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    """Compile in memory, so a fresh clone needs no manual `pybabel compile` step."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def translations(locale: str) -> gettext.GNUTranslations:
    return compile_catalog(load_catalog(pick_locale(locale)))


# Where English has no symbol for a currency (it would print "UAH1,500.00"), English readers
# get the currency's home format, as DOMAIN's examples show ("1 500,00 ₴").
_HOME_FORMAT = {
    "UAH": "uk_UA",
    "RUB": "ru_RU",
    "KZT": "kk_KZ",
    "PLN": "pl_PL",
    "CZK": "cs_CZ",
    "HUF": "hu_HU",
    "GEL": "ka_GE",
    "MDL": "ro_MD",
}


def _money_locale(currency: str, locale: str) -> Locale:
    """Babel's locale for money: in English, a currency without a symbol of its own there is
    written as at home (UAH as "₴1,500.00", not "UAH1,500.00")."""
    where = babel_locale(locale)
    if locale == "en" and get_currency_symbol(currency, locale=where) == currency:
        where = Locale.parse(_HOME_FORMAT.get(currency, str(where)))
    return where


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=_money_locale(currency, locale))


def format_money_short(amount: Decimal, currency: str, locale: str) -> str:
    """For buttons: "$150" rather than "$150.00" when the amount is whole."""
    if amount != amount.to_integral_value():
        return format_money(amount, currency, locale)
    where = _money_locale(currency, locale)
    pattern = where.currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(amount, currency, format=pattern, locale=where, currency_digits=False)


def format_number(value: Decimal | int, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


# The full date, one style per language: uk and ru "25.11.2026", en "Nov 25, 2026".
_DATE_PATTERN = {"uk": "dd.MM.y", "ru": "dd.MM.y", "en": "medium"}
DOTTED_DAYS = ("uk", "ru")  # where people type days as they read them: 01.11.2026


def days_ago(moment: datetime, now: datetime, timezone: str) -> int:
    """Calendar days between the moment and now in the organisation's timezone (0: today)."""
    zone = ZoneInfo(timezone)
    return (now.astimezone(zone).date() - moment.astimezone(zone).date()).days


def format_when(
    moment: datetime,
    now: datetime | None,
    timezone: str,
    locale: str,
    *,
    with_time: bool = True,
) -> str:
    """A moment as every screen shows it, in the organisation's timezone: "14:05" (en "2:05 PM")
    today, "yesterday 19:49", "Mon 19:49" within the last week, the full date beyond ("25.11.2026,
    14:05", en "Nov 25, 2026, 2:05 PM"; without the time when `with_time` is false).

    `now` comes from the injectable clock, never the wall clock; without it the full date."""
    zone = ZoneInfo(timezone)
    where = babel_locale(locale)
    local = moment.astimezone(zone)
    time = format_time(local, "short", tzinfo=zone, locale=where)
    days = days_ago(moment, now, timezone) if now is not None else None
    if days == 0:
        return time
    if days == 1:
        return translations(locale).gettext("yesterday {time}").format(time=time)
    if days == -1:
        return translations(locale).gettext("tomorrow {time}").format(time=time)
    if days is not None and 1 < days < 7:
        return f"{format_date(local.date(), 'EEE', locale=where)} {time}"
    day = format_date(local.date(), _DATE_PATTERN.get(locale, "medium"), locale=where)
    if not with_time:
        return day
    return str(get_datetime_format("short", locale=where)).format(time, day)


def format_waiting(delta: timedelta, locale: str) -> str:
    """How long something waits, in its largest whole unit and the case the verb needs:
    "waiting 2 weeks", ru "ждёт 1 неделю", uk "чекає 5 тижнів" (Babel has only the nominative)."""
    tr = translations(locale)
    count, unit = _largest_unit(delta)
    if unit == "week":
        return tr.ngettext("waiting {count} week", "waiting {count} weeks", count).format(
            count=count
        )
    if unit == "day":
        return tr.ngettext("waiting {count} day", "waiting {count} days", count).format(count=count)
    if unit == "hour":
        return tr.ngettext("waiting {count} hour", "waiting {count} hours", count).format(
            count=count
        )
    return tr.ngettext("waiting {count} minute", "waiting {count} minutes", count).format(
        count=count
    )


def _largest_unit(delta: timedelta) -> tuple[int, str]:
    """A duration as a whole number of its largest unit: week, day, hour or minute (at least
    one minute)."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    hours, days = minutes // 60, minutes // (60 * 24)
    if days >= 7:
        return days // 7, "week"
    if days:
        return days, "day"
    if hours:
        return hours, "hour"
    return minutes, "minute"


def parse_day(text: str, locale: str) -> date | None:
    """A day typed by a person: ISO "2026-11-01" in every language, and uk/ru "01.11.2026"."""
    text = text.strip()
    dotted = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if dotted and locale in DOTTED_DAYS:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
    except ValueError:
        return None
    return None


def format_span(seconds: float, locale: str) -> str:
    """A duration in at most two units, as people say it: "45 s", "12 min", "2 h 5 min",
    "3 d 4 h" (uk "2 год 5 хв", ru "2 ч 5 мин")."""
    from babel.units import format_unit

    where = babel_locale(locale)

    def unit(value: int, name: str) -> str:
        return format_unit(value, f"duration-{name}", length="short", locale=where)

    total = round(seconds)
    if total < 60:
        return unit(total, "second")
    minutes = total // 60
    if minutes < 60:
        return unit(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return unit(hours, "hour") + (" " + unit(minutes, "minute") if minutes else "")
    days, hours = divmod(hours, 24)
    return unit(days, "day") + (" " + unit(hours, "hour") if hours else "")


def format_age(delta: timedelta, locale: str) -> str:
    """How old something is, in its largest whole unit, short for a list line: "5 min", "2 hr",
    "3 days", "2 wks" (uk "2 год", "3 дн.", ru "2 ч", "2 нед.")."""
    from babel.units import format_unit

    value, name = _largest_unit(delta)
    return format_unit(value, f"duration-{name}", length="short", locale=babel_locale(locale))


def format_share(share: float, locale: str) -> str:
    """A rate with one decimal when a whole number would hide it ("12.5%", uk "12,5%"),
    else whole ("40%"): the same rule for every rate of /stats and the digest."""
    return format_percent(
        _tenths(share * 100) / 100, locale=babel_locale(locale), decimal_quantization=False
    )


def format_points(points: float, locale: str) -> str:
    """A change in percentage points by the rule of `format_share`: "5", "12.5" (uk "12,5")."""
    return format_decimal(_tenths(points), locale=babel_locale(locale))


def _tenths(value: float) -> Decimal:
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded
