"""What works on the floor, through the sandbox in each language: a receptionist logging a
noise case sees what the hotel's last 90 days say about noise (tests/metrics/
what_works_fixture.py, worked out by hand there) and the manager's playbook line for it;
under ten resolved noise cases, the playbook line alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.i18n import format_money_short
from tests.e2e.harness import Harness
from tests.e2e.test_fast_path import WORDS, Counted, log
from tests.e2e.test_floor_story import hotel, staff
from tests.metrics.what_works_fixture import History, add_history

NBSP = "\xa0"
SHOWN = {
    "uk": [
        f"Зазвичай допомагає: ваучер ~50{NBSP}USD (58%, CSAT 4,3) · "
        f"кращий номер ~110,01{NBSP}USD (33%)",
        "Вирішено під час першого контакту: 67% з 12 звернень за 90 днів",
        "Як діяти: Спершу запропонуйте тихіший номер; якщо вільного немає — ваучер",
    ],
    "ru": [
        f"Обычно помогает: ваучер ~50{NBSP}$ (58{NBSP}%, CSAT 4,3) · "
        f"номер получше ~110,01{NBSP}$ (33{NBSP}%)",
        f"Решено при первом контакте: 67{NBSP}% из 12 обращений за 90 дней",
        "Как действовать: Сначала предложите более тихий номер; если свободного нет — ваучер",
    ],
    "en": [
        "Usually solved by: voucher ~$50 (58%, CSAT 4.3) · upgrade ~$110.01 (33%)",
        "Solved at first contact: 67% of 12 cases in 90 days",
        "What to do: Offer a quieter room first; a voucher if none is free",
    ],
}


async def history_of(h: Harness, count: int) -> None:
    member = (await h.services.context.load_by_id(1002)).member
    assert member is not None
    version = (await h.services.policies.in_force(member.org_id)).version_id
    await add_history(h.db, History(member.org_id, member.id, version), count=count)


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_the_card_tells_what_has_worked_for_noise(harness: Harness, lang: str) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await history_of(harness, 12)
    card = await log(olena, w)
    lines = card.text.split("\n")
    at = lines.index(SHOWN[lang][0])
    assert lines[at : at + 3] == SHOWN[lang]
    # The money in them is bold, as on every card.
    money = format_money_short(Decimal(50), "USD", lang)
    assert card.html is not None and f"~<b>{money}</b>" in card.html


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_under_ten_resolved_cases_only_the_playbook(harness: Harness, lang: str) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await history_of(harness, 9)
    card = await log(olena, w)
    lines = card.text.split("\n")
    assert SHOWN[lang][2] in lines
    assert not any(line in lines for line in SHOWN[lang][:2])
    assert not any(line.startswith(SHOWN[lang][1][:12]) for line in lines)
