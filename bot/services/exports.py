"""What an export holds for a period of the organisation's days: its cases, events, spends and
surveys as plain rows (money as Decimal in the organisation's currency, times aware UTC), and
the rule for which periods may be exported."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, CaseEvent, Member, Organisation, Spend, Survey, Team
from bot.money import from_minor
from bot.services.digests import period
from bot.services.errors import ServiceError
from bot.services.metrics import local_bounds
from bot.services.policies import PolicyService
from policies.model import Policy

LONGEST = 400  # days one export may span: a year and a bit, enough for year-on-year sheets


@dataclass(frozen=True)
class CaseRow:
    code: str
    created_at: datetime
    category: str
    description: str
    state: str
    team: str
    reporter: str
    owner: str
    customer_key: str
    outcome: str | None
    first_contact: bool | None
    escalated: bool
    reopened: int
    first_resolved_at: datetime | None
    resolved_at: datetime | None
    note: str
    spent: Decimal
    cancelled_at: datetime | None
    sensitive: bool = False  # of a category the policy in force marks sensitive


@dataclass(frozen=True)
class EventRow:
    case: str
    case_state: str
    at: datetime
    kind: str
    actor: str
    payload: dict[str, object]


@dataclass(frozen=True)
class SpendRow:
    case: str
    case_state: str
    at: datetime
    remedy: str
    amount: Decimal
    given_by: str
    authorised_by: str
    team: str
    customer_key: str


@dataclass(frozen=True)
class SurveyRow:
    case: str
    case_state: str
    sent_at: datetime
    answered_at: datetime | None
    language: str
    csat: int | None
    ces: int | None
    comment: str
    nps: int | None = None
    kind: str = "survey"  # or "resurvey": a follow-up's "Is it better now?"


@dataclass(frozen=True)
class ExportData:
    """One organisation's rows for the days first..last (both included, its own days)."""

    org_name: str
    currency: str
    timezone: str
    policy: Policy
    first: date
    last: date
    cases: list[CaseRow]
    events: list[EventRow]
    spends: list[SpendRow]
    surveys: list[SurveyRow]

    def local(self, moment: datetime | None) -> datetime | None:
        """The organisation's wall-clock time, without a zone: spreadsheets have none."""
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)


def check_range(first: date, last: date, today: date) -> None:
    """A period may be exported when it runs forward, has ended by today, and is not too long."""
    if last < first:
        raise ServiceError("export_backwards")
    if last > today:
        raise ServiceError("export_future", today=today)
    if (last - first).days + 1 > LONGEST:
        raise ServiceError("export_too_long", limit=LONGEST)


PRESETS = ("tw", "lw", "tm", "lm")  # this week, last week, this month, last month


def preset_days(policy: Policy, now: datetime, key: str) -> tuple[date, date]:
    """A preset's first and last day in the organisation's days; a running one ends today."""
    today = now.astimezone(ZoneInfo(policy.timezone)).date()
    if key == "lm":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    first, end = period(policy, now, key)
    return first, min(end - timedelta(days=1), today)


class ExportService:
    def __init__(self, db: Database, clock: Clock, policies: PolicyService) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies

    async def preset(self, org_id: int, key: str) -> tuple[date, date]:
        """The days of a preset (`PRESETS`) in the organisation's calendar, as of now."""
        policy = (await self.policies.in_force(org_id)).policy
        return preset_days(policy, self.clock.now(), key)

    async def data(
        self, org_id: int, first: date, last: date, reader_role: str = "admin"
    ) -> ExportData:
        """Every case logged, event written, spend given and survey sent on those days,
        voided cases included (their status says so). Refuses a period `check_range` refuses.
        Sensitive cases are marked; for a reader whose role the policy does not let see them,
        their texts (description, customer, note, events' details, comments) are left out."""
        policy = (await self.policies.in_force(org_id)).policy
        check_range(first, last, self.clock.now().astimezone(ZoneInfo(policy.timezone)).date())
        start, end = local_bounds(first, last + timedelta(days=1), policy.timezone)
        async with self.db.reading_apart() as session:
            org = await session.get(Organisation, org_id)
            assert org is not None  # its policy was found above
            cases = await _cases(session, org, start, end)
            events = await _events(session, org_id, start, end)
            spends = await _spends(session, org, start, end)
            surveys = await _surveys(session, org_id, start, end)
            veil = bool(policy.sensitive) and not policy.sees_sensitive(reader_role)
            # Events, spends and surveys of the days may belong to cases logged before them.
            hidden = set(
                await session.scalars(
                    select(Case.code).where(
                        Case.org_id == org_id, Case.category.in_(policy.sensitive)
                    )
                )
                if veil
                else ()
            )
        cases = [replace(row, sensitive=policy.is_sensitive(row.category)) for row in cases]
        if veil:
            cases = [
                replace(row, description="", customer_key="", note="")
                if row.code in hidden
                else row
                for row in cases
            ]
            events = [replace(r, payload={}) if r.case in hidden else r for r in events]
            spends = [replace(r, customer_key="") if r.case in hidden else r for r in spends]
            surveys = [replace(r, comment="") if r.case in hidden else r for r in surveys]
        return ExportData(
            org_name=org.name,
            currency=org.currency,
            timezone=org.timezone,
            policy=policy,
            first=first,
            last=last,
            cases=cases,
            events=events,
            spends=spends,
            surveys=surveys,
        )


