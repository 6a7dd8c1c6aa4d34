"""Escalation rules in the services, on SQLite and PostgreSQL, with two engines standing in for
two bot processes: routing, the first decision winning, the approver's own authority, and
SLA steps done once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import CaseEvent, Escalation, EscalationCard, OutboxMessage, Role, Spend
from bot.services import Services
from bot.services.cases import CaseView
from bot.services.context import MemberView, TelegramUser
from bot.services.errors import ServiceError
from tests.cases.test_spend_atomic import hotel_with_frontline


async def add_member(
    services: Services, admin: MemberView, user_id: int, name: str, role: Role, team: int | None
) -> MemberView:
    code = await services.invites.create(admin, role, team, 1, timedelta(days=1))
    offer = await services.invites.inspect(code, user_id)
    await services.invites.redeem(offer.invite_id, TelegramUser(user_id, name, "ru"), "ru")
    member = (await services.context.load_by_id(user_id)).member
    assert member is not None
    return member


async def hotel(services: Services) -> tuple[MemberView, CaseView, dict[str, MemberView]]:
    """The hotel policy: frontline $2,000 a guest a day; supervisors $5,000 a guest a day
    and $20,000 a week of their own approvals; the manager without limit."""
    olena, case = await hotel_with_frontline(services)
    admin = (await services.context.load_by_id(1)).member
    assert admin is not None
    people = {
        "dmytro": await add_member(services, admin, 3, "Dmytro", Role.SUPERVISOR, None),
        "ivan": await add_member(services, admin, 4, "Ivan", Role.SUPERVISOR, None),
        "sarah": admin,
    }
    return olena, case, people


async def escalate(services: Services, olena: MemberView, case: CaseView, amount: int) -> int:
    given = await services.cases.give(
        olena, case.id, "refund", Decimal(amount), request_key=f"ask-{amount}", mode="ask"
    )
    assert given.escalation_id is not None
    return given.escalation_id


async def test_routing_prefers_the_lowest_role_that_covers_and_never_the_requester(
    services: Services,
) -> None:
    olena, case, _ = await hotel(services)
    small = await services.cases.give(
        olena, case.id, "refund", Decimal(2600), request_key="a", mode="ask"
    )
    assert small.approver_role == "supervisor"
    assert sorted(small.approvers) == ["Dmytro", "Ivan"]
    # Above a supervisor's $5,000 a guest a day, the manager (the admin, here) is asked.
    case2 = await services.cases.create(
        olena, category="noise", description="Flood", customer_key="507"
    )
    big = await services.cases.give(
        olena, case2.id, "refund", Decimal(7000), request_key="b", mode="ask"
    )
    assert (big.approver_role, big.approvers) == ("manager", ("Sarah",))
    async with services.db.reading() as session:
        cards = await session.scalar(select(func.count()).select_from(EscalationCard))
    assert cards == 3


async def test_the_reporters_team_supervisors_come_first(services: Services) -> None:
    olena, _, people = await hotel(services)
    admin = people["sarah"]
    desk = await services.organisations.add_team(admin.org_id, "Front desk")
    await services.members.change_team(admin, olena.id, desk)
    await services.members.change_team(admin, people["ivan"].id, desk)
    olena = (await services.context.load_by_id(2)).member  # type: ignore[assignment]
    case = await services.cases.create(
        olena, category="noise", description="Desk", customer_key="1"
    )
    given = await services.cases.give(
        olena, case.id, "refund", Decimal(2600), request_key="t", mode="ask"
    )
    assert given.approvers == ("Ivan",)
    # Dmytro, a supervisor of no team of hers, got no card: his tap is refused.
    assert given.escalation_id is not None
    with pytest.raises(ServiceError) as refused:
        await services.escalations.decide(3, given.escalation_id, "approve")
    assert refused.value.code == "not_your_escalation"
    # The manager above may always decide.
    assert (await services.escalations.for_approver(1, given.escalation_id)).state == "pending"
    # A supervisor asking above their own limit goes to the manager, never to themselves.
    dmytro = people["dmytro"]
    own = await services.cases.create(dmytro, category="noise", description="Big", customer_key="2")
    given = await services.cases.give(
        dmytro, own.id, "refund", Decimal(6000), request_key="d", mode="ask"
    )
    assert (given.approver_role, given.approvers) == ("manager", ("Sarah",))


async def test_two_approvers_on_two_engines_one_decision(
    database_url: str, services: Services, clock: FrozenClock
) -> None:
    olena, case, _ = await hotel(services)
    escalation_id = await escalate(services, olena, case, 2600)
    second = Database(database_url)
    other = make_services(second, clock)
    try:
        results = await asyncio.gather(
            services.escalations.decide(3, escalation_id, "approve"),
            other.escalations.decide(4, escalation_id, "deny", reason="No"),
            return_exceptions=True,
        )
    finally:
        await second.dispose()
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, ServiceError)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].code == "already_decided"
    assert lost[0].params["name"] == won[0].decided_by
    async with services.db.reading() as session:
        decided = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "decided")
        )
        edits = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.method == "editMessageText")
        )
    assert decided == 1
    assert edits == 2  # both approvers' cards


async def test_an_approval_beyond_the_approvers_own_room_is_cut_to_it(
    services: Services,
) -> None:
    olena, case, people = await hotel(services)
    escalation_id = await escalate(services, olena, case, 4000)
    # Meanwhile $3,000 was given to the same guest on another case: $2,000 left for Dmytro.
    other_case = await services.cases.create(
        olena, category="noise", description="Again", customer_key="412"
    )
    await services.cases.give(olena, other_case.id, "dinner", Decimal(2000), request_key="x")
    await services.cases.give(
        people["dmytro"], other_case.id, "dinner", Decimal(1000), request_key="y"
    )
    view = await services.escalations.decide(3, escalation_id, "approve")
    assert (view.decision, view.approved, view.amount) == ("part", Decimal(2000), Decimal(4000))
    given = await services.escalations.give_approved(olena, escalation_id)
    again = await services.escalations.give_approved(olena, escalation_id)
    assert given.used and again.used
    async with services.db.reading() as session:
        spends = (
            await session.execute(
                select(Spend.amount_minor, Spend.given_by_id, Spend.authorised_by_id).where(
                    Spend.case_id == case.id
                )
            )
        ).all()
    assert spends == [(200000, olena.id, people["dmytro"].id)]


async def test_refusals(services: Services) -> None:
    olena, case, _ = await hotel(services)
    escalation_id = await escalate(services, olena, case, 2600)
    for user_id, decision, params, code in [
        (2, "approve", {}, "own_request"),  # the requester herself
        (999, "approve", {}, "no_such_case"),  # not a member of this organisation
        (3, "part", {"amount": Decimal(3000)}, "part_above_request"),
        (3, "part", {"amount": Decimal(0)}, "amount_zero"),
        (3, "deny", {"reason": "  "}, "reason_needed"),
        (3, "sign", {}, "not_allowed"),
    ]:
        with pytest.raises(ServiceError) as refused:
            await services.escalations.decide(user_id, escalation_id, decision, **params)  # type: ignore[arg-type]
        assert refused.value.code == code, (user_id, decision)
    with pytest.raises(ServiceError) as refused:
        await services.escalations.give_approved(olena, escalation_id)
    assert refused.value.code == "not_approved"
    async with services.db.reading() as session:
        escalation = await session.get(Escalation, escalation_id)
    assert escalation is not None and escalation.state == "pending"


async def test_sla_steps_happen_once_with_two_processes(
    database_url: str, services: Services, clock: FrozenClock
) -> None:
    olena, case, people = await hotel(services)
    escalation_id = await escalate(services, olena, case, 2600)
    second = Database(database_url)
    other = make_services(second, clock)
    try:
        clock.advance(timedelta(minutes=15))
        reminded = await asyncio.gather(services.escalations.run_due(), other.escalations.run_due())
        clock.advance(timedelta(minutes=15))
        climbed = await asyncio.gather(services.escalations.run_due(), other.escalations.run_due())
    finally:
        await second.dispose()
    assert sorted(reminded) == [0, 1] and sorted(climbed) == [0, 1]
    async with services.db.reading() as session:
        escalation = await session.get(Escalation, escalation_id)
        cards = (
            await session.execute(
                select(EscalationCard.member_id, func.count())
                .group_by(EscalationCard.member_id)
                .order_by(EscalationCard.member_id)
            )
        ).all()
        climbs = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "climbed")
        )
    assert escalation is not None
    assert (escalation.reminders, escalation.approver_role, climbs) == (1, "manager", 1)
    # Each supervisor: the card and one reminder; the manager: one card.
    assert cards == [(people["sarah"].id, 1), (people["dmytro"].id, 2), (people["ivan"].id, 2)]
