"""The decision of a spend request: pure, given the policy and the usage already counted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from policies.model import ROLES, WEEKDAYS, Limit, Policy

ZERO = Decimal(0)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    PARTIAL = "partial"
    NEEDS_APPROVAL = "needs_approval"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class UsageQuery:
    """A figure the caller must count: spend in `scope` over the current `interval` window,
    of the given remedies (all remedies when empty)."""

    key: str
    scope: str
    interval: str
    remedies: tuple[str, ...]


@dataclass(frozen=True)
class LimitCheck:
    limit: Limit
    used: Decimal
    remaining: Decimal
    bound: bool  # this limit is the one that stops the request


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    role: str
    remedy: str
    requested: Decimal
    now: Decimal  # what may be given at once without anyone's approval
    approver: str | None = None  # who to ask for the rest (None: nobody in the chain can)
    who_could: tuple[str, ...] = ()  # for forbidden: roles that may give this remedy
    checks: tuple[LimitCheck, ...] = ()
    unlimited: bool = False

    @property
    def rest(self) -> Decimal:
        """What needs someone's approval."""
        return self.requested - self.now

    @property
    def binding(self) -> tuple[LimitCheck, ...]:
        """The limits that stop the request (empty when it is allowed)."""
        return tuple(check for check in self.checks if check.bound)


def usage_needed(policy: Policy, role: str, remedy: str) -> list[UsageQuery]:
    return [
        UsageQuery(limit.key, limit.scope, limit.interval, limit.remedies)
        for limit in policy.rules(role).limits_for(remedy)
    ]


def may_give(policy: Policy, role: str, remedy: str) -> bool:
    rules = policy.rules(role)
    if remedy in rules.forbidden:
        return False
    if not policy.remedies[remedy].money:
        return True
    return rules.unlimited or bool(rules.limits_for(remedy))


def decide(
    policy: Policy, role: str, remedy: str, amount: Decimal, usage: Mapping[str, Decimal]
) -> Decision:
    if remedy not in policy.remedies:
        raise ValueError(f"unknown remedy {remedy!r}")
    if amount < 0:
        raise ValueError("a spend cannot be negative")
    money = policy.remedies[remedy].money
    if money and amount == 0:
        raise ValueError("a money remedy needs an amount above zero")
    if not money and amount != 0:
        raise ValueError(f"{remedy!r} costs nothing; its amount must be 0")
    rules = policy.rules(role)
    if remedy in rules.forbidden:
        who = tuple(r for r in ROLES if r != role and may_give(policy, r, remedy))
        return Decision(Outcome.FORBIDDEN, role, remedy, amount, now=ZERO, who_could=who)
    if not money or rules.unlimited:
        return Decision(
            Outcome.ALLOWED, role, remedy, amount, now=amount, unlimited=rules.unlimited
        )
    checks = _checks(rules.limits_for(remedy), usage, amount)
    room = min((c.remaining for c in checks), default=ZERO)
    if amount <= room:
        return Decision(Outcome.ALLOWED, role, remedy, amount, now=amount, checks=checks)
    outcome = Outcome.PARTIAL if room > 0 else Outcome.NEEDS_APPROVAL
    # The approver's own limits must hold the whole request: what the requester gives now
    # counts in the same shared windows as what the approver authorises.
    approver = find_approver(policy, role, remedy, amount, usage)
    return Decision(outcome, role, remedy, amount, now=room, approver=approver, checks=checks)


def _checks(
    limits: tuple[Limit, ...], usage: Mapping[str, Decimal], amount: Decimal
) -> tuple[LimitCheck, ...]:
    figures = []
    for limit in limits:
        used = Decimal(usage.get(limit.key, ZERO))
        figures.append((limit, used, max(limit.amount - used, ZERO)))
    room = min((remaining for _, _, remaining in figures), default=ZERO)
    return tuple(
        LimitCheck(limit, used, remaining, bound=remaining == room and room < amount)
        for limit, used, remaining in figures
    )


def find_approver(
    policy: Policy, role: str, remedy: str, amount: Decimal, usage: Mapping[str, Decimal]
) -> str | None:
    """The lowest role up the chain whose own limits cover `amount`; never the requester.

    Shared windows (case, customer, team, org) carry the same usage for everyone; an
    approver's employee window is their own and unknown here, so it counts as unused — the
    services check again with the approver's real figures when they decide."""
    seen = {role}
    current = policy.rules(role).approver
    while current is not None and current not in seen:
        seen.add(current)
        if current in ROLES and _covers(policy, current, remedy, amount, usage):
            return current
        current = policy.rules(current).approver
    return None


def _covers(
    policy: Policy, role: str, remedy: str, amount: Decimal, usage: Mapping[str, Decimal]
) -> bool:
    rules = policy.rules(role)
    if remedy in rules.forbidden:
        return False
    if rules.unlimited:
        return True
    limits = rules.limits_for(remedy)
    if not limits:
        return False
    for limit in limits:
        used = ZERO if limit.scope == "employee" else Decimal(usage.get(limit.key, ZERO))
        if limit.amount - used < amount:
            return False
    return True


def window(
    interval: str, now: datetime, timezone: str, week_start: int | str = 0
) -> tuple[datetime, datetime] | None:
    """The calendar window of `interval` that contains `now`, in the organisation's time
    zone (DST included: a local day may last 23 or 25 hours), as aware UTC; None for
    per_case and all_time, which have no calendar window. `week_start` is 0–6 from Monday
    (as in Policy.week_start) or a weekday's name."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if isinstance(week_start, str):
        week_start = WEEKDAYS.index(week_start.lower())
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start {week_start!r} is not 0 (Monday) … 6 (Sunday)")
    if interval in ("per_case", "all_time"):
        return None
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    if interval == "day":
        start, end = today, today + timedelta(days=1)
    elif interval == "week":
        start = today - timedelta(days=(today.weekday() - week_start) % 7)
        end = start + timedelta(days=7)
    elif interval == "month":
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    elif interval == "year":
        start, end = (
            today.replace(month=1, day=1),
            today.replace(year=today.year + 1, month=1, day=1),
        )
    else:
        raise ValueError(f"unknown interval {interval!r}")

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return midnight(start), midnight(end)
