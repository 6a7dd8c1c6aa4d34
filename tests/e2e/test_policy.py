"""Policies in the bot: everyone sees their rules; an admin replaces the policy by sending a
file, which is checked, explained and activated only on confirmation."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.render.callbacks import PolicyPage
from bot.sandbox import SandboxUser
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


async def test_a_manager_reads_every_roles_page_and_the_last_changes(
    harness: Harness, clock: FrozenClock
) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Manager", "No team", "1 person")
    mykola = harness.user(1003, "Mykola", "uk")
    await join(mykola, code, "Українська", "Приєднатися")

    # The default policy: his own rules, the buttons of every role's page, his own ticked.
    await mykola.send("/policy")
    own = await mykola.expect("Політика · версія 1")
    assert "Ваші повноваження · менеджер" in own.text
    assert own.button_labels == [
        "Працівник першої лінії",
        "Керівник зміни",
        "✓ Менеджер",
        "Адміністратор",
        "Зміни",
    ]
    await mykola.press("Зміни", own)
    first = await mykola.expect("зміни")
    assert first.message_id == own.message_id
    assert "Це перша версія: порівнювати немає з чим." in first.text
    assert "Активовано 11:00." in first.text  # made with the organisation, by no one

    # Sarah activates the hotel's policy a day later, at 14:05 in Kyiv.
    clock.advance(timedelta(days=1, hours=3, minutes=5))
    await sarah.send_document((await hotel_in_kyiv(harness)).encode(), "hotel.toml")
    await sarah.expect("New policy · version 2")
    await sarah.press("Activate")
    await sarah.expect("Policy version 2 is in force.")

    # The frontline page in Ukrainian: limits in words, the approver, presets, the SLA.
    await mykola.send("/policy")
    own = await mykola.expect("Політика · версія 2")
    await mykola.press("Працівник першої лінії", own)
    frontline = await mykola.expect("Працівник першої лінії\nБез погодження:")
    assert "• 2\xa0000,00\xa0USD на клієнта на день" in frontline.text
    assert "2\xa0000,00\xa0USD" in frontline.bold
    assert "Понад ці ліміти має погодити керівник зміни." in frontline.text
    assert "Ваучер: 50,00\xa0USD · 150,00\xa0USD · 300,00\xa0USD, також на картці звернення" in (
        frontline.text
    )
    assert "Вибачення: безкоштовно" in frontline.text
    assert "Відповідь на запит на погодження — протягом 15 хвилин." in frontline.text
    assert "[roles" not in frontline.text and "amount =" not in frontline.text  # no TOML
    assert "✓ Працівник першої лінії" in frontline.button_labels
    await mykola.press("Керівник зміни", frontline)
    supervisor = await mykola.expect("Керівник зміни\nБез погодження:")
    assert "• 20\xa0000,00\xa0USD на працівника на тиждень" in supervisor.text
    assert "Понад ці ліміти має погодити менеджер." in supervisor.text

    # The Changes page: what version 2 changed, who activated it and when.
    await mykola.press("Зміни", supervisor)
    changes = await mykola.expect("Політика · версія 2 · зміни")
    assert "Активовано (Sarah, 14:05)." in changes.text
    assert "Що змінилося порівняно з версією 1:" in changes.text
    assert "Вечеря" in changes.text
    assert "✓ Зміни" in changes.button_labels

    # The same pages in English, for the admin.
    await sarah.send("/policy")
    rules = await sarah.expect("Policy · version 2")
    assert "✓ Admin" in rules.button_labels and "Get the file" in rules.button_labels
    await sarah.press("Frontline staff", rules)
    page = await sarah.expect("Frontline staff\nWithout approval:")
    assert "• $2,000.00 per customer per day" in page.text
    assert "Above these limits, a supervisor must approve." in page.text
    assert "Voucher: $50.00 · $150.00 · $300.00, also on the case card" in page.text
    assert "An answer to an approval request is due within 15 minutes." in page.text
    await sarah.press("Supervisor", page)
    page = await sarah.expect("Supervisor\nWithout approval:")
    assert "• $5,000.00 per customer per day" in page.text
    assert "• $20,000.00 per employee per week" in page.text
    assert "Above these limits, a manager must approve." in page.text
    await sarah.press("Changes", page)
    changes = await sarah.expect("Policy · version 2 · changes")
    assert "Activated by Sarah, 2:05\u202fPM." in changes.text
    assert "New remedy: Dinner." in changes.text


async def test_frontline_keeps_to_their_own_rules(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    await olena.send("/policy")
    rules = await olena.expect("Політика · версія 1")
    assert not rules.buttons
    for view in ("supervisor", "manager", "changes"):
        before = len(olena.callback_answers)
        await olena.press_data(PolicyPage(view=view).pack(), rules.message_id)
        await harness.sandbox.wait_for(partial(answered, olena, before), 10)
        answer = olena.callback_answers[-1]
        assert answer.text == "Це недоступно для вашої ролі." and answer.show_alert
    await harness.settle()
    assert olena.last is not None and olena.last.message_id == rules.message_id
    assert "Ваші повноваження · працівник першої лінії" in olena.last.text


def answered(user: SandboxUser, seen: int) -> bool | None:
    return True if len(user.callback_answers) > seen else None


CRAFTED = {
    # What each crafted file is refused with, in uk, ru and en. Each stays under the 64 KB a
    # file may have (with room for the example hotel to grow), so it is refused for what it
    # was crafted with, not for its size.
    "nesting": (
        lambda text: text + "\nx = " + "[" * 25000 + "]" * 25000 + "\n",
        ("глибше за 16 рівнів", "глубже 16 уровней", "nested deeper than 16 levels"),
    ),
    "exponent": (
        lambda text: text.replace(
            'limits = [{ amount = "2000"', 'limits = [{ amount = "1E+1000000"'
        ),
        ("пишіть суму звичайними цифрами", "пишите сумму обычными цифрами", "in plain digits"),
    ),
    "label": (
        lambda text: text.replace('en = "Dinner"', f'en = "{"D" * 50000}"', 1),
        ("до 64 символів", "до 64 символов", "64 characters at most"),
    ),
}


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
@pytest.mark.parametrize("kind", sorted(CRAFTED))
async def test_crafted_uploads_are_listed_as_problems_and_not_kept(
    harness: Harness, kind: str, locale: str
) -> None:
    from sqlalchemy import func, select

    from bot.db.models import PolicyVersion

    sarah = await owner_joins(harness)
    await speak(sarah, locale)
    craft, expected = CRAFTED[kind]
    crafted = craft(await hotel_in_kyiv(harness))
    assert crafted != await hotel_in_kyiv(harness)
    await sarah.send_document(crafted.encode(), "hotel.toml")
    heading = {"uk": "Політику не змінено", "ru": "Политика не изменена", "en": "not changed"}
    refusal = await sarah.expect(heading[locale])
    assert expected[("uk", "ru", "en").index(locale)] in refusal.text
    async with harness.db.reading() as session:
        kept = await session.scalar(select(func.count()).select_from(PolicyVersion))
    assert kept == 1  # the default policy only: no draft of the crafted file


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
async def test_a_file_too_big_is_refused_before_it_is_fetched(
    harness: Harness, locale: str
) -> None:
    sarah = await owner_joins(harness)
    await speak(sarah, locale)
    await sarah.send_document(b"# " + b"x" * (300 * 1024) + b"\n", "hotel.toml")
    expected = {
        "uk": "Файл завеликий: щонайбільше 64 КБ.",
        "ru": "Файл слишком большой: не больше 64 КБ.",
        "en": "The file is too big: at most 64 KB.",
    }
    refusal = await sarah.expect(expected[locale])
    assert expected[locale] in refusal.text
    assert not [method for method, _ in harness.sandbox.requests if method.lower() == "getfile"]


async def speak(user: SandboxUser, locale: str) -> None:
    """The admin switches to `locale` (the owner joined in English)."""
    if locale == "en":
        return
    await user.send("/language")
    await user.expect("Choose the language")
    await user.press({"uk": "Українська", "ru": "Русский"}[locale])
    await user.expect({"uk": "Готово", "ru": "Готово"}[locale])
