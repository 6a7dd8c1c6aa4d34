"""The fabricated hotel the gallery is drawn from: people, cases, requests, figures, one clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from bot.i18n import format_money
from bot.services.cases import CaseList, CaseView, TimelineEntry
from bot.services.context import MemberView
from bot.services.escalations import EscalationView, Person
from bot.services.follow_ups import FollowUpView
from bot.services.follow_ups import Given as FollowUpGiven
from bot.services.members import MemberPage
from bot.services.metrics import Day, Durations, Figures, Recognition
from bot.services.policies import PolicyInForce, Proposal
from bot.services.queue import Counts, QueueItem, Requests, TeamCase, TeamCases
from bot.services.surveys import SurveyAnswer, SurveyResult
from bot.services.what_works import RemedyFigures, WhatWorks
from policies.engine import Decision, decide
from policies.loader import PolicyError, load_policy
from policies.model import Policy

# Wednesday 18 November 2026, 10:40 in New York: every screen is drawn at this moment.
NOW = datetime(2026, 11, 18, 15, 40, tzinfo=UTC)
ORG = "Hudson Grand Hotel"
CURRENCY = "USD"
TIMEZONE = "America/New_York"
POLICIES = Path(__file__).resolve().parent.parent.parent / "policies"


@cache
def hotel_source() -> str:
    return (POLICIES / "hotel.toml").read_text(encoding="utf-8")


@cache
def hotel_policy() -> Policy:
    return load_policy(hotel_source())


@cache
def house_policy() -> Policy:
    """The hotel's policy as the gallery's hotel runs it: frontline may not give upgrades
    (so the screens show a forbidden remedy too)."""
    return load_policy(house_source())


def house_source() -> str:
    return hotel_source().replace(
        'approver = "supervisor"\n',
        'approver = "supervisor"\nforbidden = ["upgrade"]\n',
        1,
    )


def broken_policy_problems(locale: str) -> list[str]:
    """What a file with typical mistakes is told, in `locale` (the loader's own words)."""
    source = (
        house_source()
        .replace('currency = "USD"', 'currency = "USDD"', 1)
        .replace('amount = "2000"', 'amount = "-20"', 1)
        .replace('interval = "day" }]', 'interval = "fortnight" }]', 1)
    )
    try:
        load_policy(source)
    except PolicyError as error:
        return error.render(locale)
    return ["(the broken file loaded: the gallery's example needs a new mistake)"]


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def member(
    member_id: int,
    name: str,
    role: str,
    team: tuple[int, str] | None,
    language: str = "uk",
    active: bool = True,
) -> MemberView:
    return MemberView(
        id=member_id,
        org_id=1,
        org_name=ORG,
        currency=CURRENCY,
        timezone=TIMEZONE,
        telegram_user_id=700_000 + member_id,
        name=name,
        role=role,
        team_id=team[0] if team else None,
        team_name=team[1] if team else None,
        language=language,
        active=active,
    )


FRONT_DESK = (1, "Front desk")
RESTAURANT = (2, "Restaurant")
HOUSEKEEPING = (3, "Housekeeping")
TEAMS = [FRONT_DESK, RESTAURANT, HOUSEKEEPING]

OLENA = member(11, "Olena Kovalenko", "frontline", FRONT_DESK)
DMYTRO = member(12, "Dmytro Shevchuk", "supervisor", FRONT_DESK)
SARAH = member(13, "Sarah Mitchell", "manager", None, language="en")
ADMIN = member(14, "Sarah Mitchell", "admin", None, language="en")
ANDRII = member(15, "Andrii Bondar", "frontline", RESTAURANT, language="ru")
MARIA = member(16, "María García", "frontline", HOUSEKEEPING, language="en")
TARAS = member(17, "Taras Melnyk", "frontline", FRONT_DESK, active=False)
ROSTER = [OLENA, DMYTRO, SARAH, ANDRII, MARIA, TARAS]

LEAK = (
    "Guest in 412 woke up to water dripping from the bathroom ceiling; the carpet is soaked "
    "and a suitcase got wet. Wants another room tonight and something for the trouble."
)
WORDS = "I paid for a quiet week, not a waterfall over my bed."


def case(case_id: int, code: str, state: str, category: str = "room", **fields: Any) -> CaseView:
    values: dict[str, Any] = {
        "description": LEAK,
        "customer_key": "412",
        "customer_words": WORDS,
        "reporter_id": OLENA.id,
        "owner_id": OLENA.id,
        "team_id": FRONT_DESK[0],
        "created_at": ago(minutes=18),
        "spent": Decimal(0),
    }
    values.update(fields)
    return CaseView(id=case_id, code=code, org_id=1, category=category, state=state, **values)


CASE_OPEN = case(101, "K-7Q4F", "open", customer_words=None)
CASE_MEDIA = case(
    102,
    "K-3MHT",
    "open",
    photo_file_id="AgACAgIAAxkBAAIBZ2",
    voice_file_id="AwACAgIAAxkBAAIBaA",
)
CASE_ESCALATED = case(103, "K-9P2X", "escalated", spent=Decimal(150))
CASE_RESOLVED = case(
    104,
    "K-5RWD",
    "resolved",
    category="food",
    description="Room service brought a cold club sandwich, 50 minutes late.",
    customer_words=None,
    spent=Decimal(150),
    outcome="with_remedy",
    first_contact=True,
    created_at=ago(hours=3),
)
CASE_REOPENED = replace(CASE_RESOLVED, id=105, code="K-8HJN", state="reopened", outcome=None)
CASE_CANCELLED = case(
    106,
    "K-2ZKV",
    "cancelled",
    category="noise",
    description="Logged twice by mistake.",
    customer_words=None,
)
CASE_LONGEST = case(
    107, "K-4TYU", "open", customer_words=None, description=("Ceiling leak again. " * 160)[:3000]
)
MY_CASES = [CASE_OPEN, CASE_MEDIA, CASE_ESCALATED, CASE_REOPENED]
CASE_NOISE = case(106, "K-4TNR", "open", category="noise", description="Loud party next door")
# What 41 noise cases of the last 90 days say (bot/services/what_works.py).
WHAT_WORKS = WhatWorks(
    "noise",
    resolved=41,
    fcr_cases=30,
    remedies=(
        RemedyFigures("upgrade", 25, 25 / 41, Decimal(120), 4.6, 14),
        RemedyFigures("voucher", 9, 9 / 41, Decimal(50), 4.1, 5),
    ),
)


def case_list(**fields: Any) -> CaseList:
    values: dict[str, Any] = {
        "cases": MY_CASES,
        "page": 0,
        "pages": 2,
        "only_open": True,
        "total": 11,
        "open_count": 6,
    }
    values.update(fields)
    return CaseList(**values)


SURVEY_RATED = SurveyResult(csat=5, ces=6, answered=True, sent=True, answered_now=True)
SURVEY_SENT = SurveyResult(csat=None, ces=None, answered=False, sent=True)


def timeline_of(case: CaseView) -> list[TimelineEntry]:
    """A short history that fits the case's state."""
    start = case.created_at
    entries = [TimelineEntry(start, "created", OLENA.name, {})]

    def then(minutes: float, kind: str, who: str | None, **payload: Any) -> None:
        entries.append(TimelineEntry(start + timedelta(minutes=minutes), kind, who, payload))

    if case.spent:
        then(3, "spend", OLENA.name, remedy="voucher", amount=str(case.spent))
    if case.state == "escalated":
        then(12, "escalated", OLENA.name, remedy="refund", amount="2600")
    if case.state in ("resolved", "reopened"):
        then(9, "resolved", OLENA.name, note="Sent a fresh sandwich and a voucher.")
        then(10, "survey_sent", OLENA.name)
    if case.state == "reopened":
        then(150, "reopened", OLENA.name, reason="The guest says the voucher was refused.")
    if case.state == "cancelled":
        then(2, "cancelled", OLENA.name)
    return entries


def timeline_every_kind() -> list[TimelineEntry]:
    """One entry of every event kind (and of each variant a kind has), in a plausible order."""
    o, d, s = OLENA.name, DMYTRO.name, SARAH.name
    entries: list[tuple[float, str, str | None, dict[str, Any]]] = [
        (20160, "created", o, {}),
        (20150, "added", o, {"text": "The guest came back: the shower does not drain either."}),
        (20145, "spend", o, {"remedy": "voucher", "amount": "150"}),
        (20140, "escalated", o, {"remedy": "refund", "amount": "2600"}),
        (20125, "climbed", None, {"approver": "manager"}),
        (20120, "decided", s, {"decision": "part", "amount": "2000", "asked": "2600"}),
        (20118, "spend", o, {"remedy": "refund", "amount": "2000", "authorised_by": s}),
        (20110, "escalated", o, {"remedy": "dinner", "amount": "300"}),
        (20100, "decided", d, {"decision": "deny", "reason": "@guest_history"}),
        (20090, "escalated", o, {"remedy": "dinner", "amount": "120"}),
        (20080, "decided", d, {"decision": "deny", "reason": "The spa voucher covers it."}),
        (20070, "escalated", o, {"remedy": "upgrade", "amount": "400"}),
        (20060, "decided", d, {"decision": "approve", "amount": "400"}),
        (20050, "escalated", o, {"remedy": "refund", "amount": "500"}),
        (20040, "withdrawn", o, {"amount": "500", "why": "withdrawn"}),
        (20030, "escalated", o, {"remedy": "refund", "amount": "700"}),
        (20020, "decided", d, {"decision": "take"}),
        (20010, "escalated", d, {"remedy": "refund", "amount": "250"}),
        (20000, "resolved", d, {"note": "Moved to 1108; engineering fixed the pipe."}),
        (19990, "withdrawn", d, {"amount": "250", "why": "resolved"}),
        (19980, "note", d, {"note": "The guest thanked the night shift by name."}),
        (19970, "survey_sent", d, {}),
        (19960, "survey_answered", None, {"csat": 4, "comment": "Handled well, thank you."}),
        (1440, "reopened", o, {"reason": "The leak is back after the rain."}),
        (1400, "resolved", o, {}),
        (1390, "survey_answered", None, {"csat": 5}),
        (30, "cancelled", d, {}),
    ]
    return [TimelineEntry(ago(minutes=m), kind, who, payload) for m, kind, who, payload in entries]


def timeline_added(count: int) -> list[TimelineEntry]:
    """A case the same guest kept adding to: each addition as long as the card shows it."""
    text = ("The guest came back: the bathroom floods again and the hall carpet is wet. " * 5)[:300]
    return [
        TimelineEntry(ago(minutes=10 * (count - i)), "added", OLENA.name, {"text": text})
        for i in range(count)
    ]


def decision(role: str, remedy: str, amount: str, used: str = "0") -> Decision:
    """The policy's decision for a frontline-or-above member with `used` spent on this
    guest today (and nothing else in the other windows)."""
    policy = house_policy()
    money = policy.remedies[remedy].money
    wanted = Decimal(amount) if money else Decimal(0)
    usage = {
        limit.key: Decimal(used) if limit.scope == "customer" else Decimal(0)
        for limit in policy.rules(role).limits
    }
    return decide(policy, role, remedy, wanted, usage)


REQUESTER = Person(
    member_id=OLENA.id, chat_id=OLENA.telegram_user_id, name=OLENA.name, language="uk"
)


def request(**fields: Any) -> EscalationView:
    """Olena's request for a $2,600 refund on K-9P2X, as an approver sees it."""
    limit = house_policy().rules("frontline").limits[0]
    values: dict[str, Any] = {
        "id": 501,
        "org_id": 1,
        "currency": CURRENCY,
        "timezone": TIMEZONE,
        "case_id": CASE_ESCALATED.id,
        "case_code": CASE_ESCALATED.code,
        "category": "room",
        "description": LEAK,
        "customer_key": "412",
        "customer_words": WORDS,
        "requester": REQUESTER,
        "remedy": "refund",
        "amount": Decimal(2600),
        "approver_role": "supervisor",
        "state": "pending",
        "created_at": ago(minutes=6),
        "requester_room": Decimal(1850),
        "requester_limit": limit,
    }
    values.update(fields)
    return EscalationView(**values)


def decided(decision_kind: str, **fields: Any) -> EscalationView:
    values: dict[str, Any] = {
        "state": "decided",
        "decision": decision_kind,
        "decided_by": DMYTRO.name,
        "decided_at": ago(minutes=2),
    }
    values.update(fields)
    return request(**values)


def withdrawn(reason: str | None) -> EscalationView:
    return request(
        state="withdrawn", reason=reason, decided_by=OLENA.name, decided_at=ago(minutes=1)
    )


def queue_item(view: EscalationView, waiting: timedelta) -> QueueItem:
    return QueueItem(
        escalation_id=view.id,
        case_id=view.case_id,
        case_code=view.case_code,
        requester=view.requester.name,
        amount=view.amount,
        currency=view.currency,
        remedy=view.remedy,
        created_at=NOW - waiting,
        waiting=waiting,
    )


def queue_items() -> list[QueueItem]:
    return [
        queue_item(request(), timedelta(minutes=6)),
        queue_item(
            request(
                id=502,
                case_id=110,
                case_code="K-6VBC",
                category="food",
                remedy="dinner",
                amount=Decimal(180),
                requester=Person(ANDRII.id, ANDRII.telegram_user_id, ANDRII.name, "ru"),
            ),
            timedelta(days=14, hours=2),
        ),
    ]


QUEUE_COUNTS = Counts(waiting=11, open_cases=28, team_name=FRONT_DESK[1], org_name=ORG)


def queue_requests(**fields: Any) -> Requests:
    values: dict[str, Any] = {"counts": QUEUE_COUNTS, "items": queue_items(), "page": 1, "pages": 2}
    values.update(fields)
    return Requests(**values)


def team_case(case: CaseView) -> TeamCase:
    return TeamCase(
        case.id,
        case.code,
        case.category,
        case.description,
        case.customer_key,
        case.state,
        case.created_at,
    )


def team_cases(**fields: Any) -> TeamCases:
    values: dict[str, Any] = {
        "counts": QUEUE_COUNTS,
        "cases": [team_case(c) for c in (CASE_OPEN, CASE_ESCALATED, CASE_REOPENED)],
        "page": 0,
        "pages": 4,
        "state": "",
        "shown": 28,
    }
    values.update(fields)
    return TeamCases(**values)


def answer(csat: int, ces: int | None = None, comment: str | None = None) -> SurveyAnswer:
    return SurveyAnswer(
        case_id=CASE_RESOLVED.id,
        case_code=CASE_RESOLVED.code,
        csat=csat,
        ces=ces,
        comment=comment,
        reporter=OLENA.name,
    )


def roster_page(page: int) -> MemberPage:
    size = 4
    return MemberPage(
        members=ROSTER[page * size : (page + 1) * size],
        page=page,
        pages=2,
        total=len(ROSTER),
    )


def policy_in_force() -> PolicyInForce:
    return PolicyInForce(
        version_id=3,
        version=3,
        source=house_source(),
        policy=house_policy(),
        activated_at=ago(days=30),
    )


def proposal(changed: bool = True) -> Proposal:
    """Version 4: the hotel's file with frontline's room raised and a new remedy."""
    source = house_source()
    if changed:
        source = (
            source.replace('amount = "2000"', 'amount = "2500"', 1).replace(
                "[remedies.refund]",
                '[remedies.spa]\nuk = "Спа"\nru = "Спа"\nen = "Spa treatment"\n\n[remedies.refund]',
                1,
            )
        ).replace("escalation_sla_minutes = 15", "escalation_sla_minutes = 10", 1)
    return Proposal(draft_id=9, version=4, current=house_policy(), proposed=load_policy(source))


WEEK_START = datetime(2026, 11, 9, 5, 0, tzinfo=UTC)  # Monday 9 November, midnight in New York
WEEK_END = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)


