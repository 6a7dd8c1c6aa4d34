"""The limit check and the spend are one transaction that holds across engines: fifty people
tapping Confirm at once for one guest never exceed the guest's daily limit together."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import Role
from bot.services import Services
from bot.services.cases import CaseView
from bot.services.context import MemberView, TelegramUser
from policies.engine import Outcome

HOTEL = (Path(__file__).resolve().parents[2] / "policies" / "hotel.toml").read_text()


async def hotel_with_frontline(services: Services) -> tuple[MemberView, CaseView]:
    created = await services.organisations.create("Grand Hotel", "USD", "America/New_York")
    offer = await services.invites.inspect(created.owner_invite_code, 1)
    await services.invites.redeem(offer.invite_id, TelegramUser(1, "Sarah", "en"), "en")
    admin = (await services.context.load_by_id(1)).member
    assert admin is not None
    draft = await services.policies.propose(admin, HOTEL.encode())
    await services.policies.activate(admin, draft.draft_id)
    code = await services.invites.create(admin, Role.FRONTLINE, None, 1, timedelta(days=1))
    offer = await services.invites.inspect(code, 2)
    await services.invites.redeem(offer.invite_id, TelegramUser(2, "Olena", "uk"), "uk")
    olena = (await services.context.load_by_id(2)).member
    assert olena is not None
    case = await services.cases.create(
        olena, category="noise", description="Party next door", customer_key="412"
    )
    return olena, case


async def test_fifty_confirms_at_once_never_exceed_the_guest_day_limit(
    database_url: str, services: Services, clock: FrozenClock
) -> None:
    olena, case = await hotel_with_frontline(services)
    second = Database(database_url)  # another engine, with its own connections
    other = make_services(second, clock)
    try:
        attempts = [
            (services if i % 2 else other).cases.give(
                olena, case.id, "dinner", Decimal(100), request_key=f"tap-{i}"
            )
            for i in range(50)
        ]
        results = await asyncio.gather(*attempts)
    finally:
        await second.dispose()
    granted = [r for r in results if r.given > 0]
    refused = [r for r in results if r.given == 0]
    total = sum((r.given for r in granted), Decimal(0))
    print(f"\nrequests=50 granted={len(granted)} sum={total} limit=2000")
    assert total == Decimal(2000)
    assert len(granted) == 20
    assert all(r.decision.outcome == Outcome.NEEDS_APPROVAL for r in refused)
    assert (await services.cases.get(olena, case.id)).spent == Decimal(2000)


async def test_a_double_tap_records_one_spend(services: Services) -> None:
    olena, case = await hotel_with_frontline(services)
    first, again = await asyncio.gather(
        services.cases.give(olena, case.id, "dinner", Decimal(150), request_key="confirm-1"),
        services.cases.give(olena, case.id, "dinner", Decimal(150), request_key="confirm-1"),
    )
    assert sorted([first.repeated, again.repeated]) == [False, True]
    assert (await services.cases.get(olena, case.id)).spent == Decimal(150)


async def test_partial_gives_now_and_escalates_the_rest(services: Services) -> None:
    olena, case = await hotel_with_frontline(services)
    await services.cases.give(olena, case.id, "dinner", Decimal(150), request_key="a")
    result = await services.cases.give(
        olena, case.id, "refund", Decimal(2600), request_key="b", mode="split"
    )
    assert result.decision.outcome == Outcome.PARTIAL
    assert (result.given, result.escalated) == (Decimal(1850), Decimal(750))
    assert result.escalation_id is not None
    view = await services.cases.get(olena, case.id)
    assert view.state == "escalated" and view.spent == Decimal(2000)
