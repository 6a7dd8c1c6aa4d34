"""The case queries the use cases share: who may act, which case, what it cost, its history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Case,
    CaseEvent,
    Escalation,
    EscalationCard,
    Member,
    Organisation,
    Role,
    Spend,
)
from bot.db.unit import memo_of
from bot.money import from_minor
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from policies.engine import UsageQuery, window
from policies.model import Policy


@dataclass(frozen=True)
class Spender:
    """Whose spending a usage count is about (employee windows count what they authorised)."""

    id: int
    org_id: int
    team_id: int | None
    currency: str


async def active_member(session: AsyncSession, actor: MemberView) -> Member:
    """The actor re-read in this transaction: a deactivation refuses the very next tap."""
    member = await session.get(Member, actor.id)
    if member is None or not member.active or member.org_id != actor.org_id:
        raise ServiceError("not_allowed")
    return member


async def case_of_org(session: AsyncSession, actor: MemberView, case_id: int | None) -> Case:
    case = await session.get(Case, case_id) if case_id else None
    # Another organisation's case looks exactly like a missing one.
    if case is None or case.org_id != actor.org_id:
        raise ServiceError("no_such_case")
    return case


def may_see(case: Case, member: Member) -> bool:
    """Who may open a case's card by its code: the people who may act on it."""
    return member.id in (case.reporter_id, case.owner_id) or Role(member.role).at_least(
        Role.SUPERVISOR
    )


def may_act_on(case: Case, member: Member) -> None:
    """Refuse unless the member may see the case."""
    if not may_see(case, member):
        raise ServiceError("not_your_case")


# Who reads a sensitive case. Sensitivity is the category's in the policy in force, never a
# flag stored with the case: a category marked sensitive later covers its earlier cases too.
# Besides the reporter, the owner (who took it over), the policy's `sensitive_roles` and the
# admins, an approver who was asked to decide a request on the case (their card) or decided one
# reads it, as does whoever may decide a request of the case waiting at their level (the queue
# offers it to them): the reporter's own request brought them in, and a decision on money for
# a problem one may not read would be a blind one. Everyone else sees its code, and that it is
# sensitive.


def sees_by_role(case: Case, member: Member, policy: Policy) -> bool:
    """Whether the member reads the case without being one of its approvers."""
    return (
        not policy.is_sensitive(case.category)
        or member.id in (case.reporter_id, case.owner_id)
        or policy.sees_sensitive(member.role)
    )


async def veiled_cases(
    session: AsyncSession, cases: list[Case], member: Member, policy: Policy
) -> set[int]:
    """The ids of `cases` whose details the member may not read (one query at most)."""
    hidden = {case.id for case in cases if not sees_by_role(case, member, policy)}
    if not hidden:
        return hidden
    # A request waiting at the member's level may be decided by them as the queue offers it:
    # any of the organisation's from a manager up, their own team's below.
    above = Role(member.role).at_least(Role.MANAGER)
    decidable = [
        case.id
        for case in cases
        if case.id in hidden and (above or (case.team_id and case.team_id == member.team_id))
    ]
    approved = await session.scalars(
        select(Escalation.case_id)
        .outerjoin(EscalationCard, EscalationCard.escalation_id == Escalation.id)
        .where(
            Escalation.case_id.in_(hidden),
            (EscalationCard.member_id == member.id)
            | (Escalation.decided_by_id == member.id)
            | (
                Escalation.case_id.in_(decidable)
                & (Escalation.state == "pending")
                & (Escalation.approver_role == member.role)
                & (Escalation.requester_id != member.id)
            ),
        )
    )
    return hidden - set(approved)


async def may_read(session: AsyncSession, case: Case, member: Member, policy: Policy) -> bool:
    """Whether the member may read the case's details (see above)."""
    return not await veiled_cases(session, [case], member, policy)


async def refuse_veiled(session: AsyncSession, case: Case, member: Member, policy: Policy) -> None:
    """Refuse a sensitive case to whoever may not read it (no query for any other case)."""
    if not await may_read(session, case, member, policy):
        raise ServiceError("sensitive_case", case=case.code)


async def spent_on_case(session: AsyncSession, case_id: int) -> int:
    """Everything given on a case, in minor units (asked once per update until it writes)."""
    memo = memo_of(session)
    key = ("spent_on_case", case_id)
    if memo is not None and key in memo:
        return int(memo[key])
    total = int(
        await session.scalar(
            select(func.coalesce(func.sum(Spend.amount_minor), 0)).where(Spend.case_id == case_id)
        )
        or 0
    )
    if memo is not None:
        memo[key] = total
    return total


async def count_usage(
    session: AsyncSession,
    policy: Policy,
    queries: list[UsageQuery],
    actor: MemberView | Spender,
    case: Case | None,
    now: datetime,
) -> dict[str, Decimal]:
    """Sum the spends each limit counts, in its current window, with SQL aggregates."""
    usage: dict[str, Decimal] = {}
    for query in queries:
        conditions: list[Any] = [Spend.org_id == actor.org_id]
        if query.scope == "case" or query.interval == "per_case":
            if case is None:
                usage[query.key] = Decimal(0)
                continue
            conditions.append(Spend.case_id == case.id)
        if query.scope == "customer":
            # Without a customer key the case itself is the customer.
            if case is None:
                usage[query.key] = Decimal(0)
                continue
            conditions.append(
                Spend.customer_key == case.customer_key
                if case.customer_key
                else Spend.case_id == case.id
            )
        elif query.scope == "employee":
            conditions.append(Spend.authorised_by_id == actor.id)
        elif query.scope == "team":
            team_id = case.team_id if case is not None else actor.team_id
            conditions.append(
                Spend.team_id == team_id if team_id is not None else Spend.team_id.is_(None)
            )
        bounds = window(query.interval, now, policy.timezone, policy.week_start)
        if bounds is not None:
            conditions += [Spend.created_at >= bounds[0], Spend.created_at < bounds[1]]
        if query.remedies:
            conditions.append(Spend.remedy.in_(query.remedies))
        total = await session.scalar(
            select(func.coalesce(func.sum(Spend.amount_minor), 0)).where(*conditions)
        )
        usage[query.key] = from_minor(int(total or 0), actor.currency)
    return usage


async def lock_organisation(session: AsyncSession, org_id: int) -> None:
    """Serialise an organisation's spends and decisions across processes: a row lock on
    PostgreSQL; on SQLite the transaction already began IMMEDIATE (and FOR UPDATE means
    nothing there), so no statement is sent."""
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.execute(
        select(Organisation.id).where(Organisation.id == org_id).with_for_update()
    )


def record_event(
    session: AsyncSession,
    case: Case,
    actor_id: int | None,
    kind: str,
    policy_version_id: int | None,
    now: datetime,
    **payload: Any,
) -> None:
    """One line of the case's history, written in the caller's transaction with its change."""
    session.add(
        CaseEvent(
            org_id=case.org_id,
            case_id=case.id,
            actor_id=actor_id,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False, default=str),
            policy_version_id=policy_version_id,
            created_at=now,
        )
    )