def figures(start: datetime = WEEK_START, end: datetime = WEEK_END) -> Figures:
    policy = house_policy()
    return Figures(
        start=start,
        end=end,
        logged=47,
        resolved=44,
        backlog=5,
        fcr_cases=35,
        fcr_provisional=9,
        resolution=Durations(median=540, p90=7800, mean=2460, count=44),
        full_resolution=Durations(median=600, p90=8400, mean=2700, count=44),
        on_the_spot=21,
        escalated_cases=8,
        decisions=8,
        approvals=6,
        decision_time=Durations(median=420, p90=1500, mean=610, count=8),
        sla_breaches=1,
        reopened=2,
        surveys_sent=30,
        answers=19,
        satisfied=16,
        ces_mean=5.6,
        ces_answers=12,
        nps_answers=17,
        promoters=11,
        detractors=3,
        spend=Decimal("6840"),
        spend_by_remedy={
            "voucher": Decimal(2250),
            "refund": Decimal(3600),
            "dinner": Decimal(690),
            "upgrade": Decimal(300),
        },
        categories=[("room", 17), ("noise", 12), ("food", 9), ("billing", 6), ("service", 3)],
        causes=[("housekeeping", 9), ("event_noise", 6), ("booking_error", 3), ("", 2)],
        budgets=[(policy.budgets[0], Decimal("21400"))],
    )


