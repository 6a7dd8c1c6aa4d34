"""/queue through the sandbox: Dmytro, the front desk's supervisor (ru), sees how much waits for
him, the requests oldest first a page at a time, and his team's open cases under a filter; a
card opens below the queue, and the pages hold while cases change under them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Escalation
from bot.render.callbacks import QueueStep
from bot.sandbox import SandboxMessage, SandboxUser
from bot.services.cases import CaseView
from bot.services.context import MemberView
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import staff


async def member_of(harness: Harness, user_id: int) -> MemberView:
    member = (await harness.services.context.load_by_id(user_id)).member
    assert member is not None
    return member


async def log_cases(
    harness: Harness, count: int, *, ask: bool, what: str = "Гість чекав на номер"
) -> list[CaseView]:
    """Olena logs `count` cases a minute apart (and asks approval of a refund on each)."""
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    olena = await member_of(harness, 1002)
    logged = []
    for number in range(count):
        case = await harness.services.cases.create(
            olena, category="waiting", description=f"{what} №{number}", customer_key="412"
        )
        if ask:
            await harness.services.cases.give(
                olena, case.id, "refund", Decimal(100 + number), f"queue-{case.id}", mode="ask"
            )
        logged.append(case)
        clock.advance(timedelta(minutes=1))
    return logged


def codes_in(message: SandboxMessage) -> list[str]:
    return [line.split(" · ")[0][2:] for line in message.text.splitlines() if line[:2] == "• "]


async def page(dmytro: SandboxUser, label: str, queue: SandboxMessage, shown: str) -> None:
    """A tap that turns the queue's own message (edited in place) to what shows `shown`."""
    await dmytro.press(label, queue)
    await dmytro.expect(where=lambda m: m.message_id == queue.message_id and shown in m.text)


async def test_queue_with_nothing_waiting(harness: Harness) -> None:
    dmytro = (await staff(harness))["dmytro"]
    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    assert queue.text.splitlines()[:4] == [
        "Очередь на одобрение",
        "0 запросов ждут вашего решения; 0 открытых обращений в команде Front desk",
        "",
        "Ничего не ждёт вашего решения.",
    ]
    assert "Страница" not in queue.text
    assert queue.button_labels == ["Открытые обращения команды (0)"]
    await dmytro.press("Открытые обращения команды (0)", queue)
    cases = await dmytro.expect("Обращений с таким статусом нет.")
    assert cases.message_id == queue.message_id
    assert cases.button_labels == [
        "✓ Все открытые",
        "Ждут одобрения",
        "Открытые",
        "Открытые повторно",
        "‹ Запросы (0)",
    ]


