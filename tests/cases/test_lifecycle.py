"""A case's life: resolved, reopened only inside the policy's window, voided by its reporter
within ten minutes (a supervisor any time); every step is an event."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Case, CaseEvent, Escalation, Role
from bot.services import Services
from bot.services.context import TelegramUser
from bot.services.errors import ServiceError
from tests.cases.test_spend_atomic import hotel_with_frontline


async def events(services: Services, case_id: int) -> list[tuple[str, dict[str, object]]]:
    async with services.db.reading() as session:
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return [(row.kind, json.loads(row.payload)) for row in rows]


async def test_resolve_then_reopen_inside_the_window_only(
    services: Services, clock: FrozenClock
) -> None:
    olena, case = await hotel_with_frontline(services)
    await services.lifecycle.resolve(olena, case.id, "with_remedy", True, "Dinner on us")
    with pytest.raises(ServiceError, match="case_not_open"):
        await services.lifecycle.resolve(olena, case.id, "with_remedy", True)
    clock.advance(timedelta(days=6, hours=23))
    await services.lifecycle.reopen(olena, case.id, "Noise again at night")
    assert (await services.cases.get(olena, case.id)).state == "reopened"
    await services.lifecycle.resolve(olena, case.id, "without_remedy", False)
    clock.advance(timedelta(days=7))
    with pytest.raises(ServiceError) as late:
        await services.lifecycle.reopen(olena, case.id, "Once more")
    assert (late.value.code, late.value.params) == ("reopen_window_over", {"days": 7})
    with pytest.raises(ServiceError, match="reason_needed"):
        await services.lifecycle.reopen(olena, case.id, "  ")
    async with services.db.reading() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None
    assert stored.first_resolved_at is not None and stored.resolved_at is not None
    assert stored.first_resolved_at < stored.resolved_at and stored.reopened_count == 1
    assert [kind for kind, _ in await events(services, case.id)] == [
        "created",
        "resolved",
        "reopened",
        "resolved",
    ]


async def test_a_waiting_case_is_no_dead_end(services: Services) -> None:
    """While a request waits: no second request, a gift within authority, a withdrawal, and
    a resolution that withdraws what still waits — each with its event."""
    olena, case = await hotel_with_frontline(services)
    await services.cases.give(olena, case.id, "refund", Decimal(2500), "r1", mode="ask")
    with pytest.raises(ServiceError, match="request_pending"):
        await services.cases.give(olena, case.id, "refund", Decimal(2600), "r2", mode="ask")
    given = await services.cases.give(olena, case.id, "voucher", Decimal(100), "r3")
    assert given.given == Decimal(100) and given.escalated == 0
    assert (await services.cases.get(olena, case.id)).state == "escalated"

    assert await services.lifecycle.withdraw(olena, case.id) == 1
    assert (await services.cases.get(olena, case.id)).state == "open"
    with pytest.raises(ServiceError, match="nothing_waiting"):
        await services.lifecycle.withdraw(olena, case.id)

    await services.cases.give(olena, case.id, "refund", Decimal(2500), "r4", mode="ask")
    await services.lifecycle.resolve(olena, case.id, "with_remedy", True)
    assert (await services.cases.get(olena, case.id)).state == "resolved"
    async with services.db.reading() as session:
        requests = (await session.scalars(select(Escalation).order_by(Escalation.id))).all()
    assert [(e.state, e.reason) for e in requests] == [
        ("withdrawn", "withdrawn"),
        ("withdrawn", "resolved"),
    ]
    assert all(e.decided_by_id == olena.id and e.decision is None for e in requests)
    kinds = [kind for kind, _ in await events(services, case.id)]
    assert kinds == [
        "created",
        "escalated",
        "spend",
        "withdrawn",
        "escalated",
        "withdrawn",
        "resolved",
    ]


async def test_void_by_reporter_within_ten_minutes_supervisor_any_time(
    services: Services, clock: FrozenClock
) -> None:
    olena, case = await hotel_with_frontline(services)
    second = await services.cases.create(olena, category="room", description="Cold shower")
    clock.advance(timedelta(minutes=9))
    await services.lifecycle.void(olena, case.id)
    assert (await services.cases.get(olena, case.id)).state == "cancelled"
    clock.advance(timedelta(minutes=2))
    with pytest.raises(ServiceError) as late:
        await services.lifecycle.void(olena, second.id)
    assert (late.value.code, late.value.params) == ("void_too_late", {"minutes": 10})

    admin = (await services.context.load_by_id(1)).member
    assert admin is not None
    code = await services.invites.create(admin, Role.SUPERVISOR, None, 1, timedelta(days=1))
    offer = await services.invites.inspect(code, 3)
    await services.invites.redeem(offer.invite_id, TelegramUser(3, "Dmytro", "ru"), "ru")
    dmytro = (await services.context.load_by_id(3)).member
    assert dmytro is not None
    clock.advance(timedelta(days=2))
    await services.lifecycle.void(dmytro, second.id)
    kinds = [kind for kind, _ in await events(services, second.id)]
    assert kinds == ["created", "cancelled"]
