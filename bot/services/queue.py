"""The approver's queue: what waits for their decision and their team's open cases, counted
and a page at a time, in an order that holds while cases change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, CaseState, Escalation, EscalationCard, Member, Role
from bot.money import from_minor
from bot.services.case_queries import veiled_cases
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from policies.model import Policy

REQUESTS_PER_PAGE = 8
CASES_PER_PAGE = 8
OPEN_STATES = (CaseState.OPEN, CaseState.ESCALATED, CaseState.REOPENED)
# The open-cases filter: "" every open case, or one state.
CASE_FILTERS = ("", CaseState.ESCALATED.value, CaseState.OPEN.value, CaseState.REOPENED.value)


@dataclass(frozen=True)
class QueueItem:
    """One request waiting for this approver."""

    escalation_id: int
    case_id: int
    case_code: str
    requester: str
    amount: Decimal
    currency: str
    remedy: str
    created_at: datetime
    waiting: timedelta


@dataclass(frozen=True)
class TeamCase:
    """One line of a team's open cases (the same shape as a line of /my)."""

    id: int
    code: str
    category: str
    description: str
    customer_key: str | None
    state: str
    created_at: datetime
    veiled: bool = False  # sensitive, and not this reader's to read: a neutral line


@dataclass(frozen=True)
class Counts:
    waiting: int  # requests waiting for this approver
    open_cases: int  # open cases of their team (of the organisation, without a team)
    team_name: str | None  # None: the whole organisation
    org_name: str


@dataclass(frozen=True)
class Requests:
    counts: Counts
    items: list[QueueItem]
    page: int
    pages: int


@dataclass(frozen=True)
class TeamCases:
    counts: Counts
    cases: list[TeamCase]
    page: int
    pages: int
    state: str  # the filter: "" every open case, or one of CASE_FILTERS
    shown: int  # cases under the filter


def _pages(total: int, size: int, page: int) -> tuple[int, int]:
    """(page, pages): a page past the end shows the last one."""
    pages = max(1, -(-total // size))
    return min(max(page, 0), pages - 1), pages


class QueueService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def _approver(self, session: AsyncSession, actor: MemberView) -> Member:
        member = await session.scalar(
            select(Member).where(
                Member.id == actor.id, Member.org_id == actor.org_id, Member.active.is_(True)
            )
        )
        if member is None or not Role(member.role).at_least(Role.SUPERVISOR):
            raise ServiceError("not_allowed")
        return member

    def _waiting_for(self, member: Member) -> Any:
        """Pending requests this approver may decide: their cards, and (below a manager) their
        team's requests waiting at their level; never their own."""
        where: Any = (
            (Escalation.org_id == member.org_id)
            & (Escalation.state == "pending")
            & (Escalation.requester_id != member.id)
        )
        if Role(member.role).at_least(Role.MANAGER):
            return where
        carded = select(EscalationCard.escalation_id).where(EscalationCard.member_id == member.id)
        ours = select(Case.id).where(
            Case.org_id == member.org_id,
            Case.team_id == member.team_id,
            Case.team_id.is_not(None),
        )
        return where & (
            Escalation.id.in_(carded)
            | (Escalation.case_id.in_(ours) & (Escalation.approver_role == member.role))
        )

    def _team_scope(self, member: Member) -> Any:
        """A supervisor's team's cases; a manager or admin without a team sees the whole org."""
        where: Any = Case.org_id == member.org_id
        if member.team_id is not None:
            where = where & (Case.team_id == member.team_id)
        elif not Role(member.role).at_least(Role.MANAGER):
            where = where & false()  # a supervisor of no team has no team cases
        return where

    async def _count(self, session: AsyncSession, model: Any, *where: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    async def _counts(self, session: AsyncSession, actor: MemberView, member: Member) -> Counts:
        return Counts(
            waiting=await self._count(session, Escalation, self._waiting_for(member)),
            open_cases=await self._count(
                session, Case, self._team_scope(member), Case.state.in_(OPEN_STATES)
            ),
            team_name=actor.team_name if member.team_id is not None else None,
            org_name=actor.org_name,
        )

    async def requests(self, actor: MemberView, page: int = 0) -> Requests:
        """Requests waiting for this approver, oldest first, a page at a time."""
        now = self.clock.now()
        async with self.db.reading() as session:
            member = await self._approver(session, actor)
            counts = await self._counts(session, actor, member)
            page, pages = _pages(counts.waiting, REQUESTS_PER_PAGE, page)
            rows = (
                await session.execute(
                    select(Escalation, Case.code, Member.name)
                    .join(Case, Case.id == Escalation.case_id)
                    .join(Member, Member.id == Escalation.requester_id)
                    .where(self._waiting_for(member))
                    .order_by(Escalation.created_at, Escalation.id)
                    .offset(page * REQUESTS_PER_PAGE)
                    .limit(REQUESTS_PER_PAGE)
                )
            ).all()
        items = [
            QueueItem(
                escalation_id=row.id,
                case_id=row.case_id,
                case_code=code,
                requester=name,
                amount=from_minor(row.amount_minor, actor.currency),
                currency=actor.currency,
                remedy=row.remedy,
                created_at=row.created_at,
                waiting=now - row.created_at,
            )
            for row, code, name in rows
        ]
        return Requests(counts, items, page, pages)

    async def team_cases(
        self, actor: MemberView, policy: Policy, page: int = 0, state: str = ""
    ) -> TeamCases:
        """The team's open cases (or those in one open state), oldest first, a page at a time."""
        if state not in CASE_FILTERS:
            state = ""
        async with self.db.reading() as session:
            member = await self._approver(session, actor)
            counts = await self._counts(session, actor, member)
            where = (
                self._team_scope(member),
                Case.state == state if state else Case.state.in_(OPEN_STATES),
            )
            shown = await self._count(session, Case, *where)
            page, pages = _pages(shown, CASES_PER_PAGE, page)
            rows = (
                await session.scalars(
                    select(Case)
                    .where(*where)
                    .order_by(Case.created_at, Case.id)
                    .offset(page * CASES_PER_PAGE)
                    .limit(CASES_PER_PAGE)
                )
            ).all()
            veiled = await veiled_cases(session, list(rows), member, policy)
        cases = [
            TeamCase(c.id, c.code, c.category, "", None, c.state, c.created_at, veiled=True)
            if c.id in veiled
            else TeamCase(
                c.id, c.code, c.category, c.description, c.customer_key, c.state, c.created_at
            )
            for c in rows
        ]
        return TeamCases(counts, cases, page, pages, state, shown)
