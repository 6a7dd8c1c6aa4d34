"""A case waiting for approval is no dead end: its reporter gives what is within authority
meanwhile, withdraws the request, or resolves the case anyway — and the approvers' cards say
who withdrew it, never "decided"."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Escalation, Spend
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import ask_refund, staff


async def test_give_meanwhile_withdraw_and_resolve_while_waiting(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    await harness.settle()
    first_card = await dmytro.expect(f"Нужно одобрение · {code}")

    # Waiting: give, withdraw and resolve are all on the card.
    await olena.send(f"/case {code}")
    card = await olena.expect("Статус: чекає на погодження")
    assert [label for label, _ in card.buttons[1]] == [
        "Компенсувати",
        "Відкликати запит",
        "Вирішити",
    ]

    # A gift within authority meanwhile: recorded, and the request still waits.
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    await olena.expect("Скільки, у USD?")
    await olena.send("30")
    await olena.expect("Подарунок: 30,00\xa0USD")
    await olena.press("Підтвердити")
    await olena.expect("Записано")

    # More than is left: only what fits now, never a second request.
    await olena.send(f"/case {code}")
    await olena.expect("Статус: чекає на погодження")
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    await olena.expect("Скільки, у USD?")
    await olena.send("100")
    partial = await olena.expect("Подарунок: 100,00\xa0USD")
    assert "Запит щодо цього звернення вже чекає на рішення" in partial.text
    assert partial.button_labels == ["Дати 20,00\xa0USD зараз", "Назад", "Скасувати"]
    await olena.press("Скасувати")
    await olena.expect("Скасовано")

    # Withdrawn: the case is open again; Dmytro's card says by whom, in Russian.
    await olena.send(f"/case {code}")
    await olena.expect("Статус: чекає на погодження")
    await olena.press("Відкликати запит")
    reopened = await olena.expect("Статус: відкрите")
    assert "запит на 120,00\xa0USD відкликано (Olena)" in reopened.text
    withdrawn = await dmytro.expect(f"Отозвано · {code}")
    assert withdrawn.message_id == first_card.message_id
    assert "Отозвано (Olena, 11:00)." in withdrawn.text
    assert "Решение принято" not in withdrawn.text
    assert withdrawn.button_labels == ["Открыть обращение"]

    # Asked again, then resolved while waiting: the request goes, and says why.
    await ask_refund(olena, "120", "Запросити погодження", new_case=False)
    await harness.settle()
    second_card = await dmytro.expect(f"Нужно одобрение · {code}")
    await olena.send(f"/case {code}")
    await olena.expect("Статус: чекає на погодження")
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("З компенсацією")
    await olena.expect("Вирішено під час першого контакту")
    await olena.press("Ні")
    await olena.expect("Нотатка?")
    await harness.settle()
    resolved = await dmytro.expect(
        f"Отозвано · {code}", where=lambda m: m.message_id == second_card.message_id
    )
    assert "Отозвано: обращение решено (Olena, 11:00)." in resolved.text

    async with harness.db.reading() as session:
        requests = (await session.scalars(select(Escalation).order_by(Escalation.id))).all()
        spent = [s.amount_minor for s in (await session.scalars(select(Spend))).all()]
    assert [(e.state, e.reason, e.decision) for e in requests] == [
        ("withdrawn", "withdrawn", None),
        ("withdrawn", "resolved", None),
    ]
    assert spent == [3000]
