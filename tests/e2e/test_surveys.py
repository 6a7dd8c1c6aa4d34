"""One survey per resolution, through the sandbox: the customer's first answer stands, the
reporter hears of it, a low score reaches the supervisor at once, the history keeps the note
and the comment, and a guest stays a guest whatever they type."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from bot.db.models import Case, Organisation, Survey
from bot.render.callbacks import SurveyStep
from bot.sandbox import SandboxMessage, SandboxUser
from policies.defaults import default_policy_text
from tests.e2e.harness import Harness
from tests.e2e.test_cases import frontline
from tests.e2e.test_escalations import staff

CODE = re.compile(r"K-[2-9A-Z]{4}")
TOKEN = re.compile(r"start=(q[A-Za-z0-9_-]{24})")
ALREADY_ANSWERED = (
    "Клієнт уже відповів щодо цього звернення. Запитати знову можна, коли звернення відкриють "
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
    card = await olena.expect("Звернення K-")
    code = CODE.search(card.text)
    assert code is not None
    await resolve(olena)
    return code.group(0)


async def resolve(olena: SandboxUser) -> None:
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого контакту")
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


FINISH = SurveyStep(action="finish").pack()


def at_comment(message: SandboxMessage) -> bool:
    """The survey's comment step: Finish is its first button (Contact me beside it)."""
    return bool(message.buttons) and message.buttons[0][0][1] == FINISH


async def rate(
    guest: SandboxUser,
    token: str,
    stars: int,
    comment: str | None = None,
    switch_to: str | None = None,
) -> None:
    """A guest answers (in their Telegram's language, or in the one they switch to), with
    the easiest effort score; no comment means Finish."""
    await guest.start(token)
    await guest.expect(where=lambda m: f"{stars} ★" in m.button_labels)
    if switch_to is not None:
        await guest.press(switch_to)
        await guest.expect(where=lambda m: f"{stars} ★" in m.button_labels)
    await guest.press(f"{stars} ★")
    await guest.expect(where=lambda m: "7" in m.button_labels)
    await guest.press("7")
    asked = await guest.expect(where=lambda m: at_comment(m) or "10" in m.button_labels)
    if not at_comment(asked):  # the policy asks NPS too: skipped here
        skip = SurveyStep(action="skip").pack()
        await guest.press_data(skip, asked.message_id)
        asked = await guest.expect(where=at_comment)
    if comment is None:
        await guest.press(asked.buttons[0][0][0])
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
    # The card, not the news of an answer about the same case (it may arrive meanwhile).
    return await olena.expect(f"Звернення {code}", where=lambda m: "Статус:" in m.text)


