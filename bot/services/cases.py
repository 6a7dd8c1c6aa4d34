"""Cases on the floor: logging, authority (what is left in each window), and giving a remedy
with the limit check and the write in one transaction that holds across processes."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import (
    Case,
    CaseEvent,
    CaseState,
    Escalation,
    Member,
    Role,
    Spend,
)
from bot.money import from_minor, to_minor
from bot.services.case_queries import (
    active_member,
    case_of_org,
    count_usage,
    lock_organisation,
    may_act_on,
    may_read,
    may_see,
    record_event,
    refuse_veiled,
    spent_on_case,
    veiled_cases,
)
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.policies import PolicyInForce, PolicyService
from bot.services.typed import (
    CAUSE_LIMIT,
    CODE_LIMIT,
    CUSTOMER_KEY_LIMIT,
    CUSTOMER_WORDS_LIMIT,
    DESCRIPTION_LIMIT,
    NOTE_LIMIT,
    REASON_LIMIT,
    typed,
)

if TYPE_CHECKING:
    from bot.services.escalations import EscalationService
from policies.engine import Decision, Outcome, decide, usage_needed, window
from policies.model import Policy

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


@dataclass(frozen=True)
class CaseView:
    id: int
    code: str
    org_id: int
    category: str
    description: str
    customer_key: str | None
    customer_words: str | None
    state: str
    reporter_id: int
    owner_id: int
    team_id: int | None
    created_at: datetime
    spent: Decimal
    outcome: str | None = None
    first_contact: bool | None = None
    photo_file_id: str | None = None  # the description's photo, as Telegram holds it
    voice_file_id: str | None = None  # …or its voice note
    cause: str | None = None  # why it keeps happening: a key of the policy's [causes]…
    cause_words: str | None = None  # …or the resolver's own words
    # A sensitive case the reader may not read: its details are left out (a neutral line).
    veiled: bool = False


OPEN_STATES = (CaseState.OPEN, CaseState.REOPENED, CaseState.ESCALATED)


@dataclass(frozen=True)
class CaseList:
    """One page of a list of cases, and what it was filtered by."""

    cases: list[CaseView]
    page: int
    pages: int
    only_open: bool
    total: int  # before the open-only filter
    open_count: int
    customer_key: str | None = None
    customer_of: int | None = None  # a case of that customer: pages ask by it


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Given:
    """What happened to a request to give a remedy."""

    decision: Decision
    given: Decimal  # recorded as a spend now
    escalated: Decimal  # asked of an approver
    escalation_id: int | None
    repeated: bool = False  # the same confirmation arrived again: nothing new was written
    approvers: tuple[str, ...] = ()  # who got the request
    approver_role: str | None = None  # their role (may be above the policy's first approver)
    admins: tuple[str, ...] = ()  # nobody could approve: these admins were told


def new_code() -> str:
    return "K-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))


# Cyrillic letters that look like the code's Latin ones: a Ukrainian keyboard types "К-7Р4F".
_LOOKALIKES = str.maketrans("АВСЕНКМРТХУ", "ABCEHKMPTXY")


def case_code(typed: str) -> str | None:
    """The code as stored ("K-7Q4F") from what people type: "7q4f", "k-7q4f", "K 7Q4F";
    None when it cannot be a code."""
    body = re.sub(r"[\s\-–—_.·]", "", typed.upper().translate(_LOOKALIKES))
    if len(body) == 5 and body.startswith("K"):
        body = body[1:]
    if len(body) != 4 or any(char not in CODE_ALPHABET for char in body):
        return None
    return "K-" + body


def customer_key_of(typed: str | None) -> str | None:
    """A customer key as stored: one space between words ("412", "Gold 1234"), or None."""
    return " ".join((typed or "").split()) or None


def _view(case: Case, spent_minor: int, currency: str, veiled: bool = False) -> CaseView:
    view = _full_view(case, spent_minor, currency)
    if not veiled:
        return view
    # Only what says the case exists: its code, category, status and age.
    return replace(
        view,
        description="",
        customer_key=None,
        customer_words=None,
        spent=from_minor(0, currency),
        outcome=None,
        first_contact=None,
        photo_file_id=None,
        voice_file_id=None,
        cause=None,
        cause_words=None,
        veiled=True,
    )


def _full_view(case: Case, spent_minor: int, currency: str) -> CaseView:
    return CaseView(
        id=case.id,
        code=case.code,
        org_id=case.org_id,
        category=case.category,
        description=case.description,
        customer_key=case.customer_key,
        customer_words=case.customer_words,
        state=case.state,
        reporter_id=case.reporter_id,
        owner_id=case.owner_id,
        team_id=case.team_id,
        created_at=case.created_at,
        spent=from_minor(spent_minor, currency),
        outcome=case.outcome,
        first_contact=case.first_contact,
        photo_file_id=case.photo_file_id,
        voice_file_id=case.voice_file_id,
        cause=case.cause,
        cause_words=case.cause_words,
    )


class CaseService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: PolicyService,
        escalations: EscalationService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies
        self.escalations = escalations

    async def _policy(self, org_id: int) -> Policy:
        return (await self.policies.in_force(org_id)).policy

    async def create(
        self,
        actor: MemberView,
        *,
        category: str,
        description: str,
        customer_key: str | None = None,
        customer_words: str | None = None,
        photo_file_id: str | None = None,
        voice_file_id: str | None = None,
    ) -> CaseView:
        current = await self.policies.in_force(actor.org_id)
        policy = current.policy
        if category not in policy.categories:
            raise ServiceError("no_such_category")
        description = typed(description, DESCRIPTION_LIMIT, "description_too_long")
        if not description and not (photo_file_id or voice_file_id):
            raise ServiceError("description_empty")
        key = customer_key_of(customer_key)
        if key:
            key = typed(key, CUSTOMER_KEY_LIMIT, "customer_key_too_long")
        words = typed(customer_words, CUSTOMER_WORDS_LIMIT, "words_too_long") or None
        if key and _PHONE.match(key) and not policy.customer_key_may_be_phone:
            raise ServiceError("customer_key_phone")
        now = self.clock.now()
        for _ in range(5):
            try:
                async with self.db.transaction() as session:
                    await active_member(session, actor)
                    case = Case(
                        org_id=actor.org_id,
                        code=new_code(),
                        category=category,
                        description=description,
                        photo_file_id=photo_file_id,
                        voice_file_id=voice_file_id,
                        customer_key=key,
                        customer_words=words,
                        state=CaseState.OPEN,
                        reporter_id=actor.id,
                        owner_id=actor.id,
                        team_id=actor.team_id,
                        policy_version_id=current.version_id,
                        created_at=now,
                        reopened_count=0,
                        escalated_ever=False,
                    )
                    session.add(case)
                    await session.flush()
                    record_event(
                        session,
                        case,
                        actor.id,
                        "created",
                        current.version_id,
                        now,
                        category=category,
                        customer_key=key,
                    )
                    return _view(case, 0, actor.currency)
            except IntegrityError:
                continue  # the short code was taken in this organisation: draw another
        raise ServiceError("try_again")

    async def get(self, actor: MemberView, case_id: int) -> CaseView:
        async with self.db.reading() as session:
            case = await case_of_org(session, actor, case_id)
            spent = await spent_on_case(session, case.id)
            return _view(case, spent, actor.currency)

    async def for_action(self, actor: MemberView, case_id: int) -> CaseView:
        """The case, if this member may act on it (reporter, owner, or a supervisor up)."""
        async with self.db.reading() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, await self._policy(case.org_id))
            return _view(case, await spent_on_case(session, case.id), actor.currency)

    async def find(self, actor: MemberView, typed: str) -> CaseView:
        """The case whose code was typed ("K-7Q4F", "7q4f", "k 7q4f"), if the member may see
        it. Another organisation's case is refused exactly like a code nobody has."""
        code = case_code(typed) if len(typed) <= CODE_LIMIT else None
        if code is None:
            raise ServiceError("case_code_format")
        async with self.db.reading() as session:
            member = await active_member(session, actor)
            case = await session.scalar(
                select(Case).where(Case.org_id == actor.org_id, Case.code == code)
            )
            if case is None:
                raise ServiceError("no_case_code", case=code)
            if not may_see(case, member):
                raise ServiceError("not_yours_to_see", case=code)
            await refuse_veiled(session, case, member, await self._policy(case.org_id))
            return _view(case, await spent_on_case(session, case.id), actor.currency)

    async def open_mine(self, actor: MemberView, limit: int = 6) -> list[CaseView]:
        """My open cases (open, reopened, waiting for approval), newest first."""
        async with self.db.reading() as session:
            rows = (
                await session.scalars(
                    select(Case)
                    .where(_mine(actor), Case.state.in_(OPEN_STATES))
                    .order_by(Case.created_at.desc(), Case.id.desc())
                    .limit(limit)
                )
            ).all()
            return [_view(c, await spent_on_case(session, c.id), actor.currency) for c in rows]

    async def reopenable_mine(self, actor: MemberView, limit: int = 6) -> list[CaseView]:
        """My cases resolved recently enough to be reopened, the latest resolution first."""
        policy = (await self.policies.in_force(actor.org_id)).policy
        since = self.clock.now() - timedelta(days=policy.reopen_window_days)
        async with self.db.reading() as session:
            rows = (
                await session.scalars(
                    select(Case)
                    .where(
                        Case.org_id == actor.org_id,
                        Case.reporter_id == actor.id,
                        Case.state == CaseState.RESOLVED,
                        Case.resolved_at > since,
                    )
                    .order_by(Case.resolved_at.desc(), Case.id.desc())
                    .limit(limit)
                )
            ).all()
            return [_view(c, await spent_on_case(session, c.id), actor.currency) for c in rows]

    async def listing(
        self,
        actor: MemberView,
        page: int = 0,
        *,
        only_open: bool | None = None,
        customer_key: str | None = None,
        customer_of: int | None = None,
        size: int = 6,
    ) -> CaseList:
        """My cases, newest first; or a customer's (by key, or by one of their cases' id):
        mine, or everyone's for a supervisor up. `only_open` None: open ones when there are."""
        async with self.db.reading() as session:
            member = await active_member(session, actor)
            if customer_of is not None:
                anchor = await case_of_org(session, actor, customer_of)
                if not anchor.customer_key:
                    raise ServiceError("no_such_case")
                # A sensitive case does not lead to its customer for whoever may not read it.
                await refuse_veiled(session, anchor, member, await self._policy(actor.org_id))
                customer_key = anchor.customer_key
            key = customer_key_of(customer_key)
            scope = _mine(actor) if key is None else _customers(actor, member, key)

            async def count(*where: Any) -> int:
                found = await session.scalar(select(func.count()).select_from(Case).where(*where))
                return int(found or 0)

            total = await count(scope)
            open_count = await count(scope, Case.state.in_(OPEN_STATES))
            if only_open is None:
                only_open = open_count > 0
            shown = open_count if only_open else total
            where = (scope, Case.state.in_(OPEN_STATES)) if only_open else (scope,)
            pages = max(1, -(-shown // size))
            page = min(max(page, 0), pages - 1)
            rows = (
                await session.scalars(
                    select(Case)
                    .where(*where)
                    .order_by(Case.created_at.desc(), Case.id.desc())
                    .offset(page * size)
                    .limit(size)
                )
            ).all()
            newest = (
                await session.scalar(
                    select(Case.id).where(scope).order_by(Case.created_at.desc(), Case.id.desc())
                )
                if key is not None
                else None
            )
            policy = (await self.policies.in_force(actor.org_id)).policy
            veiled = await veiled_cases(session, list(rows), member, policy)
            views = [
                _view(c, await spent_on_case(session, c.id), actor.currency, c.id in veiled)
                for c in rows
            ]
        return CaseList(views, page, pages, only_open, total, open_count, key, newest)

    async def open_case_of_customer(self, actor: MemberView, customer_key: str) -> CaseView | None:
        """The newest open case of this customer that the member may add to, if any."""
        key = customer_key_of(customer_key)
        if key is None:
            return None
        async with self.db.reading() as session:
            member = await active_member(session, actor)
            case = await session.scalar(
                select(Case)
                .where(_customers(actor, member, key), Case.state.in_(OPEN_STATES))
                .order_by(Case.created_at.desc(), Case.id.desc())
                .limit(1)
            )
            if case is None:
                return None
            policy = (await self.policies.in_force(actor.org_id)).policy
            if not await may_read(session, case, member, policy):
                return None  # a sensitive case is not offered to add to
            return _view(case, await spent_on_case(session, case.id), actor.currency)

    async def add_to(
        self,
        actor: MemberView,
        case_id: int,
        text: str,
        *,
        photo_file_id: str | None = None,
        voice_file_id: str | None = None,
    ) -> CaseView:
        """A returning customer's new problem added to their open case, instead of a second
        case: an "added" event in the case's history."""
        text = typed(text, DESCRIPTION_LIMIT, "description_too_long")
        if not text and not (photo_file_id or voice_file_id):
            raise ServiceError("description_empty")
        current = await self.policies.in_force(actor.org_id)
        now = self.clock.now()
        media = {"photo": photo_file_id, "voice": voice_file_id}
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            if case.state not in OPEN_STATES:
                raise ServiceError("case_not_open", state=case.state)
            record_event(
                session,
                case,
                member.id,
                "added",
                current.version_id,
                now,
                text=text,
                **{kind: file_id for kind, file_id in media.items() if file_id},
            )
            return _view(case, await spent_on_case(session, case.id), actor.currency)

    async def mine(
        self, actor: MemberView, page: int, size: int = 6
    ) -> tuple[list[CaseView], int, int]:
        """My cases, all of them, newest first: (cases, page, pages)."""
        found = await self.listing(actor, page, only_open=False, size=size)
        return found.cases, found.page, found.pages

    async def timeline(self, actor: MemberView, case_id: int, last: int = 8) -> list[TimelineEntry]:
        async with self.db.reading() as session:
            case = await case_of_org(session, actor, case_id)
            rows = (
                await session.execute(
                    select(CaseEvent, Member.name)
                    .outerjoin(Member, Member.id == CaseEvent.actor_id)
                    .where(CaseEvent.case_id == case.id)
                    .order_by(CaseEvent.id.desc())
                    .limit(last)
                )
            ).all()
        return [
            TimelineEntry(event.created_at, event.kind, name, json.loads(event.payload))
            for event, name in reversed(rows)
        ]

    async def customer_history(
        self, actor: MemberView, customer_key: str
    ) -> tuple[list[CaseView], Decimal]:
        """Earlier cases of a returning customer, and what was spent on them today."""
        current = await self.policies.in_force(actor.org_id)
        today = window("day", self.clock.now(), current.policy.timezone)
        async with self.db.reading() as session:
            cases = (
                await session.scalars(
                    select(Case)
                    .where(Case.org_id == actor.org_id, Case.customer_key == customer_key)
                    .order_by(Case.created_at.desc())
                    .limit(5)
                )
            ).all()
            views = [_view(c, await spent_on_case(session, c.id), actor.currency) for c in cases]
            spent_today = await session.scalar(
                select(func.coalesce(func.sum(Spend.amount_minor), 0)).where(
                    Spend.org_id == actor.org_id,
                    Spend.customer_key == customer_key,
                    *((Spend.created_at >= today[0], Spend.created_at < today[1]) if today else ()),
                )
            )
        return views, from_minor(int(spent_today or 0), actor.currency)

    async def _usage_now(
        self, actor: MemberView, remedy: str, case_id: int | None
    ) -> tuple[Policy, dict[str, Decimal]]:
        policy = (await self.policies.in_force(actor.org_id)).policy
        if remedy not in policy.remedies:
            raise ServiceError("no_such_remedy")
        async with self.db.reading() as session:
            case = await case_of_org(session, actor, case_id) if case_id else None
            queries = usage_needed(policy, actor.role, remedy)
            usage = await count_usage(session, policy, queries, actor, case, self.clock.now())
        return policy, usage

    async def authority(
        self, actor: MemberView, remedy: str, case_id: int | None = None
    ) -> Decision:
        """What the member may give now for this remedy (on this case, if given): the
        decision for the smallest amount, whose checks show every limit's room."""
        policy, usage = await self._usage_now(actor, remedy, case_id)
        probe = Decimal(1).scaleb(-2) if policy.remedies[remedy].money else Decimal(0)
        return decide(policy, actor.role, remedy, probe, usage)

    async def preview(
        self, actor: MemberView, case_id: int, remedy: str, amount: Decimal
    ) -> Decision:
        """The decision as things stand (shown before Confirm; `give` decides again)."""
        policy, usage = await self._usage_now(actor, remedy, case_id)
        return decide(policy, actor.role, remedy, amount, usage)

    async def give(
        self,
        actor: MemberView,
        case_id: int,
        remedy: str,
        amount: Decimal,
        request_key: str,
        mode: str = "give",
        follow_up: bool = False,
    ) -> Given:
        """Check and record in one transaction. `mode`: "give" records only what is within
        authority and fully allowed; "now" gives what is allowed now and asks nothing;
        "split" gives what is allowed now and asks approval for the rest; "ask" asks approval
        for all of it. While a request waits, only "give" and "now" are open. With
        `follow_up`, an extra remedy after a low score: on a resolved case too, within
        authority only (mode "give", no request)."""
        current = await self.policies.in_force(actor.org_id)
        policy = current.policy
        if remedy not in policy.remedies:
            raise ServiceError("no_such_remedy")
        now = self.clock.now()
        async with self.db.transaction() as session:
            await lock_organisation(session, actor.org_id)
            earlier = await _repeat(session, request_key, actor, policy)
            if earlier is not None:
                return earlier
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            waiting = case.state == CaseState.ESCALATED
            if follow_up:
                mode = "give"
                if case.state == CaseState.CANCELLED:
                    raise ServiceError("case_not_open", state=case.state)
            elif case.state not in (CaseState.OPEN, CaseState.REOPENED) and not waiting:
                raise ServiceError("case_not_open", state=case.state)
            if waiting and mode in ("ask", "split"):
                raise ServiceError("request_pending")
            usage = await count_usage(
                session, policy, usage_needed(policy, member.role, remedy), actor, case, now
            )
            decision = decide(policy, member.role, remedy, amount, usage)
            if decision.outcome == Outcome.FORBIDDEN:
                return Given(decision, Decimal(0), Decimal(0), None)
            give_now = Decimal(0)
            ask = Decimal(0)
            if decision.outcome == Outcome.ALLOWED:
                give_now = amount
            elif mode == "split" and decision.outcome == Outcome.PARTIAL:
                give_now, ask = decision.now, decision.rest
            elif mode == "now" and decision.outcome == Outcome.PARTIAL:
                give_now = decision.now
            elif mode in ("ask", "split"):
                ask = amount
            else:
                # Authority changed since the person saw it: write nothing, show it again.
                return Given(decision, Decimal(0), Decimal(0), None)
            if give_now > 0 or not policy.remedies[remedy].money:
                session.add(
                    Spend(
                        org_id=actor.org_id,
                        case_id=case.id,
                        team_id=case.team_id,
                        customer_key=case.customer_key,
                        remedy=remedy,
                        amount_minor=to_minor(give_now, actor.currency),
                        given_by_id=member.id,
                        authorised_by_id=member.id,
                        policy_version_id=current.version_id,
                        request_key=request_key,
                        created_at=now,
                    )
                )
                record_event(
                    session,
                    case,
                    member.id,
                    "spend",
                    current.version_id,
                    now,
                    remedy=remedy,
                    amount=str(give_now),
                )
            escalation_id = None
            if ask > 0:
                escalation = Escalation(
                    org_id=actor.org_id,
                    case_id=case.id,
                    requester_id=member.id,
                    remedy=remedy,
                    amount_minor=to_minor(ask, actor.currency),
                    approver_role=decision.approver,
                    state="pending",
                    policy_version_id=current.version_id,
                    request_key=request_key if give_now == 0 else f"{request_key}:rest",
                    created_at=now,
                )
                session.add(escalation)
                await session.flush()
                escalation_id = escalation.id
                routed = None
                if self.escalations is not None:
                    routed = await self.escalations.route(
                        session, policy, escalation, case, decision.approver
                    )
                case.state = CaseState.ESCALATED
                case.escalated_ever = True
                record_event(
                    session,
                    case,
                    member.id,
                    "escalated",
                    current.version_id,
                    now,
                    remedy=remedy,
                    amount=str(ask),
                    approver=escalation.approver_role,
                    escalation_id=escalation.id,
                )
                if routed is not None:
                    return Given(
                        decision,
                        give_now,
                        ask,
                        escalation_id,
                        approvers=tuple(p.name for p in routed.people),
                        approver_role=routed.role,
                        admins=tuple(p.name for p in routed.admins),
                    )
            return Given(decision, give_now, ask, escalation_id, approver_role=decision.approver)


OUTCOMES = ("with_remedy", "without_remedy", "unsatisfied", "unresolvable")
VOID_BY_REPORTER = timedelta(minutes=10)


class CaseLifecycle:
    """Resolve, reopen (within the policy's window) and void a case; each writes an event."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        policies: PolicyService,
        escalations: EscalationService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policies = policies
        self.escalations = escalations

    async def resolve(
        self,
        actor: MemberView,
        case_id: int,
        outcome: str,
        first_contact: bool,
        note: str | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ServiceError("bad_outcome")
        note = typed(note, NOTE_LIMIT, "note_too_long") or None
        current = await self.policies.in_force(actor.org_id)
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            if case.state == CaseState.ESCALATED:
                # Resolved while a request waits: the request is withdrawn, and says why.
                await self._withdraw_pending(session, current, case, member, "resolved", now)
            elif case.state not in (CaseState.OPEN, CaseState.REOPENED):
                raise ServiceError("case_not_open", state=case.state)
            case.state = CaseState.RESOLVED
            case.resolved_at = now
            case.first_resolved_at = case.first_resolved_at or now
            case.outcome, case.first_contact, case.resolution_note = outcome, first_contact, note
            record_event(
                session,
                case,
                member.id,
                "resolved",
                current.version_id,
                now,
                outcome=outcome,
                first_contact=first_contact,
                note=note,
            )

    async def withdraw(self, actor: MemberView, case_id: int) -> int:
        """The requester (or the case's owner, or a supervisor) takes back what waits for
        approval; the case is open again. Returns how many requests were withdrawn."""
        current = await self.policies.in_force(actor.org_id)
        now = self.clock.now()
        async with self.db.transaction() as session:
            await lock_organisation(session, actor.org_id)
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            if case.state != CaseState.ESCALATED:
                raise ServiceError("nothing_waiting")
            count = await self._withdraw_pending(session, current, case, member, "withdrawn", now)
            case.state = CaseState.REOPENED if case.reopened_count else CaseState.OPEN
            return count

    async def add_note(self, actor: MemberView, case_id: int, note: str) -> None:
        """A note typed after the case was resolved: kept as the resolution's note."""
        note = _typed_words(note, NOTE_LIMIT)
        current = await self.policies.in_force(actor.org_id)
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            if case.state != CaseState.RESOLVED:
                raise ServiceError("case_not_open", state=case.state)
            case.resolution_note = note
            record_event(session, case, member.id, "note", current.version_id, now, note=note)

    async def record_cause(
        self, actor: MemberView, case_id: int, cause: str | None = None, words: str | None = None
    ) -> None:
        """Why it keeps happening, as the resolver sees it: one of the policy's causes, or a
        line of their own. Optional, after resolving; a later answer replaces an earlier."""
        if (cause is None) == (words is None):
            raise ServiceError("cause_unknown")
        current = await self.policies.in_force(actor.org_id)
        if cause is not None and cause not in current.policy.causes:
            raise ServiceError("cause_unknown")  # a button of a policy no longer in force
        words = _typed_words(words, CAUSE_LIMIT) if words is not None else None
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            await refuse_veiled(session, case, member, current.policy)
            if case.state != CaseState.RESOLVED:
                raise ServiceError("case_not_open", state=case.state)
            case.cause, case.cause_words = cause, words
            record_event(
                session, case, member.id, "cause", current.version_id, now, cause=cause, words=words
            )

    async def _withdraw_pending(
        self,
        session: AsyncSession,
        current: PolicyInForce,
        case: Case,
        member: Member,
        why: str,
        now: datetime,
    ) -> int:
        pending = list(
            await session.scalars(
                select(Escalation).where(
                    Escalation.case_id == case.id, Escalation.state == "pending"
                )
            )
        )
        for escalation in pending:
            if self.escalations is not None:
                await self.escalations.withdraw(session, current.policy, escalation, member, why)
            else:
                escalation.state, escalation.reason = "withdrawn", why
            if why != "void":
                record_event(
                    session,
                    case,
                    member.id,
                    "withdrawn",
                    current.version_id,
                    now,
                    escalation_id=escalation.id,
                    amount=str(from_minor(escalation.amount_minor, current.policy.currency)),
                    remedy=escalation.remedy,
                    why=why,
                )
        return len(pending)

    async def reopen_deadline(self, actor: MemberView, case_id: int) -> datetime | None:
        """Until when the case may be reopened (None: it is not resolved)."""
        policy = (await self.policies.in_force(actor.org_id)).policy
        async with self.db.reading() as session:
            case = await case_of_org(session, actor, case_id)
        if case.state != CaseState.RESOLVED or case.resolved_at is None:
            return None
        return case.resolved_at + timedelta(days=policy.reopen_window_days)

    async def reopen(self, actor: MemberView, case_id: int, reason: str) -> None:
        reason = _typed_words(reason, REASON_LIMIT)
        current = await self.policies.in_force(actor.org_id)
        deadline = await self.reopen_deadline(actor, case_id)
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            if member.id != case.reporter_id and not Role(member.role).at_least(Role.SUPERVISOR):
                raise ServiceError("not_your_case")
            await refuse_veiled(session, case, member, current.policy)
            if case.state != CaseState.RESOLVED or deadline is None:
                raise ServiceError("case_not_resolved")
            if now >= deadline:
                raise ServiceError("reopen_window_over", days=current.policy.reopen_window_days)
            case.state = CaseState.REOPENED
            case.reopened_count += 1
            record_event(
                session, case, member.id, "reopened", current.version_id, now, reason=reason
            )

    async def void(self, actor: MemberView, case_id: int) -> None:
        """Cancel a wrongly logged case: it leaves the metrics and stays in the audit trail."""
        current = await self.policies.in_force(actor.org_id)
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            case = await case_of_org(session, actor, case_id)
            if case.state == CaseState.CANCELLED:
                raise ServiceError("case_not_open", state=case.state)
            supervisor = Role(member.role).at_least(Role.SUPERVISOR)
            if not supervisor:
                if member.id != case.reporter_id:
                    raise ServiceError("not_your_case")
                if now - case.created_at > VOID_BY_REPORTER:
                    raise ServiceError("void_too_late", minutes=10)
            await refuse_veiled(session, case, member, current.policy)
            await self._withdraw_pending(session, current, case, member, "void", now)
            case.state = CaseState.CANCELLED
            case.cancelled_at = now
            record_event(session, case, member.id, "cancelled", current.version_id, now)


def _typed_words(text: str, limit: int) -> str:
    """A reason or a note as typed: something, and not more than a card can hold."""
    text = typed(text, limit, "note_too_long")
    if not text:
        raise ServiceError("reason_needed")
    return text


async def _repeat(
    session: AsyncSession, request_key: str, actor: MemberView, policy: Policy
) -> Given | None:
    spend = await session.scalar(select(Spend).where(Spend.request_key == request_key))
    escalation = await session.scalar(
        select(Escalation).where(Escalation.request_key.in_([request_key, f"{request_key}:rest"]))
    )
    if spend is None and escalation is None:
        return None
    remedy = spend.remedy if spend else escalation.remedy  # type: ignore[union-attr]
    given = from_minor(spend.amount_minor, actor.currency) if spend else Decimal(0)
    asked = from_minor(escalation.amount_minor, actor.currency) if escalation else Decimal(0)
    decision = Decision(
        Outcome.ALLOWED if not escalation else Outcome.PARTIAL,
        actor.role,
        remedy,
        given + asked,
        now=given,
    )
    return Given(decision, given, asked, escalation.id if escalation else None, repeated=True)


def _mine(actor: MemberView) -> Any:
    return (Case.org_id == actor.org_id) & (
        (Case.reporter_id == actor.id) | (Case.owner_id == actor.id)
    )


def _customers(actor: MemberView, member: Member, key: str) -> Any:
    """A customer's cases this member may see: all of the organisation's for a supervisor
    up, else only their own."""
    scope = (Case.org_id == actor.org_id) & (Case.customer_key == key)
    return scope if Role(member.role).at_least(Role.SUPERVISOR) else scope & _mine(actor)
