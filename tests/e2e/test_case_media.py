"""A photo or a voice note describes a case on the floor: the card says it is attached and
sends it again at a tap, the approver sees the photo above the request, and one sent out of
the blue is offered as a new case."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Case
from bot.sandbox import SandboxMessage, SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_cases import frontline
from tests.e2e.test_escalations import CODE, ask_refund, staff

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4e50000000049454e44ae426082"
)
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 11


def code_of(card: SandboxMessage) -> str:
    match = CODE.search(card.text)
    assert match, card.text
    return match.group(0)


async def describe(olena: SandboxUser, send: object) -> SandboxMessage:
    """Olena logs an "other" case described by what `send()` sends; returns the card."""
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Опишіть проблему")
    await send()  # type: ignore[operator]
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    return await olena.expect("Звернення K-")


async def test_a_voice_note_describes_the_case_and_the_card_plays_it_back(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    card = await describe(olena, lambda: olena.send_voice(OGG, duration=6))
    code = code_of(card)
    assert "🎤 Голосове повідомлення додано" in card.text
    assert "(фото або голосове)" not in card.text and "Фото додано" not in card.text
    assert "🎤 Голосове" in card.button_labels and "📷 Фото" not in card.button_labels

    await olena.press("🎤 Голосове", card)
    voice = await olena.expect(where=lambda m: m.voice is not None)
    assert voice.voice == OGG and voice.voice_duration == 6
    assert voice.caption == f"Звернення {code}" and voice.bold == [f"Звернення {code}"]
    # The card itself is untouched: still the text card, edited in place by every flow.
    kept = olena.bot_messages[-2]
    assert kept.message_id == card.message_id and kept.version == card.version
    async with harness.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
    assert case.voice_file_id and case.photo_file_id is None and case.description == ""


async def test_a_photo_with_a_caption_is_the_description_and_a_tap_away(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    card = await describe(olena, lambda: olena.send_photo(PNG, caption="Розбита <ваза> у 412"))
    code = code_of(card)
    assert "Розбита <ваза> у 412\n📷 Фото додано" in card.text
    assert "📷 Фото" in card.button_labels and "Компенсувати" in card.button_labels

    await olena.press("📷 Фото", card)
    photo = await olena.expect(where=lambda m: m.photo is not None)
    assert photo.photo == PNG
    assert photo.caption == f"Звернення {code}\nРозбита <ваза> у 412"  # escaped, shown as typed

    # The card opened again later (/case) still has it.
    await olena.send(f"/case {code}")
    again = await olena.expect(f"Звернення {code}")
    assert "📷 Фото додано" in again.text and "📷 Фото" in again.button_labels


async def test_the_approver_sees_the_photo_just_above_the_card(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send_photo(PNG, caption="Черга на рецепції на 40 хвилин")
    await olena.expect("Хто клієнт?")
    await olena.send("412")
    await olena.expect("Слова самого клієнта?")
    await olena.press("Створити")
    await olena.expect("Звернення K-")
    # 250 is over Olena's authority: it goes to Dmytro, the shift supervisor.
    code = await ask_refund(olena, "250", "Запросити погодження", new_case=False)

    card = await dmytro.expect(f"Нужно одобрение · {code}")
    photos = [m for m in dmytro.bot_messages if m.photo is not None]
    assert len(photos) == 1 and photos[0].photo == PNG
    assert photos[0].caption == f"Обращение {code}\nЧерга на рецепції на 40 хвилин"
    assert photos[0].message_id == card.message_id - 1  # right above the card

    await dmytro.press("Одобрить", card)
    await dmytro.press("Одобрить", await dmytro.expect("Одобрить 250,00\xa0$?"))  # above 150
    await dmytro.expect(f"Решение принято · {code}")
    await harness.settle()
    assert sum(m.photo is not None for m in dmytro.bot_messages) == 1  # sent once


async def test_a_photo_out_of_the_blue_becomes_a_case_in_three_taps(harness: Harness) -> None:
    olena = await frontline(harness)
    await olena.send_photo(PNG, caption="Протікає кран у 305")
    offer = await olena.expect("Нове звернення з цим фото?")
    assert offer.button_labels == ["Нове звернення", "Скасувати"]
    await olena.press("Нове звернення", offer)
    choose = await olena.expect("Чого стосується проблема?")
    assert choose.message_id == offer.message_id  # the same message, edited in place
    await olena.press("Товар чи послуга")
    # The photo and its caption are the description: straight on to the customer.
    ask = await olena.expect("Хто клієнт?")
    assert "Опишіть проблему" not in ask.text
    await olena.press("Створити")
    card = await olena.expect("Звернення K-")
    assert "Протікає кран у 305\n📷 Фото додано" in card.text
    assert "📷 Фото" in card.button_labels
    async with harness.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
    assert case.photo_file_id and case.description == "Протікає кран у 305"
    assert case.category == "product"


async def test_a_voice_note_out_of_the_blue_is_offered_too_and_may_be_declined(
    harness: Harness,
) -> None:
    olena = await frontline(harness)
    await olena.send_voice(OGG, duration=3)
    offer = await olena.expect("Нове звернення з цим голосовим повідомленням?")
    await olena.press("Скасувати", offer)
    await olena.expect("Скасовано. Нічого не змінено.")
    await harness.settle()
    async with harness.db.reading() as session:
        assert (await session.scalars(select(Case))).all() == []

    # Text outside any dialogue is still not understood; a voice note is offered again.
    await olena.send("Просто текст")
    assert (await olena.expect()).text.startswith("Я не зрозумів")
    await olena.send_voice(OGG, duration=3)
    again = await olena.expect("Нове звернення з цим голосовим повідомленням?")
    await olena.press("Нове звернення", again)
    await olena.expect("Чого стосується проблема?")
    await olena.press("Інше")
    await olena.expect("Хто клієнт?")
    await olena.send("305")
    await olena.expect("Слова самого клієнта?")
    await olena.press("Створити")
    card = await olena.expect("Звернення K-")
    assert "🎤 Голосове повідомлення додано" in card.text and "Клієнт: 305" in card.text
