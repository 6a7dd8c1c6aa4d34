"""The floor in seconds, counted: the shortest paths of the frontline's core job through the
sandbox, in each language — every tap on a button (inline or the phone keyboard) and every
typed message — and where each path leaves the case in the database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.db.models import Case, Spend
from bot.i18n import format_money_short
from bot.sandbox import SandboxMessage, SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_floor_story import hotel, staff

WORDS = {
    "uk": {
        "new": "Нове звернення",
        "noise": "Шум",
        "create": "Створити",
        "voucher": "Ваучер",
        "confirm_close": "Підтвердити й закрити",
        "yes": "Так",
        "resolve": "Вирішити",
        "without": "Без компенсації",
        "card": "Звернення K-",
        "note?": "Нотатка?",
        "ask": "Запитати клієнта",
    },
    "ru": {
        "new": "Новое обращение",
        "noise": "Шум",
        "create": "Создать",
        "voucher": "Ваучер",
        "confirm_close": "Подтвердить и закрыть",
        "yes": "Да",
        "resolve": "Решить",
        "without": "Без компенсации",
        "card": "Обращение K-",
        "note?": "Заметка?",
        "ask": "Спросить клиента",
    },
    "en": {
        "new": "New case",
        "noise": "Noise",
        "create": "Create case",
        "voucher": "Voucher",
        "confirm_close": "Confirm & close",
        "yes": "Yes",
        "resolve": "Resolve",
        "without": "Without remedy",
        "card": "Case K-",
        "note?": "A note?",
        "ask": "Ask the customer",
    },
}


@dataclass
class Counted:
    """A person whose every tap and typed message is counted."""

    user: SandboxUser
    taps: int = 0
    messages: int = 0

    async def tap(self, label: str) -> None:  # the phone keyboard
        self.taps += 1
        await self.user.tap(label)

    async def press(self, label: str) -> None:
        self.taps += 1
        await self.user.press(label)

    async def send(self, text: str) -> None:
        self.messages += 1
        await self.user.send(text)

    async def expect(self, shown: str) -> SandboxMessage:
        """The bot's next screen showing this text or a button with this label."""
        return await self.user.expect(
            where=lambda m: shown in m.body or any(shown in label for label in m.button_labels)
        )


async def log(person: Counted, w: dict[str, str]) -> SandboxMessage:
    await person.tap(w["new"])
    await person.expect(w["noise"])
    await person.press(w["noise"])
    await person.send("Loud party next door")
    await person.expect(w["create"])
    await person.press(w["create"])
    return await person.expect(w["card"])


async def the_case(h: Harness) -> Case:
    async with h.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
        return case


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_log_only_is_three_taps_and_one_message(harness: Harness, lang: str) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await log(olena, w)
    assert (olena.taps, olena.messages) == (3, 1)
    assert (await the_case(harness)).state == "open"


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_log_give_a_150_voucher_and_close_is_six_taps_and_one_message(
    harness: Harness, lang: str
) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    card = await log(olena, w)
    voucher = f"{w['voucher']} {format_money_short(Decimal(150), 'USD', lang)}"
    assert card.buttons[0][1][0] == voucher  # the policy's voucher presets, on the card
    await olena.press(voucher)
    await olena.expect("150")
    await olena.press(w["confirm_close"])
    await olena.expect(w["yes"])
    await olena.press(w["yes"])
    done = await olena.expect(w["note?"])
    assert (olena.taps, olena.messages) == (6, 1)

    case = await the_case(harness)
    assert (case.state, case.outcome, case.first_contact) == ("resolved", "with_remedy", True)
    async with harness.db.reading() as session:
        (spend,) = (await session.scalars(select(Spend))).all()
    assert (spend.remedy, spend.amount_minor) == ("voucher", 15000)
    # The guest's survey is one tap away.
    assert w["ask"] in done.button_labels


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_log_and_close_without_remedy_is_six_taps_and_one_message(
    harness: Harness, lang: str
) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await log(olena, w)
    await olena.press(w["resolve"])
    await olena.expect(w["without"])
    await olena.press(w["without"])
    await olena.expect(w["yes"])
    await olena.press(w["yes"])
    await olena.expect(w["note?"])
    assert (olena.taps, olena.messages) == (6, 1)
    case = await the_case(harness)
    assert (case.state, case.outcome, case.first_contact) == ("resolved", "without_remedy", True)


async def test_presets_above_authority_are_marked_not_hidden(harness: Harness) -> None:
    """Give more after a gift: the amount screen offers the presets, marking what now needs
    approval; Close the case right from the result."""
    olena = Counted(await staff(harness, await hotel(harness), "en"))
    await log(olena, WORDS["en"])
    await olena.press("Give remedy")
    await olena.expect("What will you give?")
    await olena.press("Voucher")
    amounts = await olena.expect("How much, in USD?")
    assert amounts.buttons[0] == [
        ("$50", amounts.buttons[0][0][1]),
        ("$150", amounts.buttons[0][1][1]),
        ("$300", amounts.buttons[0][2][1]),
    ]
    await olena.send("1,900")
    await olena.expect("Voucher: $1,900.00")
    await olena.press("Confirm")
    given = await olena.expect("Recorded")
    assert given.button_labels == ["Close the case", "Give more", "Open case"]
    await olena.press("Give more")
    await olena.expect("What will you give?")
    await olena.press("Voucher")
    marked = await olena.expect("How much, in USD?")
    # $100 is left of the guest's $2,000 today: $50 fits; $150 and $300 need approval.
    assert [label for label, _ in marked.buttons[0]] == ["$50", "$150 ⤴", "$300 ⤴"]
    assert "⤴ needs approval" in marked.text
    await olena.press("$300 ⤴")
    decision = await olena.expect("Voucher: $300.00")
    assert "Give $100.00 now" in decision.button_labels
    await olena.press("Back")
    await olena.expect("How much, in USD?")
    await olena.press("Cancel")
    await olena.expect("Cancelled")
    async with harness.db.reading() as session:
        assert [s.amount_minor for s in (await session.scalars(select(Spend))).all()] == [190000]


async def test_a_forged_preset_does_nothing(harness: Harness) -> None:
    olena = await staff(harness, await hotel(harness), "en")
    await log(Counted(olena), WORDS["en"])
    card = olena.bot_messages[-1]
    case_id = int(card.buttons[0][0][1].rsplit(":", 1)[1])
    # Not one of the policy's presets (the quick gives are 50, 150 and 300).
    await olena.press_data(f"cs:qg:voucher=1999:{case_id}", card.message_id)
    await olena.press_data(f"cs:qg:refund=50:{case_id}", card.message_id)
    await harness.settle()
    assert [a.text for a in olena.callback_answers[-2:]] == [None, None]
    assert olena.bot_messages[-1].text == card.text
    async with harness.db.reading() as session:
        assert (await session.scalars(select(Spend))).all() == []
