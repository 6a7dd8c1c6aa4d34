"""One hand-made week at a hotel in Kyiv (UTC+2 in November), whose figures are worked out
by hand in test_figures.py. The reported week: Monday 16 – Sunday 22 November 2026, local."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.db.models import Case, Escalation, Member, Organisation, Spend, Survey
from bot.services import Services


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class Week:
    org_id: int
    codes: dict[str, str]
    members: dict[str, int]
    team_id: int


async def hotel_week(services: Services) -> Week:
    created = await services.organisations.create(
        "Kyiv Hotel", "USD", "Europe/Kyiv", ("Front desk", "Restaurant")
    )
    org_id = created.id
    teams = dict((name, tid) for tid, name in await services.organisations.teams(org_id))
    desk, restaurant = teams["Front desk"], teams["Restaurant"]
    version = (await services.policies.in_force(org_id)).version_id
    joined = utc(1, 8)
    async with services.db.transaction() as session:
        org = await session.get(Organisation, org_id)
        assert org is not None
        org.created_at = utc(1, 8)  # it existed through the reported week
        people = {
            "olena": Member(
                org_id=org_id,
                telegram_user_id=11,
                name="Olena",
                role="frontline",
                team_id=desk,
                language="uk",
                joined_at=joined,
            ),
            "petro": Member(
                org_id=org_id,
                telegram_user_id=12,
                name="Petro",
                role="frontline",
                team_id=restaurant,
                language="uk",
                joined_at=joined,
            ),
            "dmytro": Member(
                org_id=org_id,
                telegram_user_id=13,
                name="Dmytro",
                role="supervisor",
                team_id=desk,
                language="ru",
                joined_at=joined,
            ),
        }
        session.add_all(people.values())
        await session.flush()
        olena, petro, dmytro = people["olena"].id, people["petro"].id, people["dmytro"].id

        def case(
            code: str, owner: int, team: int, category: str, created_at: datetime, **fields: object
        ) -> Case:
            values: dict[str, object] = dict(
                org_id=org_id,
                code=code,
                category=category,
                description=code,
                state="open",
                reporter_id=owner,
                owner_id=owner,
                team_id=team,
                policy_version_id=version,
                created_at=created_at,
                reopened_count=0,
                escalated_ever=False,
            )
            values.update(fields)
            row = Case(**values)
            session.add(row)
            return row

        def resolved(created_at: datetime, seconds: int, **fields: object) -> dict[str, object]:
            at = created_at + timedelta(seconds=seconds)
            values: dict[str, object] = dict(
                state="resolved",
                first_resolved_at=at,
                resolved_at=at,
                outcome="with_remedy",
                first_contact=True,
            )
            values.update(fields)
            return values

        a = case(
            "K-AAAA",
            olena,
            desk,
            "waiting",
            utc(16, 8),
            **resolved(utc(16, 8), 180, resolution_note="Gave a gift card"),
        )
        b = case(
            "K-BBBB",
            olena,
            desk,
            "waiting",
            utc(16, 9),
            **resolved(utc(16, 9), 600, escalated_ever=True),
        )
        c = case(
            "K-CCCC",
            petro,
            restaurant,
            "staff",
            utc(17, 10),
            **resolved(utc(17, 10), 1200, reopened_count=1, resolved_at=utc(18, 10)),
        )
        d = case(
            "K-DDDD",
            petro,
            restaurant,
            "billing",
            utc(18, 12),
            **resolved(utc(18, 12), 3600, first_contact=False),
        )
        case("K-EEEE", olena, desk, "waiting", utc(19, 12))
        f = case(
            "K-FFFF", olena, desk, "product", utc(20, 12), state="escalated", escalated_ever=True
        )
        g = case(
            "K-GGGG",
            olena,
            desk,
            "waiting",
            utc(21, 12),
            state="cancelled",
            cancelled_at=utc(21, 12, 5),
            escalated_ever=True,
        )
        h = case("K-HHHH", olena, desk, "other", utc(10, 10), **resolved(utc(10, 10), 6 * 86400))
        await session.flush()

        def escalation(row: Case, key: str, created_at: datetime, **fields: object) -> None:
            values: dict[str, object] = dict(
                org_id=org_id,
                case_id=row.id,
                requester_id=row.reporter_id,
                remedy="refund",
                amount_minor=10000,
                approver_role="supervisor",
                state="pending",
                policy_version_id=version,
                request_key=key,
                created_at=created_at,
            )
            values.update(fields)
            session.add(Escalation(**values))

        escalation(
            b,
            "b1",
            utc(16, 9, 2),
            state="decided",
            decision="approve",
            approved_minor=10000,
            decided_by_id=dmytro,
            decided_at=utc(16, 9, 5),
        )
        escalation(
            b,
            "b2",
            utc(16, 9, 6),
            state="decided",
            decision="deny",
            reason="No",
            decided_by_id=dmytro,
            decided_at=utc(16, 9, 30),
        )
        escalation(f, "f1", utc(20, 12, 5))
        escalation(
            g,
            "g1",
            utc(21, 12, 1),
            state="decided",
            decision="approve",
            approved_minor=100,
            decided_by_id=dmytro,
            decided_at=utc(21, 12, 2),
        )

        def survey(row: Case, key: str, sent: datetime, **fields: object) -> None:
            session.add(
                Survey(
                    org_id=org_id,
                    case_id=row.id,
                    token_hash=key,
                    created_at=sent,
                    expires_at=sent + timedelta(days=7),
                    **fields,
                )
            )

        survey(
            a, "sa", utc(16, 8, 4), csat=5, ces=2, comment="Thank you", answered_at=utc(16, 8, 10)
        )
        survey(d, "sd", utc(18, 13, 1), csat=3, ces=5, answered_at=utc(18, 14))
        survey(c, "sc", utc(17, 10, 21))
        survey(g, "sg", utc(21, 12, 3), csat=5, answered_at=utc(21, 12, 4))

        def spend(
            row: Case, key: str, remedy: str, minor: int, at: datetime, authorised: int
        ) -> None:
            session.add(
                Spend(
                    org_id=org_id,
                    case_id=row.id,
                    team_id=row.team_id,
                    customer_key=None,
                    remedy=remedy,
                    amount_minor=minor,
                    given_by_id=row.owner_id,
                    authorised_by_id=authorised,
                    policy_version_id=version,
                    request_key=key,
                    created_at=at,
                )
            )

        spend(a, "pa", "gift", 3000, utc(16, 8, 2), olena)
        spend(b, "pb", "refund", 10000, utc(16, 9, 7), dmytro)
        spend(g, "pg", "refund", 5000, utc(21, 12, 3), olena)
        spend(h, "ph", "gift", 2000, utc(10, 10, 5), olena)
        codes = {r.code: r.code for r in (a, b, c, d, f, g, h)}
    return Week(org_id, codes, {k: v.id for k, v in people.items()}, desk)
