"""Policies in the bot: everyone sees their rules; an admin replaces the policy by sending a
file, which is checked, explained and activated only on confirmation."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Harness
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins

HOTEL = (Path(__file__).resolve().parents[2] / "policies" / "hotel.toml").read_text()


async def hotel_in_kyiv(h: Harness) -> str:
    # The example hotel is in New York; our test hotel runs in Kyiv on dollars.
    return HOTEL.replace('timezone = "America/New_York"', 'timezone = "Europe/Kyiv"')


async def test_frontline_sees_their_rules_in_their_language(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    await olena.send("/policy")
    rules = await olena.expect("Політика · версія 1")
    assert "Ваші повноваження · працівник першої лінії" in rules.text
    assert "50,00\xa0USD" in rules.bold  # the default policy: 50 per case
    assert not rules.buttons  # only admins get the file


async def test_broken_upload_is_refused_in_the_admins_language(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    await sarah.send("/language")
    await sarah.expect("Choose the language")
    await sarah.press("Українська")
    await sarah.expect("Готово")
    broken = (
        (await hotel_in_kyiv(harness))
        .replace('limits = [{ amount = "2000"', "limits = [{ amount = 2000.5")
        .replace("[remedies.voucher]", "[remedies.Voucher]")
    )
    await sarah.send_document(broken.encode(), "hotel.toml")
    refusal = await sarah.expect("Політику не змінено")
    assert 'пишіть суми в лапках, наприклад "1500.50"' in refusal.text
    assert "remedies.Voucher" in refusal.text
    assert "Чинна політика діє й далі." in refusal.text
    current = await harness.services.policies.in_force(1)
    assert current.version == 1


async def test_good_upload_takes_effect_only_after_confirmation(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    await sarah.send_document((await hotel_in_kyiv(harness)).encode(), "hotel.toml")
    proposal = await sarah.expect("New policy · version 2")
    assert "What changes:" in proposal.text
    assert "New remedy: Dinner." in proposal.text
    assert "It takes effect only when you activate it." in proposal.text
    assert (await harness.services.policies.in_force(1)).version == 1

    await sarah.press("Activate")
    await sarah.expect("Policy version 2 is in force.")
    current = await harness.services.policies.in_force(1)
    assert current.version == 2
    assert current.policy.roles["frontline"].limits[0].scope == "customer"

    # A second tap on an old Activate button changes nothing.
    assert proposal.message_id
    await sarah.press_data(f"pv:on:{current.version_id}", proposal.message_id)
    await harness.settle()
    assert sarah.callback_answers[-1].text == "Version 2 is already in force."

    await sarah.send("/policy")
    rules = await sarah.expect("Policy · version 2")
    assert "No spending limit." in rules.text  # admin spends as the hotel's manager
    await sarah.press("Get the file")
    document = await sarah.expect(where=lambda m: m.document is not None)
    assert document.document is not None
    assert document.document[1] == "policy-v2.toml"
    assert b"Ritz-Carlton" in document.document[0]


async def test_wrong_currency_and_non_admin_uploads_are_refused(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    euro = (await hotel_in_kyiv(harness)).replace('currency = "USD"', 'currency = "EUR"')
    await sarah.send_document(euro.encode(), "hotel.toml")
    refusal = await sarah.expect("The policy was not changed")
    assert "The file is in EUR, but the organisation works in USD." in refusal.text

    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    await olena.send_document(HOTEL.encode(), "hotel.toml")
    assert (await olena.expect()).text == "Змінити політику може лише адміністратор."
    assert (await harness.services.policies.in_force(1)).version == 1
