"""Weekly digests: what goes into one, when it is due, and sending it exactly once per person
and week — across restarts and processes — through the outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, DigestDelivery, Escalation, Member, Organisation, Role, Team
from bot.outbox import enqueue, enqueue_photo
from bot.services.case_queries import lock_organisation
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.metrics import Day, Figures, MetricsService, Recognition, Scope, local_bounds
from bot.services.policies import PolicyService
from policies.model import Policy


@dataclass(frozen=True)
class Week:
    key: str  # ISO week of the report's first day, e.g. 2026-W47
    first: date
    end: date  # exclusive


@dataclass(frozen=True)
class Comparison:
    """What the changes are measured against: the previous week or month, or the same number
    of days before; while a period runs, only the same stretch of it (local days, inclusive)."""

    kind: str  # week | month | days
    running: bool
    first: date
    last: date
    before_first: date
    before_last: date


@dataclass(frozen=True)
class Content:
    """Everything a digest (or /stats) shows for one scope and period."""

    org_name: str
    team_name: str | None
    currency: str
    timezone: str
    policy: Policy
    figures: Figures
    previous: Figures
    recognition: Recognition | None
    days: list[Day]
    past_sla: int
    comparison: Comparison | None = None


@dataclass(frozen=True)
class Rendered:
    text: str
    caption: str
    png: bytes
    markup: dict[str, Any] | None = None  # under the text: what the figures mean


class DigestRenderer(Protocol):
    def render(self, content: Content, locale: str, weekly: bool = True) -> Rendered: ...


def period(policy: Policy, now: datetime, name: str) -> tuple[date, date]:
    """This week ("tw"), last week ("lw") or this month ("tm"), in the organisation's days."""
    today = now.astimezone(ZoneInfo(policy.timezone)).date()
    monday = today - timedelta(days=(today.weekday() - policy.week_start) % 7)
    if name == "lw":
        return monday - timedelta(days=7), monday
    if name == "tm":
        first = today.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    return monday, monday + timedelta(days=7)


def compared(policy: Policy, first: date, end: date, now: datetime) -> Comparison:
    """The stretch [first, end) is compared with: a policy week with the week before, a
    calendar month with the month before, any other days with as many days before; a period
    still running only with the same stretch of the one before."""
    today = now.astimezone(ZoneInfo(policy.timezone)).date()
    length = end - first
    if length.days == 7 and first.weekday() == policy.week_start:
        kind, before_first = "week", first - length
    elif first.day == 1 and end == (first + timedelta(days=32)).replace(day=1):
        kind, before_first = "month", (first - timedelta(days=1)).replace(day=1)
    else:
        kind, before_first = "days", first - length
    before_end = first if kind == "month" else before_first + length
    running = first <= today < end
    last = today if running else end - timedelta(days=1)
    before_last = min(before_first + (last - first), before_end - timedelta(days=1))
    return Comparison(kind, running, first, last, before_first, before_last)


def week_of(key: str) -> Week:
    """ "2026-W47" → Monday 16 – Sunday 22 November 2026."""
    year, _, number = key.upper().partition("-W")
    first = date.fromisocalendar(int(year), int(number), 1)
    return Week(key.upper(), first, first + timedelta(days=7))


def due_week(policy: Policy, now: datetime) -> tuple[datetime, Week]:
    """The latest digest moment at or before `now` (policy weekday and time, org time zone)
    and the policy week it reports: the last full week before that moment."""
    zone = ZoneInfo(policy.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in policy.digest_time.split(":"))
    day = local.date() - timedelta(days=(local.weekday() - policy.digest_weekday) % 7)
    moment = datetime.combine(day, time(hour, minute), zone)
    if moment > local:
        day -= timedelta(days=7)
        moment = datetime.combine(day, time(hour, minute), zone)
    end = day - timedelta(days=(day.weekday() - policy.week_start) % 7)
    first = end - timedelta(days=7)
    iso = first.isocalendar()
    return moment, Week(f"{iso.year}-W{iso.week:02d}", first, end)


