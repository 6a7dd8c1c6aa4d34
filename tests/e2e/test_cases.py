"""Logging a case on the floor: one tap, one message, one tap — and nothing lost on restart."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.sandbox import SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins


async def frontline(h: Harness) -> SandboxUser:
    sarah = await owner_joins(h)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = h.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    return olena


async def test_shortest_path_is_tap_message_tap(harness: Harness) -> None:
    olena = await frontline(harness)
    assert olena.reply_keyboard == [["Нове звернення"], ["Мої звернення", "Повноваження"]]
    await olena.tap("Нове звернення")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")  # tap 1
    await olena.expect("Опишіть проблему одним повідомленням")
    await olena.send("Гість чекає на заселення 40 хвилин")  # message 1
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")  # tap 2
    card = await olena.expect("Звернення K-")
    assert re.search(r"Звернення K-[2-9A-Z]{4} · Очікування", card.text)
    assert "Гість чекає на заселення 40 хвилин" in card.text
    assert "Зараз ви можете надати до 50,00\xa0USD (на звернення)." in card.text
    assert "50,00\xa0USD" in card.bold
    assert "Компенсувати" in card.button_labels


async def test_restart_in_the_middle_of_logging_keeps_the_draft(harness: Harness) -> None:
    olena = await frontline(harness)
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Персонал")
    await olena.expect("Опишіть проблему")
    await olena.send("Нечемний офіціант <b>не екрануйте</b>")
    await olena.expect("Хто клієнт?")
    await harness.restart_bot()
    await olena.send("412")
    words = await olena.expect("Слова самого клієнта?")
    assert "Клієнт уже звертався" not in words.text
    await olena.send("Мені нагрубили")
    card = await olena.expect("Звернення K-")
    assert "Нечемний офіціант <b>не екрануйте</b>" in card.text  # user text stays text
    assert "Клієнт: 412" in card.text and "«Мені нагрубили»" in card.text

    # The same guest again: the earlier case and today's spend are shown.
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Опишіть проблему")
    await olena.send("Знову шум")
    await olena.expect("Хто клієнт?")
    await olena.send("412")
    returning = await olena.expect("Клієнт уже звертався")
    assert "1 попереднє звернення" in returning.text


async def test_back_and_cancel_while_logging(harness: Harness) -> None:
    olena = await frontline(harness)
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Оплата")
    await olena.expect("Опишіть проблему")
    await olena.press("Назад")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Скасувати")
    await olena.expect("Скасовано. Нічого не змінено.")
    await olena.send("Просто текст")
    assert (await olena.expect()).text.startswith("Я не зрозумів")


async def log_case(olena: SandboxUser) -> None:
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send("Довге очікування")
    await olena.expect("Хто клієнт?")
    await olena.send("305")
    await olena.expect("Слова самого клієнта?")
    await olena.press("Створити")
    await olena.expect("Звернення K-")


async def test_give_within_authority_then_partial_with_bad_amounts_explained(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    await log_case(olena)
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    ask = await olena.expect("Скільки, у USD? Наприклад: 1 500,50")
    assert "50,00\xa0USD" in ask.bold

    for typed, reply in [
        ("1.500", "Не вдалося розібрати суму. Введіть її так: 1 500,50."),
        ("-5", "Сума не може бути від'ємною."),
        ("0", "Сума має бути більшою за нуль."),
        ("12,345", "У USD не більше 2 знаків після коми."),
        ("999999999999", "Сума завелика. Перевірте її та введіть ще раз."),
    ]:
        await olena.send(typed)
        refused = await olena.expect(reply)
        # The step stays open, and its way back is right under the refusal.
        assert refused.text == reply and refused.button_labels == ["Назад", "Скасувати"]

    await olena.send("30")
    confirm = await olena.expect("Подарунок: 30,00\xa0USD")
    assert "Ви можете надати 30,00\xa0USD зараз" in confirm.text
    await olena.press("Підтвердити")
    done = await olena.expect("Записано")
    assert "30,00\xa0USD" in done.bold
    await harness.settle()

    # A second gift of 40 passes the case's 50: 20 now, the rest to a supervisor.
    await olena.press("Відкрити звернення")
    await olena.expect("Витрачено: 30,00\xa0USD")
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    await olena.expect("Скільки, у USD?")
    await olena.send("40")
    partial = await olena.expect("Подарунок: 40,00\xa0USD")
    assert "Зараз ви можете надати до 20,00\xa0USD" in partial.text
    assert "Решту має погодити керівник зміни." in partial.text
    assert partial.button_labels[:2] == ["Дати 20,00\xa0USD зараз", "Запросити погодження"]
    await olena.press("Дати 20,00\xa0USD зараз")
    done = await olena.expect("Запит на погодження")
    assert "20,00\xa0USD" in done.bold
    await olena.press("Відкрити звернення")
    card = await olena.expect("Статус: чекає на погодження")
    assert "Витрачено: 50,00\xa0USD" in card.text
    assert "Чекає на рішення: Sarah (менеджер)" in card.text
    # Waiting is no dead end; the case's limit is used up, so every quick gift is marked.
    assert card.buttons[1] == [
        ("Компенсувати", card.buttons[1][0][1]),
        ("Відкликати запит", card.buttons[1][1][1]),
        ("Вирішити", card.buttons[1][2][1]),
    ]
    assert all(label.endswith("⤴") for label, _ in card.buttons[0])
    assert "⤴ — потрібне погодження" in card.text


async def test_authority_lists_every_remedy_with_what_is_left(harness: Harness) -> None:
    olena = await frontline(harness)
    await olena.send("/authority")
    screen = await olena.expect("Ваші повноваження зараз")
    assert "• Вибачення: завжди" in screen.text
    assert "• Подарунок: Зараз ви можете надати до 50,00\xa0USD (на звернення)." in screen.text
    await log_case(olena)
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Знижка")
    await olena.expect("Скільки")
    await olena.send("50")
    await olena.expect("Знижка: 50,00\xa0USD")
    await olena.press("Підтвердити")
    await olena.expect("Записано")
    # Her daily envelope (200) now has 150 left; a new case still starts from zero.
    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    decision = await harness.services.cases.authority(member, "discount")
    rooms = {check.limit.key: check.remaining for check in decision.checks}
    assert rooms == {"case:per_case": Decimal(50), "employee:day": Decimal(150)}


async def test_resolve_at_first_contact_then_reopen_only_inside_the_window(
    harness: Harness,
) -> None:
    from datetime import timedelta

    olena = await frontline(harness)
    await log_case(olena)
    card = await olena.expect("Звернення K-")
    code = re.search(r"K-[2-9A-Z]{4}", card.text)
    assert code is not None
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого контакту з клієнтом?")
    await olena.press("Так")
    # Resolved with that tap; the note is optional and may follow.
    done = await olena.expect("Нотатка?")
    assert done.text.startswith("Вирішено · K-")
    assert done.button_labels == ["Запитати клієнта", "Пропустити"]
    await olena.send("Пояснили причину й вибачилися")
    resolved = await olena.expect("Статус: вирішене")
    assert "Результат: без компенсації; з першого контакту: так." in resolved.text
    assert "нотатка (Olena): Пояснили причину й вибачилися" in resolved.text
    assert "Відкрити знову" in resolved.button_labels
    assert "Компенсувати" not in resolved.button_labels

    harness.services.clock.advance(timedelta(days=7, minutes=1))  # type: ignore[attr-defined]
    await olena.send(f"/reopen {code.group(0)}")
    refusal = await olena.expect()
    assert refusal.text == (
        "Звернення більше не можна відкрити знову: минуло 7 дн. Зафіксуйте нове звернення."
    )


async def test_reopen_inside_the_window_and_void_within_ten_minutes(harness: Harness) -> None:
    olena = await frontline(harness)
    await log_case(olena)
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Клієнт незадоволений")
    # Not a first-contact resolution by definition: the question is not asked.
    done = await olena.expect("Нотатка?")
    assert "з першого контакту: ні." in done.text
    await olena.press("Пропустити")
    await olena.expect("Статус: вирішене")
    await olena.press("Відкрити знову")
    await olena.expect("Чому звернення відкривається знову?")
    await olena.send("Гість повернувся")
    reopened = await olena.expect("Статус: відкрите повторно")
    assert "Компенсувати" in reopened.button_labels

    await log_case(olena)
    await olena.press("Анулювати")
    await olena.expect("Анулювати звернення")
    await olena.press("Анулювати")
    voided = await olena.expect("Статус: анульоване")
    assert voided.button_labels == []


SURVEY_LINK = re.compile(r"https://t\.me/casebot_sandbox_bot\?start=(q[A-Za-z0-9_-]{24})")


async def test_the_customer_rates_in_their_own_language_once(harness: Harness) -> None:
    from datetime import timedelta

    olena = await frontline(harness)
    await log_case(olena)
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("З компенсацією")
    await olena.expect("Вирішено під час першого контакту")
    await olena.press("Так")
    await olena.expect("Нотатка?")
    await olena.press("Запитати клієнта")  # the survey is one tap from resolving
    qr = await olena.expect(where=lambda m: m.photo is not None)
    assert qr.photo is not None and qr.photo.startswith(b"\x89PNG")
    match = SURVEY_LINK.search(qr.caption or "")
    assert match, qr.caption
    token = match.group(1)

    guest = harness.user(9001, "John", "en")
    await guest.start(token)
    first = await guest.expect("How did we do?")  # in their Telegram's language at once
    assert first.text.startswith("Grand Hotel · How did we do?")
    await guest.press("5 ★")
    await guest.expect("How easy was it")
    await guest.press("6")
    await guest.expect("Would you like to add anything?")
    await guest.send("Dinner was lovely, thank you!")
    thanks = await guest.expect("Thank you!")
    # Whose service it was is said once, at the start: nothing else of the organisation.
    assert thanks.message_id == first.message_id and not thanks.buttons
    assert "Grand Hotel" not in thanks.text

    await guest.start(token)
    assert (await guest.expect()).text == "This survey has already been answered. Thank you!"
    await guest.send("/team")  # a guest stays a guest: thanked, never a staff line
    assert (await guest.expect()).text == "Thank you, your answer is recorded."

    code = re.search(r"K-[2-9A-Z]{4}", olena.bot_messages[-2].text)
    code = code or re.search(r"K-[2-9A-Z]{4}", olena.bot_messages[-1].text)
    assert code is not None
    await olena.send(f"/case {code.group(0)}")
    card = await olena.expect("Оцінка клієнта")
    assert "5" in card.bold

    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    cases = await harness.services.cases.customer_history(member, "305")
    result = await harness.services.surveys.result(member, cases[0][0].id)
    assert (result.csat, result.ces, result.answered) == (5, 6, True)

    # After a reopen, another link, never used, expires after seven days; a made-up one is
    # refused.
    await harness.services.lifecycle.reopen(member, cases[0][0].id, "Back again")
    await harness.services.lifecycle.resolve(member, cases[0][0].id, "with_remedy", False)
    unused = (await harness.services.surveys.issue(member, cases[0][0].id)).token
    harness.services.clock.advance(timedelta(days=7, minutes=1))  # type: ignore[attr-defined]
    stranger = harness.user(9002, "Ann", "ru")
    await stranger.start(unused)
    assert (await stranger.expect()).text == "Срок действия ссылки истёк. Всё равно спасибо!"
    await stranger.start("q" + "A" * 24)
    assert (await stranger.expect()).text == "Эта ссылка на опрос недействительна."


async def test_my_cases_and_the_timeline_in_russian(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    ivan = harness.user(1004, "Ivan", "ru")
    await join(ivan, code, "Русский", "Присоединиться")
    await ivan.send("/my")
    empty = await ivan.expect("Мои обращения")
    assert "Обращений пока нет." in empty.text

    await ivan.tap("Новое обращение")
    await ivan.expect("Чего касается проблема?")
    await ivan.press("Оплата")
    await ivan.expect("Опишите проблему")
    await ivan.send("Двойное списание с карты")
    await ivan.expect("Кто клиент?")
    await ivan.press("Создать")
    card = await ivan.expect("Обращение K-")
    assert "История" in card.text and "зафиксировано (Ivan)" in card.text
    await ivan.press("Компенсировать")
    await ivan.expect("Что вы предоставите?")
    await ivan.press("Скидка")
    await ivan.expect("Сколько, в USD? Например: 1 500,50")
    await ivan.send("25,5")
    await ivan.expect("Скидка: 25,50\xa0$")
    await ivan.press("Подтвердить")
    await ivan.expect("Записано")

    await ivan.send("/my")
    mine = await ivan.expect("Мои обращения")
    (case_code,) = [label for label in mine.button_labels if label.startswith("K-")]
    await ivan.press(case_code)
    opened = await ivan.expect("Потрачено: 25,50\xa0$")
    assert "25,50\xa0$ · Скидка (Ivan)" in opened.text


async def test_stale_forged_and_oversized_input_change_nothing(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "5 people")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    petro = harness.user(1005, "Petro", "uk")
    await join(petro, code, "Українська", "Приєднатися")

    # A description over the limit is refused at once; the step stays for a shorter one.
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Опишіть проблему")
    await olena.send("ш" * 2001)
    too_long = await olena.expect("Опис задовгий")
    assert too_long.text == "Опис задовгий: щонайбільше 2000 символів."
    assert too_long.button_labels == ["Назад", "Скасувати"]
    await olena.send("Коротко")
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    card = await olena.expect("Звернення K-")

    # Petro forges buttons of Olena's case: refused, nothing changes.
    case_id = int(card.buttons[0][0][1].rsplit(":", 1)[1])
    await petro.send("/my")
    await petro.expect("Мої звернення")
    assert petro.last is not None
    for data in (f"cs:resolve::{case_id}", f"cs:remedy::{case_id}", f"cs:voidok::{case_id}"):
        await petro.press_data(data, petro.last.message_id)
    await harness.settle()
    assert [a.text for a in petro.callback_answers[-3:]] == ["Це звернення іншого працівника."] * 3
    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    assert (await harness.services.cases.get(member, case_id)).state == "open"

    # Olena voids the case; the old card's Give remedy button is now stale.
    await olena.press("Анулювати")
    await olena.expect("Анулювати звернення")
    await olena.press("Анулювати")
    await olena.expect("Статус: анульоване")
    await olena.press_data(f"cs:remedy::{case_id}", card.message_id)
    await harness.settle()
    assert (
        olena.callback_answers[-1].text == "Звернення тим часом змінилося. Відкрийте його ще раз."
    )


async def test_a_photo_with_a_caption_describes_the_problem(harness: Harness) -> None:
    from sqlalchemy import select

    from bot.db.models import Case

    olena = await frontline(harness)
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Товар чи послуга")
    await olena.expect("Опишіть проблему")
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4e50000000049454e44ae426082"
    )
    await olena.send_photo(png, caption="Розбита ваза в номері")
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    card = await olena.expect("Звернення K-")
    assert "Розбита ваза в номері" in card.text
    async with harness.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
    assert case.photo_file_id and case.description == "Розбита ваза в номері"
