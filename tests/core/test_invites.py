"""Invites as the services see them: hashed, checked, used up atomically."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Invite, Role
from bot.services import Services
from bot.services.context import TelegramUser
from bot.services.errors import ServiceError
from bot.services.invites import hash_code


def person(user_id: int, name: str = "Olena") -> TelegramUser:
    return TelegramUser(id=user_id, first_name=name, language_code="uk")


async def test_owner_invite_is_stored_only_as_a_hash(services: Services) -> None:
    created = await services.organisations.create("Grand Hotel", "usd", "Europe/Kyiv", ["Front"])
    async with services.db.transaction() as session:
        invite = await session.scalar(select(Invite))
    assert invite is not None
    assert invite.code_hash == hash_code(created.owner_invite_code)
    assert created.owner_invite_code not in invite.code_hash
    assert invite.role == Role.ADMIN and invite.max_uses == 1


@pytest.mark.parametrize(
    ("currency", "timezone", "code"),
    [("XYZ", "Europe/Kyiv", "unknown_currency"), ("UAH", "Mars/Olympus", "unknown_timezone")],
)
async def test_org_needs_real_currency_and_timezone(
    services: Services, currency: str, timezone: str, code: str
) -> None:
    with pytest.raises(ServiceError) as error:
        await services.organisations.create("Shop", currency, timezone)
    assert error.value.code == code


async def test_forged_expired_and_used_up(services: Services, clock: FrozenClock) -> None:
    created = await services.organisations.create("Hotel", "USD", "America/New_York")
    with pytest.raises(ServiceError, match="invite_invalid"):
        await services.invites.inspect("A" * 22, 1)
    with pytest.raises(ServiceError, match="invite_invalid"):
        await services.invites.inspect("<script>", 1)
    offer = await services.invites.inspect(created.owner_invite_code, 1)
    await services.invites.redeem(offer.invite_id, person(1), "uk")
    with pytest.raises(ServiceError, match="invite_used_up"):
        await services.invites.inspect(created.owner_invite_code, 2)
    other = await services.organisations.create("Shop", "UAH", "Europe/Kyiv")
    clock.advance(timedelta(days=8))
    with pytest.raises(ServiceError, match="invite_expired"):
        await services.invites.inspect(other.owner_invite_code, 3)


async def test_last_place_goes_to_exactly_one_of_many(services: Services) -> None:
    created = await services.organisations.create("Hotel", "USD", "America/New_York")
    offer = await services.invites.inspect(created.owner_invite_code, 1)
    results = await asyncio.gather(
        *(services.invites.redeem(offer.invite_id, person(100 + i), "en") for i in range(8)),
        return_exceptions=True,
    )
    joined = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(joined) == 1
    assert len(refused) == 7 and {r.code for r in refused} == {"invite_used_up"}


async def test_admin_keeps_the_organisation_administered(services: Services) -> None:
    created = await services.organisations.create("Hotel", "USD", "America/New_York")
    offer = await services.invites.inspect(created.owner_invite_code, 1)
    await services.invites.redeem(offer.invite_id, person(1, "Sarah"), "en")
    admin = (await services.context.load(person(1, "Sarah"))).member
    assert admin is not None
    with pytest.raises(ServiceError, match="last_admin"):
        await services.members.change_role(admin, admin.id, Role.MANAGER)
    with pytest.raises(ServiceError, match="cannot_deactivate_self"):
        await services.members.deactivate(admin, admin.id)
    code = await services.invites.create(admin, Role.FRONTLINE, None, 1, timedelta(days=1))
    frontline_offer = await services.invites.inspect(code, 2)
    await services.invites.redeem(frontline_offer.invite_id, person(2), "uk")
    frontline = (await services.context.load(person(2))).member
    assert frontline is not None
    with pytest.raises(ServiceError, match="not_allowed"):
        await services.invites.create(frontline, Role.ADMIN, None, 1, timedelta(days=1))
    with pytest.raises(ServiceError, match="not_allowed"):
        await services.members.page(frontline, 0)


async def test_another_organisations_member_is_invisible(services: Services) -> None:
    hotel = await services.organisations.create("Hotel", "USD", "America/New_York")
    shop = await services.organisations.create("Shop", "UAH", "Europe/Kyiv")
    for code, user in ((hotel.owner_invite_code, 1), (shop.owner_invite_code, 2)):
        offer = await services.invites.inspect(code, user)
        await services.invites.redeem(offer.invite_id, person(user), "en")
    hotel_admin = (await services.context.load(person(1))).member
    shop_admin = (await services.context.load(person(2))).member
    assert hotel_admin and shop_admin
    with pytest.raises(ServiceError, match="no_such_member"):
        await services.members.deactivate(hotel_admin, shop_admin.id)
    with pytest.raises(ServiceError, match="no_such_member"):
        await services.members.get(hotel_admin, shop_admin.id)
