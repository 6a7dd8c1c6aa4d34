"""The admin's /team screen: roles and teams change at once, and so do menus."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins


async def test_admin_changes_role_and_team_and_the_member_sees_it(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    dmytro = harness.user(1003, "Dmytro", "ru")
    await join(dmytro, code, "Русский", "Присоединиться")
    assert "invite" not in dict(dmytro.commands)

    await sarah.send("/team")
    await sarah.expect("Team · Grand Hotel")
    await sarah.press("Dmytro")
    await sarah.expect("Role: frontline staff")
    await sarah.press("Role")
    await sarah.expect("Dmytro: role")
    await sarah.press("Admin")
    card = await sarah.expect("Role: admin")
    assert "admin" in card.bold

    news = await dmytro.expect("Ваша роль в Grand Hotel теперь")
    assert "администратор" in news.bold
    await harness.settle()
    assert dict(dmytro.commands)["invite"] == "Пригласить сотрудников"

    await sarah.press("Team")
    await sarah.expect("Dmytro: team")
    await sarah.press("Restaurant")
    card = await sarah.expect("Team: Restaurant")
    await sarah.press("Back")
    roster = await sarah.expect("2 members")
    assert "Dmytro</b> — admin, Restaurant" in (roster.html or "")


async def test_the_last_admin_cannot_step_down(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    await sarah.send("/team")
    await sarah.expect("1 member")
    await sarah.press("Sarah")
    await sarah.expect("Role: admin")
    await sarah.press("Role")
    await sarah.expect("Sarah: role")
    await sarah.press("Manager")
    await harness.settle()
    assert sarah.callback_answers[-1].text == (
        "The organisation needs at least one admin. Make someone else an admin first."
    )
    assert sarah.callback_answers[-1].show_alert
    await sarah.press("Back")
    await sarah.expect("Role: admin")
