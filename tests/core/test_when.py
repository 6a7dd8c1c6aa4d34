"""One style for moments and ages in each language: "14:05" today, "yesterday 19:49", a weekday
within the week, a full date beyond — in the organisation's day, not UTC's — and "waiting 2
weeks" with the case Ukrainian and Russian need after the verb."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.i18n import format_waiting, format_when, parse_day, translations
from handlers.stats import typed_range

# Thursday 26 November 2026, 00:30 in Kyiv: in UTC it is still Wednesday the 25th, 22:30.
NOW = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
KYIV = "Europe/Kyiv"
NNBSP = "\u202f"  # CLDR's narrow no-break space before AM/PM


def kyiv(day: int, hour: int, minute: int = 0) -> datetime:
    """A Kyiv wall-clock moment of November 2026 (UTC+2), as the aware UTC the bot stores."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=2)


@pytest.mark.parametrize(
    ("moment", "uk", "ru", "en"),
    [
        # Today in Kyiv, though the UTC date is the 25th.
        (kyiv(26, 0, 10), "00:10", "00:10", f"12:10{NNBSP}AM"),
        # 23:49 on the 25th: UTC's today, Kyiv's yesterday.
        (kyiv(25, 23, 49), "вчора 23:49", "вчера 23:49", f"yesterday 11:49{NNBSP}PM"),
        (kyiv(25, 0, 5), "вчора 00:05", "вчера 00:05", f"yesterday 12:05{NNBSP}AM"),
        (kyiv(23, 19, 49), "пн 19:49", "пн 19:49", f"Mon 7:49{NNBSP}PM"),
        (kyiv(20, 9, 0), "пт 09:00", "пт 09:00", f"Fri 9:00{NNBSP}AM"),
        # Seven days back is the same weekday: a full date says which one.
        (kyiv(19, 14, 5), "19.11.2026, 14:05", "19.11.2026, 14:05", f"Nov 19, 2026, 2:05{NNBSP}PM"),
        (kyiv(2, 8, 0), "02.11.2026, 08:00", "02.11.2026, 08:00", f"Nov 2, 2026, 8:00{NNBSP}AM"),
        # Ahead: an invite's expiry.
        (kyiv(27, 10, 0), "завтра 10:00", "завтра 10:00", f"tomorrow 10:00{NNBSP}AM"),
        (
            kyiv(30, 10, 0),
            "30.11.2026, 10:00",
            "30.11.2026, 10:00",
            f"Nov 30, 2026, 10:00{NNBSP}AM",
        ),
    ],
)
def test_a_moment_reads_the_same_on_every_screen(
    moment: datetime, uk: str, ru: str, en: str
) -> None:
    assert [format_when(moment, NOW, KYIV, lang) for lang in ("uk", "ru", "en")] == [uk, ru, en]


def test_the_date_alone_and_the_date_without_a_clock() -> None:
    old = kyiv(11, 19, 49)
    assert [format_when(old, NOW, KYIV, lang, with_time=False) for lang in ("uk", "ru", "en")] == [
        "11.11.2026",
        "11.11.2026",
        "Nov 11, 2026",
    ]
    # Without the clock's now nothing is relative: no "today" guessed from the wall clock.
    assert format_when(kyiv(26, 0, 10), None, KYIV, "uk") == "26.11.2026, 00:10"


def test_the_same_moment_is_today_in_one_timezone_and_yesterday_in_another() -> None:
    moment = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert format_when(moment, NOW, "UTC", "ru") == "21:00"
    assert format_when(moment, NOW, KYIV, "ru") == "вчера 23:00"
    assert format_when(moment, NOW, "America/New_York", "en") == f"4:00{NNBSP}PM"


UNITS = {"minute": 1, "hour": 60, "day": 60 * 24, "week": 60 * 24 * 7}
COUNTS = (1, 2, 5, 11, 21, 22)
FORMS = {
    "ru": {
        "minute": ("минуту", "минуты", "минут", "минут", "минуту", "минуты"),
        "hour": ("час", "часа", "часов", "часов", "час", "часа"),
        "day": ("день", "дня", "дней", "дней", "день", "дня"),
        "week": ("неделю", "недели", "недель", "недель", "неделю", "недели"),
    },
    "uk": {
        "minute": ("хвилину", "хвилини", "хвилин", "хвилин", "хвилину", "хвилини"),
        "hour": ("годину", "години", "годин", "годин", "годину", "години"),
        "day": ("день", "дні", "днів", "днів", "день", "дні"),
        "week": ("тиждень", "тижні", "тижнів", "тижнів", "тиждень", "тижні"),
    },
}
VERB = {"ru": "ждёт", "uk": "чекає"}


@pytest.mark.parametrize("lang", ["ru", "uk"])
@pytest.mark.parametrize("unit", ["minute", "hour", "day", "week"])
def test_an_age_takes_the_case_the_verb_needs(lang: str, unit: str) -> None:
    expected = [
        f"{VERB[lang]} {n} {form}" for n, form in zip(COUNTS, FORMS[lang][unit], strict=True)
    ]
    # Every count straight from the catalog (11 days and more are said in weeks on screens)…
    catalog = translations(lang)
    one, many = f"waiting {{count}} {unit}", f"waiting {{count}} {unit}s"
    assert [catalog.ngettext(one, many, n).format(count=n) for n in COUNTS] == expected
    # …and through format_waiting wherever the unit is the largest whole one.
    shown = [n for n in COUNTS if unit != "day" or n < 7]
    said = [format_waiting(timedelta(minutes=n * UNITS[unit]), lang) for n in shown]
    assert said == [line for n, line in zip(COUNTS, expected, strict=True) if n in shown]


def test_an_age_in_its_largest_whole_unit() -> None:
    assert format_waiting(timedelta(days=14, hours=5), "en") == "waiting 2 weeks"
    assert format_waiting(timedelta(days=13), "ru") == "ждёт 1 неделю"
    assert format_waiting(timedelta(days=6, hours=23), "ru") == "ждёт 6 дней"
    assert format_waiting(timedelta(hours=23, minutes=59), "uk") == "чекає 23 години"
    assert format_waiting(timedelta(seconds=20), "uk") == "чекає 1 хвилину"
    assert format_waiting(timedelta(minutes=1), "en") == "waiting 1 minute"
    assert format_waiting(timedelta(weeks=21), "ru") == "ждёт 21 неделю"


def test_typed_days_in_each_language() -> None:
    assert parse_day("01.11.2026", "uk") == date(2026, 11, 1)
    assert parse_day("1.11.2026", "ru") == date(2026, 11, 1)
    assert parse_day("2026-11-01", "uk") == date(2026, 11, 1)
    assert parse_day("2026-11-01", "en") == date(2026, 11, 1)
    assert parse_day("01.11.2026", "en") is None  # en keeps ISO: 01.11 could be 11 January
    assert parse_day("31.11.2026", "uk") is None
    assert parse_day("01.11.26", "uk") is None
    assert typed_range("01.11.2026 15.11.2026", "uk") == (date(2026, 11, 1), date(2026, 11, 16))
    assert typed_range("01.11.2026 2026-11-15", "ru") == (date(2026, 11, 1), date(2026, 11, 16))
    assert typed_range("15.11.2026 01.11.2026", "uk") is None
    assert typed_range("01.11.2026 15.11.2026", "en") is None
