"""A message starting with "/" is a command on every screen: at each step that waits for
typed text, /authority and /help do what they say (and the step stays), /cancel leaves the
flow — and none of them is ever stored as data. The same while joining."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import Case, CaseEvent, Escalation, Spend
from bot.sandbox import SandboxMessage, SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import ask_refund, staff
from tests.e2e.test_onboarding import invite_via_bot, owner_joins

SAID = {
    "uk": ("Ваші повноваження зараз", "Що можна зробити тут:", "Скасовано. Нічого не змінено."),
    "ru": ("Ваши полномочия сейчас", "Что можно сделать здесь:", "Отменено. Ничего не изменено."),
}


async def commands_are_commands(user: SandboxUser, lang: str = "uk") -> None:
    authority, help_line, cancelled = SAID[lang]
    await user.send("/authority")
    await user.expect(authority)
    await user.send("/help")
    await user.expect(help_line)
    await user.send("/cancel")
    done = await user.expect(cancelled)
    assert done.text == cancelled


async def stored(h: Harness) -> tuple[int, ...]:
    async with h.db.reading() as session:
        counts = []
        for model in (Case, CaseEvent, Spend, Escalation):
            counts.append(await session.scalar(select(func.count()).select_from(model)) or 0)
        texts = [
            value
            for row in (await session.execute(select(Case.description, Case.customer_key))).all()
            for value in row
            if value
        ]
    assert not any(text.startswith("/") for text in texts), texts
    return tuple(counts)


def message(user: SandboxUser, message_id: int) -> SandboxMessage:
    return next(m for m in user.messages if m.message_id == message_id)


async def open_case(olena: SandboxUser) -> None:
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send("Гість чекав на номер")
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    await olena.expect("Звернення K-")


async def test_every_typed_step_of_the_floor_takes_commands_as_commands(
    harness: Harness,
) -> None:
    people = await staff(harness)
    olena = people["olena"]
    before = await stored(harness)

    # Logging: the description, the customer and the customer's words.
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await commands_are_commands(olena)
    for step in ("Хто клієнт?", "Слова самого клієнта?"):
        await olena.send("/new")
        await olena.expect("Чого стосується проблема?")
        await olena.press("Очікування")
        await olena.expect("Опишіть проблему")
        await olena.send("Довге очікування")
        await olena.expect("Хто клієнт?")
        if step == "Слова самого клієнта?":
            await olena.send("305")
            await olena.expect(step)
        await olena.send("/authority")
        await olena.expect("Ваші повноваження зараз")
        await olena.send("/help")
        await olena.expect("Що можна зробити тут:")
        await olena.send("/cancel")  # before the fix: a case for the customer "/cancel"
        await olena.expect("Скасовано. Нічого не змінено.")
    assert await stored(harness) == before

    # The tap on the phone keyboard is what it says, too: not a description.
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Персонал")
    await olena.expect("Опишіть проблему")
    await olena.tap("Повноваження")
    await olena.expect("Ваші повноваження зараз")
    await olena.send("/nosuchthing")  # an unknown command is said so, not taken as text
    unknown = await olena.expect("Такої команди немає")
    assert unknown.text == "Такої команди немає. Що я вмію — у /help."
    await olena.send("Офіціант нагрубив")  # the step is still open
    await olena.expect("Хто клієнт?")
    await olena.send("/cancel")
    await olena.expect("Скасовано")
    assert await stored(harness) == before

    # Giving: the amount.
    await open_case(olena)
    logged = await stored(harness)
    await olena.press("Компенсувати")
    await olena.expect("Що ви надасте?")
    await olena.press("Подарунок")
    await olena.expect("Скільки, у USD?")
    await commands_are_commands(olena)
    assert await stored(harness) == logged

    # Resolving: the optional note after it.
    await olena.send("/my")
    my = await olena.expect("Мої звернення")
    await olena.press(next(label for label in my.button_labels if label.startswith("K-")))
    await olena.expect("Статус: відкрите")
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого контакту")
    await olena.press("Так")
    await olena.expect("Нотатка?")
    resolved = await stored(harness)
    await commands_are_commands(olena)
    assert await stored(harness) == resolved

    # Reopening: the reason.
    await olena.send("/my")
    my = await olena.expect("Мої звернення")
    await olena.press(next(label for label in my.button_labels if label.startswith("K-")))
    await olena.expect("Статус: вирішене")
    await olena.press("Відкрити знову")
    await olena.expect("Чому звернення відкривається знову?")
    await commands_are_commands(olena)
    assert await stored(harness) == resolved


async def test_an_approvers_typed_steps_take_commands_as_commands(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    code = await ask_refund(olena, "120", "Запросити погодження")
    await harness.settle()
    card = await dmytro.expect(f"Нужно одобрение · {code}")
    asked = await stored(harness)

    await dmytro.press("Одобрить часть", card)
    await dmytro.expect("Сколько вы одобряете")
    await dmytro.send("много")  # refused, with the way back under the refusal
    refused = await dmytro.expect("Не удалось")
    assert refused.button_labels == ["Назад", "Отмена"]
    await commands_are_commands(dmytro, "ru")
    # Nothing decided; the card is back in its own message, ready to tap again, and the
    # refusal has lost its buttons.
    restored = message(dmytro, card.message_id)
    assert restored.text.startswith(f"120,00\xa0$, возврат денег · {code} · Olena")
    assert "Отказать" in restored.button_labels
    assert message(dmytro, refused.message_id).buttons == []
    await dmytro.press("Отказать", restored)
    await dmytro.expect("причин")
    await commands_are_commands(dmytro, "ru")
    assert "Отказать" in message(dmytro, card.message_id).button_labels
    assert await stored(harness) == asked
    async with harness.db.reading() as session:
        (escalation,) = (await session.scalars(select(Escalation))).all()
    assert (escalation.state, escalation.reason) == ("pending", None)


async def test_commands_while_joining_say_to_finish_joining(harness: Harness) -> None:
    sarah = await owner_joins(harness)
    code = await invite_via_bot(sarah, "Frontline", "Front desk", "1 person")
    olena = harness.user(1002, "Olena", "uk")
    await olena.start(code)
    await olena.expect(where=lambda m: "Українська" in " ".join(m.button_labels))
    await olena.press("✓ Українська")
    await olena.expect(where=lambda m: "Приєднатися" in m.button_labels)
    for typed in ("/help", "/new", "/authority", "/policy", "/my", "Нове звернення"):
        await olena.send(typed)
        again = await olena.expect("Ви ще не приєдналися")
        assert "Приєднатися" in again.button_labels, typed
    await olena.send("/language")
    again = await olena.expect("Ви ще не приєдналися")
    await olena.press("Приєднатися", again)
    welcome = await olena.expect("Вітаємо в Grand Hotel")
    assert welcome.text.startswith("Вітаємо в Grand Hotel, Olena!")
    await harness.settle()
    assert not any("Something went wrong" in m.text for m in olena.bot_messages)