class DigestService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: PolicyService,
        metrics: MetricsService,
        renderer: DigestRenderer,
        wakeup: asyncio.Event | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies
        self.metrics = metrics
        self.renderer = renderer
        self.wakeup = wakeup or asyncio.Event()

    async def content(
        self, scope: Scope, first: date, end: date, *, recognition: bool = True
    ) -> Content:
        policy = (await self.policies.in_force(scope.org_id)).policy
        async with self.db.reading() as session:
            org = await session.get(Organisation, scope.org_id)
            team = await session.get(Team, scope.team_id) if scope.team_id else None
            assert org is not None
            past_sla = await _past_sla(session, scope, policy, self.clock.now())
        start, stop = local_bounds(first, end, policy.timezone)
        length = end - first
        comparison = compared(policy, first, end, self.clock.now())
        before = local_bounds(
            comparison.before_first, comparison.before_first + length, policy.timezone
        )
        if comparison.kind == "month":
            before = local_bounds(comparison.before_first, first, policy.timezone)
        if comparison.running:
            # A period still running is compared with the same stretch of the one before,
            # by the local clock (a night the clocks change lasts as long in both).
            zone = ZoneInfo(policy.timezone)
            ran = self.clock.now().astimezone(zone).replace(tzinfo=None) - datetime.combine(
                first, time()
            )
            cut = (datetime.combine(comparison.before_first, time()) + ran).replace(tzinfo=zone)
            before = (before[0], min(cut.astimezone(before[1].tzinfo), before[1]))
        return Content(
            org_name=org.name,
            team_name=team.name if team else None,
            currency=org.currency,
            timezone=policy.timezone,
            policy=policy,
            figures=await self.metrics.figures(scope, start, stop, policy=policy),
            previous=await self.metrics.figures(scope, *before, detail=False, policy=policy),
            recognition=(
                await self.metrics.recognition(scope, start, stop, policy=policy)
                if recognition
                else None
            ),
            days=await self.metrics.days(scope, first, min(length.days, 31), policy.timezone),
            past_sla=past_sla,
            comparison=comparison,
        )

    async def reader_scope(self, actor: MemberView, team_id: int | None = None) -> Scope:
        """What this member may see: managers the organisation or any of its teams,
        supervisors their own team; nobody else anything."""
        role = Role(actor.role)
        if role.at_least(Role.MANAGER):
            if team_id:
                async with self.db.reading() as session:
                    team = await session.get(Team, team_id)
                if team is None or team.org_id != actor.org_id:
                    raise ServiceError("no_such_team")
            return Scope(actor.org_id, team_id=team_id or None)
        if role == Role.SUPERVISOR and actor.team_id is not None:
            if team_id and team_id != actor.team_id:
                raise ServiceError("not_allowed")
            return Scope(actor.org_id, team_id=actor.team_id)
        raise ServiceError("not_allowed")

    async def run_due(self) -> int:
        """Queue every digest that is due and not yet queued; returns how many."""
        now = self.clock.now()
        async with self.db.reading() as session:
            orgs = (await session.execute(select(Organisation.id, Organisation.created_at))).all()
        queued = 0
        for org_id, created_at in orgs:
            policy = (await self.policies.in_force(org_id)).policy
            _, week = due_week(policy, now)
            if created_at >= local_bounds(week.first, week.end, policy.timezone)[1]:
                continue  # the organisation did not exist in the reported week
            queued += await self._send_week(org_id, week)
        return queued

    async def _recipients(self, session: AsyncSession, org_id: int, week: Week) -> list[Member]:
        done = select(DigestDelivery.member_id).where(DigestDelivery.week == week.key)
        return list(
            await session.scalars(
                select(Member)
                .where(
                    Member.org_id == org_id,
                    Member.active.is_(True),
                    Member.reachable.is_(True),
                    (Member.role.in_((Role.MANAGER.value, Role.ADMIN.value)))
                    | ((Member.role == Role.SUPERVISOR.value) & Member.team_id.is_not(None)),
                    Member.id.not_in(done),
                )
                .order_by(Member.id)
            )
        )

    async def _send_week(self, org_id: int, week: Week) -> int:
        async with self.db.reading() as session:
            waiting = await self._recipients(session, org_id, week)
        if not waiting:
            return 0
        rendered: dict[tuple[int | None, str], Rendered] = {}
        contents: dict[int | None, Content] = {}
        for member in waiting:
            team = None if member.role != Role.SUPERVISOR.value else member.team_id
            if team not in contents:
                scope = Scope(org_id, team_id=team)
                contents[team] = await self.content(scope, week.first, week.end)
            if (team, member.language) not in rendered:
                rendered[team, member.language] = self.renderer.render(
                    contents[team], member.language
                )
        sent = 0
        async with self.db.transaction() as session:
            # One sender of this organisation's digests at a time, across processes.
            await lock_organisation(session, org_id)
            for member in await self._recipients(session, org_id, week):
                team = None if member.role != Role.SUPERVISOR.value else member.team_id
                digest = rendered.get((team, member.language))
                if digest is None:
                    continue  # joined meanwhile: the next run sends theirs
                enqueue_photo(
                    session,
                    self.clock,
                    chat_id=member.telegram_user_id,
                    png=digest.png,
                    caption=digest.caption,
                    org_id=org_id,
                )
                enqueue(
                    session,
                    self.clock,
                    chat_id=member.telegram_user_id,
                    text=digest.text,
                    reply_markup=digest.markup,
                    org_id=org_id,
                )
                session.add(
                    DigestDelivery(
                        org_id=org_id,
                        member_id=member.id,
                        week=week.key,
                        created_at=self.clock.now(),
                    )
                )
                sent += 1
        if sent:
            self.db.after_commit(self.wakeup.set)
        return sent


async def _past_sla(session: AsyncSession, scope: Scope, policy: Policy, now: datetime) -> int:
    conditions = [
        Escalation.org_id == scope.org_id,
        Escalation.state == "pending",
        Escalation.created_at < now - timedelta(minutes=policy.escalation_sla_minutes),
    ]
    if scope.team_id is not None:
        conditions += [Escalation.case_id == Case.id, Case.team_id == scope.team_id]
    return int(await session.scalar(select(func.count()).where(*conditions)) or 0)