def previous_figures() -> Figures:
    return replace(
        figures(WEEK_START - timedelta(days=7), WEEK_START),
        logged=41,
        resolved=40,
        fcr_cases=29,
        fcr_provisional=0,
        resolution=Durations(median=720, p90=9000, mean=2900, count=40),
        on_the_spot=17,
        escalated_cases=9,
        approvals=7,
        sla_breaches=3,
        reopened=3,
        answers=15,
        satisfied=11,
        nps_answers=14,
        promoters=7,
        detractors=3,
        spend=Decimal("7310"),
    )


def recognition() -> Recognition:
    return Recognition(
        self_resolvers=[(OLENA.name, 14), (ANDRII.name, 9), (MARIA.name, 6)],
        best_rated=[(OLENA.name, 4.9, 8), (ANDRII.name, 4.6, 5)],
        stories=[
            (CASE_RESOLVED.code, OLENA.name, "Moved the family to 1108 within ten minutes."),
            ("K-XW7E", ANDRII.name, "Remembered the guest's allergy from last year."),
        ],
    )


def days() -> list[Day]:
    first = date(2026, 11, 9)
    counts = [(5, 1, 0), (7, 2, 0), (6, 1, 1), (8, 0, 0), (9, 2, 1), (4, 1, 1), (3, 1, 2)]
    return [
        Day(first + timedelta(days=i), a, b, c, 480.0 + 60 * i)
        for i, (a, b, c) in enumerate(counts)
    ]