async def test_the_first_answer_stands_and_nobody_asks_twice(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    resolved_screen = olena.bot_messages[-1]
    first = token_of(await ask(olena, resolved_screen))

    # Asked again before an answer: a fresh link replaces the first (still one survey).
    again = await ask(olena, resolved_screen)
    assert "Це нове посилання: попереднє для цього звернення більше не діє." in (
        again.caption or ""
    )
    token = token_of(again)
    assert token != first
    late = harness.user(9050, "Mark", "en")
    await late.start(first)
    assert (await late.expect()).text == "This survey link is not valid."

    # A guest with Telegram in German answers in Ukrainian.
    guest = harness.user(9051, "Hans", "de")
    await rate(guest, token, 5, "Чудовий персонал", switch_to="Українська")
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
    await olena.expect("Чому звернення відкривається знову?")
    await olena.send("Гість повернувся: знову шумно")
    reopened = await olena.expect("Статус: відкрите повторно")
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

    news = await olena.expect(f"Звернення {code}: клієнт оцінив на 5 з 5")
    assert "5" in news.bold
    assert "Наскільки легко: 7 з 7" in news.text
    assert "Коментар: «Fixed in <5 min> & kind»" in news.text  # typed text stays text
    assert news.button_labels == ["Відкрити звернення"]
    await olena.press("Відкрити звернення", news)
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

    news = await olena.expect(f"Звернення {code}: клієнт оцінив на 1 з 5")
    assert news.text.startswith("⚠️ Низька оцінка")
    assert "Коментар: «Nobody <b>cared</b>»" in news.text

    # Dmytro supervises Olena's team: a follow-up at once, in Russian.
    alert = await dmytro.expect(f"Повторный контакт · обращение {code}")
    assert "Клиент оценил на 1 из 5" in alert.text
    assert "Обращение зафиксировано (Olena)" in alert.text
    assert "Комментарий: «Nobody <b>cared</b>»" in alert.text
    assert alert.button_labels == [
        "Позвонил(а)",
        "Подошёл(ла)",
        "Ещё компенсация",
        "Не связался(ась)",
        "Открыть обращение",
    ]
    await dmytro.press("Открыть обращение", alert)
    card = await dmytro.expect(f"Обращение {code}")
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
    alert = await sarah.expect(f"Follow-up · case {code}")
    assert "The customer rated 2 of 5" in alert.text and "Logged by Olena" in alert.text
    assert "Comment" not in alert.text
    assert alert.button_labels[-1] == "Open case"
    await olena.expect(f"Звернення {code}: клієнт оцінив на 2 з 5")


async def test_the_note_and_the_comment_are_in_the_history(harness: Harness) -> None:
    olena = (await staff(harness))["olena"]
    code = await resolved_case(olena)
    await olena.send("Переселили в 508 <тихий поверх>")
    card = await olena.expect(f"Звернення {code}")
    token = token_of(await ask(olena, card))
    comment = "Дуже вдячний за швидкість! " * 6  # 162 characters: the history shows 100
    await rate(harness.user(9100, "John", "en"), token, 4, comment)
    await olena.expect(f"Звернення {code}: клієнт оцінив на 4 з 5")

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
    await guest.expect("How did we do?")
    await guest.send("/help")
    assert (await guest.expect()).text == "Please answer with the buttons above."
    await guest.press("Українська")
    await guest.expect("Як ми впоралися?")
    for typed in ("/new", "/help", "Все було добре"):
        await guest.send(typed)
        assert (await guest.expect()).text == "Будь ласка, дайте відповідь кнопками вище."
    await guest.press("4 ★")
    await guest.expect("Наскільки просто")
    await guest.press("Пропустити")
    await guest.expect("Бажаєте щось додати?")
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


async def survey_link(harness: Harness) -> str:
    """Olena (uk) resolves a case at first contact and asks the customer; returns the token."""
    olena = await frontline(harness)
    await resolved_case(olena)
    return token_of(await ask(olena))


async def test_a_guest_with_telegram_in_russian_is_asked_in_russian_at_once(
    harness: Harness,
) -> None:
    token = await survey_link(harness)
    async with harness.db.transaction() as session:
        await session.execute(update(Organisation).values(name="Grand <Hotel> & Spa"))

    guest = harness.user(9120, "Ira", "ru")
    await guest.start(token)
    first = await guest.expect()
    assert first.text.split("\n") == [
        "Grand <Hotel> & Spa · Как мы справились?",
        "Насколько вы довольны тем, как мы о вас позаботились? 1 — совсем нет, 5 — очень довольны.",
    ]
    assert first.bold == ["Grand <Hotel> & Spa"]  # the name is text, never markup
    assert first.button_labels == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★", "Українська", "English"]
    assert not any(word in first.text for word in ("CSAT", "CES", "язык"))

    # The other languages are one tap away, on the same message.
    await guest.press("Українська")
    again = await guest.expect("Як ми впоралися?")
    assert again.message_id == first.message_id
    assert again.text.startswith("Grand <Hotel> & Spa · Як ми впоралися?")
    assert again.button_labels[-2:] == ["Русский", "English"]
    await guest.press("English")
    again = await guest.expect("How did we do?")
    assert again.text.startswith("Grand <Hotel> & Spa · How did we do?")
    assert again.button_labels[-2:] == ["Українська", "Русский"]


async def test_a_guest_with_telegram_in_german_is_asked_in_english(harness: Harness) -> None:
    token = await survey_link(harness)
    guest = harness.user(9121, "Hans", "de")
    await guest.start(token)
    first = await guest.expect()
    assert first.text.startswith("Grand Hotel · How did we do?\nHow happy are you")
    assert first.button_labels[-2:] == ["Українська", "Русский"]
    assert len(guest.bot_messages) == 1  # no language question before it


async def test_switching_language_mid_survey_keeps_the_score_given(harness: Harness) -> None:
    olena = await frontline(harness)
    code = await resolved_case(olena)
    token = token_of(await ask(olena))

    guest = harness.user(9122, "John", "en")
    await guest.start(token)
    await guest.expect("How did we do?")
    await guest.press("4 ★")
    await guest.expect("How easy was it")
    await guest.press("Русский")
    effort = await guest.expect("Насколько просто было решить ваш вопрос?")
    assert effort.button_labels[-3:] == ["Пропустить", "Українська", "English"]
    await guest.press("Пропустить")
    more = await guest.expect("Хотите что-нибудь добавить?")
    assert more.button_labels == ["Завершить", "Свяжитесь со мной", "Українська", "English"]
    await guest.press("Завершить")
    thanks = await guest.expect("Спасибо!")
    assert thanks.text == "Спасибо! Ваш ответ поможет нам стать лучше."
    assert len(guest.bot_messages) == 1  # every step, and the thanks, on one message

    await olena.expect(f"Звернення {code}: клієнт оцінив на 4 з 5")
    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    result = await harness.services.surveys.result(member, await case_id(harness, code))
    assert (result.csat, result.ces) == (4, None)
    async with harness.db.reading() as session:
        assert await session.scalar(select(Survey.language)) == "ru"


async def test_the_thanks_takes_the_last_question_and_later_words_are_thanked(
    harness: Harness,
) -> None:
    token = await survey_link(harness)
    guest = harness.user(9123, "Oksana", "uk")
    await guest.start(token)
    screen = await guest.expect("Grand Hotel · Як ми впоралися?")
    await guest.press("5 ★")
    await guest.expect("Наскільки просто було вирішити ваше питання?")
    await guest.press("6")
    await guest.expect("Бажаєте щось додати?")
    await guest.send("Дуже приємний персонал")
    thanks = await guest.expect("Дякуємо!")
    # The question's message itself says thanks, and nothing on it is left to tap.
    assert thanks.message_id == screen.message_id
    assert thanks.text == "Дякуємо! Ваша відповідь допоможе нам стати кращими."
    assert all(not m.buttons for m in guest.bot_messages)
    assert len(guest.bot_messages) == 1

    for typed in ("Дякую ще раз", "/start", "/team"):
        await guest.send(typed)
        assert (await guest.expect()).text == "Дякуємо, вашу відповідь записано."
    await harness.settle()
    invite_lines = ("запрошен", "invite", "Invite")
    assert not any(word in m.text for m in guest.bot_messages for word in invite_lines)


NPS_QUESTIONS = {
    "uk": "Наскільки ймовірно, що ви порекомендуєте нас друзям? 0 — зовсім малоймовірно, "
    "10 — дуже ймовірно.",
    "ru": "Насколько вероятно, что вы порекомендуете нас друзьям? 0 — совсем маловероятно, "
    "10 — очень вероятно.",
    "en": "How likely are you to recommend us to a friend? 0 — not at all likely, "
    "10 — extremely likely.",
}
SKIP = {"uk": "Пропустити", "ru": "Пропустить", "en": "Skip"}


async def test_a_policy_with_nps_asks_it_in_each_language_and_stats_show_it(
    harness: Harness,
) -> None:
    people = await staff(harness)
    olena, sarah = people["olena"], people["sarah"]
    admin = (await harness.services.context.load_by_id(sarah.id)).member
    assert admin is not None
    with_nps = default_policy_text("USD", "Europe/Kyiv").replace(
        "\n[categories", "\nsurvey = { nps = true }\n\n[categories", 1
    )
    draft = await harness.services.policies.propose(admin, with_nps.encode())
    await harness.services.policies.activate(admin, draft.draft_id)

    # Three guests, three languages: 10 and 9 promote, 6 detracts; the fourth skips.
    answers = {"uk": 10, "ru": 6, "en": 9, "skip": None}
    for number, (language, score) in enumerate(answers.items()):
        code = await resolved_case(olena, f"Гість {number} чекав на номер")
        # The screen that ended the resolve, not the news of the last answer (a keyboard too).
        screen = next(
            m for m in reversed(olena.bot_messages) if "Запитати клієнта" in m.button_labels
        )
        token = token_of(await ask(olena, screen))
        tongue = "en" if language == "skip" else language
        guest = harness.user(9200 + number, f"Guest {number}", tongue)
        await guest.start(token)
        await guest.expect(where=lambda m: "5 ★" in m.button_labels)
        await guest.press("5 ★")
        await guest.expect(where=lambda m: "7" in m.button_labels)
        await guest.press("7")
        asked = await guest.expect(NPS_QUESTIONS[tongue])
        # 0–10 in rows of three, Skip beside 9 and 10, the other languages below.
        assert [[label for label, _ in row] for row in asked.buttons[:4]] == [
            ["0", "1", "2"],
            ["3", "4", "5"],
            ["6", "7", "8"],
            ["9", "10", SKIP[tongue]],
        ]
        assert len(asked.buttons) == 5 and all(len(row) <= 3 for row in asked.buttons)
        await guest.press(SKIP[tongue] if score is None else str(score), asked)
        finish = await guest.expect(where=at_comment)
        assert finish.message_id == asked.message_id  # the survey's one message
        await guest.press(finish.buttons[0][0][0], finish)
        await guest.expect(where=lambda m: not m.buttons and "!" in m.text)
        await harness.settle()  # Olena hears of the answer before her next case
        async with harness.db.reading() as session:
            stored = (
                await session.execute(
                    select(Survey.csat, Survey.ces, Survey.nps, Survey.language)
                    .join(Case, Case.id == Survey.case_id)
                    .where(Case.code == code)
                )
            ).one()
        assert tuple(stored) == (5, 7, score, tongue)

    # 2 promoters − 1 detractor of 3 answers (the skip is no answer): +33.
    await sarah.send("/stats")
    stats = await sarah.expect("Statistics · Grand Hotel")
    assert "NPS: +33; answers: 3" in stats.text.split("\n")
    assert "+33" in stats.bold
