"""One survey per resolution, through the sandbox: the customer's first answer stands, the
reporter hears of it, a low score reaches the supervisor at once, the history keeps the note
and the comment, and a guest stays a guest whatever they type."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.db.models import Case, Survey
from bot.sandbox import SandboxMessage, SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_cases import frontline
from tests.e2e.test_escalations import staff

CODE = re.compile(r"K-[2-9A-Z]{4}")
TOKEN = re.compile(r"start=(q[A-Za-z0-9_-]{24})")
ALREADY_ANSWERED = (
    "Клієнт уже відповів щодо цього випадку. Запитати знову можна, коли випадок відкриють "
    "повторно й знову вирішать."
)


async def resolved_case(olena: SandboxUser, description: str = "Гість чекав на номер") -> str:
    """Olena (uk) logs a case and resolves it at first contact; returns its code."""
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send(description)
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    card = await olena.expect("Випадок K-")
    code = CODE.search(card.text)
    assert code is not None
    await resolve(olena)
    return code.group(0)


async def resolve(olena: SandboxUser) -> None:
    await olena.press("Вирішено")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого звернення")
    await olena.press("Так")
    await olena.expect(where=lambda m: "Запитати клієнта" in m.button_labels)


async def ask(olena: SandboxUser, screen: SandboxMessage | None = None) -> SandboxMessage:
    """Olena taps "Ask the customer"; returns the QR code's message."""
    await olena.press("Запитати клієнта", screen)
    return await olena.expect(where=lambda m: m.photo is not None)


def token_of(qr: SandboxMessage) -> str:
    found = TOKEN.search(qr.caption or "")
    assert found, qr.caption
    return found.group(1)


async def rate(
    guest: SandboxUser, token: str, stars: int, comment: str | None = None, pick: str = "English"
) -> None:
    """A guest answers in the language they pick, skipping the effort question."""
    await guest.start(token)
    picker = await guest.expect(where=lambda m: bool(m.buttons))
    await guest.press(next(label for label in picker.button_labels if label.endswith(pick)))
    await guest.expect(where=lambda m: f"{stars} ★" in m.button_labels)
    await guest.press(f"{stars} ★")
    await guest.expect(where=lambda m: "7" in m.button_labels)
    await guest.press("7")
    asked = await guest.expect(where=lambda m: len(m.button_labels) == 1)
    if comment is None:
        await guest.press(asked.button_labels[0])
    else:
        await guest.send(comment)
    await guest.expect(where=lambda m: not m.buttons and "!" in m.text)


async def case_id(harness: Harness, code: str) -> int:
    async with harness.db.reading() as session:
        found = await session.scalar(select(Case.id).where(Case.code == code))
    assert found is not None
    return int(found)


async def card_of(olena: SandboxUser, code: str) -> SandboxMessage:
    await olena.send(f"/case {code}")
    return await olena.expect(f"Випадок {code}")


async def test_the_first_answer_stands_and_nobody_asks_twice(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    resolved_screen = olena.bot_messages[-1]
    first = token_of(await ask(olena, resolved_screen))

    # Asked again before an answer: a fresh link replaces the first (still one survey).
    again = await ask(olena, resolved_screen)
    assert "Це нове посилання: попереднє для цього випадку більше не діє." in (again.caption or "")
    token = token_of(again)
    assert token != first
    late = harness.user(9050, "Mark", "en")
    await late.start(first)
    assert (await late.expect()).text == "This survey link is not valid."

    # A guest with Telegram in German answers in Ukrainian.
    guest = harness.user(9051, "Hans", "de")
    await rate(guest, token, 5, "Чудовий персонал", pick="Українська")
    assert guest.bot_messages[-1].text.startswith("Дякуємо!")

    # The same link again: refused in the language the guest answered in; the answer stands.
    await guest.start(token)
    assert (await guest.expect()).text == "На це опитування вже відповіли. Дякуємо!"
    # Someone else with the same link: refused in their own language.
    other = harness.user(9052, "Ira", "ru")
    await other.start(token)
    assert (await other.expect()).text == "На этот опрос уже ответили. Спасибо!"

    # The old screen still shows the button: the tap is refused and the card takes its place.
    photos = sum(m.photo is not None for m in olena.bot_messages)
    await olena.press("Запитати клієнта", resolved_screen)
    await harness.settle()
    assert olena.callback_answers[-1].text == ALREADY_ANSWERED
    assert sum(m.photo is not None for m in olena.bot_messages) == photos
    refreshed = next(m for m in olena.messages if m.message_id == resolved_screen.message_id)
    assert "Запитати клієнта" not in refreshed.button_labels

    card = await card_of(olena, code)
    assert "Оцінка клієнта: 5 з 5" in card.text
    assert "Запитати клієнта" not in card.button_labels
    assert "Відкрити знову" in card.button_labels

    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    result = await harness.services.surveys.result(member, await case_id(harness, code))
    assert (result.csat, result.ces, result.answered_now) == (5, 7, True)
    async with harness.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Survey)) == 1


