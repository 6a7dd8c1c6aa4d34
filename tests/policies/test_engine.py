"""The decision engine: hand-computed answers for the example policies, calendar windows at
their edges, and properties that must hold for any policy and usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import Outcome, UsageQuery, decide, find_approver, usage_needed, window
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
        "Your role may not give Goodwill payment. Ask a supervisor, a manager, or an admin."
    )


def test_explanation_figures_in_three_languages() -> None:
    decision = decide(RETAIL, "frontline", "discount", D(2000), {"employee:week": D(1500)})
    binding = [c for c in decision.checks if c.bound]
    assert [(c.limit.key, c.remaining) for c in binding] == [("case:per_case", D(500))]
    assert plain(explain(decision, RETAIL, "en")) == (
        "You can give up to 500,00 ₴ now: the limit per case has 500,00 ₴ left of 500,00 ₴. "
        "The rest must be approved by a supervisor."
    )
    assert plain(explain(decision, RETAIL, "uk")).startswith("Зараз ви можете надати до 500,00 ₴")
    assert plain(explain(decision, RETAIL, "ru")).endswith(
        "Остаток должен одобрить руководитель смены."
    )
    used_up = decide(HOTEL, "frontline", "dinner", D(10), {"customer:day": D(2000)})
    assert plain(explain(used_up, HOTEL, "en")) == (
        "The limit per customer per day is used up: $2,000.00 of $2,000.00. "
        "It must be approved by a supervisor."
    )


def test_rules_screen_bolds_money() -> None:
    text = describe_rules(HOTEL, "frontline", "en")
    assert "<b>$2,000.00</b> per customer per day" in text
    assert "Above your limits, ask a supervisor." in text


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
# Santiago changes its clocks at midnight: some of its days begin at 01:00.
SANTIAGO = "America/Santiago"
zones = st.sampled_from(
    [KYIV, NEW_YORK, "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", SANTIAGO]
)
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


# Approvers: the lowest role up the chain whose own limits cover the whole request.
CHAIN = load_policy((EXAMPLES / "bank.toml").read_text().replace('forbidden = ["goodwill"]\n', ""))


@pytest.mark.parametrize(
    ("role", "amount", "usage", "approver"),
    [
        ("frontline", "200", {}, "supervisor"),  # 250 a case covers it
        ("frontline", "300", {}, "manager"),  # above the supervisor's 250 a case
        ("frontline", "200", {"customer:year": D(300)}, "manager"),  # 400 a year: 100 left
        ("frontline", "1200", {}, "admin"),  # the manager's 1,000 a case is too little
        ("frontline", "4000", {"customer:year": D(1500)}, None),  # 5,000 − 1,500 < 4,000
        ("supervisor", "300", {}, "manager"),  # never the requester's own role
        ("admin", "6000", {}, None),  # the top of the chain asks nobody
    ],
)
def test_the_lowest_role_that_covers_the_request_approves(
    role: str, amount: str, usage: dict[str, Decimal], approver: str | None
) -> None:
    assert find_approver(CHAIN, role, "goodwill", D(amount), usage) == approver


def test_an_approvers_own_employee_window_counts_at_its_full_amount() -> None:
    # The supervisor may approve 20,000 a week of their own; what they approved this week is
    # not known here, so the nominal amount stands and the services check again.
    decision = decide(HOTEL, "frontline", "refund", D(4000), {"employee:week": D(19999)})
    assert decision.approver == "supervisor"


def test_a_role_that_may_not_give_the_remedy_is_skipped_as_approver() -> None:
    policy = load_policy(
        (EXAMPLES / "hotel.toml")
        .read_text()
        .replace(
            '[roles.supervisor]\napprover = "manager"',
            '[roles.supervisor]\napprover = "manager"\nforbidden = ["refund"]',
        )
    )
    assert decide(policy, "frontline", "refund", D(2500), {}).approver == "manager"
    assert decide(policy, "frontline", "dinner", D(2500), {}).approver == "supervisor"


def test_an_admin_without_rules_spends_as_the_manager() -> None:
    assert HOTEL.rules("admin").unlimited
    decision = decide(RETAIL, "admin", "gift", D(25000), {})
    assert (decision.outcome, decision.now, decision.approver) == (
        Outcome.PARTIAL,
        D(20000),
        None,
    )


def test_a_role_with_no_applicable_limit_has_no_money_authority() -> None:
    only_refunds = load_policy(
        (EXAMPLES / "retail.toml")
        .read_text()
        .replace(
            '  { amount = "500", scope = "case", interval = "per_case" },\n'
            '  { amount = "3000", scope = "employee", interval = "week" },\n',
            "",
        )
    )
    gift = decide(only_refunds, "frontline", "gift", D(10), {})
    assert (gift.outcome, gift.now, gift.approver, gift.checks) == (
        Outcome.NEEDS_APPROVAL,
        D(0),
        "supervisor",
        (),
    )
    apology = decide(only_refunds, "frontline", "apology", D(0), {})
    assert apology.outcome == Outcome.ALLOWED
    assert usage_needed(only_refunds, "frontline", "gift") == []


def test_the_explanation_carries_every_limit_checked() -> None:
    decision = decide(
        RETAIL, "frontline", "refund", D(350), {"employee:week": D(2900), "case:per_case": D(0)}
    )
    figures = {(c.limit.key, c.used, c.remaining, c.bound) for c in decision.checks}
    assert figures == {
        ("case:per_case", D(0), D(500), False),
        ("employee:week", D(2900), D(100), True),
        ("case:per_case:refund", D(0), D(300), False),
    }
    assert [c.limit.key for c in decision.binding] == ["employee:week"]
    assert (decision.outcome, decision.now, decision.rest) == (Outcome.PARTIAL, D(100), D(250))


def test_over_used_windows_leave_nothing_rather_than_less() -> None:
    decision = decide(HOTEL, "frontline", "dinner", D(10), {"customer:day": D(2500)})
    (check,) = decision.checks
    assert (check.used, check.remaining, check.bound) == (D(2500), D(0), True)
    assert decision.outcome == Outcome.NEEDS_APPROVAL


def test_usage_queries_name_scope_interval_and_remedies() -> None:
    (query,) = [q for q in usage_needed(BANK, "frontline", "fee_waiver") if q.remedies]
    assert (query.key, query.scope, query.interval, query.remedies) == (
        "customer:year:fee_waiver",
        "customer",
        "year",
        ("fee_waiver",),
    )
    assert usage_needed(BANK, "frontline", "goodwill") == [
        UsageQuery("case:per_case", "case", "per_case", ())
    ]
    assert (
        Limit(D(1), "customer", "day", ("voucher", "refund")).key == "customer:day:refund+voucher"
    )


def test_week_start_may_be_named() -> None:
    sunday_evening = local(NEW_YORK, 2026, 11, 22, 20)
    assert window("week", sunday_evening, NEW_YORK, "sunday") == window(
        "week", sunday_evening, NEW_YORK, 6
    )
    with pytest.raises(ValueError):
        window("week", sunday_evening, NEW_YORK, 7)
    with pytest.raises(ValueError, match="aware"):
        window("day", datetime(2026, 1, 1), NEW_YORK)


def test_a_week_across_the_spring_change_lasts_167_hours() -> None:
    start, end = window("week", local(KYIV, 2026, 3, 26, 12), KYIV) or (None, None)
    assert start == local(KYIV, 2026, 3, 23) and end == local(KYIV, 2026, 3, 30)
    assert end - start == timedelta(hours=167)


def test_new_york_spring_day_and_the_hour_that_does_not_exist() -> None:
    # 2026-03-08: clocks jump from 02:00 to 03:00; 01:59 and 03:00 local are one minute apart.
    before = datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    after = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    day = window("day", before, NEW_YORK)
    assert day == window("day", after, NEW_YORK)
    assert day and day[1] - day[0] == timedelta(hours=23)
    assert day[0] == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # midnight EST


def test_the_repeated_hour_of_autumn_belongs_to_one_day() -> None:
    # Kyiv, 2026-10-25: 03:00 EEST becomes 03:00 EET; both 03:30s are on the 25th.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    day = window("day", first, KYIV)
    assert day == window("day", second, KYIV)
    assert day and day[1] - day[0] == timedelta(hours=25)


def test_month_windows_across_dst_and_leap_february() -> None:
    march = window("month", local(KYIV, 2026, 3, 15), KYIV)
    assert march and march[1] - march[0] == timedelta(days=31, hours=-1)
    leap = window("month", local(NEW_YORK, 2028, 2, 29, 23, 59), NEW_YORK)
    assert leap == (local(NEW_YORK, 2028, 2, 1), local(NEW_YORK, 2028, 3, 1))
    new_year_in_kyiv = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 Jan in Kyiv
    assert window("year", new_year_in_kyiv, KYIV) == (
        local(KYIV, 2027, 1, 1),
        local(KYIV, 2028, 1, 1),
    )
    assert window("year", new_year_in_kyiv, NEW_YORK) == (
        local(NEW_YORK, 2026, 1, 1),
        local(NEW_YORK, 2027, 1, 1),
    )


@settings(max_examples=150, deadline=None)
@given(policies_and_usage())
def test_allowed_means_every_limit_has_room_and_partial_never_exceeds_one(
    case: tuple[Policy, str, dict[str, Decimal], Decimal],
) -> None:
    policy, role, usage, amount = case
    decision = decide(policy, role, "gift", amount, usage)
    remaining = [max(c.limit.amount - usage.get(c.limit.key, D(0)), D(0)) for c in decision.checks]
    if decision.outcome == Outcome.ALLOWED:
        assert all(room >= amount for room in remaining)
    elif decision.outcome == Outcome.PARTIAL:
        assert D(0) < decision.now < amount
        assert all(decision.now <= room for room in remaining)
        assert any(check.bound for check in decision.checks)
    else:
        assert decision.outcome == Outcome.NEEDS_APPROVAL
        assert decision.now == 0 and (not remaining or min(remaining) == 0)
    if decision.approver is not None:
        # whoever is asked could give the whole amount in the shared windows
        rules = policy.rules(decision.approver)
        for limit in rules.limits_for("gift"):
            used = D(0) if limit.scope == "employee" else usage.get(limit.key, D(0))
            assert limit.amount - used >= amount


@settings(max_examples=100, deadline=None)
@given(moments, zones, st.sampled_from(["day", "week", "month", "year"]))
def test_windows_are_ordered_and_start_at_local_midnight(
    now: datetime, zone: str, interval: str
) -> None:
    from zoneinfo import ZoneInfo

    bounds = window(interval, now, zone)
    assert bounds is not None
    start, end = bounds
    assert start < end and start.tzinfo is UTC and end.tzinfo is UTC
    for edge in (start, end):
        local_edge = edge.astimezone(ZoneInfo(zone))
        assert (local_edge.hour, local_edge.minute) == (0, 0) or (
            zone == SANTIAGO and (local_edge.hour, local_edge.minute) == (1, 0)
        )
    assert timedelta(hours=23) <= end - start <= timedelta(days=366, hours=1)


def test_a_day_may_begin_at_one_in_the_morning() -> None:
    # Santiago springs forward at midnight: 6 September 2026 starts at 01:00 and lasts 23 h,
    # and the day before ends exactly where it starts.
    sunday = window("day", datetime(2026, 9, 6, 12, tzinfo=UTC), SANTIAGO)
    saturday = window("day", datetime(2026, 9, 5, 12, tzinfo=UTC), SANTIAGO)
    assert sunday and saturday and saturday[1] == sunday[0]
    assert sunday[0] == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)  # 01:00 at UTC−3
    assert sunday[1] - sunday[0] == timedelta(hours=23)