async def _cases(
    session: AsyncSession, org: Organisation, start: datetime, end: datetime
) -> list[CaseRow]:
    reporter, owner = aliased(Member), aliased(Member)
    spent = (
        select(Spend.case_id, func.sum(Spend.amount_minor).label("minor"))
        .group_by(Spend.case_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Case, Team.name, reporter.name, owner.name, spent.c.minor)
            .outerjoin(Team, Team.id == Case.team_id)
            .join(reporter, reporter.id == Case.reporter_id)
            .join(owner, owner.id == Case.owner_id)
            .outerjoin(spent, spent.c.case_id == Case.id)
            .where(Case.org_id == org.id, Case.created_at >= start, Case.created_at < end)
            .order_by(Case.created_at, Case.id)
        )
    ).all()
    return [
        CaseRow(
            code=case.code,
            created_at=case.created_at,
            category=case.category,
            description=case.description,
            state=case.state,
            team=team or "",
            reporter=reporter_name,
            owner=owner_name,
            customer_key=case.customer_key or "",
            outcome=case.outcome,
            first_contact=case.first_contact,
            escalated=case.escalated_ever,
            reopened=case.reopened_count,
            first_resolved_at=case.first_resolved_at,
            resolved_at=case.resolved_at,
            note=case.resolution_note or "",
            spent=from_minor(int(minor or 0), org.currency),
            cancelled_at=case.cancelled_at,
        )
        for case, team, reporter_name, owner_name, minor in rows
    ]


async def _events(
    session: AsyncSession, org_id: int, start: datetime, end: datetime
) -> list[EventRow]:
    rows = (
        await session.execute(
            select(CaseEvent, Case.code, Case.state, Member.name)
            .join(Case, Case.id == CaseEvent.case_id)
            .outerjoin(Member, Member.id == CaseEvent.actor_id)
            .where(
                CaseEvent.org_id == org_id,
                CaseEvent.created_at >= start,
                CaseEvent.created_at < end,
            )
            .order_by(CaseEvent.created_at, CaseEvent.id)
        )
    ).all()
    return [
        EventRow(
            case=code,
            case_state=state,
            at=event.created_at,
            kind=event.kind,
            actor=actor or "",
            payload=_payload(event.payload),
        )
        for event, code, state, actor in rows
    ]


async def _spends(
    session: AsyncSession, org: Organisation, start: datetime, end: datetime
) -> list[SpendRow]:
    giver, authoriser = aliased(Member), aliased(Member)
    rows = (
        await session.execute(
            select(Spend, Case.code, Case.state, giver.name, authoriser.name, Team.name)
            .join(Case, Case.id == Spend.case_id)
            .join(giver, giver.id == Spend.given_by_id)
            .join(authoriser, authoriser.id == Spend.authorised_by_id)
            .outerjoin(Team, Team.id == Spend.team_id)
            .where(Spend.org_id == org.id, Spend.created_at >= start, Spend.created_at < end)
            .order_by(Spend.created_at, Spend.id)
        )
    ).all()
    return [
        SpendRow(
            case=code,
            case_state=state,
            at=spend.created_at,
            remedy=spend.remedy,
            amount=from_minor(spend.amount_minor, org.currency),
            given_by=given_by,
            authorised_by=authorised_by,
            team=team or "",
            customer_key=spend.customer_key or "",
        )
        for spend, code, state, given_by, authorised_by, team in rows
    ]


async def _surveys(
    session: AsyncSession, org_id: int, start: datetime, end: datetime
) -> list[SurveyRow]:
    rows = (
        await session.execute(
            select(Survey, Case.code, Case.state)
            .join(Case, Case.id == Survey.case_id)
            .where(Survey.org_id == org_id, Survey.created_at >= start, Survey.created_at < end)
            .order_by(Survey.created_at, Survey.id)
        )
    ).all()
    return [
        SurveyRow(
            case=code,
            case_state=state,
            sent_at=survey.created_at,
            answered_at=survey.answered_at,
            language=survey.language or "",
            csat=survey.csat,
            ces=survey.ces,
            comment=survey.comment or "",
            nps=survey.nps,
            kind="resurvey" if survey.follow_up_id is not None else "survey",
        )
        for survey, code, state in rows
    ]


def _payload(text: str) -> dict[str, object]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
