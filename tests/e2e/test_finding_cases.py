"""Finding a case in seconds: by a code typed any which way, from my lists, by the customer;
and amounts typed the way people type them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.db.models import Case
from bot.sandbox import SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_cases import frontline
from tests.e2e.test_onboarding import invite_via_bot, join, owner_joins

CODE = re.compile(r"K-[2-9A-Z]{4}")


async def log_case(user: SandboxUser, customer: str | None = "305", what: str = "Шум") -> str:
    """Olena logs a waiting-time case in Ukrainian; returns its code."""
    await user.send("/new")
    await user.expect("Чого стосується проблема?")
    await user.press("Очікування")
    await user.expect("Опишіть проблему")
    await user.send(what)
    await user.expect("Хто клієнт?")
    if customer is None:
        await user.press("Створити")
    else:
        await user.send(customer)
        await user.expect("Слова самого клієнта?")
        await user.press("Створити")
    card = await user.expect("Звернення K-")
    found = CODE.search(card.text)
    assert found is not None
    return found.group(0)


async def case_count(harness: Harness) -> int:
    async with harness.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def resolve(harness: Harness, user_id: int, code: str) -> None:
    member = (await harness.services.context.load_by_id(user_id)).member
    assert member is not None
    case = await harness.services.cases.find(member, code)
    await harness.services.lifecycle.resolve(member, case.id, "without_remedy", True)


async def unused_code(harness: Harness) -> str:
    async with harness.db.reading() as session:
        taken = set((await session.scalars(select(Case.code))).all())
    return next(c for c in ("K-2222", "K-3333", "K-4444") if c not in taken)


async def test_amounts_in_ukrainian_with_a_dot_or_a_currency(harness: Harness) -> None:
    olena = await frontline(harness)
    await log_case(olena)
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    await olena.expect("Подарунок · K-")

    await olena.send("150 EUR")
    refused = await olena.expect("Суму вводьте лише в USD.")
    assert refused.text == "Суму вводьте лише в USD."
    assert refused.button_labels == ["Назад", "Скасувати"]
    await olena.send("1.500")
    await olena.expect("Не вдалося розібрати суму. Введіть її так: 1 500,50.")

    await olena.send("150.5")
    decision = await olena.expect("Подарунок: 150,50\xa0USD")
    assert any("150,50\xa0USD" in bold for bold in decision.bold)


async def test_case_without_a_code_offers_my_open_cases_then_takes_a_typed_one(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    first = await log_case(olena, "305", "Довге очікування")
    second = await log_case(olena, None, "Холодна вода")
    await resolve(harness, 1002, second)

    await olena.send("/case")
    picker = await olena.expect("Відкрити звернення")
    assert picker.text.startswith("Відкрити звернення")
    assert "На кнопках — ваші відкриті звернення." in picker.text
    assert "Або введіть код звернення, наприклад K-7Q4F." in picker.text
    # Only the open one: the resolved case is not what people look for here.
    assert picker.button_labels == [f"{first} · Очікування", "Скасувати"]

    await olena.send(first[2:].lower())  # "7q4f": no prefix, lower case
    card = await olena.expect(f"Звернення {first}")
    assert "Довге очікування" in card.text
    assert not picker.buttons  # the list lost its buttons when the card came

    # Typed with a lower-case prefix after the command, and spaced at the step.
    await olena.send(f"/case {second.lower()}")
    resolved = await olena.expect(f"Звернення {second}")
    assert "Статус: вирішене" in resolved.text
    await olena.send("/case")
    await olena.expect("Відкрити звернення")
    await olena.send(second.replace("-", " "))
    await olena.expect(f"Звернення {second}")

    # A code nobody has keeps the step open, with a way back to the list.
    missing = await unused_code(harness)
    await olena.send("/case")
    await olena.expect("Відкрити звернення")
    await olena.send(missing.lower())
    refused = await olena.expect("Перевірте код")
    assert refused.text == f"Звернення {missing} немає. Перевірте код."
    assert refused.button_labels == ["Назад", "Скасувати"]
    await olena.send("що це")
    await olena.expect("Код звернення має вигляд K-7Q4F. Перевірте його та введіть ще раз.")
    await olena.press("Назад")
    again = await olena.expect("Відкрити звернення")
    assert f"{first} · Очікування" in again.button_labels
    # A command is still a command while the step waits.
    await olena.send("/my")
    await olena.expect("Мої звернення")


async def test_another_organisations_case_looks_like_no_case_at_all(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "5 people")
    olena = harness.user(1002, "Olena", "uk")
    await join(olena, code, "Українська", "Приєднатися")
    petro = harness.user(1005, "Petro", "uk")
    await join(petro, code, "Українська", "Приєднатися")
    olenas = await log_case(olena)

    shop_code = await harness.create_org("Corner Shop", "UAH")
    taras = harness.user(2001, "Taras", "uk")
    await join(taras, shop_code, "Українська", "Приєднатися")
    shops = await log_case(taras)

    missing = await unused_code(harness)
    await olena.send(f"/case {missing}")
    nowhere = await olena.expect()
    await olena.send(f"/case {shops}")
    elsewhere = await olena.expect()
    assert nowhere.text == f"Звернення {missing} немає. Перевірте код."
    assert elsewhere.text == f"Звернення {shops} немає. Перевірте код."

    # In the same organisation, a colleague's case exists but is not Petro's to see.
    await petro.send(f"/case {olenas[2:].lower()}")
    theirs = await petro.expect()
    assert theirs.text == (
        f"Звернення {olenas} веде інший працівник: відкрити його можуть лише він і керівники зміни."
    )
    # The owner of Olena's organisation sees it; the shop's owner does not.
    await sarah.send(f"/case {olenas}")
    await sarah.expect(f"Case {olenas}")
    await taras.send(f"/reopen {olenas}")
    assert (await taras.expect()).text == f"Звернення {olenas} немає. Перевірте код."


async def test_reopen_without_a_code_offers_what_can_still_be_reopened(harness: Harness) -> None:
    from datetime import timedelta

    olena = await frontline(harness)
    old = await log_case(olena, "305", "Давнє")
    await resolve(harness, 1002, old)
    harness.services.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    recent = await log_case(olena, "412", "Свіже")
    await resolve(harness, 1002, recent)
    await log_case(olena, "500", "Ще відкритий")

    await olena.send("/reopen")
    picker = await olena.expect("Відкрити звернення знову")
    assert "На кнопках — ваші звернення, які ще можна відкрити знову." in picker.text
    assert picker.button_labels == [f"{recent} · Очікування", "Скасувати"]
    await olena.send(recent[2:].lower())
    await olena.expect("Чому звернення відкривається знову?")
    assert not picker.buttons
    await olena.send("Гість повернувся")
    reopened = await olena.expect("Статус: відкрите повторно")
    assert f"Звернення {recent}" in reopened.text

    # Nothing left to reopen: the step still takes a code, and says why not.
    await olena.send("/reopen")
    empty = await olena.expect("Відкрити звернення знову")
    assert "Введіть код звернення, наприклад K-7Q4F." in empty.text
    assert empty.button_labels == ["Скасувати"]
    await olena.send(old)
    refused = await olena.expect("Зафіксуйте нове звернення")
    assert refused.button_labels == ["Назад", "Скасувати"]
    await olena.press("Скасувати")
    await olena.expect("Скасовано")


async def test_my_cases_open_only_or_all_and_by_customer(harness: Harness) -> None:
    olena = await frontline(harness)
    done = await log_case(olena, "305", "Перший")
    await resolve(harness, 1002, done)
    waiting = await log_case(olena, "412", "Другий")
    again = await log_case(olena, "305", "Третій")

    await olena.tap("Мої звернення")
    mine = await olena.expect("Мої звернення")
    assert f"• {waiting} · 412 · Другий · 1 хв" in mine.text
    assert done not in mine.text
    assert mine.button_labels[-2:] == ["✓ Лише відкриті", "Усі"]
    assert "Звернення клієнта: введіть /my і його номер, наприклад /my 412." in mine.text

    await olena.press("Усі")
    everything = await olena.expect(where=lambda m: "✓ Усі" in m.button_labels)
    assert f"• {done} · 305 · Перший · 1 хв · вирішене" in everything.text
    assert {done, waiting, again} <= set(everything.button_labels)

    await olena.send("/my 305")
    customer = await olena.expect("Звернення клієнта 305")
    assert again in customer.text and waiting not in customer.text
    assert done not in customer.text  # open ones first
    await olena.press("Усі")
    both = await olena.expect(where=lambda m: "✓ Усі" in m.button_labels)
    assert both.text.startswith("Звернення клієнта 305")
    assert done in both.text and again in both.text and waiting not in both.text
    await olena.press(done)
    await olena.expect(f"Звернення {done}")

    await olena.send("/my 999")
    nobody = await olena.expect("Звернення клієнта 999")
    assert "Звернень цього клієнта, доступних вам, немає." in nobody.text


async def test_my_lines_show_customer_snippet_and_age_and_voided_only_under_all(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    long = await log_case(
        olena, "412", "Вода <b>капає</b> з ванни всю ніч, гість просить інший номер"
    )
    clock.advance(timedelta(hours=1))
    short = await log_case(olena, None, "Холодна вода")
    clock.advance(timedelta(minutes=5))
    wrong = await log_case(olena, "305", "Помилкове звернення")
    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    voided = await harness.services.cases.find(member, wrong)
    await harness.services.lifecycle.void(member, voided.id)
    clock.advance(timedelta(hours=2))

    await olena.send("/my")
    mine = await olena.expect("Мої звернення")
    # Cut at a word, typed markup shown as typed (escaped).
    assert f"• {long} · 412 · Вода <b>капає</b> з ванни всю ніч… · 3 год" in mine.text
    assert f"• {short} · Холодна вода · 2 год" in mine.text
    assert wrong not in mine.text and wrong not in mine.button_labels
    assert mine.button_labels[-2:] == ["✓ Лише відкриті", "Усі"]

    await olena.press("Усі")
    everything = await olena.expect(where=lambda m: "✓ Усі" in m.button_labels)
    assert f"• {wrong} · 305 · Помилкове звернення · 2 год · анульоване" in everything.text
    assert everything.text.index(wrong) < everything.text.index(long)  # newest first


async def test_my_cases_pages_keep_the_filter(harness: Harness) -> None:
    olena = await frontline(harness)
    member = (await harness.services.context.load_by_id(1002)).member
    assert member is not None
    for number in range(8):
        await harness.services.cases.create(
            member, category="waiting", description=f"№{number}", customer_key="305"
        )
    await olena.send("/my 305")
    first = await olena.expect("Звернення клієнта 305")
    assert "Сторінка 1 з 2" in first.text
    assert all(len(data.encode()) <= 64 for row in first.buttons for _, data in row)
    await olena.press("Наступна ›")
    second = await olena.expect("Сторінка 2 з 2")
    assert second.text.startswith("Звернення клієнта 305")
    assert len([label for label in second.button_labels if label.startswith("K-")]) == 2


async def test_a_returning_customer_problem_goes_to_their_open_case(harness: Harness) -> None:
    olena = await frontline(harness)
    code = await log_case(olena, "305", "Шум за стіною")

    await olena.tap("Нове звернення")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Опишіть проблему")
    await olena.send("Знову шум, тепер <i>уночі</i>")
    await olena.expect("Хто клієнт?")
    await olena.send("305")
    offer = await olena.expect("Клієнт уже звертався")
    assert f"Звернення цього клієнта {code} ще відкрите: додати цю проблему до нього?" in (
        offer.text
    )
    assert offer.button_labels[:2] == ["Створити", f"Додати до {code}"]
    await olena.press(f"Додати до {code}")
    card = await olena.expect(f"Звернення {code}")
    assert "доповнено (Olena): Знову шум, тепер <i>уночі</i>" in card.text
    assert await case_count(harness) == 1

    # Once that case is resolved, a new problem of the customer is a new case.
    await resolve(harness, 1002, code)
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Опишіть проблему")
    await olena.send("Ще раз")
    await olena.expect("Хто клієнт?")
    await olena.send("305")
    offer = await olena.expect("Клієнт уже звертався")
    assert not any(label.startswith("Додати до") for label in offer.button_labels)


async def test_the_approver_types_a_part_the_same_way(harness: Harness) -> None:
    from tests.e2e.test_escalations import ask_refund, staff

    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    code = await ask_refund(olena, "250", "Запросити погодження")
    card = await dmytro.expect(f"Нужно одобрение · {code}")
    await dmytro.press("Одобрить часть", card)
    await dmytro.expect("250,00\xa0$")
    await dmytro.send("60 EUR")
    refused = await dmytro.expect("Сумму вводите только в USD.")
    assert refused.text == "Сумму вводите только в USD." and refused.button_labels[-1] == "Отмена"
    await dmytro.send("60.5 $")
    confirm = await dmytro.expect("60,50\xa0$")
    assert "250,00\xa0$" in confirm.text
