"""Hard inputs through the sandbox, which holds the bot to Telegram's limits: the longest
words every field takes fit every screen that shows them; longer or unreadable words are
refused at their step; forged buttons with ids no column holds are refused; card numbers are
kept and shown masked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Case, CaseEvent, Escalation
from bot.render.callbacks import LARGEST_ID
from bot.sandbox import SandboxUser
from bot.services.typed import (
    COMMENT_LIMIT,
    CUSTOMER_KEY_LIMIT,
    CUSTOMER_WORDS_LIMIT,
    DESCRIPTION_LIMIT,
    NOTE_LIMIT,
    REASON_LIMIT,
    units,
)
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import ask_refund, staff
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins
from tests.e2e.test_surveys import at_comment

CODE = re.compile(r"K-[2-9A-Z]{4}")
BANK = (Path(__file__).resolve().parents[2] / "policies" / "bank.toml").read_text()
LANGUAGES = {"uk": ("Українська", "Приєднатися"), "ru": ("Русский", "Присоединиться")}
LANGUAGES["en"] = ("English", "Join")


def longest(limit: int, words: str) -> str:
    """`words` over and over, exactly `limit` long as Telegram counts (an emoji is two);
    markup characters in it, so escaping is part of the test."""
    text = ""
    for char in words * limit:
        if units(text + char) > limit:
            break
        text += char
    return text + "." * (limit - units(text))


async def member_in(h: Harness, admin: SandboxUser, user_id: int, locale: str) -> SandboxUser:
    code = await invite_via_bot(admin, "Frontline", "Front desk", "1 person")
    user = h.user(user_id, f"Staff{user_id}", locale)
    await join(user, code, *LANGUAGES[locale])
    return user


async def cases_kept(h: Harness) -> int:
    async with h.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def test_the_longest_allowed_words_fit_every_screen_that_shows_them(
    harness: Harness,
) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    description = longest(DESCRIPTION_LIMIT, "Гість <b>чекав</b> & 🙂 сердився; ")
    key = longest(CUSTOMER_KEY_LIMIT, "Gold <member> ")
    words = longest(CUSTOMER_WORDS_LIMIT, "Я <i>більше</i> сюди не приїду 😡 ")

    # Olena (uk) logs the case: the card holds all three, and every line after them.
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send(description)
    await olena.expect("Хто клієнт?")
    await olena.send(key)
    await olena.expect("Слова самого клієнта?")
    await olena.send(words)
    card = await olena.expect("Звернення K-")
    for text in (description, f"Клієнт: {key}", f"Словами клієнта: «{words}»", "Зафіксовано"):
        assert text in card.text
    assert "Компенсувати" in card.button_labels
    found = CODE.search(card.text)
    assert found is not None
    code = found.group(0)

    # She asks for approval; Dmytro's (ru) card carries the customer's words in full.
    await ask_refund(olena, "250", "Запросити погодження", new_case=False)
    asked = await dmytro.expect(f"{code} · Olena")
    assert f"«{words}»" in asked.text

    # He denies with the longest reason: his card and Olena's news both show it.
    reason = longest(REASON_LIMIT, "Гостю вже дали <b>вечерю</b> & 🍽 ")
    await dmytro.press("Отказать", asked)
    await dmytro.expect("Почему?")
    await dmytro.send(reason)
    decided = await dmytro.expect(f"Решение принято · {code}")
    assert reason in decided.text
    news = await olena.expect(f"Відмовлено · {code}")
    assert f"Причина: {reason}" in news.text

    # Resolved with the longest note, reopened with the longest reason: the card still fits.
    await olena.press("Відкрити звернення", news)
    await olena.expect("Статус: відкрите")
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого контакту")
    await olena.press("Так")
    await olena.expect("Нотатка?")
    await olena.send(longest(NOTE_LIMIT, "Пояснили <причину> й вибачилися 🙏 "))
    resolved = await olena.expect("Статус: вирішене")
    assert description in resolved.text
    await olena.press("Відкрити знову", resolved)
    await olena.expect("Чому звернення відкривається знову?")
    await olena.send(longest(REASON_LIMIT, "Гість повернувся: знову <шумно> 🔊 "))
    reopened = await olena.expect("Статус: відкрите повторно")
    assert description in reopened.text and f"Словами клієнта: «{words}»" in reopened.text

    # Sarah (en) opens it by its code: the same card in English, whole.
    await sarah.send(f"/case {code}")
    seen = await sarah.expect(f"Case {code}")
    assert description in seen.text and f"In their words: “{words}”" in seen.text
    assert await cases_kept(harness) == 1


REFUSED = {
    "uk": (
        "Опис задовгий: щонайбільше 2000 символів.",
        "Ключ клієнта задовгий: щонайбільше 64 символів.",
        "Слова клієнта задовгі: щонайбільше 1000 символів.",
        "Деякі символи цього повідомлення не вдається прочитати",
        ["Назад", "Скасувати"],
    ),
    "ru": (
        "Описание слишком длинное: не больше 2000 символов.",
        "Ключ клиента слишком длинный: не больше 64 символов.",
        "Слова клиента слишком длинные: не больше 1000 символов.",
        "Некоторые символы этого сообщения не удаётся прочитать",
        ["Назад", "Отмена"],
    ),
    "en": (
        "The description is too long: at most 2000 characters.",
        "The customer key is too long: at most 64 characters.",
        "The customer's words are too long: at most 1000 characters.",
        "Some characters of this message cannot be read",
        ["Back", "Cancel"],
    ),
}
ABOUT = {
    "uk": "Чого стосується проблема?",
    "ru": "Чего касается проблема?",
    "en": "What is the problem about?",
}
STEPS = {
    "uk": ("Нове звернення", "Очікування", "Опишіть проблему", "Хто клієнт?", "Слова самого"),
    "ru": ("Новое обращение", "Ожидание", "Опишите проблему", "Кто клиент?", "Слова самого"),
    "en": ("New case", "Waiting", "Describe the problem", "Who is the customer?", "own words"),
}


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
async def test_words_too_long_or_unreadable_are_refused_at_their_step(
    harness: Harness, locale: str
) -> None:
    sarah = await owner_joins(harness)
    staff = await member_in(harness, sarah, 1002, locale)
    description, key, words, unreadable, buttons = REFUSED[locale]
    new, category, describe, customer, own_words = STEPS[locale]

    async def refused_with(text: str, expected: str) -> None:
        await staff.send(text)
        refusal = await staff.expect(expected)
        assert refusal.button_labels == buttons

    await staff.tap(new)
    await staff.expect(ABOUT[locale])
    await staff.press(category)
    await staff.expect(describe)
    await refused_with("d" * (DESCRIPTION_LIMIT + 1), description)
    await refused_with("broken \ud83d emoji", unreadable)
    await staff.send("Waited two hours 🙂")
    await staff.expect(customer)
    await refused_with("k" * (CUSTOMER_KEY_LIMIT + 1), key)
    await refused_with("\ud800", unreadable)
    await staff.send("412")
    await staff.expect(own_words)
    await refused_with("w" * (CUSTOMER_WORDS_LIMIT + 1), words)
    await refused_with("nul \x00 here", unreadable)
    assert await cases_kept(harness) == 0  # nothing is kept until the words are right
    await staff.send("Never again")
    await staff.expect(where=lambda m: bool(CODE.search(m.text)) and m.buttons != [])
    assert await cases_kept(harness) == 1


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
async def test_a_forged_button_with_an_id_no_column_holds_is_out_of_date(
    harness: Harness, locale: str
) -> None:
    sarah = await owner_joins(harness)
    staff = await member_in(harness, sarah, 1002, locale)
    new, category, describe, customer, _ = STEPS[locale]
    await staff.tap(new)
    await staff.expect(ABOUT[locale])
    await staff.press(category)
    await staff.expect(describe)
    await staff.send("Waited two hours")
    await staff.expect(customer)
    await staff.press({"uk": "Створити", "ru": "Создать", "en": "Create case"}[locale])
    card = await staff.expect(where=lambda m: bool(CODE.search(m.text)) and m.buttons != [])
    outdated = {
        "uk": "Ця кнопка застаріла. Відкрийте екран ще раз із меню.",
        "ru": "Эта кнопка устарела. Откройте экран ещё раз из меню.",
        "en": "This button is out of date. Open the screen again from the menu.",
    }
    forged = [
        f"cs:resolve::{10**23}",
        "cs:remedy::-1",
        f"cs:card::{LARGEST_ID + 1}",
        f"es:ok:{10**23}:",
        f"qu:card:0::{10**30}",
        f"pv:on:{-(10**20)}",
        f"tm:open:{10**23}:",
        f"og:{10**23}",
    ]
    for data in forged:
        await staff.press_data(data, card.message_id)
    await harness.settle()
    answers = [a.text for a in staff.callback_answers[-len(forged) :]]
    assert answers == [outdated[locale]] * len(forged)
    async with harness.db.reading() as session:
        assert (await session.scalar(select(func.count()).select_from(Escalation))) == 0
        (case,) = (await session.scalars(select(Case))).all()
    assert case.state == "open"


CARD = "4111 1111 1111 1111"


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
async def test_a_bank_clerk_types_a_card_number_and_it_is_kept_masked(
    harness: Harness, locale: str
) -> None:
    code = await harness.create_org("Bank branch", "EUR", "Europe/Berlin")
    anna = harness.user(1001, "Anna", "en")
    await join(anna, code, "English", "Join")
    admin = (await harness.services.context.load_by_id(1001)).member
    assert admin is not None
    proposal = await harness.services.policies.propose(admin, BANK.encode())
    await harness.services.policies.activate(admin, proposal.draft_id)
    clerk = await member_in(harness, anna, 1002, locale)

    new, _, describe, customer, own_words = STEPS[locale]
    await clerk.tap(new)
    await clerk.expect(ABOUT[locale])
    await clerk.press({"uk": "Картка", "ru": "Карта", "en": "Card"}[locale])
    await clerk.expect(describe)
    await clerk.send(f"Card {CARD} was charged twice, phone +49 30 1234567, fee 12,50")
    prompt = await clerk.expect(customer)
    # The bank's customer prompt never suggests typing a card number.
    question = prompt.text.split("\n")[-1]
    assert not re.search(r"card|картк|карт", question, re.IGNORECASE), question
    await clerk.send("4111-1111-1111-1111")
    await clerk.expect(own_words)
    await clerk.send(f"My card {CARD.replace(' ', '')} again!")
    card = await clerk.expect(where=lambda m: bool(CODE.search(m.text)) and m.buttons != [])
    assert "4111" not in card.text.replace("•••• 1111", "")
    assert card.text.count("•••• 1111") == 3
    assert "+49 30 1234567" in card.text and "12,50" in card.text

    async with harness.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
        events = (await session.scalars(select(CaseEvent))).all()
    assert case.description.startswith("Card •••• 1111 was charged twice")
    assert case.customer_key == "•••• 1111"
    assert case.customer_words == "My card •••• 1111 again!"
    assert all("4111" not in str(event.payload) for event in events)


async def test_unreadable_text_anywhere_is_answered_not_failed(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    olena = await member_in(harness, sarah, 1002, "uk")
    for text in ("\ud800", "/case \udfff", "K-\ud83d"):
        await olena.send(text)
        answer = await olena.expect()
        assert "Щось пішло не так" not in answer.text, (text, answer.text)
    await olena.send("/case")
    await olena.expect("код")
    await olena.send("\udbff")
    answer = await olena.expect()
    assert "Щось пішло не так" not in answer.text
    await olena.send("/reopen")
    await olena.expect()
    await olena.send("\udbff")
    answer = await olena.expect()
    assert "Щось пішло не так" not in answer.text


SURVEY_TOO_LONG = {
    "uk": "Це довше, ніж ми можемо зберегти: щонайбільше 1000 символів.",
    "ru": "Это длиннее, чем мы можем сохранить: не больше 1000 символов.",
    "en": "That is longer than we can keep: 1000 characters at most.",
}


@pytest.mark.parametrize("locale", ["uk", "ru", "en"])
async def test_a_customers_comment_too_long_is_refused_and_a_card_in_it_masked(
    harness: Harness, locale: str
) -> None:
    from bot.db.models import Survey
    from tests.e2e.test_surveys import ask, resolved_case, token_of

    olena = (await staff(harness))["olena"]
    await resolved_case(olena)
    token = token_of(await ask(olena))
    guest = harness.user(9050, "John", locale)
    await guest.start(token)
    await guest.expect(where=lambda m: "5 ★" in m.button_labels)
    await guest.press("5 ★")
    await guest.expect(where=lambda m: "7" in m.button_labels)
    await guest.press("7")
    await guest.expect(where=at_comment)
    await guest.send("x" * (COMMENT_LIMIT + 1))
    refused = await guest.expect(SURVEY_TOO_LONG[locale])
    assert at_comment(refused)  # Finish is still there: the step stays
    await guest.send("Great stay \ud83d, card 4111 1111 1111 1111 was refunded")
    await guest.expect(where=lambda m: not m.buttons and "!" in m.text)
    async with harness.db.reading() as session:
        (survey,) = (await session.scalars(select(Survey))).all()
    assert survey.comment == "Great stay \ufffd, card •••• 1111 was refunded"
