"""Joining from invite links, as people do it on their phones, through the Bot API sandbox."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import FrozenClock
from bot.db.models import Role
from bot.sandbox import SandboxUser
from tests.e2e.harness import Harness

LINK = re.compile(r"https://t\.me/casebot_sandbox_bot\?start=([A-Za-z0-9_-]+)")


async def join(user: SandboxUser, code: str, language_label: str, join_label: str) -> str:
    """Open the link, pick the language, confirm; return the welcome text."""
    await user.start(code)
    picker = await user.expect(where=lambda m: bool(m.buttons))
    assert any(language_label in label for label in picker.button_labels)
    label = next(lbl for lbl in picker.button_labels if lbl.endswith(language_label))
    await user.press(label)
    await user.expect(where=lambda m: join_label in m.button_labels)
    await user.press(join_label)
    welcome = await user.expect(where=lambda m: not m.buttons and m.edited)
    # Then the hint that brings the "New case" button.
    await user.sandbox.wait_for(lambda: True if user.reply_keyboard else None, 10)
    return welcome.text


async def invite_via_bot(admin: SandboxUser, role: str, team: str, people: str) -> str:
    """The admin's /invite flow; returns the code from the link under the QR code."""
    await admin.send("/invite")
    await admin.expect("step 1 of 4")
    await admin.press(role)
    await admin.expect("step 2 of 4")
    await admin.press(team)
    await admin.expect("step 3 of 4")
    await admin.press(people)
    await admin.expect("step 4 of 4")
    await admin.press("7 days")
    qr = await admin.expect(where=lambda m: m.photo is not None)
    assert qr.photo is not None and qr.photo.startswith(b"\x89PNG")
    match = LINK.search(qr.caption or "")
    assert match, qr.caption
    summary = next(m for m in admin.bot_messages if "Invite ready" in m.text)
    assert not summary.buttons
    return match.group(1)


async def owner_joins(h: Harness) -> SandboxUser:
    code = await h.create_org()
    sarah = h.user(1001, "Sarah", "en")
    welcome = await join(sarah, code, "English", "Join")
    assert welcome.startswith("Welcome to Grand Hotel, Sarah!")
    return sarah


