"""Moments and ages as people read them, through the sandbox: a request that waits two weeks
says so in words, cards and histories move from "11:00" to "yesterday" to a weekday to a full
date as the clock moves, and /stats takes days typed the Ukrainian way."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from tests.e2e.harness import Harness
from tests.e2e.test_digest import readers
from tests.e2e.test_escalations import ask_refund, staff


async def test_a_request_two_weeks_old_says_how_long_and_since_when(harness: Harness) -> None:
    people = await staff(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)  # Monday 23 November 2026, 11:00 in Kyiv
    code = await ask_refund(olena, "120", "Запросити погодження")
    card = await dmytro.expect(f"{code} · Olena")
    assert card.text.endswith("Запрос в 11:00.")

    clock.advance(timedelta(days=1))
    await olena.send(f"/case {code}")
    logged = await olena.expect(f"Звернення {code}")
    assert "Зафіксовано вчора 11:00" in logged.text
    assert "\nвчора 11:00 — " in logged.text  # the history

    clock.advance(timedelta(days=2))
    await sarah.send(f"/case {code}")
    thursday = await sarah.expect(f"Case {code}")
    assert "Logged Mon 11:00\u202fAM" in thursday.text
    assert "\nMon 11:00\u202fAM — " in thursday.text

    clock.advance(timedelta(days=11))  # Monday 7 December: two weeks
    await dmytro.send("/queue")
    queue = await dmytro.expect("Очередь на одобрение")
    assert queue.text.splitlines()[3].endswith("возврат денег · ждёт 2 недели")
    await dmytro.press(code, queue)
    shown = await dmytro.expect(f"{code} · Olena")
    assert shown.text.endswith("Ждёт 2 недели, с 23.11.2026.")

    await olena.send(f"/case {code}")
    old = await olena.expect(f"Звернення {code}")
    assert "Зафіксовано 23.11.2026, 11:00" in old.text
    assert "\n23.11.2026, 11:00 — " in old.text

    await dmytro.press("Одобрить", shown)
    decided = await dmytro.expect(f"Решение принято · {code}")
    assert "Одобрено (Dmytro, 11:00)." in decided.text


async def test_stats_takes_days_typed_the_way_people_write_them(harness: Harness) -> None:
    _week, people = await readers(harness)
    mykola, dmytro, sarah = people["mykola"], people["dmytro"], people["sarah"]
    await mykola.send("/stats 16.11.2026 22.11.2026")
    typed = await mykola.expect("Статистика")
    assert "16 лист. – 22 лист. 2026" in typed.text
    await mykola.send("/stats 2026-11-16 2026-11-22")
    assert "16 лист. – 22 лист. 2026" in (await mykola.expect("Статистика")).text

    await mykola.send("/stats 16.11.26 22.11.26")
    assert (await mykola.expect()).text == (
        "Введіть період двома датами, першою та останньою: /stats 01.11.2026 15.11.2026 "
        "(не більше року), або скористайтеся кнопками /stats. "
        "Можна й так: 2026-11-01 2026-11-15."
    )
    await dmytro.send("/stats 16.11.2026 22.11.2026")
    assert "16 нояб. – 22 нояб. 2026" in (await dmytro.expect("Статистика")).text

    await sarah.send("/stats 16.11.2026 22.11.2026")
    assert (await sarah.expect()).text == (
        "Type the period as two days, first and last: /stats 2026-11-01 2026-11-15 "
        "(a year at most), or use the buttons of /stats."
    )
