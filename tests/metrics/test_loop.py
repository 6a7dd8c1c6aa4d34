"""Closing the loop by hand, on the hotel's week (tests/metrics/fixture.py, Kyiv, Monday 16 –
Sunday 22 November 2026):

- D's answer of 3 (18th, 14:00 UTC) → follow-up closed 10 min later by Dmytro; re-survey 5;
- a 1 on A (17th, 09:00) → follow-up closed 90 min later (past its 60) by Petro; re-survey 2;
- a 2 on B (19th, 09:00) → follow-up still open;
- A's 5 with "Contact me" → a follow-up, closed in 5 min, but not a low score: not counted;
- a 1 on H the week before → a follow-up of that week, not this one's.

Low scores 3; within the SLA 1 (33 %); time to follow up: 10 and 90 min → median 50 min;
re-surveyed 2, recovered (4–5) 1. Recognition: Dmytro won back 1. Re-surveys are no CSAT
answers: the week's CSAT counts sa 5, sd 3, the 1 on A, the 2 on B and the 1 on H — 1 of 5
satisfied (G's 5 is on a voided case: nowhere).
CSAT by category, against the week before (H "other": a 5 then, a 1 now)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.db.models import Case, FollowUp, Member, Survey
from bot.render.catalog import make_i18n
from bot.render.digest import digest_input, digest_text
from bot.services import Services
from bot.services.metrics import Scope
from tests.metrics.fixture import hotel_week, utc
from tests.metrics.test_figures import WEEK


async def looped(services: Services) -> int:
    week = await hotel_week(services)
    async with services.db.transaction() as session:
        ids = dict((await session.execute(select(Case.code, Case.id))).all())
        people = dict((await session.execute(select(Member.name, Member.id))).all())
        surveys = {
            key: row
            for key, row in (
                await session.execute(select(Survey.token_hash, Survey).order_by(Survey.id))
            ).all()
        }

        def survey(code: str, key: str, at: datetime, csat: int, **fields: object) -> Survey:
            row = Survey(
                org_id=week.org_id,
                case_id=ids[code],
                token_hash=key,
                created_at=at - timedelta(minutes=5),
                expires_at=at + timedelta(days=7),
                csat=csat,
                answered_at=at,
                **fields,
            )
            session.add(row)
            return row

        surveys["l1"] = survey("K-AAAA", "l1", utc(17, 9), 1)
        surveys["l2"] = survey("K-BBBB", "l2", utc(19, 9), 2)
        surveys["h5"] = survey("K-HHHH", "h5", utc(11, 9), 5)
        surveys["h1"] = survey("K-HHHH", "h1", utc(12, 9), 1)
        surveys["h1b"] = survey("K-HHHH", "h1b", utc(19, 10), 1)
        surveys["sa"].contact_requested = True
        await session.flush()

        def follow_up(
            key: str, opened: datetime, closed_after: int | None, by: str | None
        ) -> FollowUp:
            answer = surveys[key]
            row = FollowUp(
                org_id=week.org_id,
                case_id=answer.case_id,
                survey_id=answer.id,
                team_id=week.team_id,
                csat=answer.csat,
                contact_requested=answer.contact_requested,
                state="closed" if closed_after is not None else "open",
                opened_at=opened,
                due_at=opened + timedelta(minutes=60),
                reminders=0,
                closed_at=opened + timedelta(minutes=closed_after) if closed_after else None,
                closed_by_id=people[by] if by else None,
                outcome="called" if closed_after else None,
            )
            session.add(row)
            return row

        rows = [
            follow_up("sd", utc(18, 14), 10, "Dmytro"),
            follow_up("l1", utc(17, 9), 90, "Petro"),
            follow_up("l2", utc(19, 9), None, None),
            follow_up("sa", utc(16, 8, 10), 5, "Dmytro"),
            follow_up("h1", utc(12, 9), 20, "Dmytro"),
        ]
        await session.flush()
        for row, stars, at in ((rows[0], 5, utc(18, 16)), (rows[1], 2, utc(17, 12))):
            session.add(
                Survey(
                    org_id=week.org_id,
                    case_id=row.case_id,
                    token_hash=f"r{row.id}",
                    created_at=at - timedelta(hours=1),
                    expires_at=at + timedelta(days=7),
                    csat=stars,
                    answered_at=at,
                    follow_up_id=row.id,
                )
            )
    return week.org_id


async def test_the_loop_of_the_week_by_hand(services: Services) -> None:
    org_id = await looped(services)
    f = await services.metrics.figures(Scope(org_id), *WEEK)
    assert (f.follow_ups, f.followed_in_sla, f.resurveyed, f.recovered) == (3, 1, 2, 1)
    assert f.follow_up_time.median == 50 * 60
    assert f.follow_up_sla_rate == 1 / 3 and f.recovery_rate == 1 / 2
    assert (f.answers, f.satisfied) == (5, 1)  # sa 5, sd 3, l1 1, l2 2, h1b 1
    recognition = await services.metrics.recognition(Scope(org_id), *WEEK)
    assert recognition.recoverers == [("Dmytro", 1)]

    content = await services.digests.content(Scope(org_id), date(2026, 11, 16), date(2026, 11, 23))
    assert content.previous.csat_by_category["other"] == (1, 2)  # h5, h1
    # "other": 0 of 1 now against 1 of 2 before — the only category that fell.
    assert f.csat_falls(content.previous) == [("other", 0.0, 0.5, 1)]

    i18n = make_i18n()
    expected = {
        "uk": (
            "Повторних контактів після низьких оцінок: <b>3</b>; вчасно 1 (33,3%); медіана "
            "50 хв; клієнтів повернуто (повторне опитування 4–5): <b>1</b> з 2",
            "CSAT упав найбільше: Інше 0% (було 50%; відповідей: 1)",
            "Найбільше повернених клієнтів: Dmytro 1",
        ),
        "ru": (
            "Повторных контактов после низких оценок: <b>3</b>; вовремя 1 (33,3\xa0%); медиана "
            "50 мин; клиентов возвращено (повторный опрос 4–5): <b>1</b> из 2",
            "CSAT упал сильнее всего: Другое 0\xa0% (было 50\xa0%; ответов: 1)",
            "Больше всего возвращённых клиентов: Dmytro 1",
        ),
        "en": (
            "Low scores followed up: <b>3</b>; within the SLA 1 (33.3%); median time 50 min; "
            "recovered (re-survey 4–5): <b>1</b> of 2",
            "CSAT fell most: Other 0% (was 50%; answers: 1)",
            "Most customers won back: Dmytro 1",
        ),
    }
    for locale, lines in expected.items():
        with i18n.context(), i18n.use_locale(locale):
            text = digest_text(digest_input(content), content.policy, locale)
        for line in lines:
            assert line in text.split("\n"), text
