"""Escalations through the sandbox: a reporter in Ukrainian, a supervisor in Russian and a
manager in English; one decision wins; reminders and the climb follow a movable clock."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.db.models import Case, CaseEvent, Escalation, Member, OutboxMessage, Spend
from bot.render.callbacks import EscalationStep
from bot.sandbox import SandboxMessage, SandboxUser
from policies.defaults import default_policy_text
from tests.e2e.harness import Harness
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins

CODE = re.compile(r"K-[2-9A-Z]{4}")


async def staff(h: Harness, *, second_supervisor: bool = False) -> dict[str, SandboxUser]:
    """Sarah (admin and manager, en), Olena (frontline, uk) and Dmytro (supervisor, ru) of
    the front desk; optionally Ivan, a second front-desk supervisor (uk)."""
    sarah = await owner_joins(h)
    people = {"sarah": sarah}
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    people["olena"] = h.user(1002, "Olena", "uk")
    await join(people["olena"], code, "Українська", "Приєднатися")
    code = await invite_via_bot(sarah, "Supervisor", "Front desk", "5 people")
    people["dmytro"] = h.user(1003, "Dmytro", "ru")
    await join(people["dmytro"], code, "Русский", "Присоединиться")
    if second_supervisor:
        people["ivan"] = h.user(1004, "Ivan", "uk")
        await join(people["ivan"], code, "Українська", "Приєднатися")
    await h.settle()
    return people


async def ask_refund(
    olena: SandboxUser,
    amount: str,
    button: str,
    answer: str = "Запит на погодження",
    new_case: bool = True,
) -> str:
    """Olena logs a case (or uses the open card) and asks for a refund; returns the code."""
    if new_case:
        await olena.send("/new")
        await olena.expect("Чого стосується проблема?")
        await olena.press("Очікування")
        await olena.expect("Опишіть проблему")
        await olena.send("Гість чекав на номер дві години")
        await olena.expect("Хто клієнт?")
        await olena.send("412")
        await olena.expect("Слова самого клієнта?")
        await olena.send("Я більше сюди не приїду")
        await olena.expect("Звернення K-")
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Повернення коштів")
    await olena.expect("Скільки, у USD?")
    await olena.send(amount)
    await olena.expect(where=lambda m: button in m.button_labels)
    await olena.press(button)
    done = await olena.expect(answer)
    match = CODE.search(done.text)
    assert match
    return match.group(0)


async def test_story_in_three_languages(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]

    code = await ask_refund(olena, "250", "Запросити погодження")
    asked = olena.bot_messages[-1]
    assert (
        "Запит на погодження 250,00\xa0USD надіслано; рішення ухвалить Dmytro (керівник зміни)."
        in asked.text
    )
    assert "Відповідь прийде сюди." in asked.text

    # Dmytro's phone: the card in Russian, with the guest's words and Olena's own room.
    card = await dmytro.expect(f"{code} · Olena")
    first_line = f"250,00\xa0$, возврат денег · {code} · Olena · Ожидание"
    assert card.text.startswith(first_line + "\n")
    assert "«Я більше сюди не приїду»" in card.text
    assert "Без одобрения Olena может дать ещё 50,00\xa0$" in card.text
    assert first_line in card.bold
    assert card.buttons[0] == [
        ("Одобрить", card.buttons[0][0][1]),
        ("Одобрить часть", card.buttons[0][1][1]),
        ("Отказать", card.buttons[0][2][1]),
    ]
    assert [label for label, _ in card.buttons[1]] == ["Взять на себя", "Открыть обращение"]
    assert not sarah.bot_messages[-1].text.startswith("<b>Approval")  # not the manager's yet

    # 250 is above half of his own 300 per case: asked once more, on the card itself.
    await dmytro.press("Одобрить", card)
    sure = await dmytro.expect("Одобрить 250,00\xa0$?")
    assert sure.message_id == card.message_id and sure.button_labels == ["Одобрить", "Назад"]
    await dmytro.press("Одобрить", sure)
    decided = await dmytro.expect(f"Решение принято · {code}")
    assert decided.message_id == card.message_id  # the same card, edited in place
    assert "Одобрено (Dmytro, 11:00)." in decided.text
    assert decided.button_labels == ["Отозвать решение", "Открыть обращение"]

    news = await olena.expect(f"Погоджено · {code}")
    assert "Погоджено 250,00\xa0USD (Повернення коштів) — Dmytro." in news.text
    await olena.press("Дати зараз", news)
    given = await olena.expect("Записано: Повернення коштів на 250,00\xa0USD.")
    assert given.message_id == news.message_id
    async with harness.db.reading() as session:
        escalation_id = (await session.scalars(select(Escalation.id))).one()
    await forge(olena, "use", escalation_id)  # the same tap again, e.g. from a stale copy
    await harness.settle()

    # The spend records who authorised it; a second tap recorded nothing more.
    async with harness.db.reading() as session:
        spends = (
            await session.execute(
                select(Spend.amount_minor, Member.name).join(
                    Member, Member.id == Spend.authorised_by_id
                )
            )
        ).all()
    assert spends == [(25000, "Dmytro")]

    # The case now holds 250 of a supervisor's 300 per case: 100 more climbs to the manager.
    await olena.press("Відкрити звернення", given)
    await olena.expect("Статус: відкрите")
    await ask_refund(olena, "100", "Запросити погодження", new_case=False)
    assert "Sarah (менеджер)" in olena.bot_messages[-1].text
    card = await sarah.expect(f"for {code} · Olena")
    assert card.text.startswith(f"$100.00 refund for {code} · Olena · Waiting\n")
    assert "Already given on this case: $250.00 refund." in card.text
    await sarah.press("Approve part", card)
    await sarah.expect("How much do you approve, up to $100.00?")
    for typed, reply in [
        ("150", "That is more than was asked. Type an amount up to $100.00."),
        ("abc", "I could not read that amount. Type it like this: 1,500.50."),
    ]:
        await sarah.send(typed)
        refused = await sarah.expect(reply)
        # The step stays open, and its way back is right under the refusal.
        assert refused.text == reply and refused.button_labels == ["Back", "Cancel"]
    await sarah.send("60")
    confirm = await sarah.expect("Approve $60.00 of $100.00 (Refund)?")
    await sarah.press("Confirm", confirm)
    done = await sarah.expect(f"Decided · {code}")
    assert "Approved partly" not in done.text
    assert "approved $60.00 of $100.00" in done.text or "$60.00" in done.text
    # The original card is edited too (through the outbox), not sent anew.
    original = await sarah.expect(where=lambda m: m.message_id == card.message_id and m.edited)
    assert f"Decided · {code}" in original.text and original.button_labels == ["Open case"]

    news = await olena.expect("Погоджено · ")
    assert "Погоджено 60,00\xa0USD з 100,00\xa0USD (Повернення коштів) — Sarah." in news.text

    async with harness.db.reading() as session:
        kinds = list(await session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))
    assert kinds.count("decided") == 2 and kinds.count("escalated") == 2


async def test_two_supervisors_tap_at_once(harness: Harness) -> None:
    people = await staff(harness, second_supervisor=True)
    olena, dmytro, ivan = people["olena"], people["dmytro"], people["ivan"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    assert "Dmytro, Ivan (керівник зміни)" in olena.bot_messages[-1].text
    card_d = await dmytro.expect(f"{code} · Olena")
    card_i = await ivan.expect(f"{code} · Olena")

    # Both taps are queued before the bot takes either.
    await dmytro.press("Одобрить", card_d)
    await ivan.press("Погодити", card_i)
    await harness.settle()

    d = await dmytro.expect(where=lambda m: m.message_id == card_d.message_id and m.edited)
    i = await ivan.expect(where=lambda m: m.message_id == card_i.message_id and m.edited)
    async with harness.db.reading() as session:
        escalation = (await session.scalars(select(Escalation))).one()
        decider = await session.get(Member, escalation.decided_by_id)
        decisions = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "decided")
        )
    assert decisions == 1 and decider is not None
    loser = ivan if decider.name == "Dmytro" else dmytro
    alerts = [a.text for a in loser.callback_answers if a.show_alert]
    assert alerts, "the second tap is answered with an alert"
    expected = (
        f"Рішення вже ухвалено: {decider.name}, 11:00."
        if loser is ivan
        else f"Решение уже принято: {decider.name}, 11:00."
    )
    assert alerts[-1] == expected
    # Both cards now say who decided, with no decision buttons left.
    assert f"Одобрено ({decider.name}, 11:00)." in d.text
    assert f"Погоджено ({decider.name}, 11:00)." in i.text
    # Undo only on the winner's own card.
    won, lost = (d, i) if decider.name == "Dmytro" else (i, d)
    assert won.button_labels[0] in ("Отозвать решение", "Відкликати рішення")
    assert lost.button_labels in (["Открыть обращение"], ["Відкрити звернення"])
    news = await olena.expect(f"Погоджено · {code}")
    assert f"— {decider.name}." in news.text


async def test_sla_reminds_then_climbs_to_the_manager(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    code = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{code} · Olena")

    clock.advance(timedelta(minutes=14))
    await harness.services.escalations.run_due()
    await harness.settle()
    assert dmytro.bot_messages[-1].message_id == card.message_id  # nothing yet

    clock.advance(timedelta(minutes=1))  # the SLA (15 min) is over: a reminder
    await harness.services.escalations.run_due()
    reminder = await dmytro.expect(f"Напоминание · 120,00\xa0$, возврат денег · {code}")
    assert "Ждёт 15 минут, с 11:00." in reminder.text
    assert "Одобрить" in reminder.button_labels
    assert not any(code in m.text for m in sarah.bot_messages)

    clock.advance(timedelta(minutes=15))  # twice the SLA: up to the manager
    await harness.services.escalations.run_due()
    climbed = await sarah.expect(f"for {code} · Olena")
    assert f"$120.00 refund for {code} · Olena" in climbed.text
    still = await olena.expect(f"Досі чекає · {code}")
    assert "надіслано вище — Sarah (менеджер)" in still.text

    # Another run at the same moment finds nothing due: each step happened once.
    assert await harness.services.escalations.run_due() == 0

    await sarah.press("Deny", climbed)
    reasons = await sarah.expect(f"Deny · {code}")
    assert reasons.button_labels[:3] == [
        "Not justified",
        "A smaller remedy will do",
        "Solve it another way",
    ]
    await sarah.press("Not justified", reasons)
    await sarah.expect(f"Decided · {code}")
    # Dmytro's card and his reminder both show the decision, in Russian.
    for message in (card, reminder):
        edited = await dmytro.expect(
            where=lambda m, mid=message.message_id: m.message_id == mid and "Отказано" in m.text
        )
        assert "Отказано (Sarah, 11:30): Нет оснований" in edited.text
    news = await olena.expect(f"Відмовлено · {code}")
    assert "Причина: Немає підстав" in news.text
    assert "Запит на 120,00\xa0USD (Повернення коштів) відхилено — Sarah." in news.text


async def test_queue_lists_what_waits_oldest_first(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    first = await ask_refund(olena, "120", "Запросити погодження")
    clock.advance(timedelta(minutes=3))
    second = await ask_refund(olena, "90", "Запросити погодження")
    await olena.send("/queue")
    assert (await olena.expect()).text == "Це недоступно для вашої ролі."

    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    lines = queue.text.splitlines()
    assert lines[1] == "2 запроса ждут вашего решения; 2 открытых обращения в команде Front desk"
    assert lines[3] == f"• {first} · Olena, 120,00\xa0$, возврат денег · ждёт 3 минуты"
    assert lines[4].startswith(f"• {second} · Olena, 90,00\xa0$")
    assert queue.button_labels == [first, second, "Открытые обращения команды (2)"]
    await dmytro.press(first, queue)
    card = await dmytro.expect(where=lambda m: first in m.text and "Одобрить" in m.button_labels)
    assert card.message_id != queue.message_id  # below the queue, which stays


async def forge(user: SandboxUser, action: str, escalation_id: int) -> str | None:
    """Press a button the bot never gave this person (a crafted callback); the answer."""
    target: SandboxMessage = user.bot_messages[-1]
    before = len(user.callback_answers)
    data = EscalationStep(action=action, escalation_id=escalation_id).pack()
    await user.press_data(data, target.message_id)
    await user.sandbox.wait_for(lambda: True if len(user.callback_answers) > before else None, 10)
    return user.callback_answers[-1].text


async def test_forged_and_late_decisions_change_nothing(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    await dmytro.expect(f"{code} · Olena")
    async with harness.db.reading() as session:
        escalation_id = (await session.scalars(select(Escalation.id))).one()

    # The frontline reporter forges an approval of her own request.
    assert await forge(olena, "ok", escalation_id) == (
        "Свій запит ви не можете вирішити самі: він чекає на рішення іншого керівника."
    )
    # A supervisor of another organisation sees a missing request.
    other = await harness.services.organisations.create("Other Inn", "USD", "Europe/Kyiv", ())
    stranger = harness.user(2001, "Stranger", "en")
    await join(stranger, other.owner_invite_code, "English", "Join")
    assert await forge(stranger, "ok", escalation_id) == "This case is not available to you."

    # Olena is promoted to supervisor: still not her own request to decide.
    async with harness.db.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.name == "Olena"))).one()
        member.role = "supervisor"
    assert await forge(olena, "ok", escalation_id) == (
        "Свій запит ви не можете вирішити самі: він чекає на рішення іншого керівника."
    )
    async with harness.db.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.name == "Olena"))).one()
        member.role = "frontline"

    # The case is voided: the request is withdrawn and every card says so.
    await sarah.send(f"/case {code}")
    await sarah.expect(f"Case {code}")
    await sarah.press("Void case")
    await sarah.expect(f"Void case {code}?")
    await sarah.press("Void case")
    await sarah.expect("Status: voided")
    withdrawn = await dmytro.expect("Отозвано: обращение аннулировано.")
    assert withdrawn.button_labels == ["Открыть обращение"]
    assert await forge(dmytro, "ok", escalation_id) == "Этот запрос отозван — решение не нужно."

    async with harness.db.reading() as session:
        escalation = await session.get(Escalation, escalation_id)
        spends = await session.scalar(select(func.count()).select_from(Spend))
    assert escalation is not None and escalation.state == "withdrawn"
    # Not a decision: who withdrew it (Sarah, by voiding) and why, and nothing spent.
    assert (escalation.decision, escalation.reason) == (None, "void") and spends == 0
    voider = await harness.services.context.load_by_id(1001)
    assert voider.member is not None and escalation.decided_by_id == voider.member.id


async def test_nobody_to_approve_tells_the_requester_whom_to_call(harness: Harness) -> None:
    people = await staff(harness)
    olena, sarah = people["olena"], people["sarah"]
    admin = (await harness.services.context.load_by_id(sarah.id)).member
    assert admin is not None
    # A policy whose top role has a limit: above it nobody in the bot may approve.
    limited = default_policy_text("USD", "Europe/Kyiv").replace(
        'approver = "none"\nunlimited = true',
        'approver = "none"\nlimits = [{ amount = "1000", scope = "case", interval = "per_case" }]',
    )
    draft = await harness.services.policies.propose(admin, limited.encode())
    await harness.services.policies.activate(admin, draft.draft_id)

    code = await ask_refund(olena, "5000", "Запросити погодження", answer="Ніхто в боті")
    told = olena.bot_messages[-1].text
    assert "Ніхто в боті не може погодити 5\xa0000,00\xa0USD. Адміністраторам (Sarah)" in told
    notice = await sarah.expect(f"Nobody can approve · {code}")
    assert "Olena asks for $5,000.00 (refund)" in notice.text
    assert "Call Olena, or change the policy." in notice.text
    async with harness.db.reading() as session:
        escalation = (await session.scalars(select(Escalation))).one()
    assert escalation.flagged and escalation.approver_role is None


async def test_a_blocked_approver_is_reported_and_replaced(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    harness.sandbox.block(dmytro.id)
    code = await ask_refund(olena, "120", "Запросити погодження")
    notice = await sarah.expect("Dmytro blocked the bot")
    assert "no longer gets notifications" in notice.text
    # Dmytro was the only supervisor: the request goes up to the manager at once.
    card = await sarah.expect(f"for {code} · Olena")
    assert f"$120.00 refund for {code} · Olena" in card.text
    async with harness.db.reading() as session:
        member = (await session.scalars(select(Member).where(Member.name == "Dmytro"))).one()
        dead = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "dead")
        )
        escalation = (await session.scalars(select(Escalation))).one()
    assert member.reachable is False and dead == 1
    assert escalation.approver_role == "manager"
    await sarah.press("Approve", card)
    news = await olena.expect(f"Погоджено · {code}")
    assert "— Sarah." in news.text


async def test_deny_with_typed_reason_then_take_over(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{code} · Olena")
    await dmytro.press("Отказать", card)
    await dmytro.expect("Почему? Выберите причину или напишите свою.")
    await dmytro.press("Назад")
    await dmytro.expect(f"{code} · Olena")
    await dmytro.press("Отказать")
    await dmytro.expect("Почему?")
    await dmytro.send("Гостю уже дали <b>ужин</b>")
    decided = await dmytro.expect(f"Решение принято · {code}")
    assert "Отказано (Dmytro, 11:00): Гостю уже дали <b>ужин</b>" in decided.text
    news = await olena.expect(f"Відмовлено · {code}")
    assert "Причина: Гостю уже дали <b>ужин</b>" in news.text  # typed text stays text
    assert "Звернення знову ваше" in news.text

    # She asks again; this time Dmytro takes the case over.
    await olena.press("Відкрити звернення", news)
    await olena.expect("Статус: відкрите")
    await ask_refund(olena, "150", "Запросити погодження", new_case=False)
    card = await dmytro.expect(f"{code} · Olena")
    await dmytro.press("Взять на себя", card)
    await dmytro.expect("Взято на себя (Dmytro, 11:00).")
    taken = await olena.expect(f"Узято на себе · {code}")
    assert "Тепер зверненням займається Dmytro." in taken.text
    # The case is his now: he opens it and may give a remedy within his own authority.
    await dmytro.press("Открыть обращение")
    case = await dmytro.expect(f"Обращение {code}")
    assert "Компенсировать" in case.button_labels
    assert "отказано: Гостю уже дали <b>ужин</b> (Dmytro)" in case.text  # the history
    assert "взято на себя (Dmytro)" in case.text
    async with harness.db.reading() as session:
        owner = await session.scalar(
            select(Member.name).join(Case, Case.owner_id == Member.id).where(Case.code == code)
        )
    assert owner == "Dmytro"
