"""The decision engine: hand-computed answers for the example policies, calendar windows at
their edges, and properties that must hold for any policy and usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import Outcome, decide, find_approver, usage_needed, window
from policies.explain import describe_rules, explain
from policies.loader import load_policy
from policies.model import ROLES, Labels, Limit, Policy, Remedy, RoleRules

EXAMPLES = Path(__file__).resolve().parents[2] / "policies"
HOTEL = load_policy((EXAMPLES / "hotel.toml").read_text())
RETAIL = load_policy((EXAMPLES / "retail.toml").read_text())
BANK = load_policy((EXAMPLES / "bank.toml").read_text())
D = Decimal


def plain(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "").replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("policy", "role", "remedy", "amount", "usage", "outcome", "now", "approver"),
    [
        # Hotel: $2,000 per guest per day, no one asked.
        (HOTEL, "frontline", "dinner", "150", {}, Outcome.ALLOWED, "150", None),
        (HOTEL, "frontline", "dinner", "2000", {}, Outcome.ALLOWED, "2000", None),
        (
            HOTEL,
            "frontline",
            "refund",
            "2600",
            {"customer:day": D(150)},
            Outcome.PARTIAL,
            "1850",
            "supervisor",
        ),
        (
            HOTEL,
            "frontline",
            "upgrade",
            "300",
            {"customer:day": D(2000)},
            Outcome.NEEDS_APPROVAL,
            "0",
            "supervisor",
        ),
        # Above the supervisor's $5,000 per guest a day, the manager decides.
        (HOTEL, "frontline", "refund", "6000", {}, Outcome.PARTIAL, "2000", "manager"),
        (
            HOTEL,
            "supervisor",
            "refund",
            "4000",
            {"customer:day": D(1500), "employee:week": D(19000)},
            Outcome.PARTIAL,
            "1000",
            "manager",
        ),
        (HOTEL, "manager", "refund", "50000", {}, Outcome.ALLOWED, "50000", None),
        (HOTEL, "frontline", "apology", "0", {}, Outcome.ALLOWED, "0", None),
        # Retail: 500 ₴ a case, 3,000 ₴ a week per employee, refunds 300 ₴ a case.
        (
            RETAIL,
            "frontline",
            "discount",
            "400",
            {"employee:week": D(2800)},
            Outcome.PARTIAL,
            "200",
            "supervisor",
        ),
        (RETAIL, "frontline", "refund", "400", {}, Outcome.PARTIAL, "300", "supervisor"),
        (
            RETAIL,
            "frontline",
            "refund",
            "250",
            {"case:per_case": D(300)},
            Outcome.PARTIAL,
            "200",
            "supervisor",
        ),
        (
            RETAIL,
            "supervisor",
            "gift",
            "100",
            {"team:month": D(50000)},
            Outcome.NEEDS_APPROVAL,
            "0",
            "manager",
        ),
        # Bank: fee waivers capped at €150 per customer a year for frontline.
        (
            BANK,
            "frontline",
            "fee_waiver",
            "40",
            {"customer:year:fee_waiver": D(120)},
            Outcome.PARTIAL,
            "30",
            "supervisor",
        ),
        (BANK, "frontline", "goodwill", "10", {}, Outcome.FORBIDDEN, "0", None),
        (BANK, "supervisor", "goodwill", "600", {}, Outcome.PARTIAL, "250", "manager"),
        (BANK, "manager", "goodwill", "1200", {}, Outcome.PARTIAL, "1000", "admin"),
        (BANK, "manager", "goodwill", "6000", {}, Outcome.PARTIAL, "1000", None),
    ],
)
def test_hand_computed_decisions(
    policy: Policy,
    role: str,
    remedy: str,
    amount: str,
    usage: dict[str, Decimal],
    outcome: Outcome,
    now: str,
    approver: str | None,
) -> None:
    decision = decide(policy, role, remedy, D(amount), usage)
    assert (decision.outcome, decision.now, decision.approver) == (outcome, D(now), approver)


def test_forbidden_says_who_could() -> None:
    decision = decide(BANK, "frontline", "goodwill", D(10), {})
    assert decision.who_could == ("supervisor", "manager", "admin")
    assert plain(explain(decision, BANK, "en")) == (
        "Your role may not give Goodwill payment. It can be given by: supervisor, manager, admin."
    )


def test_explanation_figures_in_three_languages() -> None:
    decision = decide(RETAIL, "frontline", "discount", D(2000), {"employee:week": D(1500)})
    binding = [c for c in decision.checks if c.bound]
    assert [(c.limit.key, c.remaining) for c in binding] == [("case:per_case", D(500))]
    assert plain(explain(decision, RETAIL, "en")) == (
        "You can give up to 500,00 ₴ now: the limit per case has 500,00 ₴ left of 500,00 ₴. "
        "The rest needs approval from: supervisor."
    )
    assert plain(explain(decision, RETAIL, "uk")).startswith("Зараз ви можете надати до 500,00 ₴")
    assert plain(explain(decision, RETAIL, "ru")).endswith(
        "Остаток должен одобрить: руководитель смены."
    )
    used_up = decide(HOTEL, "frontline", "dinner", D(10), {"customer:day": D(2000)})
    assert plain(explain(used_up, HOTEL, "en")) == (
        "The limit per customer per day is used up: $2,000.00 of $2,000.00. "
        "It needs approval from: supervisor."
    )


def test_rules_screen_bolds_money() -> None:
    text = describe_rules(HOTEL, "frontline", "en")
    assert "<b>$2,000.00</b> per customer per day" in text
    assert "Above your limits, ask: supervisor." in text


def test_usage_needed_lists_each_applicable_limit() -> None:
    keys = {q.key for q in usage_needed(RETAIL, "frontline", "refund")}
    assert keys == {"case:per_case", "employee:week", "case:per_case:refund"}
    assert {q.key for q in usage_needed(RETAIL, "frontline", "gift")} == {
        "case:per_case",
        "employee:week",
    }


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="above zero"):
        decide(HOTEL, "frontline", "dinner", D(0), {})
    with pytest.raises(ValueError, match="costs nothing"):
        decide(HOTEL, "frontline", "apology", D(5), {})
    with pytest.raises(ValueError, match="unknown remedy"):
        decide(HOTEL, "frontline", "caviar", D(5), {})


# Windows: calendar windows in the organisation's time zone.
KYIV, NEW_YORK = "Europe/Kyiv", "America/New_York"


def local(zone: str, *args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def test_day_edges_23_59_and_00_00_local() -> None:
    before = window("day", local(KYIV, 2026, 11, 23, 23, 59), KYIV)
    after = window("day", local(KYIV, 2026, 11, 24, 0, 0), KYIV)
    assert before == (local(KYIV, 2026, 11, 23), local(KYIV, 2026, 11, 24))
    assert after == (local(KYIV, 2026, 11, 24), local(KYIV, 2026, 11, 25))
    assert before[0] == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # Kyiv is UTC+2 in winter


def test_dst_days_last_23_and_25_hours() -> None:
    spring = window("day", local(KYIV, 2026, 3, 29, 12), KYIV)
    autumn = window("day", local(NEW_YORK, 2026, 11, 1, 12), NEW_YORK)
    assert spring and spring[1] - spring[0] == timedelta(hours=23)
    assert autumn and autumn[1] - autumn[0] == timedelta(hours=25)


def test_week_starts_monday_or_sunday() -> None:
    sunday_evening = local(NEW_YORK, 2026, 11, 22, 20)
    monday = window("week", sunday_evening, NEW_YORK, week_start=0)
    sunday = window("week", sunday_evening, NEW_YORK, week_start=6)
    assert monday == (local(NEW_YORK, 2026, 11, 16), local(NEW_YORK, 2026, 11, 23))
    assert sunday == (local(NEW_YORK, 2026, 11, 22), local(NEW_YORK, 2026, 11, 29))


def test_month_and_year_ends() -> None:
    assert window("month", local(KYIV, 2026, 2, 28, 23, 59), KYIV) == (
        local(KYIV, 2026, 2, 1),
        local(KYIV, 2026, 3, 1),
    )
    assert window("month", local(KYIV, 2026, 12, 31, 23, 59), KYIV) == (
        local(KYIV, 2026, 12, 1),
        local(KYIV, 2027, 1, 1),
    )
    assert window("year", local(KYIV, 2027, 1, 1, 0, 0), KYIV) == (
        local(KYIV, 2027, 1, 1),
        local(KYIV, 2028, 1, 1),
    )
    assert window("per_case", local(KYIV, 2026, 1, 1), KYIV) is None
    assert window("all_time", local(KYIV, 2026, 1, 1), KYIV) is None


# Properties.
amounts = st.decimals(min_value=D("0.01"), max_value=D(100000), places=2)
zones = st.sampled_from([KYIV, NEW_YORK, "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"])
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@st.composite
def policies_and_usage(draw: st.DrawFn) -> tuple[Policy, str, dict[str, Decimal], Decimal]:
    chain = draw(st.permutations(ROLES[:3]))  # any order: the chain need not follow rank
    roles = {}
    for index, role in enumerate(chain):
        limits = tuple(
            dict.fromkeys(
                draw(
                    st.lists(
                        st.builds(
                            Limit,
                            amounts,
                            st.sampled_from(["case", "customer", "employee", "team"]),
                            st.sampled_from(["per_case", "day", "week"]),
                        ),
                        max_size=3,
                    )
                )
            )
        )
        keys = {lim.key for lim in limits}
        limits = tuple(lim for lim in limits if lim.key in keys and keys.discard(lim.key) is None)
        approver = chain[index + 1] if index + 1 < len(chain) else None
        roles[role] = RoleRules(role, approver, limits)
    policy = Policy(
        "USD",
        "UTC",
        {"x": Labels("x", "x", "x")},
        {"gift": Remedy("gift", Labels("g", "g", "g"))},
        roles,
    )
    usage = {
        lim.key: draw(st.decimals(min_value=D(0), max_value=D(200000), places=2))
        for rules in roles.values()
        for lim in rules.limits
    }
    return policy, chain[0], usage, draw(amounts)


@settings(max_examples=150, deadline=None)
@given(policies_and_usage())
def test_no_limit_is_ever_exceeded(case: tuple[Policy, str, dict[str, Decimal], Decimal]) -> None:
    policy, role, usage, amount = case
    decision = decide(policy, role, "gift", amount, usage)
    limits = policy.rules(role).limits
    for limit in limits:
        assert usage.get(limit.key, D(0)) + decision.now <= max(
            limit.amount, usage.get(limit.key, D(0))
        )
    if decision.outcome == Outcome.PARTIAL:
        smallest = min(max(lim.amount - usage.get(lim.key, D(0)), D(0)) for lim in limits)
        assert D(0) < decision.now == smallest < amount
    if decision.outcome == Outcome.ALLOWED:
        assert decision.now == amount
    assert decision.approver != role
    assert 0 <= decision.now <= amount


@settings(max_examples=150, deadline=None)
@given(policies_and_usage(), st.decimals(min_value=D(0), max_value=D(5000), places=2))
def test_more_usage_never_allows_more(
    case: tuple[Policy, str, dict[str, Decimal], Decimal], extra: Decimal
) -> None:
    policy, role, usage, amount = case
    before = decide(policy, role, "gift", amount, usage)
    more = {key: value + extra for key, value in usage.items()}
    assert decide(policy, role, "gift", amount, more).now <= before.now


@settings(max_examples=100, deadline=None)
@given(policies_and_usage())
def test_every_chain_ends_and_never_at_the_requester(
    case: tuple[Policy, str, dict[str, Decimal], Decimal],
) -> None:
    policy, _, usage, amount = case
    for role in ROLES:
        approver = find_approver(policy, role, "gift", amount, usage)  # terminates
        assert approver != role


@settings(max_examples=200, deadline=None)
@given(
    moments,
    zones,
    st.sampled_from(["day", "week", "month", "year"]),
    st.integers(min_value=0, max_value=6),
)
def test_windows_contain_now_and_tile(
    now: datetime, zone: str, interval: str, week_start: int
) -> None:
    bounds = window(interval, now, zone, week_start)
    assert bounds is not None
    start, end = bounds
    assert start <= now < end
    following = window(interval, end, zone, week_start)
    assert following is not None and following[0] == end
