"""The approval card decides itself at a glance, through the sandbox: the request in one line,
what the case and its customer have had today, a second question above the threshold, and an
Undo that lasts until the requester acts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Case, CaseEvent, Escalation, Member
from bot.sandbox import SandboxUser
from policies.defaults import default_policy_text
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import ask_refund, forge, staff

CODE = re.compile(r"K-[2-9A-Z]{4}")


async def give_on_new_case(olena: SandboxUser, remedy: str, amount: str) -> str:
    """Olena logs a case for the guest of room 412 and gives within her authority; the code."""
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send("Гість чекав на номер дві години")
    await olena.expect("Хто клієнт?")
    await olena.send("412")
    await olena.expect("Слова самого клієнта?")
    await olena.send("Я більше сюди не приїду")
    logged = await olena.expect("Звернення K-")
    match = CODE.search(logged.text)
    assert match
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press(remedy)
    await olena.expect("Скільки, у USD?")
    await olena.send(amount)
    await olena.press(
        "Підтвердити", await olena.expect(where=lambda m: "Підтвердити" in m.button_labels)
    )
    await olena.expect("Записано")
    return match.group(0)


async def test_the_card_says_what_was_given_in_three_languages(harness: Harness) -> None:
    people = await staff(harness, second_supervisor=True)
    olena, dmytro, ivan, sarah = people["olena"], people["dmytro"], people["ivan"], people["sarah"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    earlier = await give_on_new_case(olena, "Подарунок", "30")
    code = await give_on_new_case(olena, "Повернення коштів", "20")
    await olena.press("Відкрити звернення")
    await olena.expect(f"Звернення {code}")
    await ask_refund(olena, "250", "Запросити погодження", new_case=False)

    # Dmytro (ru): the first line is what a lock screen shows.
    card = await dmytro.expect(f"{code} · Olena")
    lines = card.text.splitlines()
    assert lines[0] == f"250,00\xa0$, возврат денег · {code} · Olena · Ожидание"
    assert lines[0] in card.bold
    assert f"Нужно одобрение · {code} · клиент 412" in lines
    assert "Уже выдано по этому обращению: возврат денег 20,00\xa0$." in lines
    assert f"Этому клиенту сегодня по другим обращениям: подарок 30,00\xa0$ ({earlier})." in lines
    assert "Без одобрения Olena может дать ещё 30,00\xa0$ (на обращение)." in lines
    assert lines[-1] == "Запрос в 11:00."

    # Ivan (uk): the same card in Ukrainian word order.
    card = await ivan.expect(f"{code} · Olena")
    lines = card.text.splitlines()
    assert lines[0] == f"250,00\xa0USD, повернення коштів · {code} · Olena · Очікування"
    assert "Уже надано за цим зверненням: повернення коштів 20,00\xa0USD." in lines
    assert (
        f"Цьому клієнтові сьогодні за іншими зверненнями: подарунок 30,00\xa0USD ({earlier})."
        in lines
    )

    # A reminder after the SLA, then up to Sarah (en) after twice the SLA.
    clock.advance(timedelta(minutes=15))
    await harness.services.escalations.run_due()
    reminder = await dmytro.expect(f"Напоминание · 250,00\xa0$, возврат денег · {code}")
    assert "Уже выдано по этому обращению: возврат денег 20,00\xa0$." in reminder.text
    assert reminder.text.endswith("Ждёт 15 минут, с 11:00.")
    clock.advance(timedelta(minutes=15))
    await harness.services.escalations.run_due()
    card = await sarah.expect(f"for {code} · Olena")
    lines = card.text.splitlines()
    assert lines[0] == f"$250.00 refund for {code} · Olena · Waiting"
    assert "Already given on this case: $20.00 refund." in lines
    assert f"This customer today, other cases: $30.00 gift ({earlier})." in lines
    assert "Olena can still give $30.00 without approval (per case)." in lines
    assert lines[-1] == "Waiting 30 minutes, since 11:00\u202fAM."

    # The manager has no per-case limit and the policy sets no threshold: one tap.
    await sarah.press("Approve", card)
    await sarah.expect(f"Decided · {code}")
    news = await olena.expect(f"Погоджено · {code}")
    assert "Дати зараз" in news.button_labels


async def test_a_large_approval_is_asked_once_more(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]

    # Below half of Dmytro's 300 per case: one tap decides.
    small = await ask_refund(olena, "150", "Запросити погодження")
    card = await dmytro.expect(f"{small} · Olena")
    await dmytro.press("Одобрить", card)
    decided = await dmytro.expect(f"Решение принято · {small}")
    assert decided.message_id == card.message_id

    # Above it: asked once more on the card; Back returns the card untouched.
    large = await ask_refund(olena, "200", "Запросити погодження")
    card = await dmytro.expect(f"{large} · Olena")
    await dmytro.press("Одобрить", card)
    sure = await dmytro.expect("Одобрить 200,00\xa0$?")
    assert sure.message_id == card.message_id
    assert sure.text.startswith(f"200,00\xa0$, возврат денег · {large} · Olena")
    assert sure.button_labels == ["Одобрить", "Назад"]
    await dmytro.press("Назад", sure)
    back = await dmytro.expect(
        where=lambda m: (
            m.message_id == card.message_id
            and "Ожидание" in m.text
            and "Взять на себя" in m.button_labels
        )
    )
    assert back.button_labels[:3] == ["Одобрить", "Одобрить часть", "Отказать"]
    async with harness.db.reading() as session:
        pending = await session.scalar(select(Escalation.state).where(Escalation.id == 2))
    assert pending == "pending"
    await dmytro.press("Одобрить", back)
    sure = await dmytro.expect("Одобрить 200,00\xa0$?")
    await dmytro.press("Одобрить", sure)
    await dmytro.expect(f"Решение принято · {large}")
    await olena.expect(f"Погоджено · {large}")

    # A policy's own threshold asks even the manager, who has no per-case limit.
    admin = (await harness.services.context.load_by_id(sarah.id)).member
    assert admin is not None
    text = 'confirm_above = "100"\n' + default_policy_text("USD", "Europe/Kyiv")
    draft = await harness.services.policies.propose(admin, text.encode())
    await harness.services.policies.activate(admin, draft.draft_id)
    third = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{third} · Olena")
    await dmytro.press("Одобрить", card)
    await dmytro.expect("Одобрить 120,00\xa0$?")


async def test_undo_until_the_requester_acts(harness: Harness) -> None:
    people = await staff(harness, second_supervisor=True)
    olena, dmytro, ivan = people["olena"], people["dmytro"], people["ivan"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    code = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{code} · Olena")
    other = await ivan.expect(f"{code} · Olena")
    async with harness.db.reading() as session:
        escalation_id = (await session.scalars(select(Escalation.id))).one()

    clock.advance(timedelta(minutes=5))
    await dmytro.press("Одобрить", card)
    decided = await dmytro.expect(f"Решение принято · {code}")
    assert decided.button_labels == ["Отозвать решение", "Открыть обращение"]
    news = await olena.expect(f"Погоджено · {code}")
    assert news.button_labels[0] == "Дати зараз"
    await ivan.expect(where=lambda m: m.message_id == other.message_id and "Погоджено" in m.text)
    # Only the one who decided may take it back.
    assert await forge(ivan, "undo", escalation_id) == (
        "Відкликати це рішення може лише той, хто його ухвалив (Dmytro)."
    )

    # Dmytro undoes: his card waits again, Ivan's too, and Olena's news says so.
    clock.advance(timedelta(minutes=1))
    await dmytro.press("Отозвать решение", decided)
    again = await dmytro.expect(
        where=lambda m: m.message_id == card.message_id and "Одобрить" in m.button_labels
    )
    assert again.text.splitlines()[0] == f"120,00\xa0$, возврат денег · {code} · Olena · Ожидание"
    assert again.text.endswith("Ждёт 6 минут, с 11:00.")
    await ivan.expect(
        where=lambda m: m.message_id == other.message_id and "Погодити" in m.button_labels
    )
    withdrawn = await olena.expect(
        where=lambda m: m.message_id == news.message_id and "Рішення відкликано" in m.text
    )
    assert "Його відкликав автор рішення (Dmytro); ваш запит на 120,00\xa0USD" in withdrawn.text
    assert "знову чекає на погодження" in withdrawn.text
    assert withdrawn.button_labels == ["Відкрити звернення"]
    # The old news gives nothing any more.
    assert await forge(olena, "use", escalation_id) == (
        "Цей запит не погоджено; відкрийте звернення, щоб побачити рішення."
    )
    async with harness.db.reading() as session:
        escalation = await session.get(Escalation, escalation_id)
        case = (await session.scalars(select(Case).where(Case.code == code))).one()
        kinds = list(await session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))
    assert escalation is not None and escalation.state == "pending"
    assert (escalation.decision, escalation.approved_minor, escalation.decided_by_id) == (
        None,
        None,
        None,
    )
    assert escalation.remind_at == clock.now() + timedelta(minutes=15)
    assert escalation.climb_at == clock.now() + timedelta(minutes=30)
    assert case.state == "escalated" and kinds[-1] == "undone"
    await olena.send(f"/case {code}")
    shown = await olena.expect(f"Звернення {code}")
    assert "Статус: чекає на погодження" in shown.text
    assert "рішення відкликано, запит знову чекає (Dmytro)" in shown.text

    # Approvable again; once Olena gives it, Undo is gone and refused.
    await dmytro.press("Одобрить", again)
    decided = await dmytro.expect(f"Решение принято · {code}")
    news = await olena.expect(f"Погоджено · {code}")
    await olena.press("Дати зараз", news)
    await olena.expect("Записано: Повернення коштів на 120,00\xa0USD.")
    await harness.settle()
    plain = await dmytro.expect(
        where=lambda m: (
            m.message_id == card.message_id and "Отозвать решение" not in m.button_labels
        )
    )
    assert plain.button_labels == ["Открыть обращение"]
    assert await forge(dmytro, "undo", escalation_id) == (
        "Отозвать решение уже поздно: после него обращение изменилось (см. историю)."
    )
    async with harness.db.reading() as session:
        escalation = await session.get(Escalation, escalation_id)
    assert escalation is not None and escalation.state == "decided"


async def test_undo_a_take_over_gives_the_case_back(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{code} · Olena")
    await dmytro.press("Взять на себя", card)
    taken = await dmytro.expect("Взято на себя (Dmytro, 11:00).")
    await olena.expect(f"Узято на себе · {code}")
    await dmytro.press("Отозвать решение", taken)
    await dmytro.expect(
        where=lambda m: m.message_id == card.message_id and "Одобрить" in m.button_labels
    )
    async with harness.db.reading() as session:
        owner = await session.scalar(
            select(Member.name).join(Case, Case.owner_id == Member.id).where(Case.code == code)
        )
    assert owner == "Olena"
