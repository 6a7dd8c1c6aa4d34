"""Closing the loop through the sandbox: a low score becomes a follow-up on the supervisor's
phone (ru), closed with an extra remedy through the authority check, the guest (en) answers
"Is it better now?" with 5, the reporter (uk) hears it, and the figures (en) count it — by hand:
one follow-up, closed 10 minutes after it opened (SLA 60), re-surveyed once, recovered once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import FollowUp, Spend, Survey
from bot.render.callbacks import FollowUpStep
from bot.sandbox import SandboxMessage, SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_escalations import staff
from tests.e2e.test_surveys import FINISH, ask, rate, resolved_case, token_of

RESURVEY = re.compile(r"start=(q[A-Za-z0-9_-]{24})")


def link_of(message: SandboxMessage) -> str:
    """The token behind the re-survey's Answer button (a URL button: its data is the URL)."""
    found = RESURVEY.search(message.buttons[0][0][1])
    assert found, message.buttons
    return found.group(1)


async def better(guest: SandboxUser, token: str, stars: int) -> None:
    """The guest opens the re-survey and answers its one question."""
    await guest.start(token)
    asked = await guest.expect(where=lambda m: f"{stars} ★" in m.button_labels)
    assert FINISH not in [data for row in asked.buttons for _, data in row]
    await guest.press(f"{stars} ★", asked)
    await guest.expect(where=lambda m: not m.buttons and "!" in m.text)


