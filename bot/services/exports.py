"""CSV exports of cases and of their events for a period: UTF-8, a header row, times in ISO
8601 with the organisation's offset, money in the organisation's currency."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.db.engine import Database
from bot.db.models import Case, CaseEvent, Member, Organisation, Spend, Team
from bot.money import from_minor

CASE_COLUMNS = (
    "code",
    "category",
    "state",
    "team",
    "reporter",
    "owner",
    "customer_key",
    "created_at",
    "first_resolved_at",
    "resolved_at",
    "outcome",
    "first_contact",
    "escalated",
    "reopened",
    "spent",
    "currency",
    "cancelled_at",
)
EVENT_COLUMNS = ("case", "at", "kind", "actor", "details")


class ExportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def cases_csv(self, org_id: int, start: datetime, end: datetime) -> bytes:
        reporter, owner = aliased(Member), aliased(Member)
        spent = (
            select(Spend.case_id, func.sum(Spend.amount_minor).label("minor"))
            .group_by(Spend.case_id)
            .subquery()
        )
        async with self.db.reading() as session:
            org = await session.get(Organisation, org_id)
            assert org is not None
            zone = ZoneInfo(org.timezone)
            rows = (
                await session.execute(
                    select(Case, Team.name, reporter.name, owner.name, spent.c.minor)
                    .outerjoin(Team, Team.id == Case.team_id)
                    .join(reporter, reporter.id == Case.reporter_id)
                    .join(owner, owner.id == Case.owner_id)
                    .outerjoin(spent, spent.c.case_id == Case.id)
                    .where(Case.org_id == org_id, Case.created_at >= start, Case.created_at < end)
                    .order_by(Case.created_at, Case.id)
                )
            ).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CASE_COLUMNS)
        for case, team, reporter_name, owner_name, minor in rows:
            writer.writerow(
                (
                    case.code,
                    case.category,
                    case.state,
                    team or "",
                    reporter_name,
                    owner_name,
                    case.customer_key or "",
                    _iso(case.created_at, zone),
                    _iso(case.first_resolved_at, zone),
                    _iso(case.resolved_at, zone),
                    case.outcome or "",
                    "" if case.first_contact is None else str(case.first_contact).lower(),
                    str(case.escalated_ever).lower(),
                    case.reopened_count,
                    from_minor(int(minor or 0), org.currency),
                    org.currency,
                    _iso(case.cancelled_at, zone),
                )
            )
        return buffer.getvalue().encode("utf-8")

    async def events_csv(self, org_id: int, start: datetime, end: datetime) -> bytes:
        async with self.db.reading() as session:
            org = await session.get(Organisation, org_id)
            assert org is not None
            zone = ZoneInfo(org.timezone)
            rows = (
                await session.execute(
                    select(CaseEvent, Case.code, Member.name)
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
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EVENT_COLUMNS)
        for event, code, actor in rows:
            writer.writerow(
                (code, _iso(event.created_at, zone), event.kind, actor or "", event.payload)
            )
        return buffer.getvalue().encode("utf-8")


def _iso(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""
