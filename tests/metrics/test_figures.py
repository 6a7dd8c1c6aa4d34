"""Every DOMAIN.md formula against answers worked out by hand from tests/metrics/fixture.py,
on SQLite and on PostgreSQL (the same fixture must give the same figures)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.services import Services
from bot.services.metrics import Day, Durations, Scope, local_bounds
from tests.metrics.fixture import hotel_week

WEEK = local_bounds(date(2026, 11, 16), date(2026, 11, 23), "Europe/Kyiv")


def test_the_reported_week_is_local() -> None:
    assert (
        datetime(2026, 11, 15, 22, tzinfo=UTC),
        datetime(2026, 11, 22, 22, tzinfo=UTC),
    ) == WEEK
    # The night the clocks went back in Kyiv, 25 October 2026, lasted 25 hours.
    start, end = local_bounds(date(2026, 10, 25), date(2026, 10, 26), "Europe/Kyiv")
    assert (end - start).total_seconds() == 25 * 3600


async def test_the_week_by_hand(services: Services) -> None:
    week = await hotel_week(services)
    f = await services.metrics.figures(Scope(week.org_id), *WEEK)
    # Logged: A B C D E F (G is cancelled, H was logged the week before).
    assert (f.logged, f.escalated_cases, f.escalation_rate) == (6, 2, pytest.approx(2 / 6))
    # Resolved (first resolution in the week): A B C D H. FCR: A and H only — B was
    # escalated, C reopened, D not at first contact.
    assert (f.resolved, f.fcr_cases, f.fcr) == (5, 2, 0.4)
    # Still inside the 7-day reopen window at Monday 23 Nov 09:00 UTC: B, C, D, H.
    assert f.fcr_provisional == 4
    assert (f.on_the_spot, f.on_the_spot_share) == (1, 0.2)  # A, 3 minutes
    assert (f.reopened, f.reopen_rate) == (1, 0.2)
    assert f.backlog == 2  # E (open) and F (escalated)
    # 180, 600, 1200, 3600, 518400 s: p90 sits 0.6 of the way from 3600 to 518400.
    assert f.resolution == Durations(1200.0, 312480.0, 104796.0, 5)
    # "Full" runs to the last resolution: C took a day in all.
    assert f.full_resolution == Durations(3600.0, pytest.approx(345600.0), 121836.0, 5)
    # B's two requests: approved in 3 min, denied in 24 (over the 15-min SLA); F's still
    # waits; G's is cancelled with its case.
    assert (f.decisions, f.approvals, f.approval_rate) == (2, 1, 0.5)
    assert f.decision_time == Durations(810.0, 1314.0, 810.0, 2)
    assert f.sla_breaches == 2
    # Surveys: A (5), D (3) answered, C's unanswered; G's left out.
    assert (f.surveys_sent, f.answers, f.satisfied) == (3, 2, 1)
    assert (f.csat, f.response_rate) == (0.5, pytest.approx(2 / 3))
    assert (f.ces_mean, f.ces_answers) == (3.5, 2)
    assert f.spend == Decimal("130.00")
    assert f.spend_by_remedy == {"gift": Decimal("30.00"), "refund": Decimal("100.00")}
    assert f.spend_per_resolved == Decimal("26.00")
    assert f.categories == [("waiting", 3), ("billing", 1), ("product", 1), ("staff", 1)]


async def test_a_team_and_a_member(services: Services) -> None:
    week = await hotel_week(services)
    desk = await services.metrics.figures(Scope(week.org_id, team_id=week.team_id), *WEEK)
    assert (desk.logged, desk.resolved, desk.fcr_cases, desk.backlog) == (4, 3, 2, 2)
    assert desk.spend == Decimal("130.00")
    petro = await services.metrics.figures(
        Scope(week.org_id, member_id=week.members["petro"]), *WEEK
    )
    assert (petro.logged, petro.resolved, petro.fcr, petro.answers) == (2, 2, 0.0, 1)


async def test_days_and_recognition(services: Services) -> None:
    week = await hotel_week(services)
    days = await services.metrics.days(Scope(week.org_id), date(2026, 11, 16), 7, "Europe/Kyiv")
    assert days == [
        Day(date(2026, 11, 16), 1, 1, 0, 600.0),  # A, B; resolved that day: A B H
        Day(date(2026, 11, 17), 1, 0, 0, 1200.0),
        Day(date(2026, 11, 18), 1, 0, 0, 3600.0),
        Day(date(2026, 11, 19), 0, 0, 1, None),
        Day(date(2026, 11, 20), 0, 1, 0, None),
        Day(date(2026, 11, 21), 0, 0, 0, None),  # G was cancelled
        Day(date(2026, 11, 22), 0, 0, 0, None),
    ]
    praise = await services.metrics.recognition(Scope(week.org_id), *WEEK)
    assert praise.self_resolvers == [("Olena", 2), ("Petro", 2)]
    assert praise.best_rated == [("Olena", 5.0, 1), ("Petro", 3.0, 1)]
    assert praise.stories == [("K-AAAA", "Olena", "Gave a gift card")]


async def test_no_data_is_no_crash(services: Services) -> None:
    created = await services.organisations.create("Empty Inn", "UAH", "Europe/Kyiv")
    f = await services.metrics.figures(Scope(created.id), *WEEK)
    assert f.empty and f.logged == 0 and f.resolution == Durations()
    assert (f.fcr, f.csat, f.approval_rate, f.spend_per_resolved, f.ces_mean) == (
        None,
        None,
        None,
        None,
        None,
    )


async def test_a_running_week_is_compared_with_the_same_stretch_of_the_last(
    services: Services,
) -> None:
    week = await hotel_week(services)
    # Monday 23 November, 11:00 in Kyiv: this week has run 11 hours; last week's first 11
    # hours held one case (A at 10:00; B came at 11:00).
    content = await services.digests.content(
        Scope(week.org_id), date(2026, 11, 23), date(2026, 11, 30)
    )
    assert content.previous.end == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert (content.figures.logged, content.previous.logged) == (0, 1)