async def test_queue_with_one_request_opens_its_card_below(harness: Harness) -> None:
    people = await staff(harness)
    dmytro, olena = people["dmytro"], people["olena"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    (case,) = await log_cases(harness, 1, ask=True)
    clock.advance(timedelta(hours=2))
    await harness.settle()

    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    lines = queue.text.splitlines()
    assert lines[1] == "1 запрос ждёт вашего решения; 1 открытое обращение в команде Front desk"
    assert lines[3] == f"• {case.code} · Olena, 100,00\xa0$, возврат денег · ждёт 2 часа"
    assert "100,00\xa0$" in queue.bold
    assert queue.button_labels == [case.code, "Открытые обращения команды (1)"]

    await dmytro.press(case.code, queue)
    card = await dmytro.expect(
        where=lambda m: "Одобрить" in m.button_labels and case.code in m.text
    )
    assert card.message_id > queue.message_id  # a new message: the queue stays
    assert "Olena" in card.text and "412" in card.text
    assert queue.text.splitlines()[3].startswith(f"• {case.code}")
    assert queue.button_labels[0] == case.code

    await dmytro.press("Одобрить", card)
    decided = await dmytro.expect(where=lambda m: m.message_id == card.message_id)
    assert "Одобрено (Dmytro" in decided.text
    await olena.expect(f"Погоджено · {case.code}")
    await dmytro.send("/queue")
    after = await dmytro.expect("Очередь на одобрение")
    assert after.text.splitlines()[1].startswith("0 запросов ждут вашего решения")

    # Frontline staff have no queue.
    await olena.send("/queue")
    assert (await olena.expect()).text == "Це недоступно для вашої ролі."


async def test_thirty_requests_a_page_at_a_time_while_they_are_decided(harness: Harness) -> None:
    dmytro = (await staff(harness))["dmytro"]
    logged = await log_cases(harness, 30, ask=True)
    codes = [case.code for case in logged]

    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    assert "30 запросов ждут вашего решения; 30 открытых обращений в команде Front desk" in (
        queue.text
    )
    assert codes_in(queue) == codes[:8]  # the oldest first
    assert "Страница 1 из 4" in queue.text
    assert queue.button_labels[:8] == codes[:8]
    assert queue.button_labels[8:] == ["Следующая ›", "Открытые обращения команды (30)"]
    assert all(len(data.encode()) <= 64 for row in queue.buttons for _, data in row)

    await page(dmytro, "Следующая ›", queue, "Страница 2 из 4")
    assert codes_in(queue) == codes[8:16]

    # Meanwhile the two oldest requests are decided: the next page starts where the list
    # now stands, in the same order.
    async with harness.db.reading() as session:
        first_two = (
            await session.scalars(select(Escalation.id).order_by(Escalation.id).limit(2))
        ).all()
    for escalation_id in first_two:
        await harness.services.escalations.decide(1003, escalation_id, "approve")
    await page(dmytro, "Следующая ›", queue, "Страница 3 из 4")
    assert "28 запросов ждут вашего решения" in queue.text
    assert codes_in(queue) == codes[2:][16:24]
    await page(dmytro, "Следующая ›", queue, "Страница 4 из 4")
    assert codes_in(queue) == codes[26:]
    assert "Следующая ›" not in queue.button_labels

    # A page past the end (a stale button, a forged one) shows the last page.
    await dmytro.press_data(QueueStep(action="req", page=9).pack(), queue.message_id)
    await harness.settle()
    assert "Страница 4 из 4" in queue.text and codes_in(queue) == codes[26:]
    await page(dmytro, "‹ Предыдущая", queue, "Страница 3 из 4")
    assert codes_in(queue) == codes[18:26]


async def test_team_cases_pages_hold_while_a_case_is_resolved(harness: Harness) -> None:
    dmytro = (await staff(harness))["dmytro"]
    logged = await log_cases(harness, 12, ask=False)
    codes = [case.code for case in logged]
    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    await page(dmytro, "Открытые обращения команды (12)", queue, "Открытые обращения команды")
    assert "Страница 1 из 2" in queue.text
    assert codes_in(queue) == codes[:8]
    await page(dmytro, "Следующая ›", queue, "Страница 2 из 2")
    assert codes_in(queue) == codes[8:]

    # Olena resolves the oldest case between taps.
    olena = await member_of(harness, 1002)
    await harness.services.lifecycle.resolve(olena, logged[0].id, "without_remedy", True)
    await page(dmytro, "‹ Предыдущая", queue, "Страница 1 из 2")
    assert "11 открытых обращений в команде Front desk" in queue.text
    assert codes_in(queue) == codes[1:9]

    # Four more are resolved: one page is left, and a tap on page 2 shows it.
    for case in logged[1:5]:
        await harness.services.lifecycle.resolve(olena, case.id, "without_remedy", True)
    await page(dmytro, "Следующая ›", queue, "7 открытых обращений")
    assert "Страница" not in queue.text
    assert codes_in(queue) == codes[5:]


async def test_team_cases_filter_and_a_case_card_below(harness: Harness) -> None:
    dmytro = (await staff(harness))["dmytro"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    plain, reopened = await log_cases(harness, 2, ask=False, what="Вода капає з ванни")
    (asked,) = await log_cases(harness, 1, ask=True)
    olena = await member_of(harness, 1002)
    await harness.services.lifecycle.resolve(olena, reopened.id, "without_remedy", True)
    await harness.services.lifecycle.reopen(olena, reopened.id, "Знову капає")
    voided = (await log_cases(harness, 1, ask=False))[0]
    await harness.services.lifecycle.void(olena, voided.id)
    clock.advance(timedelta(hours=3))

    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    await page(dmytro, "Открытые обращения команды (3)", queue, "Открытые обращения команды")
    assert codes_in(queue) == [plain.code, reopened.code, asked.code]
    assert f"• {plain.code} · 412 · Вода капає з ванни №0 · 3 ч" in queue.text
    assert f"• {reopened.code} · 412 · Вода капає з ванни №1 · 3 ч · открыто повторно" in (
        queue.text
    )
    assert f"• {asked.code} · 412 · Гість чекав на номер №0 · 3 ч · ждёт одобрения" in queue.text
    assert voided.code not in queue.text
    assert "✓ Все открытые" in queue.button_labels

    await page(dmytro, "Ждут одобрения", queue, "Статус: ждёт одобрения")
    assert codes_in(queue) == [asked.code]
    assert "✓ Ждут одобрения" in queue.button_labels and "Все открытые" in queue.button_labels
    await page(dmytro, "Открытые повторно", queue, "Статус: открыто повторно")
    assert codes_in(queue) == [reopened.code]
    await page(dmytro, "Открытые", queue, "Статус: открыто\n")
    assert codes_in(queue) == [plain.code]
    assert "✓ Открытые" in queue.button_labels

    before = queue.text
    await dmytro.press(plain.code, queue)
    card = await dmytro.expect(f"Обращение {plain.code}")
    assert card.message_id > queue.message_id
    assert queue.text == before
    await page(dmytro, "‹ Запросы (1)", queue, f"• {asked.code} · Olena")
