"""Escalations: who gets a request that exceeds authority, how they decide, and what happens
when nobody answers in time. Every notification is written to the outbox in the same
transaction as the change that caused it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import (
    Case,
    CaseEvent,
    CaseState,
    Escalation,
    EscalationCard,
    Member,
    Organisation,
    OutboxMessage,
    Role,
    Spend,
)
from bot.money import from_minor, to_minor
from bot.outbox import enqueue, enqueue_media
from bot.services.case_queries import (
    Spender,
    active_member,
    case_of_org,
    count_usage,
    lock_organisation,
    record_event,
)
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.policies import PolicyInForce, PolicyService
from bot.services.typed import REASON_LIMIT, typed
from policies.engine import Outcome, decide, usage_needed, window
from policies.model import Limit, Policy

DECISIONS = ("approve", "part", "deny", "take")
Markup = dict[str, Any] | None


@dataclass(frozen=True)
class Person:
    member_id: int
    chat_id: int
    name: str
    language: str


@dataclass(frozen=True)
class Spent:
    """What was given with one remedy (summed), and on which case."""

    amount: Decimal
    remedy: str
    case_code: str


@dataclass(frozen=True)
class EscalationView:
    """Everything a card, a reminder or a decision notice shows."""

    id: int
    org_id: int
    currency: str
    timezone: str
    case_id: int
    case_code: str
    category: str
    description: str
    customer_key: str | None
    customer_words: str | None
    requester: Person
    remedy: str
    amount: Decimal
    approver_role: str | None
    state: str
    created_at: datetime
    requester_room: Decimal | None = None  # the requester's authority left for this remedy
    requester_limit: Limit | None = None  # …and the limit that sets it
    decision: str | None = None
    approved: Decimal | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reminders: int = 0
    used: bool = False
    photo_file_id: str | None = None  # the case's photo, shown to approvers above the card
    voice_file_id: str | None = None
    given_on_case: tuple[Spent, ...] = ()  # spends already recorded on this case
    # …and on the customer's other cases today (None: the case names no customer).
    given_to_customer: tuple[Spent, ...] | None = None
    # Above this amount the approver reading it is asked once more (None: never).
    confirm_above: Decimal | None = None


class Notices(Protocol):
    """Renders notifications in the reader's language (bot.app wires the bot's)."""

    def card(
        self,
        view: EscalationView,
        policy: Policy,
        locale: str,
        now: datetime | None = None,
        reminder: bool = False,
    ) -> tuple[str, Markup]:
        """The request with decision buttons, as of `now`; a reminder says it still waits."""

    def decided_card(
        self, view: EscalationView, policy: Policy, locale: str, undo: bool = False
    ) -> tuple[str, Markup]:
        """The request and its decision; `undo`: the decider's own card offers Undo."""

    def undone_news(
        self, view: EscalationView, policy: Policy, locale: str, name: str
    ) -> tuple[str, Markup]:
        """The requester's news once `name` took the decision back: the request waits again."""

    def decision_news(
        self, view: EscalationView, policy: Policy, locale: str
    ) -> tuple[str, Markup]: ...

    def climbed_news(
        self, view: EscalationView, policy: Policy, locale: str, names: list[str]
    ) -> tuple[str, Markup]: ...

    def nobody_can_approve(
        self, view: EscalationView, policy: Policy, locale: str
    ) -> tuple[str, Markup]: ...

    def unreachable(self, name: str, org_name: str, locale: str) -> tuple[str, Markup]: ...

    def media_caption(self, view: EscalationView, policy: Policy, locale: str) -> str:
        """The caption of the case's photo or voice note sent just above a card."""


@dataclass(frozen=True)
class Routed:
    role: str | None
    people: list[Person]
    admins: list[Person]  # told when nobody can approve


def _person(member: Member) -> Person:
    return Person(member.id, member.telegram_user_id, member.name, member.language)


async def reachable_people(
    session: AsyncSession,
    org_id: int,
    roles: list[Role],
    *,
    team_id: int | None = None,
    exclude: int | None = None,
) -> list[Person]:
    """Active members of an organisation the bot can still write to, with one of `roles`
    (of one team, when `team_id` is given), but not `exclude`."""
    query = select(Member).where(
        Member.org_id == org_id,
        Member.role.in_([role.value for role in roles]),
        Member.active.is_(True),
        Member.reachable.is_(True),
    )
    if team_id is not None:
        query = query.where(Member.team_id == team_id)
    if exclude is not None:
        query = query.where(Member.id != exclude)
    return [_person(m) for m in await session.scalars(query.order_by(Member.id))]


class EscalationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: PolicyService,
        notices: Notices,
        wakeup: asyncio.Event | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies
        self.notices = notices
        self.wakeup = wakeup or asyncio.Event()

    # ---- routing (called inside the transaction that creates the escalation) ----

    async def route(
        self,
        session: AsyncSession,
        policy: Policy,
        escalation: Escalation,
        case: Case,
        start_role: str | None,
    ) -> Routed:
        """Send the request to the lowest role from `start_role` up whose active members'
        own limits cover it (the reporter's team first); flag it for the admins when nobody
        can."""
        now = self.clock.now()
        role, people = await self._approvers(session, policy, escalation, case, start_role)
        view = await self._view(session, policy, escalation)
        if people:
            escalation.approver_role = role
            escalation.remind_at = now + timedelta(minutes=policy.escalation_sla_minutes)
            escalation.climb_at = now + timedelta(minutes=2 * policy.escalation_sla_minutes)
            await self._send_cards(session, policy, replace(view, approver_role=role), people)
            return Routed(role, people, [])
        escalation.approver_role = None
        escalation.flagged = True
        escalation.remind_at = escalation.climb_at = None
        admins = await self._tell_admins(session, policy, escalation, view)
        return Routed(None, [], admins)

    async def _tell_admins(
        self, session: AsyncSession, policy: Policy, escalation: Escalation, view: EscalationView
    ) -> list[Person]:
        """Nobody in the bot can approve this request: its organisation's admins are told."""
        admins = await self._admins(session, escalation.org_id, exclude=escalation.requester_id)
        for admin in admins:
            self._send(
                session,
                admin.chat_id,
                self.notices.nobody_can_approve(view, policy, admin.language),
                escalation.org_id,
            )
        self._wake_after(session)
        return admins

    def _send(
        self,
        session: AsyncSession,
        chat_id: int,
        rendered: tuple[str, Markup],
        org_id: int,
        **options: Any,
    ) -> OutboxMessage:
        text, markup = rendered
        return enqueue(
            session,
            self.clock,
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            org_id=org_id,
            **options,
        )

    async def _approvers(
        self,
        session: AsyncSession,
        policy: Policy,
        escalation: Escalation,
        case: Case,
        start_role: str | None,
    ) -> tuple[str | None, list[Person]]:
        role, seen = start_role, set()
        while role is not None and role not in seen:
            seen.add(role)
            roles = [role, Role.ADMIN.value] if role == Role.MANAGER else [role]
            members = (
                await session.scalars(
                    select(Member)
                    .where(
                        Member.org_id == escalation.org_id,
                        Member.active.is_(True),
                        Member.reachable.is_(True),
                        Member.role.in_(roles),
                        Member.id != escalation.requester_id,
                    )
                    .order_by(Member.id)
                )
            ).all()
            amount = from_minor(escalation.amount_minor, policy.currency)
            able = [
                m
                for m in members
                if await self._covers(session, policy, m, escalation, case, amount)
            ]
            ours = [m for m in able if case.team_id is not None and m.team_id == case.team_id]
            if able:
                return role, [_person(m) for m in (ours or able)]
            role = policy.rules(role).approver
        return None, []

    async def _covers(
        self,
        session: AsyncSession,
        policy: Policy,
        member: Member,
        escalation: Escalation,
        case: Case,
        amount: Decimal,
    ) -> bool:
        room = await self._room(session, policy, member, escalation.remedy, case, amount)
        return room.outcome == Outcome.ALLOWED

    async def _room(
        self,
        session: AsyncSession,
        policy: Policy,
        member: Member,
        remedy: str,
        case: Case,
        amount: Decimal,
    ) -> Any:
        spender = Spender(member.id, member.org_id, member.team_id, policy.currency)
        usage = await count_usage(
            session,
            policy,
            usage_needed(policy, member.role, remedy),
            spender,
            case,
            self.clock.now(),
        )
        return decide(policy, member.role, remedy, amount, usage)

    async def _admins(self, session: AsyncSession, org_id: int, exclude: int) -> list[Person]:
        return await reachable_people(session, org_id, [Role.ADMIN], exclude=exclude)

    async def _send_cards(
        self,
        session: AsyncSession,
        policy: Policy,
        view: EscalationView,
        people: list[Person],
        reminder: bool = False,
    ) -> None:
        now = self.clock.now()
        for person in people:
            if not reminder:
                # The case's photo or voice note first: the card edited later stays below it
                # (one chat's outbox goes out in order).
                self._send_media(session, policy, view, person)
            row = self._send(
                session,
                person.chat_id,
                self.notices.card(view, policy, person.language, now, reminder),
                view.org_id,
            )
            await session.flush()
            session.add(
                EscalationCard(
                    escalation_id=view.id,
                    member_id=person.member_id,
                    outbox_id=row.id,
                    created_at=now,
                )
            )
        self._wake_after(session)

    def _send_media(
        self, session: AsyncSession, policy: Policy, view: EscalationView, person: Person
    ) -> None:
        media = (("photo", view.photo_file_id), ("voice", view.voice_file_id))
        for kind, file_id in media:
            if file_id:
                enqueue_media(
                    session,
                    self.clock,
                    chat_id=person.chat_id,
                    kind=kind,
                    file_id=file_id,
                    caption=self.notices.media_caption(view, policy, person.language),
                    org_id=view.org_id,
                )

    def _wake_after(self, session: AsyncSession) -> None:
        """Wake this process's outbox sender once the transaction has committed."""

        def woken(_: Any) -> None:
            self.wakeup.set()

        event.listen(session.sync_session, "after_commit", woken, once=True)

    async def _view(
        self, session: AsyncSession, policy: Policy, escalation: Escalation
    ) -> EscalationView:
        case = await session.get(Case, escalation.case_id)
        requester = await session.get(Member, escalation.requester_id)
        org = await session.get(Organisation, escalation.org_id)
        assert case is not None and requester is not None and org is not None
        decider = (
            await session.get(Member, escalation.decided_by_id)
            if escalation.decided_by_id
            else None
        )
        room = await self._room(
            session, policy, requester, escalation.remedy, case, Decimal("0.01")
        )
        tightest = min(room.checks, key=lambda c: c.remaining, default=None)
        on_case, to_customer = await self._given(session, policy, case)
        return EscalationView(
            id=escalation.id,
            org_id=escalation.org_id,
            currency=org.currency,
            timezone=org.timezone,
            case_id=case.id,
            case_code=case.code,
            category=case.category,
            description=case.description,
            customer_key=case.customer_key,
            customer_words=case.customer_words,
            requester=_person(requester),
            remedy=escalation.remedy,
            amount=from_minor(escalation.amount_minor, org.currency),
            approver_role=escalation.approver_role,
            state=escalation.state,
            created_at=escalation.created_at,
            requester_room=tightest.remaining if tightest else None,
            requester_limit=tightest.limit if tightest else None,
            decision=escalation.decision,
            approved=(
                from_minor(escalation.approved_minor, org.currency)
                if escalation.approved_minor is not None
                else None
            ),
            reason=escalation.reason,
            decided_by=decider.name if decider else None,
            decided_at=escalation.decided_at,
            reminders=escalation.reminders,
            used=escalation.used_at is not None,
            photo_file_id=case.photo_file_id,
            voice_file_id=case.voice_file_id,
            given_on_case=on_case,
            given_to_customer=to_customer,
        )

    async def _given(
        self, session: AsyncSession, policy: Policy, case: Case
    ) -> tuple[tuple[Spent, ...], tuple[Spent, ...] | None]:
        """What this case has had, and what its customer had today on other cases (voided
        cases left out), summed per remedy and case in the order first given."""
        query = (
            select(
                Case.code,
                Spend.remedy,
                func.sum(Spend.amount_minor),
                func.min(Spend.id).label("first"),
            )
            .join(Case, Case.id == Spend.case_id)
            .where(Spend.org_id == case.org_id, Case.cancelled_at.is_(None))
            .group_by(Case.code, Spend.remedy)
            .order_by("first")
        )

        async def spent(*where: Any) -> tuple[Spent, ...]:
            rows = (await session.execute(query.where(*where))).all()
            return tuple(
                Spent(from_minor(int(total), policy.currency), remedy, code)
                for code, remedy, total, _ in rows
            )

        on_case = await spent(Spend.case_id == case.id)
        if not case.customer_key:
            return on_case, None
        bounds = window("day", self.clock.now(), policy.timezone, policy.week_start)
        assert bounds is not None
        to_customer = await spent(
            Spend.customer_key == case.customer_key,
            Spend.case_id != case.id,
            Spend.created_at >= bounds[0],
            Spend.created_at < bounds[1],
        )
        return on_case, to_customer

    # ---- reading ----

    async def for_approver(self, telegram_user_id: int, escalation_id: int) -> EscalationView:
        """The request as an approver sees it (refused to anyone who may not decide it)."""
        async with self.db.reading() as session:
            escalation, member = await self._approver_of(session, telegram_user_id, escalation_id)
            await self._may_decide(session, escalation, member)
            policy = (await self.policies.in_force(escalation.org_id)).policy
            view = await self._view(session, policy, escalation)
            return replace(
                view, confirm_above=policy.confirm_threshold(member.role, escalation.remedy)
            )

    async def waiting_for(self, actor: MemberView, case_id: int) -> tuple[str | None, list[str]]:
        """Whom a case's pending request waits for: (their role, their names)."""
        async with self.db.reading() as session:
            escalation = await session.scalar(
                select(Escalation)
                .where(
                    Escalation.org_id == actor.org_id,
                    Escalation.case_id == case_id,
                    Escalation.state == "pending",
                )
                .order_by(Escalation.id.desc())
                .limit(1)
            )
            if escalation is None:
                return None, []
            names = await session.scalars(
                select(Member.name)
                .join(EscalationCard, EscalationCard.member_id == Member.id)
                .where(EscalationCard.escalation_id == escalation.id)
                .distinct()
                .order_by(Member.name)
            )
            return escalation.approver_role, list(names)

    # ---- deciding ----

    async def _approver_of(
        self, session: AsyncSession, telegram_user_id: int, escalation_id: int
    ) -> tuple[Escalation, Member]:
        escalation = await session.get(Escalation, escalation_id, populate_existing=True)
        if escalation is None:
            raise ServiceError("no_such_case")
        member = await session.scalar(
            select(Member).where(
                Member.org_id == escalation.org_id,
                Member.telegram_user_id == telegram_user_id,
                Member.active.is_(True),
            )
        )
        # Someone of another organisation sees exactly what a missing request looks like.
        if member is None:
            raise ServiceError("no_such_case")
        return escalation, member

    async def _may_decide(
        self, session: AsyncSession, escalation: Escalation, member: Member
    ) -> None:
        if member.id == escalation.requester_id:
            raise ServiceError("own_request")
        role = Role(member.role)
        if not role.at_least(Role.SUPERVISOR):
            raise ServiceError("not_allowed")
        carded = await session.scalar(
            select(EscalationCard.id).where(
                EscalationCard.escalation_id == escalation.id,
                EscalationCard.member_id == member.id,
            )
        )
        above = escalation.approver_role is None or (
            escalation.approver_role in {r.value for r in Role}
            and role.rank > Role(escalation.approver_role).rank
        )
        if carded is None and not above and not role.at_least(Role.MANAGER):
            case = await session.get(Case, escalation.case_id)
            ours = (
                case is not None
                and case.team_id is not None
                and case.team_id == member.team_id
                and escalation.approver_role == member.role
            )
            if not ours:
                raise ServiceError("not_your_escalation")

    async def decide(
        self,
        telegram_user_id: int,
        escalation_id: int,
        decision: str,
        *,
        amount: Decimal | None = None,
        reason: str | None = None,
        message_id: int | None = None,
    ) -> EscalationView:
        """The first decision wins; it is checked against the approver's own authority (an
        approval above it becomes an approval of what they may give) and every approver's
        card and the requester's news go to the outbox in the same transaction."""
        if decision not in DECISIONS:
            raise ServiceError("not_allowed")
        now = self.clock.now()
        async with self.db.transaction() as session:
            escalation, member, current = await self._held(session, telegram_user_id, escalation_id)
            policy = current.policy
            currency = policy.currency
            if escalation.state != "pending":
                raise await self._too_late(session, escalation)
            case = await session.get(Case, escalation.case_id, populate_existing=True)
            assert case is not None
            if case.state == CaseState.CANCELLED:
                raise ServiceError("case_cancelled")
            await self._may_decide(session, escalation, member)
            asked = from_minor(escalation.amount_minor, currency)
            approved: Decimal | None = None
            if decision in ("approve", "part"):
                wanted = asked if decision == "approve" else amount
                if wanted is None or wanted <= 0:
                    raise ServiceError("amount_zero")
                if wanted > asked:
                    raise ServiceError("part_above_request")
                room = await self._room(session, policy, member, escalation.remedy, case, wanted)
                if room.outcome == Outcome.ALLOWED:
                    approved = wanted
                elif room.outcome == Outcome.PARTIAL:
                    approved = room.now  # what their own authority holds
                else:
                    raise ServiceError("beyond_authority")
                if approved < asked:
                    decision = "part"
            elif decision == "deny":
                reason = typed(reason, REASON_LIMIT, "note_too_long")
                if not reason:
                    raise ServiceError("reason_needed")
            taken = await session.execute(
                update(Escalation)
                .where(Escalation.id == escalation.id, Escalation.state == "pending")
                .values(
                    state="decided",
                    decision=decision,
                    approved_minor=to_minor(approved, currency) if approved is not None else None,
                    reason=reason if decision == "deny" else None,
                    decided_by_id=member.id,
                    decided_at=now,
                    remind_at=None,
                    climb_at=None,
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise await self._too_late(session, escalation)
            await session.refresh(escalation)
            if case.state == CaseState.ESCALATED:
                case.state = CaseState.OPEN
            owner = case.owner_id
            if decision == "take":
                case.owner_id = member.id
            record_event(
                session,
                case,
                member.id,
                "decided",
                current.version_id,
                now,
                decision=decision,
                amount=str(approved) if approved is not None else None,
                asked=str(asked),
                remedy=escalation.remedy,
                reason=reason if decision == "deny" else None,
                escalation_id=escalation.id,
                owner_id=owner,  # whose the case was, should the decision be undone
            )
            view = await self._view(session, policy, escalation)
            news = await self._tell_decided(session, policy, view, undo_on=(member.id, message_id))
            escalation.news_outbox_id = news.id if news else None
            return view

    async def _held(
        self, session: AsyncSession, telegram_user_id: int, escalation_id: int
    ) -> tuple[Escalation, Member, PolicyInForce]:
        """The request and its approver under the organisation's lock — one decision (or
        undo) at a time per organisation, the same lock as spends — and the policy in force."""
        org_id = await session.scalar(
            select(Escalation.org_id).where(Escalation.id == escalation_id)
        )
        if org_id is None:
            raise ServiceError("no_such_case")
        await lock_organisation(session, org_id)
        escalation, member = await self._approver_of(session, telegram_user_id, escalation_id)
        return escalation, member, await self.policies.in_force(org_id)

    async def undo(self, telegram_user_id: int, escalation_id: int) -> EscalationView:
        """The approver takes their decision back while nothing has happened on the case since
        (the requester gave nothing, the taker did nothing): the request waits again with
        fresh SLA times, every card shows it pending, and the requester's news says so."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            escalation, member, current = await self._held(session, telegram_user_id, escalation_id)
            policy = current.policy
            if escalation.state == "withdrawn":
                raise ServiceError("escalation_withdrawn")
            if escalation.state == "pending":  # undone already (a second tap)
                return await self._view(session, policy, escalation)
            if escalation.decided_by_id != member.id:
                decider = await session.get(Member, escalation.decided_by_id or 0)
                raise ServiceError("undo_not_yours", name=decider.name if decider else "—")
            case = await session.get(Case, escalation.case_id, populate_existing=True)
            assert case is not None
            decided = await self._decision_event(session, escalation)
            later = await session.scalar(
                select(func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == case.id, CaseEvent.id > (decided.id if decided else 0))
            )
            if escalation.used_at is not None or decided is None or later:
                raise ServiceError("undo_too_late")
            payload = json.loads(decided.payload or "{}")
            sla = timedelta(minutes=policy.escalation_sla_minutes)
            decision = escalation.decision
            escalation.state = "pending"
            escalation.decision = None
            escalation.approved_minor = None
            escalation.reason = None
            escalation.decided_by_id = None
            escalation.decided_at = None
            escalation.remind_at, escalation.climb_at = now + sla, now + 2 * sla
            if case.state == CaseState.OPEN:
                case.state = CaseState.ESCALATED
            if decision == "take":
                case.owner_id = payload.get("owner_id") or escalation.requester_id
            record_event(
                session,
                case,
                member.id,
                "undone",
                current.version_id,
                now,
                decision=decision,
                escalation_id=escalation.id,
            )
            await session.flush()
            view = await self._view(session, policy, escalation)
            for card_member, original in await self._cards(session, escalation.id):
                self._send(
                    session,
                    card_member.telegram_user_id,
                    self.notices.card(view, policy, card_member.language, now),
                    view.org_id,
                    edit_of=original,
                )
            news = await session.get(OutboxMessage, escalation.news_outbox_id or 0)
            if news is not None:
                self._send(
                    session,
                    view.requester.chat_id,
                    self.notices.undone_news(view, policy, view.requester.language, member.name),
                    view.org_id,
                    edit_of=news,
                )
            escalation.news_outbox_id = None
            self._wake_after(session)
            return view

    async def _decision_event(
        self, session: AsyncSession, escalation: Escalation
    ) -> CaseEvent | None:
        """The "decided" event of this request's current decision."""
        events = (
            await session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == escalation.case_id, CaseEvent.kind == "decided")
                .order_by(CaseEvent.id.desc())
            )
        ).all()
        for row in events:
            if json.loads(row.payload or "{}").get("escalation_id") == escalation.id:
                return row
        return None

    async def _cards(
        self, session: AsyncSession, escalation_id: int
    ) -> list[tuple[Member, OutboxMessage]]:
        rows = (
            await session.execute(
                select(Member, OutboxMessage)
                .join(EscalationCard, EscalationCard.member_id == Member.id)
                .join(OutboxMessage, OutboxMessage.id == EscalationCard.outbox_id)
                .where(EscalationCard.escalation_id == escalation_id)
                .order_by(EscalationCard.id)
            )
        ).all()
        return [(member, original) for member, original in rows]

    async def _too_late(self, session: AsyncSession, escalation: Escalation) -> ServiceError:
        if escalation.state == "withdrawn":
            return ServiceError("escalation_withdrawn")
        decider = await session.get(Member, escalation.decided_by_id or 0)
        org = await session.get(Organisation, escalation.org_id)
        return ServiceError(
            "already_decided",
            name=decider.name if decider else "—",
            at=escalation.decided_at,
            now=self.clock.now(),
            timezone=org.timezone if org else "UTC",
        )

    async def withdraw(
        self,
        session: AsyncSession,
        policy: Policy,
        escalation: Escalation,
        by: Member,
        why: str,
    ) -> None:
        """The request is withdrawn — `why`: "void" (the case was voided), "withdrawn" (the
        requester took it back) or "resolved" (the case was resolved meanwhile) — and every
        approver's card says so and by whom. Withdrawals are not decisions: the metrics
        count only decided requests."""
        escalation.state = "withdrawn"
        escalation.reason = why
        escalation.decided_by_id = by.id
        escalation.decided_at = self.clock.now()
        escalation.remind_at = escalation.climb_at = None
        await session.flush()
        view = await self._view(session, policy, escalation)
        await self._tell_decided(session, policy, view, tell_requester=False)

    async def _tell_decided(
        self,
        session: AsyncSession,
        policy: Policy,
        view: EscalationView,
        tell_requester: bool = True,
        undo_on: tuple[int, int | None] | None = None,
    ) -> OutboxMessage | None:
        """Every card of this request is edited (the tapped one too: the handler has shown
        it already, so Telegram answers "not modified", which counts as sent). `undo_on`
        (the decider, the message they tapped) keeps Undo on that card; the requester's
        news is returned, to be edited should the decision be undone."""
        for member, original in await self._cards(session, view.id):
            undo = undo_on is not None and (member.id, original.telegram_message_id) == undo_on
            self._send(
                session,
                member.telegram_user_id,
                self.notices.decided_card(view, policy, member.language, undo),
                view.org_id,
                edit_of=original,
            )
        news = None
        if tell_requester:
            news = self._send(
                session,
                view.requester.chat_id,
                self.notices.decision_news(view, policy, view.requester.language),
                view.org_id,
            )
            await session.flush()
        self._wake_after(session)
        return news

    async def give_approved(self, actor: MemberView, escalation_id: int) -> EscalationView:
        """The requester gives what was approved: one spend, authorised by the approver, whose
        limits are checked again (and held) in this transaction."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            await lock_organisation(session, actor.org_id)
            member = await active_member(session, actor)
            escalation = await session.get(Escalation, escalation_id, populate_existing=True)
            if escalation is None or escalation.org_id != actor.org_id:
                raise ServiceError("no_such_case")
            case = await case_of_org(session, actor, escalation.case_id)
            if member.id not in (escalation.requester_id, case.owner_id):
                raise ServiceError("not_your_case")
            current = await self.policies.in_force(actor.org_id)
            policy = current.policy
            if escalation.used_at is not None:
                return await self._view(session, policy, escalation)
            if escalation.decision not in ("approve", "part") or escalation.approved_minor is None:
                raise ServiceError("not_approved")
            if case.state not in (CaseState.OPEN, CaseState.REOPENED):
                raise ServiceError("case_not_open", state=case.state)
            approver = await session.get(Member, escalation.decided_by_id or 0)
            assert approver is not None
            amount = from_minor(escalation.approved_minor, actor.currency)
            room = await self._room(session, policy, approver, escalation.remedy, case, amount)
            if room.outcome != Outcome.ALLOWED:
                raise ServiceError("approval_no_longer_fits", name=approver.name)
            version = current.version_id
            session.add(
                Spend(
                    org_id=actor.org_id,
                    case_id=case.id,
                    team_id=case.team_id,
                    customer_key=case.customer_key,
                    remedy=escalation.remedy,
                    amount_minor=escalation.approved_minor,
                    given_by_id=member.id,
                    authorised_by_id=approver.id,
                    policy_version_id=version,
                    request_key=f"escalation:{escalation.id}",
                    created_at=now,
                )
            )
            escalation.used_at = now
            record_event(
                session,
                case,
                member.id,
                "spend",
                version,
                now,
                remedy=escalation.remedy,
                amount=str(amount),
                authorised_by=approver.name,
            )
            view = await self._view(session, policy, escalation)
            # Used: the decision can no longer be undone, so the approver's card loses Undo.
            for card_member, original in await self._cards(session, escalation.id):
                if card_member.id == approver.id:
                    self._send(
                        session,
                        card_member.telegram_user_id,
                        self.notices.decided_card(view, policy, card_member.language),
                        view.org_id,
                        edit_of=original,
                    )
            self._wake_after(session)
            return view

    # ---- the SLA ----

    async def run_due(self, batch: int = 50) -> int:
        """Remind approvers after the SLA, and climb to the next role after twice the SLA.
        Due times live in the escalation rows; a row is taken under a lock and its next due
        time written in the same transaction, so with two processes each step happens once."""
        now = self.clock.now()
        done = 0
        async with self.db.transaction() as session:
            rows = (
                await session.scalars(
                    select(Escalation)
                    .where(
                        Escalation.state == "pending",
                        (Escalation.remind_at <= now) | (Escalation.climb_at <= now),
                    )
                    .order_by(Escalation.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for escalation in rows:
                current = await self.policies.in_force(escalation.org_id)
                policy = current.policy
                sla = timedelta(minutes=policy.escalation_sla_minutes)
                every = timedelta(minutes=policy.reminder_every_minutes)
                if escalation.climb_at is not None and escalation.climb_at <= now:
                    await self._climb(
                        session, policy, current.version_id, escalation, now, sla, every
                    )
                else:
                    await self._remind(session, policy, escalation)
                    escalation.remind_at = now + every
                done += 1
        return done

    async def _remind(self, session: AsyncSession, policy: Policy, escalation: Escalation) -> None:
        escalation.reminders += 1
        holders = (
            await session.scalars(
                select(Member)
                .join(EscalationCard, EscalationCard.member_id == Member.id)
                .where(
                    EscalationCard.escalation_id == escalation.id,
                    Member.active.is_(True),
                    Member.reachable.is_(True),
                )
                .distinct()
                .order_by(Member.id)
            )
        ).all()
        if escalation.approver_role is not None:
            holders = [m for m in holders if _reaches(m.role, escalation.approver_role)]
        view = await self._view(session, policy, escalation)
        await self._send_cards(session, policy, view, [_person(m) for m in holders], reminder=True)

    async def _climb(
        self,
        session: AsyncSession,
        policy: Policy,
        version: int,
        escalation: Escalation,
        now: datetime,
        sla: timedelta,
        every: timedelta,
    ) -> None:
        case = await session.get(Case, escalation.case_id)
        assert case is not None
        current = escalation.approver_role
        above = policy.rules(current).approver if current else None
        role, people = (
            await self._approvers(session, policy, escalation, case, above) if above else (None, [])
        )
        if not people:
            # Nobody above: keep reminding those who have it, and tell the admins once.
            escalation.climb_at = None
            escalation.remind_at = now + every
            if not escalation.flagged:
                escalation.flagged = True
                view = await self._view(session, policy, escalation)
                await self._tell_admins(session, policy, escalation, view)
            return
        escalation.approver_role = role
        escalation.remind_at = now + sla
        escalation.climb_at = now + 2 * sla
        record_event(
            session,
            case,
            None,
            "climbed",
            version,
            now,
            approver=role,
            escalation_id=escalation.id,
        )
        view = await self._view(session, policy, escalation)
        await self._send_cards(session, policy, view, people)
        self._send(
            session,
            view.requester.chat_id,
            self.notices.climbed_news(
                view, policy, view.requester.language, [p.name for p in people]
            ),
            escalation.org_id,
        )

    # ---- people who blocked the bot ----

    async def member_unreachable(self, session: AsyncSession, chat_id: int) -> None:
        """Called by the outbox sender, in its transaction, when Telegram answers 403: tell the
        admins of every organisation this person belongs to, and send the requests only they
        were to decide to someone who can get them."""
        await self._notify_unreachable(session, chat_id)
        await self._reroute(session, chat_id)

    async def _reroute(self, session: AsyncSession, chat_id: int) -> None:
        now = self.clock.now()
        stranded = (
            await session.scalars(
                select(Escalation)
                .join(EscalationCard, EscalationCard.escalation_id == Escalation.id)
                .join(Member, Member.id == EscalationCard.member_id)
                .where(Member.telegram_user_id == chat_id, Escalation.state == "pending")
                .distinct()
                .order_by(Escalation.id)
            )
        ).all()
        for escalation in stranded:
            others = await session.scalar(
                select(func.count())
                .select_from(EscalationCard)
                .join(Member, Member.id == EscalationCard.member_id)
                .where(
                    EscalationCard.escalation_id == escalation.id,
                    Member.telegram_user_id != chat_id,
                    Member.active.is_(True),
                    Member.reachable.is_(True),
                )
            )
            if others:
                continue  # someone else has the card
            policy = (await self.policies.in_force(escalation.org_id)).policy
            case = await session.get(Case, escalation.case_id)
            assert case is not None
            role, people = await self._approvers(
                session, policy, escalation, case, escalation.approver_role
            )
            view = await self._view(session, policy, escalation)
            if people:
                sla = timedelta(minutes=policy.escalation_sla_minutes)
                escalation.approver_role = role
                escalation.remind_at, escalation.climb_at = now + sla, now + 2 * sla
                await self._send_cards(session, policy, replace(view, approver_role=role), people)
            elif not escalation.flagged:
                escalation.flagged = True
                await self._tell_admins(session, policy, escalation, view)

    async def _notify_unreachable(self, session: AsyncSession, chat_id: int) -> None:
        gone = (
            await session.scalars(
                select(Member).where(Member.telegram_user_id == chat_id, Member.active.is_(True))
            )
        ).all()
        for member in gone:
            org = await session.get(Organisation, member.org_id)
            assert org is not None
            for admin in await self._admins(session, member.org_id, exclude=member.id):
                self._send(
                    session,
                    admin.chat_id,
                    self.notices.unreachable(member.name, org.name, admin.language),
                    member.org_id,
                    dedup_key=f"unreachable:{member.id}:{int(self.clock.now().timestamp())}",
                )


def _reaches(role: str, level: str) -> bool:
    """Whether someone of `role` is at or above the escalation's current level."""
    try:
        return Role(role).at_least(Role(level))
    except ValueError:
        return False
