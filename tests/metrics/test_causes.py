"""The digest's "why it keeps happening" by hand: causes told on the hotel's week
(tests/metrics/fixture.py), counted over the cases first resolved in the week."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import update

from bot.db.models import Case
from bot.render.catalog import make_i18n
from bot.render.digest import digest_input, digest_text
from bot.services import Services
from bot.services.metrics import Scope
from policies.loader import load_policy
from tests.metrics.fixture import hotel_week
from tests.metrics.test_figures import WEEK

OWN_WORDS = {"uk": "своїми словами", "ru": "своими словами", "en": "in their own words"}
HOTEL = Path(__file__).resolve().parents[2] / "policies" / "hotel.toml"


async def told(services: Services) -> int:
    week = await hotel_week(services)
    causes = {
        "K-AAAA": {"cause": "housekeeping"},
        "K-BBBB": {"cause": "housekeeping"},
        "K-CCCC": {"cause_words": "The lift again"},
        "K-DDDD": {"cause": "booking_error"},
        "K-HHHH": {"cause": "maintenance"},  # logged the week before, resolved in this one
        "K-GGGG": {"cause": "housekeeping"},  # voided: counts nowhere
        "K-EEEE": {"cause": "housekeeping"},  # still open (a cause of an earlier resolution)
    }
    async with services.db.transaction() as session:
        for code, values in causes.items():
            await session.execute(update(Case).where(Case.code == code).values(**values))
    return week.org_id


async def test_the_weeks_causes_by_hand(services: Services) -> None:
    org_id = await told(services)
    f = await services.metrics.figures(Scope(org_id), *WEEK)
    # Resolved in the week: A B C D H. Most first; one's own words after the policy's
    # causes of the same count.
    assert f.causes == [("housekeeping", 2), ("booking_error", 1), ("maintenance", 1), ("", 1)]
    last_week = await services.metrics.figures(Scope(org_id), *WEEK, detail=False)
    assert last_week.causes == []  # only shown, never compared

    content = await services.digests.content(Scope(org_id), date(2026, 11, 16), date(2026, 11, 23))
    policy = replace(content.policy, causes=load_policy(HOTEL.read_text()).causes)
    expected = {
        "uk": [
            "<b>Чому проблеми повторюються</b>, на думку працівників",
            "Прибирання — 2",
            "Помилка бронювання — 1",
            "Технічна несправність — 1",
        ],
        "ru": [
            "<b>Почему проблемы повторяются</b>, по мнению сотрудников",
            "Уборка — 2",
            "Ошибка бронирования — 1",
            "Техническая неисправность — 1",
        ],
        "en": [
            "<b>Why it keeps happening</b>, as staff see it",
            "Housekeeping — 2",
            "Booking error — 1",
            "Maintenance — 1",
        ],
    }
    i18n = make_i18n()
    for locale, block in expected.items():
        with i18n.context(), i18n.use_locale(locale):
            lines = digest_text(digest_input(content), policy, locale).split("\n")
        at = lines.index(block[0])
        assert lines[at : at + 4] == block
        # Three lines at most: the fourth (one's own words) stays out.
        assert not any(line.startswith(OWN_WORDS[locale]) for line in lines)


async def test_no_causes_no_lines(services: Services) -> None:
    week = await hotel_week(services)
    content = await services.digests.content(
        Scope(week.org_id), date(2026, 11, 16), date(2026, 11, 23)
    )
    assert content.figures.causes == []
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text = digest_text(digest_input(content), content.policy, "en")
    assert "keeps happening" not in text
