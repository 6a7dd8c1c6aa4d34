"""What /stats and the digest compare with: the week or month before, and while a period runs
only the same stretch of it; rates to a tenth where a whole number would hide the change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.i18n import format_points, format_share
from bot.services import Services
from bot.services.digests import Comparison, compared, period
from bot.services.metrics import Scope
from policies.defaults import default_policy_text
from policies.loader import load_policy
from tests.metrics.fixture import hotel_week

KYIV = load_policy(default_policy_text("USD", "Europe/Kyiv"))
WEDNESDAY = datetime(2026, 11, 18, 15, tzinfo=UTC)  # 17:00 in Kyiv


def test_a_running_week_month_and_finished_ones() -> None:
    week = compared(KYIV, *period(KYIV, WEDNESDAY, "tw"), WEDNESDAY)
    assert week == Comparison(
        "week", True, date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 9), date(2026, 11, 11)
    )
    month = compared(KYIV, *period(KYIV, WEDNESDAY, "tm"), WEDNESDAY)
    # The month before is October's 31 days, not the 30 days before 1 November.
    assert month == Comparison(
        "month", True, date(2026, 11, 1), date(2026, 11, 18), date(2026, 10, 1), date(2026, 10, 18)
    )
    last = compared(KYIV, *period(KYIV, WEDNESDAY, "lw"), WEDNESDAY)
    assert (last.kind, last.running, last.before_first) == ("week", False, date(2026, 11, 2))
    # 31 March runs against February, cut at its end.
    march = compared(KYIV, date(2027, 3, 1), date(2027, 4, 1), datetime(2027, 3, 31, 9, tzinfo=UTC))
    assert (march.before_first, march.before_last) == (date(2027, 2, 1), date(2027, 2, 28))
    typed = compared(KYIV, date(2026, 11, 1), date(2026, 11, 11), WEDNESDAY)
    assert (typed.kind, typed.running, typed.before_first, typed.before_last) == (
        "days",
        False,
        date(2026, 10, 22),
        date(2026, 10, 31),
    )


async def test_a_running_month_is_compared_with_the_same_days_of_the_last(
    services: Services,
) -> None:
    week = await hotel_week(services)
    # Monday 23 November, 11:00 in Kyiv: 1 October 00:00 to 23 October 11:00 before it.
    content = await services.digests.content(
        Scope(week.org_id), date(2026, 11, 1), date(2026, 12, 1)
    )
    assert content.previous.start == datetime(2026, 9, 30, 21, tzinfo=UTC)
    assert content.previous.end == datetime(2026, 10, 23, 8, tzinfo=UTC)
    assert content.comparison is not None and content.comparison.before_last == date(2026, 10, 23)


@pytest.mark.parametrize(
    ("share", "en", "uk", "ru"),
    [
        (0.4, "40%", "40%", "40\xa0%"),
        (0.125, "12.5%", "12,5%", "12,5\xa0%"),
        (2 / 3, "66.7%", "66,7%", "66,7\xa0%"),
        (0.9996, "100%", "100%", "100\xa0%"),
    ],
)
def test_rates_show_a_tenth_when_it_is_not_whole(share: float, en: str, uk: str, ru: str) -> None:
    assert [format_share(share, lang) for lang in ("en", "uk", "ru")] == [en, uk, ru]


def test_points_follow_the_same_rule() -> None:
    assert [format_points(p, "uk") for p in (5.0, 12.5, 4.96, 0.04)] == ["5", "12,5", "5", "0"]