async def test_three_people_join_in_their_own_languages(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    welcome = next(m for m in sarah.bot_messages if m.text.startswith("Welcome"))
    assert "Your role: admin; team: no team." in welcome.text
    assert sarah.last is not None and "New case" in sarah.last.text
    commands = dict(sarah.commands)
    assert commands["invite"] == "Invite staff" and commands["team"] == "Members, roles, teams"

    olena_code = await invite_via_bot(sarah, "Frontline", "Front desk", "5 people")
    olena = harness.user(1002, "Olena", "uk")
    welcome = await join(olena, olena_code, "Українська", "Приєднатися")
    assert welcome.startswith("Вітаємо в Grand Hotel, Olena!")
    assert "Ваша роль: працівник першої лінії; команда: Front desk." in welcome
    assert "/invite" not in welcome and "/team" not in welcome
    olena_menu = dict(olena.commands)
    assert olena_menu["language"] == "Змінити мову"
    assert "invite" not in olena_menu and "team" not in olena_menu

    dmytro_code = await invite_via_bot(sarah, "Supervisor", "Restaurant", "1 person")
    # Telegram says English, but Dmytro picks Russian: his choice wins.
    dmytro = harness.user(1003, "Dmytro", "en")
    welcome = await join(dmytro, dmytro_code, "Русский", "Присоединиться")
    assert welcome.startswith("Добро пожаловать в Grand Hotel, Dmytro!")
    assert "руководитель смены" in welcome
    assert dict(dmytro.commands)["help"] == "Что я умею"

    await sarah.send("/team")
    roster = await sarah.expect("Team · Grand Hotel")
    assert "3 members" in roster.text
    assert {"Sarah", "Olena", "Dmytro"} <= set(roster.button_labels)


async def test_language_is_preselected_from_telegram(harness: Harness) -> None:
    code = await harness.create_org()
    ivan = harness.user(1010, "Ivan", "ru")
    await ivan.start(code)
    picker = await ivan.expect("Язык")
    assert "✓ Русский" in picker.button_labels
    assert "Українська" in picker.button_labels and "English" in picker.button_labels
    assert "Отмена" in picker.button_labels


async def test_stranger_gets_one_polite_line_and_nothing_else(harness: Harness) -> None:
    await owner_joins(harness)
    stranger = harness.user(2001, "Petro", "uk")
    for text in ("Привіт", "/team", "/invite", "/start"):
        await stranger.send(text)
    await harness.settle()
    replies = stranger.bot_messages
    assert len(replies) == 4
    assert {m.text for m in replies} == {
        "Цей бот лише для запрошених працівників. Попросіть у свого керівника посилання-запрошення."
    }
    assert all(not m.buttons for m in replies)


async def test_forged_expired_and_used_up_invites_each_say_so(
    harness: Harness, clock: FrozenClock
) -> None:
    sarah = await owner_joins(harness)
    assert sarah.last is not None
    bob = harness.user(2002, "Bob", "en")

    await bob.start("ThisIsNotARealInviteCode123")
    forged = await bob.expect()
    assert forged.text.startswith("This invite link is not valid.")

    await bob.start("short")
    assert (await bob.expect()).text.startswith("This invite link is not valid.")

    used_up_code = await harness.create_org("Other Hotel")
    await join(harness.user(2003, "Ann", "en"), used_up_code, "English", "Join")
    await bob.start(used_up_code)
    assert (await bob.expect()).text == (
        "This invite has already been used. Ask your admin for a new link."
    )

    admin = (await harness.services.context.load_by_id(1001)).member
    assert admin is not None
    code = await harness.services.invites.create(admin, Role.FRONTLINE, None, 3, timedelta(days=1))
    clock.advance(timedelta(days=1, minutes=1))
    await bob.start(code)
    assert (await bob.expect()).text == "This invite has expired. Ask your admin for a new link."
    await harness.settle()
    assert all(not m.buttons for m in bob.bot_messages)


async def test_deactivated_member_is_refused_on_the_next_message(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")

    await sarah.send("/team")
    await sarah.expect("Team · Grand Hotel")
    await sarah.press("Olena")
    await sarah.expect(where=lambda m: "Deactivate" in m.button_labels)
    await sarah.press("Deactivate")
    await sarah.expect("Deactivate Olena?")
    await sarah.press("Deactivate")
    card = await sarah.expect("Access: ended")
    assert "Deactivate" not in card.button_labels

    farewell = await olena.expect("Адміністратор припинив ваш доступ")
    assert "Grand Hotel" in farewell.bold
    await olena.send("/help")
    refused = await olena.expect()
    assert refused.text.startswith("Ваш доступ до Grand Hotel припинено.")
    assert dict(olena.commands).keys() == {"start"}


async def test_a_redelivered_update_has_one_effect(harness: Harness) -> None:
    code = await harness.create_org()
    olena = harness.user(1002, "Olena", "uk")
    update_id = await olena.start(code)
    await harness.settle()
    assert len(olena.bot_messages) == 1
    harness.sandbox.redeliver(update_id)
    await harness.settle()
    assert len(olena.bot_messages) == 1
    assert len([r for r in harness.sandbox.requests if r[0] == "sendMessage"]) == 1


async def test_restart_in_the_middle_of_onboarding_continues(harness: Harness) -> None:
    code = await harness.create_org()
    olena = harness.user(1002, "Olena", "uk")
    await olena.start(code)
    await olena.expect("Мова")
    await harness.restart_bot()
    await olena.press("✓ Українська")
    await olena.expect("Приєднання до Grand Hotel")
    await harness.restart_bot()
    await olena.press("Приєднатися")
    welcome = await olena.expect("Вітаємо")
    assert "Olena" in welcome.text


async def test_back_and_cancel_during_onboarding(harness: Harness) -> None:
    code = await harness.create_org()
    olena = harness.user(1002, "Olena", "uk")
    await olena.start(code)
    await olena.expect("Мова")
    await olena.press("English")
    await olena.expect("Joining Grand Hotel")
    await olena.press("Back")
    picker = await olena.expect("Language")
    assert "✓ English" in picker.button_labels
    await olena.press("Cancel")
    await olena.expect("Cancelled. Nothing was changed.")
    # The invite was not used: the same link still works.
    welcome = await join(olena, code, "Українська", "Приєднатися")
    assert welcome.startswith("Вітаємо в Grand Hotel")


async def test_language_switch_updates_texts_and_menu(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    await sarah.send("/language")
    await sarah.expect("Choose the language")
    await sarah.press("Українська")
    done = await sarah.expect("Готово")
    assert "українською" in done.text
    # The phone keyboard comes again, in the new language; the picker is gone.
    assert sarah.reply_keyboard == [["Нове звернення"], ["Мої звернення", "Повноваження"]]
    assert not any("Choose the language" in m.text for m in sarah.bot_messages)
    assert dict(sarah.commands)["invite"] == "Запросити працівників"
    await sarah.send("/help")
    assert "Що можна зробити тут:" in (await sarah.expect()).text


async def test_forged_admin_button_from_frontline_does_nothing(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    admin = (await harness.services.context.load_by_id(1001)).member
    assert admin is not None
    assert olena.last is not None
    await olena.press_data(f"tm:offok:{admin.id}:", olena.last.message_id)
    await olena.send("/team")
    await harness.settle()
    assert olena.callback_answers[-1].text.startswith("Ця кнопка застаріла")
    assert olena.last.text == "Це недоступно для вашої ролі."
    still = (await harness.services.context.load_by_id(1001)).member
    assert still is not None and still.active and still.role == Role.ADMIN
