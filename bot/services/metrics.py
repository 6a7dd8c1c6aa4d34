"""DOMAIN.md's metrics for an organisation, a team or a member over a period, computed with SQL
aggregates (no case is loaded into Python) that give the same figures on SQLite and PostgreSQL.

Definitions, where DOMAIN.md leaves room:
- cancelled (voided) cases leave every figure, their spends included;
- a case counts as resolved in the period of its first resolution; "full" resolution time runs
  to the last resolution of a reopened case;
- FCR's "not reopened within the window": a case can only be reopened inside the window, so any
  reopen counts; a case resolved less than a window ago is provisional (it may still reopen);
- backlog at `to`: logged before `to`, not cancelled, not first-resolved before `to`;
- percentiles are interpolated between neighbours (PostgreSQL's percentile_cont), on durations
  rounded to whole seconds;
- SLA breaches: escalations raised in the period and decided later than the SLA, or still
  undecided after it;
- causes: of the cases first resolved in the period, those whose resolver told why it keeps
  happening, counted by cause (their own words counted together);
- NPS = 100 × (answers 9–10 − answers 0–6) ÷ answers 0–10 of surveys answered in the period,
  rounded to a whole number (halves away from zero); no answers, no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, CaseState, Escalation, FollowUp, Member, Spend, Survey, Team
from bot.money import from_minor
from bot.services.policies import PolicyService
from policies.engine import window
from policies.model import Budget, Policy


@dataclass(frozen=True)
class Scope:
    org_id: int
    team_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class Durations:
    median: float | None = None
    p90: float | None = None
    mean: float | None = None
    count: int = 0


@dataclass(frozen=True)
class Day:
    day: date
    self_resolved: int
    escalated: int
    still_open: int
    median_resolution: float | None


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    logged: int = 0
    resolved: int = 0
    backlog: int = 0
    fcr_cases: int = 0
    fcr_provisional: int = 0
    resolution: Durations = field(default_factory=Durations)
    full_resolution: Durations = field(default_factory=Durations)
    on_the_spot: int = 0
    escalated_cases: int = 0
    decisions: int = 0
    approvals: int = 0
    decision_time: Durations = field(default_factory=Durations)
    sla_breaches: int = 0
    reopened: int = 0
    surveys_sent: int = 0
    answers: int = 0
    satisfied: int = 0
    ces_mean: float | None = None
    ces_answers: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    spend: Decimal = Decimal(0)
    spend_by_remedy: dict[str, Decimal] = field(default_factory=dict)
    categories: list[tuple[str, int]] = field(default_factory=list)
    # Why problems keep happening, as resolvers told: (cause key, cases), most first; "" for
    # those told in their own words.
    causes: list[tuple[str, int]] = field(default_factory=list)
    budgets: list[tuple[Budget, Decimal]] = field(default_factory=list)
    # Closing the loop, over the follow-ups opened in the period (bot/services/follow_ups.py).
    follow_ups: int = 0
    followed_in_sla: int = 0  # closed no later than due (opened + the policy's minutes)
    follow_up_time: Durations = field(default_factory=Durations)  # opened → closed
    resurveyed: int = 0  # whose "Is it better now?" was answered
    recovered: int = 0  # …with 4 or 5
    # CSAT per category: key → (satisfied, answers), for the week-over-week falls.
    csat_by_category: dict[str, tuple[int, int]] = field(default_factory=dict)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def fcr(self) -> float | None:
        return self._share(self.fcr_cases, self.resolved)

    @property
    def on_the_spot_share(self) -> float | None:
        return self._share(self.on_the_spot, self.resolved)

    @property
    def escalation_rate(self) -> float | None:
        return self._share(self.escalated_cases, self.logged)

    @property
    def approval_rate(self) -> float | None:
        return self._share(self.approvals, self.decisions)

    @property
    def reopen_rate(self) -> float | None:
        return self._share(self.reopened, self.resolved)

    @property
    def csat(self) -> float | None:
        return self._share(self.satisfied, self.answers)

    @property
    def nps(self) -> int | None:
        """Promoters (9–10) less detractors (0–6), in points of all 0–10 answers (passives,
        7–8, count only there): −100 to 100."""
        if not self.nps_answers:
            return None
        points = Decimal(100 * (self.promoters - self.detractors)) / self.nps_answers
        return int(points.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def follow_up_sla_rate(self) -> float | None:
        return self._share(self.followed_in_sla, self.follow_ups)

    @property
    def recovery_rate(self) -> float | None:
        return self._share(self.recovered, self.resurveyed)

    def csat_falls(self, before: Figures, top: int = 2) -> list[tuple[str, float, float, int]]:
        """The categories whose CSAT fell most against `before`: (key, now, before, answers
        now), the largest fall first; only categories with answers in both periods."""
        falls = []
        for key, (happy, answers) in self.csat_by_category.items():
            earlier = before.csat_by_category.get(key)
            if not answers or not earlier or not earlier[1]:
                continue
            now, then = happy / answers, earlier[0] / earlier[1]
            if now < then:
                falls.append((key, now, then, answers))
        falls.sort(key=lambda fall: (fall[1] - fall[2], fall[0]))
        return falls[:top]

    @property
    def response_rate(self) -> float | None:
        return self._share(self.answers, self.surveys_sent)

    @property
    def spend_per_resolved(self) -> Decimal | None:
        return (self.spend / self.resolved).quantize(Decimal("0.01")) if self.resolved else None

    @property
    def empty(self) -> bool:
        return not (self.logged or self.resolved or self.backlog or self.answers)


@dataclass(frozen=True)
class Recognition:
    self_resolvers: list[tuple[str, int]]
    best_rated: list[tuple[str, float, int]]
    stories: list[tuple[str, str, str]]  # case code, member, their note or the customer's words
    # Who brought unhappy customers back (re-survey 4–5 on follow-ups they closed), most first.
    recoverers: list[tuple[str, int]] = field(default_factory=list)


def local_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) local days as aware UTC (a day crossing DST lasts 23 or 25 hours)."""
    zone = ZoneInfo(timezone)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return midnight(start), midnight(end)


def seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """Whole seconds between two timestamp columns, the same on both databases."""
    if dialect == "sqlite":
        raw = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    else:
        raw = func.extract("epoch", later - earlier)
    return func.round(raw)


async def durations(
    session: AsyncSession,
    expression: ColumnElement[Any],
    conditions: Sequence[Any],
    percentiles: tuple[float, ...] = (0.5, 0.9),
) -> Durations:
    """Median, p90 and mean of `expression` over the rows matching `conditions`: the count
    and mean by aggregate, the percentiles by one sort that numbers the rows and returns only
    the (at most two) neighbours around each percentile's position."""
    row = (
        await session.execute(select(func.count(), func.avg(expression)).where(*conditions))
    ).one()
    count, mean = int(row[0] or 0), row[1]
    if count == 0:
        return Durations()
    positions = {p: p * (count - 1) for p in percentiles}
    ranks = sorted(
        {int(pos) + 1 for pos in positions.values()}
        | {min(int(pos) + 2, count) for pos in positions.values()}
    )
    numbered = (
        select(
            expression.label("value"),
            func.row_number().over(order_by=expression).label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    values = {
        int(rank): float(value)
        for value, rank in (
            await session.execute(
                select(numbered.c.value, numbered.c.rank).where(numbered.c.rank.in_(ranks))
            )
        ).all()
    }

    def at(position: float) -> float:
        low = int(position)
        first = values[low + 1]
        if position == low or low + 2 > count:
            return first
        # Rounded to the millisecond: 0.9 × 4 − 3 is 0.6000000000000001 in binary.
        return round(first + (values[low + 2] - first) * (position - low), 3)

    found = {p: at(position) for p, position in positions.items()}
    return Durations(found.get(0.5), found.get(0.9), float(mean), count)


@dataclass(frozen=True)
class Loop:
    opened: int = 0
    in_sla: int = 0
    time: Durations = field(default_factory=Durations)
    resurveyed: int = 0
    recovered: int = 0


class MetricsService:
    def __init__(self, db: Database, clock: Clock, policies: PolicyService) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies

    def _cases(self, scope: Scope) -> list[Any]:
        conditions: list[Any] = [Case.org_id == scope.org_id, Case.cancelled_at.is_(None)]
        if scope.team_id is not None:
            conditions.append(Case.team_id == scope.team_id)
        if scope.member_id is not None:
            conditions.append(Case.owner_id == scope.member_id)
        return conditions

    async def figures(
        self,
        scope: Scope,
        start: datetime,
        end: datetime,
        *,
        detail: bool = True,
        policy: Policy | None = None,
    ) -> Figures:
        """Every figure; with `detail` off (last week's, for the changes) the ones that are
        only shown, never compared — full resolution time, categories, budgets — are left
        out. A caller that holds the policy in force passes it."""
        if policy is None:
            policy = (await self.policies.in_force(scope.org_id)).policy
        now = self.clock.now()
        async with self.db.reading_apart() as session:
            dialect = self.db.engine.dialect.name
            return await self._figures(session, dialect, policy, scope, start, end, now, detail)

    async def _figures(
        self,
        session: AsyncSession,
        dialect: str,
        policy: Policy,
        scope: Scope,
        start: datetime,
        end: datetime,
        now: datetime,
        detail: bool = True,
    ) -> Figures:
        cases = self._cases(scope)
        logged_in = [*cases, Case.created_at >= start, Case.created_at < end]
        resolved_in = [*cases, Case.first_resolved_at >= start, Case.first_resolved_at < end]
        window_open = now - timedelta(days=policy.reopen_window_days)
        spot = policy.on_the_spot_minutes * 60
        took = seconds(Case.first_resolved_at, Case.created_at, dialect)

        logged = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Case.escalated_ever.is_(True), 1), else_=0)), 0),
                ).where(*logged_in)
            )
        ).one()
        fcr_case = (
            Case.first_contact.is_(True)
            & Case.escalated_ever.is_(False)
            & (Case.reopened_count == 0)
        )
        resolved = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((fcr_case, 1), else_=0)), 0),
                    func.coalesce(
                        func.sum(case((Case.first_resolved_at > window_open, 1), else_=0)), 0
                    ),
                    func.coalesce(func.sum(case((took <= spot, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((Case.reopened_count > 0, 1), else_=0)), 0),
                ).where(*resolved_in)
            )
        ).one()
        # Two index ranges on (org_id, first_resolved_at) instead of one scan of every case.
        backlog = 0
        for unresolved in (Case.first_resolved_at.is_(None), Case.first_resolved_at >= end):
            backlog += int(
                await session.scalar(
                    select(func.count()).where(*cases, unresolved, Case.created_at < end)
                )
                or 0
            )
        resolution = await durations(session, took, resolved_in)
        full = (
            await durations(
                session,
                seconds(Case.resolved_at, Case.created_at, dialect),
                [*resolved_in, Case.state == CaseState.RESOLVED],
            )
            if detail
            else Durations()
        )
        categories = (
            []
            if not detail
            else [
                (str(category), int(count))
                for category, count in (
                    await session.execute(
                        select(Case.category, func.count())
                        .where(*logged_in)
                        .group_by(Case.category)
                        .order_by(func.count().desc(), Case.category)
                    )
                ).all()
            ]
        )

        causes = (
            []
            if not detail
            else [
                (str(cause or ""), int(count))
                for cause, count in (
                    await session.execute(
                        select(Case.cause, func.count())
                        .where(
                            *resolved_in,
                            Case.cause.is_not(None) | Case.cause_words.is_not(None),
                        )
                        .group_by(Case.cause)
                    )
                ).all()
            ]
        )
        causes.sort(key=lambda found: (-found[1], found[0] == "", found[0]))

        escalations = [
            Escalation.org_id == scope.org_id,
            Escalation.case_id == Case.id,
            *cases,
        ]
        decided_in = [
            *escalations,
            Escalation.state == "decided",
            Escalation.decided_at >= start,
            Escalation.decided_at < end,
        ]
        decided = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.sum(case((Escalation.decision.in_(("approve", "part")), 1), else_=0)),
                        0,
                    ),
                ).where(*decided_in)
            )
        ).one()
        decision_time = await durations(
            session, seconds(Escalation.decided_at, Escalation.created_at, dialect), decided_in
        )
        sla = policy.escalation_sla_minutes * 60
        waited = seconds(
            func.coalesce(Escalation.decided_at, literal(now, type_=Escalation.created_at.type)),
            Escalation.created_at,
            dialect,
        )
        breaches = await session.scalar(
            select(func.count()).where(
                *escalations,
                Escalation.state != "withdrawn",
                Escalation.created_at >= start,
                Escalation.created_at < end,
                waited > sla,
            )
        )

        # A follow-up's re-survey is the loop's figure, not the service's: never counted here.
        surveys = [
            Survey.org_id == scope.org_id,
            Survey.case_id == Case.id,
            Survey.follow_up_id.is_(None),
            *cases,
        ]
        sent = await session.scalar(
            select(func.count()).where(
                *surveys, Survey.created_at >= start, Survey.created_at < end
            )
        )
        answered_in = [
            *surveys,
            Survey.answered_at >= start,
            Survey.answered_at < end,
            Survey.csat.is_not(None),
        ]
        answers = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Survey.csat >= 4, 1), else_=0)), 0),
                ).where(*answered_in)
            )
        ).one()
        ces = (
            await session.execute(
                select(func.count(Survey.ces), func.avg(Survey.ces)).where(
                    *surveys, Survey.answered_at >= start, Survey.answered_at < end
                )
            )
        ).one()
        recommend = (
            await session.execute(
                select(
                    func.count(Survey.nps),
                    func.coalesce(func.sum(case((Survey.nps >= 9, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((Survey.nps <= 6, 1), else_=0)), 0),
                ).where(*surveys, Survey.answered_at >= start, Survey.answered_at < end)
            )
        ).one()

        # Per category, last week's too: the digest names the categories whose CSAT fell.
        by_category = {
            str(key): (int(happy), int(count))
            for key, count, happy in (
                await session.execute(
                    select(
                        Case.category,
                        func.count(),
                        func.coalesce(func.sum(case((Survey.csat >= 4, 1), else_=0)), 0),
                    )
                    .where(*answered_in)
                    .group_by(Case.category)
                )
            ).all()
        }
        loop = await self._loop(session, dialect, policy, cases, start, end) if detail else Loop()

        by_remedy = {
            remedy: from_minor(minor, policy.currency)
            for remedy, minor in (await self._spent(session, scope, start, end)).items()
        }
        budgets = []
        teams = (
            dict(
                (
                    await session.execute(
                        select(Team.name, Team.id).where(Team.org_id == scope.org_id)
                    )
                ).all()
            )
            if detail and policy.budgets
            else {}
        )
        for budget in policy.budgets if detail else ():
            team = teams.get(budget.team or "") if budget.scope == "team" else None
            if budget.scope == "team" and team is None:
                continue
            if scope.team_id is not None and team != scope.team_id:
                continue  # a team's figures show its own budget only
            bounds = window(budget.interval, end - timedelta(seconds=1), policy.timezone)
            since, until = bounds if bounds is not None else (None, None)
            used = await self._spent(session, Scope(scope.org_id, team_id=team), since, until)
            budgets.append((budget, from_minor(sum(used.values()), policy.currency)))

        return Figures(
            start=start,
            end=end,
            logged=int(logged[0]),
            escalated_cases=int(logged[1]),
            resolved=int(resolved[0]),
            fcr_cases=int(resolved[1]),
            fcr_provisional=int(resolved[2]),
            on_the_spot=int(resolved[3]),
            reopened=int(resolved[4]),
            backlog=int(backlog or 0),
            resolution=resolution,
            full_resolution=full,
            decisions=int(decided[0]),
            approvals=int(decided[1]),
            decision_time=decision_time,
            sla_breaches=int(breaches or 0),
            surveys_sent=int(sent or 0),
            answers=int(answers[0]),
            satisfied=int(answers[1]),
            ces_answers=int(ces[0] or 0),
            ces_mean=float(ces[1]) if ces[1] is not None else None,
            nps_answers=int(recommend[0] or 0),
            promoters=int(recommend[1]),
            detractors=int(recommend[2]),
            spend=sum(by_remedy.values(), Decimal(0)),
            spend_by_remedy=by_remedy,
            categories=categories,
            causes=causes,
            budgets=budgets,
            follow_ups=loop.opened,
            followed_in_sla=loop.in_sla,
            follow_up_time=loop.time,
            resurveyed=loop.resurveyed,
            recovered=loop.recovered,
            csat_by_category=by_category,
        )

    async def _loop(
        self,
        session: AsyncSession,
        dialect: str,
        policy: Policy,
        cases: list[Any],
        start: datetime,
        end: datetime,
    ) -> Loop:
        """The low scores of [start, end) — each opened a follow-up — how many were followed
        up within the SLA, the median time to follow up, re-surveys answered, and recovered
        (answered 4–5). A "Contact me" above the threshold is a follow-up but not a low score:
        not counted here (DOMAIN.md: follow-up rate = low scores followed up within the SLA ÷
        low scores; recovery rate = re-surveys answered 4–5 ÷ re-surveys answered)."""
        opened_in = [
            FollowUp.case_id == Case.id,
            *cases,
            FollowUp.opened_at >= start,
            FollowUp.opened_at < end,
            FollowUp.contact_requested.is_(False) | (FollowUp.csat <= policy.follow_up_below),
        ]
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.sum(
                            case(
                                (
                                    FollowUp.closed_at.is_not(None)
                                    & (FollowUp.closed_at <= FollowUp.due_at),
                                    1,
                                ),
                                else_=0,
                            )
                        ),
                        0,
                    ),
                ).where(*opened_in)
            )
        ).one()
        time = await durations(
            session,
            seconds(FollowUp.closed_at, FollowUp.opened_at, dialect),
            [*opened_in, FollowUp.closed_at.is_not(None)],
        )
        again = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Survey.csat >= 4, 1), else_=0)), 0),
                ).where(
                    *opened_in,
                    Survey.follow_up_id == FollowUp.id,
                    Survey.answered_at.is_not(None),
                )
            )
        ).one()
        return Loop(int(row[0]), int(row[1]), time, int(again[0]), int(again[1]))

    async def _spent(
        self,
        session: AsyncSession,
        scope: Scope,
        start: datetime | None,
        end: datetime | None,
    ) -> dict[str, int]:
        """Minor units spent per remedy, voided cases left out: all spends of the range (an
        index-only read) less those on voided cases (few), rather than joining every spend
        to its case."""

        def query(voided: bool) -> Any:
            q = select(Spend.remedy, func.sum(Spend.amount_minor)).where(
                Spend.org_id == scope.org_id
            )
            if start is not None and end is not None:
                q = q.where(Spend.created_at >= start, Spend.created_at < end)
            if scope.team_id is not None:
                q = q.where(Spend.team_id == scope.team_id)
            if scope.member_id is not None:
                q = q.where(
                    Spend.case_id == Case.id,
                    Case.owner_id == scope.member_id,
                    Case.cancelled_at.is_(None),
                )
            elif voided:
                q = q.where(
                    Spend.case_id.in_(
                        select(Case.id).where(
                            Case.org_id == scope.org_id, Case.cancelled_at.is_not(None)
                        )
                    )
                )
            return q.group_by(Spend.remedy).order_by(Spend.remedy)

        total = {str(r): int(m) for r, m in (await session.execute(query(False))).all()}
        if scope.member_id is None:
            for remedy, minor in (await session.execute(query(True))).all():
                total[str(remedy)] -= int(minor)
        return {remedy: minor for remedy, minor in total.items() if minor}

    async def days(self, scope: Scope, first: date, count: int, timezone: str) -> list[Day]:
        """Each local day's cases: resolved without escalation, escalated, still open now,
        and the median resolution time of the cases resolved that day."""
        result = []
        async with self.db.reading_apart() as session:
            dialect = self.db.engine.dialect.name
            for offset in range(count):
                day = first + timedelta(days=offset)
                start, end = local_bounds(day, day + timedelta(days=1), timezone)
                cases = [*self._cases(scope), Case.created_at >= start, Case.created_at < end]
                row = (
                    await session.execute(
                        select(
                            func.coalesce(
                                func.sum(
                                    case(
                                        (
                                            Case.first_resolved_at.is_not(None)
                                            & Case.escalated_ever.is_(False),
                                            1,
                                        ),
                                        else_=0,
                                    )
                                ),
                                0,
                            ),
                            func.coalesce(
                                func.sum(case((Case.escalated_ever.is_(True), 1), else_=0)), 0
                            ),
                            func.coalesce(
                                func.sum(
                                    case(
                                        (
                                            Case.first_resolved_at.is_(None)
                                            & Case.escalated_ever.is_(False),
                                            1,
                                        ),
                                        else_=0,
                                    )
                                ),
                                0,
                            ),
                        ).where(*cases)
                    )
                ).one()
                resolved = [
                    *self._cases(scope),
                    Case.first_resolved_at >= start,
                    Case.first_resolved_at < end,
                ]
                took = await durations(
                    session,
                    seconds(Case.first_resolved_at, Case.created_at, dialect),
                    resolved,
                    (0.5,),
                )
                result.append(Day(day, int(row[0]), int(row[1]), int(row[2]), took.median))
        return result

    async def recognition(
        self, scope: Scope, start: datetime, end: datetime, policy: Policy | None = None
    ) -> Recognition:
        cases = self._cases(scope)
        # A sensitive case is never a story, whoever reads the digest (counts keep it).
        policy = policy or (await self.policies.in_force(scope.org_id)).policy
        sensitive = policy.sensitive
        async with self.db.reading_apart() as session:
            resolvers = (
                await session.execute(
                    select(Member.name, func.count())
                    .select_from(Case)
                    .join(Member, Member.id == Case.owner_id)
                    .where(
                        *cases,
                        Case.first_resolved_at >= start,
                        Case.first_resolved_at < end,
                        Case.escalated_ever.is_(False),
                    )
                    .group_by(Member.id, Member.name)
                    .order_by(func.count().desc(), Member.name)
                    .limit(3)
                )
            ).all()
            rated = (
                await session.execute(
                    select(Member.name, func.avg(Survey.csat), func.count())
                    .select_from(Survey)
                    .join(Case, Case.id == Survey.case_id)
                    .join(Member, Member.id == Case.owner_id)
                    .where(
                        *cases,
                        Survey.answered_at >= start,
                        Survey.answered_at < end,
                        Survey.csat.is_not(None),
                        Survey.follow_up_id.is_(None),
                    )
                    .group_by(Member.id, Member.name)
                    .order_by(func.avg(Survey.csat).desc(), func.count().desc(), Member.name)
                    .limit(3)
                )
            ).all()
            stories = (
                await session.execute(
                    select(
                        Case.code,
                        Member.name,
                        func.coalesce(Case.resolution_note, Survey.comment),
                    )
                    .select_from(Survey)
                    .join(Case, Case.id == Survey.case_id)
                    .join(Member, Member.id == Case.owner_id)
                    .where(
                        *cases,
                        Survey.answered_at >= start,
                        Survey.answered_at < end,
                        Survey.csat == 5,
                        Survey.follow_up_id.is_(None),
                        (Case.resolution_note.is_not(None)) | (Survey.comment.is_not(None)),
                        *((Case.category.not_in(sensitive),) if sensitive else ()),
                    )
                    .order_by(Survey.answered_at, Survey.id)
                    .limit(2)
                )
            ).all()
            # Recoveries: re-surveys answered 4–5 in the period, by who closed the follow-up.
            recoverers = (
                await session.execute(
                    select(Member.name, func.count())
                    .select_from(Survey)
                    .join(FollowUp, FollowUp.id == Survey.follow_up_id)
                    .join(Case, Case.id == FollowUp.case_id)
                    .join(Member, Member.id == FollowUp.closed_by_id)
                    .where(
                        *cases,
                        Survey.answered_at >= start,
                        Survey.answered_at < end,
                        Survey.csat >= 4,
                    )
                    .group_by(Member.id, Member.name)
                    .order_by(func.count().desc(), Member.name)
                    .limit(1)
                )
            ).all()
        return Recognition(
            recoverers=[(str(name), int(n)) for name, n in recoverers],
            self_resolvers=[(str(name), int(n)) for name, n in resolvers],
            best_rated=[(str(name), float(avg), int(n)) for name, avg, n in rated],
            stories=[(str(code), str(name), str(text)) for code, name, text in stories],
        )