@dataclass(frozen=True)
class Scene:
    """The hotel in one reader's language."""

    locale: str
    policy: Policy = field(default_factory=house_policy)

    def money(self, amount: Decimal | int | str) -> str:
        return format_money(Decimal(amount), CURRENCY, self.locale)

    def label(self, remedy: str) -> str:
        return self.policy.remedy_label(remedy, self.locale)

    def category(self, key: str) -> str:
        return self.policy.category_label(key, self.locale)


def follow_up(
    csat: int = 1,
    contact: bool = False,
    outcome: str | None = None,
    note: str | None = None,
    resurvey: int | None = None,
) -> FollowUpView:
    """The follow-up of CASE_RESOLVED's low score: a voucher was given, the guest was unhappy."""
    return FollowUpView(
        id=31,
        case_id=CASE_RESOLVED.id,
        case_code=CASE_RESOLVED.code,
        category=CASE_RESOLVED.category,
        csat=csat,
        comment="Nobody called back about the cold sandwich.",
        customer_words=WORDS,
        customer_key=CASE_RESOLVED.customer_key,
        contact_requested=contact,
        reporter=OLENA.name,
        currency=CURRENCY,
        due_at=NOW + timedelta(minutes=60),
        state="closed" if outcome else "open",
        given=(FollowUpGiven("voucher", Decimal("25"), True),),
        outcome=outcome,
        closed_by=DMYTRO.name if outcome else None,
        note=note,
        resurvey_csat=resurvey,
        reachable=True,
    )
