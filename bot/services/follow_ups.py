"""Follow-ups: closing the loop on an unhappy customer. A survey answer at or below the
policy's `follow_up_below` (or any answer whose customer tapped "Please contact me") opens a
follow-up for the reporter's supervisors (the managers and admins when the team has none),
with the policy's follow-up SLA and reminders like an escalation's, through the outbox. One of
them contacts the customer and closes it with what was done — called, visited, an extra remedy
given (through the normal authority check) or could not reach — and may send the customer a
recovery re-survey: one question, "Is it better now?", 1–5, on the same kind of one-time link.

Figures (DOMAIN.md): a follow-up is *within the SLA* when it was closed no later than its due
time (opened + `follow_up_minutes`); it is *recovered* when its re-survey was answered 4 or 5."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, FollowUp, Member, Role, Spend, Survey
from bot.money import from_minor
from bot.outbox import enqueue
from bot.services.case_queries import active_member, record_event, refuse_veiled, veiled_cases
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.escalations import Person, reachable_people
from bot.services.policies import PolicyService
from bot.services.typed import NOTE_LIMIT, cleaned, mask_card_numbers
from policies.model import Policy

OUTCOMES = ("called", "visited", "remedy", "unreached")
RESURVEY_TTL = timedelta(days=7)
RECOVERED = 4  # a re-survey answered at least this: the customer came back
Markup = dict[str, Any] | None


@dataclass(frozen=True)
class Given:
    remedy: str
    amount: Decimal
    money: bool


@dataclass(frozen=True)
class FollowUpView:
    """Everything a follow-up card, a reminder or its news shows."""

    id: int
    case_id: int
    case_code: str
    category: str  # label in the reader's language is the renderer's job: the key
    csat: int
    comment: str | None
    customer_words: str | None
    customer_key: str | None
    contact_requested: bool
    reporter: str
    currency: str
    due_at: datetime
    state: str
    given: tuple[Given, ...] = ()
    outcome: str | None = None
    closed_by: str | None = None
    note: str | None = None
    reminders: int = 0
    resurvey_csat: int | None = None
    # The customer answered the survey in Telegram: a re-survey can reach them.
    reachable: bool = False


class FollowUpNotices(Protocol):
    """Renders what the follow-up service writes to the outbox, in the reader's language."""

    def card(
        self, view: FollowUpView, policy: Policy, locale: str, reminder: bool = False
    ) -> tuple[str, Markup]:
        """To a supervisor: the follow-up with its outcome buttons."""

    def resurvey(self, org_name: str, link: str, locale: str) -> tuple[str, Markup]:
        """To the customer: "Is it better now?" behind a one-time link."""

    def recovered(self, view: FollowUpView, policy: Policy, locale: str) -> tuple[str, Markup]:
        """To whoever closed it, and to the reporter: the re-survey's answer."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FollowUpService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: PolicyService,
        notices: FollowUpNotices | None = None,
        wakeup: asyncio.Event | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies
        self.notices = notices
        self.wakeup = wakeup or asyncio.Event()

    # ---- opening (inside the survey answer's transaction) ----

    async def open_for(
        self, session: AsyncSession, survey: Survey, case: Case, reporter: Member
    ) -> FollowUp | None:
        """A follow-up when this answer calls for one (see the module's docstring); its cards
        go to the reporter's supervisors through the outbox, in the same transaction."""
        policy = (await self.policies.in_force(case.org_id)).policy
        assert survey.csat is not None
        if survey.follow_up_id is not None:
            return None  # a re-survey's answer closes a loop, it opens none
        if survey.csat > policy.follow_up_below and not survey.contact_requested:
            return None
        now = self.clock.now()
        due = now + timedelta(minutes=policy.follow_up_minutes)
        follow_up = FollowUp(
            org_id=case.org_id,
            case_id=case.id,
            survey_id=survey.id,
            team_id=reporter.team_id or case.team_id,
            csat=survey.csat,
            contact_requested=survey.contact_requested,
            state="open",
            opened_at=now,
            due_at=due,
            remind_at=due,
            reminders=0,
        )
        session.add(follow_up)
        await session.flush()
        record_event(
            session,
            case,
            None,
            "follow_up_opened",
            None,
            now,
            follow_up_id=follow_up.id,
            csat=survey.csat,
            contact=survey.contact_requested,
        )
        people = await supervisors_of(session, policy, case, follow_up.team_id, reporter.id)
        await self._send_cards(session, policy, follow_up, people)
        return follow_up

    async def _send_cards(
        self,
        session: AsyncSession,
        policy: Policy,
        follow_up: FollowUp,
        people: list[Person],
        reminder: bool = False,
    ) -> None:
        if self.notices is None or not people:
            return
        view = await self._view(session, policy, follow_up)
        for person in people:
            text, markup = self.notices.card(view, policy, person.language, reminder)
            enqueue(
                session,
                self.clock,
                chat_id=person.chat_id,
                text=text,
                reply_markup=markup,
                org_id=follow_up.org_id,
            )
        self.db.after_commit(self.wakeup.set)

    async def _view(
        self, session: AsyncSession, policy: Policy, follow_up: FollowUp
    ) -> FollowUpView:
        """What the screens show of a follow-up, under `policy` (its organisation's, in
        force: read once by the caller)."""
        case = await session.get(Case, follow_up.case_id)
        survey = await session.get(Survey, follow_up.survey_id)
        assert case is not None and survey is not None
        reporter = await session.get(Member, case.reporter_id)
        closer = (
            await session.get(Member, follow_up.closed_by_id) if follow_up.closed_by_id else None
        )
        spends = (
            await session.execute(
                select(Spend.remedy, Spend.amount_minor)
                .where(Spend.case_id == case.id)
                .order_by(Spend.id)
            )
        ).all()
        currency = policy.currency
        given = tuple(
            Given(
                remedy,
                from_minor(minor, currency),
                policy.remedies[remedy].money if remedy in policy.remedies else minor > 0,
            )
            for remedy, minor in spends
        )
        resurvey = await session.scalar(
            select(Survey.csat).where(
                Survey.follow_up_id == follow_up.id, Survey.answered_at.is_not(None)
            )
        )
        return FollowUpView(
            id=follow_up.id,
            case_id=case.id,
            case_code=case.code,
            category=case.category,
            csat=follow_up.csat,
            comment=survey.comment,
            customer_words=case.customer_words,
            customer_key=case.customer_key,
            contact_requested=follow_up.contact_requested,
            reporter=reporter.name if reporter else "",
            currency=currency,
            due_at=follow_up.due_at,
            state=follow_up.state,
            given=given,
            outcome=follow_up.outcome,
            closed_by=closer.name if closer else None,
            note=follow_up.note,
            reminders=follow_up.reminders,
            resurvey_csat=resurvey,
            reachable=survey.opened_by is not None,
        )

    # ---- who may, and the card's screens ----

    async def for_closing(self, actor: MemberView, follow_up_id: int) -> FollowUpView:
        """The follow-up, for one who may close it (a supervisor of its team, a manager or an
        admin of its organisation), refused once closed."""
        policy = (await self.policies.in_force(actor.org_id)).policy
        async with self.db.reading() as session:
            follow_up, _ = await self._may_close(session, policy, actor, follow_up_id)
            return await self._view(session, policy, follow_up)

    async def _of_org(
        self, session: AsyncSession, actor: MemberView, follow_up_id: int
    ) -> FollowUp:
        follow_up = await session.get(FollowUp, follow_up_id) if follow_up_id > 0 else None
        if follow_up is None or follow_up.org_id != actor.org_id:
            raise ServiceError("no_such_follow_up")
        return follow_up

    async def _may_handle(
        self, session: AsyncSession, policy: Policy, actor: MemberView, follow_up: FollowUp
    ) -> Member:
        """A supervisor of its team, a manager or an admin — and, when its case is sensitive,
        only one who may read the case."""
        member = await active_member(session, actor)
        role = Role(member.role)
        if not role.at_least(Role.MANAGER) and not (
            role == Role.SUPERVISOR
            and (follow_up.team_id is None or member.team_id == follow_up.team_id)
        ):
            raise ServiceError("follow_up_not_yours")
        case = await session.get(Case, follow_up.case_id)
        assert case is not None
        await refuse_veiled(session, case, member, policy)
        return member

    async def _may_close(
        self, session: AsyncSession, policy: Policy, actor: MemberView, follow_up_id: int
    ) -> tuple[FollowUp, Member]:
        """The open follow-up and the member who may close it."""
        follow_up = await self._of_org(session, actor, follow_up_id)
        member = await self._may_handle(session, policy, actor, follow_up)
        if follow_up.state != "open":
            closer = await session.get(Member, follow_up.closed_by_id or 0)
            raise ServiceError("follow_up_closed", by=closer.name if closer else "")
        return follow_up, member

    # ---- closing ----

    async def close(
        self,
        actor: MemberView,
        follow_up_id: int,
        outcome: str,
        note: str | None,
        resurvey_link: str | None = None,
    ) -> tuple[FollowUpView, bool]:
        """Record what was done, once: a second close (two supervisors, a repeated tap) is
        refused and changes nothing. With `resurvey_link` (the bot's deep-link prefix), the
        customer who answered in Telegram gets "Is it better now?" behind a one-time link;
        returns whether it was sent."""
        if outcome not in OUTCOMES:
            raise ServiceError("no_such_follow_up")
        note = mask_card_numbers(cleaned(note or "").strip()[:NOTE_LIMIT]) or None
        now = self.clock.now()
        sent = False
        policy = (await self.policies.in_force(actor.org_id)).policy
        async with self.db.transaction() as session:
            follow_up, member = await self._may_close(session, policy, actor, follow_up_id)
            done = await session.execute(
                update(FollowUp)
                .where(FollowUp.id == follow_up.id, FollowUp.state == "open")
                .values(
                    state="closed",
                    outcome=outcome,
                    note=note,
                    closed_at=now,
                    closed_by_id=member.id,
                    remind_at=None,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ServiceError("follow_up_closed", by="")
            await session.refresh(follow_up)
            case = await session.get(Case, follow_up.case_id)
            survey = await session.get(Survey, follow_up.survey_id)
            assert case is not None and survey is not None
            record_event(
                session,
                case,
                member.id,
                "follow_up_closed",
                None,
                now,
                follow_up_id=follow_up.id,
                outcome=outcome,
                note=note,
            )
            if resurvey_link is not None and survey.opened_by is not None:
                token = "q" + secrets.token_urlsafe(18)
                session.add(
                    Survey(
                        org_id=case.org_id,
                        case_id=case.id,
                        token_hash=_hash(token),
                        created_at=now,
                        expires_at=now + RESURVEY_TTL,
                        follow_up_id=follow_up.id,
                    )
                )
                record_event(
                    session, case, member.id, "resurvey_sent", None, now, follow_up_id=follow_up.id
                )
                if self.notices is not None:
                    text, markup = self.notices.resurvey(
                        actor.org_name, resurvey_link + token, survey.language or actor.language
                    )
                    enqueue(
                        session,
                        self.clock,
                        chat_id=survey.opened_by,
                        text=text,
                        reply_markup=markup,
                        org_id=case.org_id,
                    )
                    self.db.after_commit(self.wakeup.set)
                sent = True
            view = await self._view(session, policy, follow_up)
        return view, sent

    # ---- the re-survey's answer (inside the survey answer's transaction) ----

    async def recovered(self, session: AsyncSession, survey: Survey) -> None:
        """Tell whoever closed the follow-up, and the reporter, how the customer feels now."""
        if self.notices is None or survey.follow_up_id is None:
            return
        follow_up = await session.get(FollowUp, survey.follow_up_id)
        if follow_up is None:
            return
        policy = (await self.policies.in_force(follow_up.org_id)).policy
        view = await self._view(session, policy, follow_up)
        case = await session.get(Case, follow_up.case_id)
        assert case is not None
        told: set[int] = set()
        for member_id in (follow_up.closed_by_id, case.reporter_id):
            member = await session.get(Member, member_id or 0)
            if member is None or member.id in told or not (member.active and member.reachable):
                continue
            told.add(member.id)
            text, markup = self.notices.recovered(view, policy, member.language)
            enqueue(
                session,
                self.clock,
                chat_id=member.telegram_user_id,
                text=text,
                reply_markup=markup,
                org_id=case.org_id,
            )
        if told:
            self.db.after_commit(self.wakeup.set)

    # ---- the SLA ----

    async def run_due(self, batch: int = 50) -> int:
        """Remind the follow-up's holders once it is past due, and again every reminder
        interval until closed; due times in the rows, taken under a lock (each reminder once,
        with two processes)."""
        now = self.clock.now()
        done = 0
        async with self.db.transaction() as session:
            rows = (
                await session.scalars(
                    select(FollowUp)
                    .where(FollowUp.state == "open", FollowUp.remind_at <= now)
                    .order_by(FollowUp.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for follow_up in rows:
                policy = (await self.policies.in_force(follow_up.org_id)).policy
                follow_up.reminders += 1
                follow_up.remind_at = now + timedelta(minutes=policy.reminder_every_minutes)
                case = await session.get(Case, follow_up.case_id)
                assert case is not None
                people = await supervisors_of(
                    session, policy, case, follow_up.team_id, case.reporter_id
                )
                await self._send_cards(session, policy, follow_up, people, reminder=True)
                done += 1
        return done

    async def open_for_team(self, actor: MemberView, limit: int = 6) -> list[FollowUpView]:
        """The open follow-ups this person may close, the most overdue first."""
        policy = (await self.policies.in_force(actor.org_id)).policy
        async with self.db.reading() as session:
            member = await active_member(session, actor)
            query = select(FollowUp).where(
                FollowUp.org_id == actor.org_id, FollowUp.state == "open"
            )
            role = Role(member.role)
            if not role.at_least(Role.MANAGER):
                if role != Role.SUPERVISOR:
                    return []
                query = query.where(
                    (FollowUp.team_id == member.team_id) | FollowUp.team_id.is_(None)
                )
            rows = (await session.scalars(query.order_by(FollowUp.due_at).limit(limit))).all()
            cases = [await session.get(Case, row.case_id) for row in rows]
            veiled = await veiled_cases(session, [c for c in cases if c], member, policy)
            return [
                await self._view(session, policy, row) for row in rows if row.case_id not in veiled
            ]


async def supervisors_of(
    session: AsyncSession,
    policy: Policy,
    case: Case,
    team_id: int | None,
    exclude: int | None,
) -> list[Person]:
    """Who hears of an unhappy customer (a low score, a follow-up): the supervisors of the
    reporter's team, else the managers and admins; for a sensitive case only those of them
    the policy lets read it."""
    sensitive = policy.is_sensitive(case.category)
    people: list[Person] = []
    if team_id is not None and (not sensitive or policy.sees_sensitive(Role.SUPERVISOR)):
        people = await reachable_people(
            session, case.org_id, [Role.SUPERVISOR], team_id=team_id, exclude=exclude
        )
    if not people:
        above = [Role.MANAGER, Role.ADMIN]
        if sensitive:
            above = [role for role in above if policy.sees_sensitive(role)]
        people = await reachable_people(session, case.org_id, above, exclude=exclude)
    return people