async def test_a_reopened_case_resolved_again_may_ask_again(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    first = token_of(await ask(olena))
    await rate(harness.user(9060, "John", "en"), first, 4)

    card = await card_of(olena, code)
    assert "Запитати клієнта" not in card.button_labels
    await olena.press("Відкрити знову", card)
    await olena.expect("Чому випадок відкривається знову?")
    await olena.send("Гість повернувся: знову шумно")
    reopened = await olena.expect("Стан: відкритий повторно")
    assert "Запитати клієнта" not in reopened.button_labels
    await resolve(olena)

    second = token_of(await ask(olena))
    assert second != first
    await rate(harness.user(9061, "John", "en"), second, 5)
    card = await card_of(olena, code)
    assert "Оцінка клієнта: 5 з 5" in card.text
    assert "Запитати клієнта" not in card.button_labels

    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    history = await harness.services.cases.timeline(member, await case_id(harness, code), last=20)
    answers = [e.payload["csat"] for e in history if e.kind == "survey_answered"]
    assert answers == [4, 5]


async def test_the_reporter_is_told_of_an_answer(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    code = await resolved_case(olena)
    token = token_of(await ask(olena))
    await rate(harness.user(9070, "John", "en"), token, 5, "Fixed in <5 min> & kind")

    news = await olena.expect(f"Випадок {code}: клієнт оцінив на 5 з 5")
    assert "5" in news.bold
    assert "Наскільки легко: 7 з 7" in news.text
    assert "Коментар: «Fixed in <5 min> & kind»" in news.text  # typed text stays text
    assert news.button_labels == ["Відкрити випадок"]
    await olena.press("Відкрити випадок", news)
    await olena.expect("Оцінка клієнта: 5 з 5")

    # A good score bothers no one else.
    await harness.settle()
    assert not any(code in m.text for m in dmytro.bot_messages + sarah.bot_messages)


async def test_a_low_score_reaches_the_reporter_and_the_supervisor_at_once(
    harness: Harness,
) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    code = await resolved_case(olena)
    token = token_of(await ask(olena))
    await rate(harness.user(9080, "John", "en"), token, 1, "Nobody <b>cared</b>")

    news = await olena.expect(f"Випадок {code}: клієнт оцінив на 1 з 5")
    assert news.text.startswith("⚠️ Низька оцінка")
    assert "Коментар: «Nobody <b>cared</b>»" in news.text

    # Dmytro supervises Olena's team: told at once, in Russian.
    alert = await dmytro.expect(f"Низкая оценка · случай {code}")
    assert "Клиент оценил на 1 из 5" in alert.text
    assert "Зафиксировано: Olena" in alert.text
    assert "Комментарий: «Nobody <b>cared</b>»" in alert.text
    assert alert.button_labels == ["Открыть случай"]
    await dmytro.press("Открыть случай", alert)
    card = await dmytro.expect(f"Случай {code}")
    assert "Оценка клиента: 1 из 5" in card.text

    # The team has its supervisor: the admin is not disturbed.
    await harness.settle()
    assert not any(code in m.text for m in sarah.bot_messages)


async def test_a_low_score_in_a_team_without_a_supervisor_goes_to_the_admin(
    harness: Harness,
) -> None:
    olena = await frontline(harness)  # Sarah (admin, en) and Olena; no supervisor at all
    sarah = harness.user(1001, "Sarah", "en")
    code = await resolved_case(olena)
    token = token_of(await ask(olena))
    await rate(harness.user(9090, "John", "en"), token, 2)
    alert = await sarah.expect(f"Low score · case {code}")
    assert "The customer rated 2 of 5" in alert.text and "Logged by Olena" in alert.text
    assert "Comment" not in alert.text
    assert alert.button_labels == ["Open case"]
    await olena.expect(f"Випадок {code}: клієнт оцінив на 2 з 5")


async def test_the_note_and_the_comment_are_in_the_history(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    await olena.send("Переселили в 508 <тихий поверх>")
    card = await olena.expect(f"Випадок {code}")
    token = token_of(await ask(olena, card))
    comment = "Дуже вдячний за швидкість! " * 6  # 162 characters: the history shows 100
    await rate(harness.user(9100, "John", "en"), token, 4, comment)
    await olena.expect(f"Випадок {code}: клієнт оцінив на 4 з 5")

    history = (await card_of(olena, code)).text.split("Історія", 1)[1]
    assert "Переселили в 508 <тихий поверх>" in history
    assert f"оцінка клієнта: 4 з 5 — «{comment.strip()[:100]}»" in history
    assert comment.strip() not in history


async def test_a_guest_typing_mid_survey_gets_a_guests_line(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    token = token_of(await ask(olena))

    guest = harness.user(9110, "John", "en")
    await guest.start(token)
    await guest.expect("Choose the language")
    await guest.send("/help")
    assert (await guest.expect()).text == "Please answer with the buttons above."
    await guest.press("Українська")
    await guest.expect("Як ми впоралися?")
    for typed in ("/new", "/help", "Все було добре"):
        await guest.send(typed)
        assert (await guest.expect()).text == "Будь ласка, дайте відповідь кнопками вище."
    await guest.press("4 ★")
    await guest.expect("Наскільки легко")
    await guest.press("Пропустити")
    await guest.expect("Хочете щось додати?")
    await guest.send("/help")
    assert (await guest.expect()).text == (
        "Будь ласка, напишіть коментар повідомленням або натисніть «Завершити» вище."
    )
    await guest.send("Все добре")
    await guest.expect("Дякуємо!")

    for typed in ("/help", "/new", "ще одне"):
        await guest.send(typed)
        assert (await guest.expect()).text == "Дякуємо, вашу відповідь записано."
    await harness.settle()
    staff_words = ("/help", "/cancel", "invite", "запрошен", "Я не зрозумів")
    assert not any(word in m.text for m in guest.bot_messages for word in staff_words)

    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    result = await harness.services.surveys.result(member, await case_id(harness, code))
    assert (result.csat, result.ces) == (4, None)
