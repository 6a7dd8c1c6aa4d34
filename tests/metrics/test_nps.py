"""NPS by hand: the hotel's week (tests/metrics/fixture.py) with "How likely are you to
recommend us?" answered 0, 6, 7, 8, 9, 10 and 10 in the reported week, and 3, 4, 9 the week
before; a skipped question and a voided case's answer count nowhere."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from bot.db.models import Case, Survey
from bot.render.catalog import make_i18n
from bot.render.digest import digest_input, digest_text
from bot.services import Services
from bot.services.metrics import Figures, Scope
from tests.metrics.fixture import hotel_week, utc
from tests.metrics.test_figures import WEEK


async def answered(services: Services) -> int:
    week = await hotel_week(services)
    async with services.db.transaction() as session:
        ids = dict((await session.execute(select(Case.code, Case.id))).all())

        def survey(code: str, key: str, at: object, nps: int | None) -> None:
            sent = at - timedelta(minutes=5)  # type: ignore[operator]
            session.add(
                Survey(
                    org_id=week.org_id,
                    case_id=ids[code],
                    token_hash=key,
                    created_at=sent,
                    expires_at=sent + timedelta(days=7),
                    csat=4,
                    nps=nps,
                    answered_at=at,
                )
            )

        # The fixture's two answers of the week: A's 10 and D's 0.
        await session.execute(update(Survey).where(Survey.token_hash == "sa").values(nps=10))
        await session.execute(update(Survey).where(Survey.token_hash == "sd").values(nps=0))
        for score, key in ((6, "n6"), (7, "n7"), (8, "n8"), (9, "n9"), (10, "n10")):
            survey("K-AAAA", key, utc(17, 9, score), score)
        survey("K-BBBB", "skipped", utc(17, 11), None)  # NPS skipped: CSAT only
        await session.execute(update(Survey).where(Survey.token_hash == "sg").values(nps=0))
        # The week before (Kyiv's Monday 9 – Sunday 15 November), on H.
        for score, key in ((3, "p3"), (4, "p4"), (9, "p9")):
            survey("K-HHHH", key, utc(10, 12, score), score)
    return week.org_id


async def test_nps_of_the_week_by_hand(services: Services) -> None:
    org_id = await answered(services)
    f = await services.metrics.figures(Scope(org_id), *WEEK)
    # 0 6 7 8 9 10 10: promoters 9, 10, 10; detractors 0, 6; passives 7, 8 only divide.
    assert (f.nps_answers, f.promoters, f.detractors) == (7, 3, 2)
    assert f.nps == 14  # 100 × (3 − 2) ÷ 7 = 14.29
    content = await services.digests.content(Scope(org_id), date(2026, 11, 16), date(2026, 11, 23))
    # 3 4 9: one promoter, two detractors: 100 × (1 − 2) ÷ 3 = −33.3.
    assert (content.previous.nps_answers, content.previous.nps) == (3, -33)

    i18n = make_i18n()
    expected = {
        "uk": "NPS: <b>+14</b> (↑47); відповідей: 7",
        "ru": "NPS: <b>+14</b> (↑47); ответов: 7",
        "en": "NPS: <b>+14</b> (↑47); answers: 7",
    }
    for locale, line in expected.items():
        with i18n.context(), i18n.use_locale(locale):
            text = digest_text(digest_input(content), content.policy, locale)
        assert line in text.split("\n"), text


def test_nps_rounds_halves_away_from_zero_and_is_absent_without_answers() -> None:
    start, end = WEEK
    assert Figures(start, end, nps_answers=8, promoters=1).nps == 13  # 12.5
    assert Figures(start, end, nps_answers=8, detractors=1).nps == -13  # −12.5
    assert Figures(start, end, nps_answers=4, promoters=4).nps == 100
    assert Figures(start, end, nps_answers=2, detractors=2).nps == -100
    assert Figures(start, end, nps_answers=2, promoters=1, detractors=1).nps == 0
    assert Figures(start, end).nps is None


async def test_no_answers_no_nps_line(services: Services) -> None:
    week = await hotel_week(services)
    content = await services.digests.content(
        Scope(week.org_id), date(2026, 11, 16), date(2026, 11, 23)
    )
    assert content.figures.nps is None
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text = digest_text(digest_input(content), content.policy, "en")
    assert "CSAT" in text and "NPS" not in text