async def test_a_low_score_is_followed_up_recovered_and_counted(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    code = await resolved_case(olena)
    guest = harness.user(9200, "John", "en")
    await rate(guest, token_of(await ask(olena)), 1, "Nobody came")

    # Dmytro (ru) supervises Olena's team: the follow-up on his phone at once.
    card = await dmytro.expect(f"Повторный контакт · обращение {code}")
    assert "Клиент оценил на 1 из 5" in card.text
    assert "Предоставлено: пока ничего" in card.text
    assert "Комментарий: «Nobody came»" in card.text
    # Sarah (admin) is not disturbed: the team has its supervisor.
    await harness.settle()
    assert not any(code in m.text for m in sarah.bot_messages)

    clock.advance(timedelta(minutes=10))
    await dmytro.press("Ещё компенсация", card)
    picked = await dmytro.expect(f"Дополнительная компенсация · обращение {code}")
    assert picked.message_id == card.message_id  # the card's own message, edited in place
    await dmytro.press("Подарок", picked)
    await dmytro.expect("Сколько, в USD?")
    # Beyond his authority (300 per case for a supervisor): explained, nothing given.
    await dmytro.send("5000")
    refused = await dmytro.expect(where=lambda m: "Назад" in m.button_labels)
    assert (
        "Сейчас вы можете предоставить до 300,00\xa0$: в лимите на обращение осталось "
        "300,00\xa0$ из 300,00\xa0$."
    ) in refused.text
    async with harness.db.reading() as session:
        assert (await session.scalars(select(Spend))).all() == []
    await dmytro.press("Назад", refused)
    card = await dmytro.expect(f"Повторный контакт · обращение {code}")
    await dmytro.press("Ещё компенсация", card)
    picked = await dmytro.expect(f"Дополнительная компенсация · обращение {code}")
    await dmytro.press("Подарок", picked)
    await dmytro.expect("Сколько, в USD?")
    await dmytro.send("40")
    await dmytro.expect("Что вы сделали или о чём договорились?")
    await dmytro.send("Извинились, прислали новый обед")
    asked = await dmytro.expect("Отправить клиенту один вопрос: «Стало лучше?»")
    await dmytro.press("Отправить", asked)
    closed = await dmytro.expect(f"Повторный контакт закрыт · обращение {code}")
    assert "Предоставили дополнительную компенсацию" in closed.text
    assert "Заметка: Извинились, прислали новый обед" in closed.text
    assert "Предоставлено: Подарок 40,00\xa0$" in closed.text

    # The guest (en) gets one question behind a one-time link, and answers 5.
    invite = await guest.expect("Is it better now?")
    token = link_of(invite)
    await better(guest, token, 5)
    news = await olena.expect(f"Клієнта повернуто · звернення {code}")
    assert "Клієнт відповів 5 з 5 (до того: 1)" in news.text
    await dmytro.expect(f"Клиент возвращён · обращение {code}")

    # The same link again: the first answer stands.
    await guest.start(token)
    assert (await guest.expect()).text == "This survey has already been answered. Thank you!"

    async with harness.db.reading() as session:
        (spend,) = (await session.scalars(select(Spend))).all()
        follow_up = (await session.scalars(select(FollowUp))).one()
        surveys = (await session.scalars(select(Survey).order_by(Survey.id))).all()
    assert (spend.remedy, spend.amount_minor) == ("gift", 4000)
    assert (follow_up.state, follow_up.outcome) == ("closed", "remedy")
    assert [(s.csat, s.follow_up_id) for s in surveys] == [(1, None), (5, follow_up.id)]

    # The figures (en): one follow-up, within the SLA, 10 minutes, recovered 1 of 1; the
    # re-survey's 5 is not a CSAT answer (CSAT stays 0 % of 1 answer).
    await sarah.send("/stats")
    stats = await sarah.expect("Statistics")
    assert (
        "Low scores followed up: 1; within the SLA 1 (100%); median time 10 min; "
        "recovered (re-survey 4–5): 1 of 1"
    ) in stats.text
    assert "CSAT: 0%" in stats.text and "answers: 1," in stats.text

    # The Monday digest names who won the customer back.
    clock.advance(timedelta(days=7))
    await harness.services.digests.run_due()
    digest = await sarah.expect("Weekly digest")
    assert "Low scores followed up: 1; within the SLA 1 (100%)" in digest.text
    assert "Most customers won back: Dmytro 1" in digest.text


async def test_a_follow_up_is_reminded_closed_once_and_only_by_those_allowed(
    harness: Harness,
) -> None:
    people = await staff(harness, second_supervisor=True)
    olena, dmytro, ivan = people["olena"], people["dmytro"], people["ivan"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    code = await resolved_case(olena)
    guest = harness.user(9210, "Anna", "uk")
    # A 5 with "Contact me": a follow-up all the same.
    await guest.start(token_of(await ask(olena)))
    await guest.expect(where=lambda m: "5 ★" in m.button_labels)
    await guest.press("5 ★")
    await guest.expect(where=lambda m: "7" in m.button_labels)
    await guest.press("7")
    asked = await guest.expect(where=lambda m: "Зв’яжіться зі мною" in m.button_labels)
    await guest.press("Зв’яжіться зі мною", asked)
    await guest.expect("Ми з вами зв’яжемося.")
    await guest.press("Завершити")
    await guest.expect(where=lambda m: not m.buttons and "!" in m.text)

    card = await dmytro.expect(f"Повторный контакт · обращение {code}")
    assert "Клиент оценил на 5 из 5 · просит связаться" in card.text
    other = await ivan.expect(f"Повторний контакт · звернення {code}")

    # Past the SLA (60 minutes): both are reminded, once per run.
    clock.advance(timedelta(minutes=61))
    assert await harness.services.follow_ups.run_due() == 1
    assert await harness.services.follow_ups.run_due() == 0
    await dmytro.expect(f"Напоминание · повторный контакт · обращение {code}")
    await ivan.expect(f"Нагадування · повторний контакт · звернення {code}")

    # Ivan finds it in /queue too; its code opens the card below the queue.
    await ivan.send("/queue")
    queue = await ivan.expect("Повторні контакти, що чекають")
    assert f"• {code} · оцінка 5 з 5 · зафіксував(-ла) Olena" in queue.text
    await ivan.press(code, queue)
    again = await ivan.expect(f"Повторний контакт · звернення {code}")
    assert again.message_id != queue.message_id

    # Olena (frontline) forges the card's button: refused, nothing changes.
    async with harness.db.reading() as session:
        follow_up_id = (await session.scalars(select(FollowUp.id))).one()
    forged = FollowUpStep(action="called", follow_up_id=follow_up_id).pack()
    await olena.press_data(forged, olena.bot_messages[-1].message_id)
    await harness.settle()
    assert olena.callback_answers[-1].show_alert

    # Dmytro closes it (called, no note; the guest answered in Telegram: no re-survey now).
    await dmytro.press("Позвонил(а)", card)
    note = await dmytro.expect("Что вы сделали или о чём договорились?")
    await dmytro.press("Пропустить", note)
    asked = await dmytro.expect("Отправить клиенту один вопрос")
    await dmytro.press("Не отправлять", asked)
    await dmytro.expect(f"Повторный контакт закрыт · обращение {code}")

    # Ivan taps his copy of the card: already closed, by Dmytro.
    await ivan.press("Зателефонував(-ла)", other)
    await harness.settle()
    assert ivan.callback_answers[-1].text == "Цей повторний контакт уже закрив(-ла) Dmytro."
    async with harness.db.reading() as session:
        follow_up = (await session.scalars(select(FollowUp))).one()
        resurveys = (
            await session.scalars(select(Survey).where(Survey.follow_up_id.is_not(None)))
        ).all()
    assert (follow_up.outcome, follow_up.reminders, resurveys) == ("called", 1, [])

    # No more reminders once closed.
    clock.advance(timedelta(hours=2))
    assert await harness.services.follow_ups.run_due() == 0


async def test_a_re_survey_link_expires_after_seven_days(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro = people["olena"], people["dmytro"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    await resolved_case(olena)
    guest = harness.user(9220, "Ira", "ru")
    await rate(guest, token_of(await ask(olena)), 2)
    card = await dmytro.expect("Повторный контакт")
    await dmytro.press("Подошёл(ла)", card)
    await dmytro.expect("Что вы сделали")
    await dmytro.send("Подошли, извинились")
    asked = await dmytro.expect("Отправить клиенту один вопрос")
    await dmytro.press("Отправить", asked)
    invite = await guest.expect("Стало лучше?")
    clock.advance(timedelta(days=7, minutes=1))
    await guest.start(link_of(invite))
    assert (await guest.expect()).text == "Срок действия ссылки истёк. Всё равно спасибо!"
