"""A year of realistic history for one organisation, for the metrics benchmark.

    python benchmarks/generate.py --url sqlite+aiosqlite:///bench.sqlite3 --cases 1000000

Four teams of ten; cases spread over 365 days with business hours busier; 80 % resolved (a
log-normal time, ten minutes typical), one in eight escalated (decided mostly within minutes,
some pending), 5 % reopened, 1 % voided; half with a spend, 30 % of the resolved with a survey
(60 % answered). Rows go in with executemany in chunks; the policy is the hotel example.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import (
    Case,
    Escalation,
    Member,
    Organisation,
    PolicyVersion,
    Spend,
    Survey,
    Team,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CATEGORIES = ("noise", "room", "food", "billing", "service")
REMEDIES = ("dinner", "upgrade", "voucher", "refund")
CHUNK = 20_000
HOTEL = (Path(__file__).resolve().parents[1] / "policies" / "hotel.toml").read_text()


def _code(number: int) -> str:
    digits = "0123456789ABCDEFGHJKMNPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, len(digits))
        out = digits[rest] + out
        if number == 0:
            return "B-" + out.rjust(5, "0")


async def prepare(url: str) -> Database:
    if url.startswith("postgresql"):
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    elif url.startswith("sqlite"):
        await asyncio.to_thread(Path(url.split("///", 1)[1]).unlink, missing_ok=True)
    db = Database(url)
    await migrate.upgrade(db.engine)
    return db


async def generate(url: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    db = await prepare(url)
    services = make_services(db, FrozenClock(NOW - timedelta(days=400)))
    created = await services.organisations.create(
        "Benchmark Hotel",
        "USD",
        "America/New_York",
        ("Front desk", "Restaurant", "Spa", "Concierge"),
    )
    org_id = created.id
    async with db.transaction() as session:
        teams = list(await session.scalars(select(Team.id).where(Team.org_id == org_id)))
        version = PolicyVersion(
            org_id=org_id,
            version=2,
            source=HOTEL,
            created_at=NOW - timedelta(days=400),
            activated_at=NOW - timedelta(days=400),
        )
        session.add(version)
        people: dict[int, list[int]] = {}
        supervisors: list[int] = []
        for index, team in enumerate(teams):
            for n in range(10):
                role = "supervisor" if n == 0 else "frontline"
                member = Member(
                    org_id=org_id,
                    telegram_user_id=10_000 + index * 100 + n,
                    name=f"Member {index}-{n}",
                    role=role,
                    team_id=team,
                    language=("uk", "ru", "en")[n % 3],
                    joined_at=NOW - timedelta(days=400),
                )
                session.add(member)
                await session.flush()
                (supervisors if role == "supervisor" else people.setdefault(team, [])).append(
                    member.id
                )
        await session.flush()
        version_id = version.id
    started = time.perf_counter()
    case_id = 0
    totals = {"case": 0, "spend": 0, "escalation": 0, "survey": 0}
    while case_id < count:
        cases, spends, escalations, surveys = [], [], [], []
        for _ in range(min(CHUNK, count - case_id)):
            case_id += 1
            day = rng.random() * 365
            hour = rng.choice((8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 2))
            created_at = (NOW - timedelta(days=day)).replace(hour=hour) + timedelta(
                minutes=rng.random() * 59
            )
            if created_at >= NOW:
                created_at -= timedelta(days=1)
            team = rng.choice(teams)
            owner = rng.choice(people[team])
            escalated = rng.random() < 0.125
            cancelled = rng.random() < 0.01
            resolved = not cancelled and rng.random() < (
                0.8 if created_at < NOW - timedelta(days=1) else 0.5
            )
            took = timedelta(minutes=rng.lognormvariate(2.3, 1.2) * (3 if escalated else 1))
            first_resolved = created_at + took if resolved else None
            if first_resolved is not None and first_resolved >= NOW:
                first_resolved, resolved = None, False
            reopened = resolved and rng.random() < 0.05
            state = (
                "cancelled"
                if cancelled
                else "resolved"
                if resolved
                else ("escalated" if escalated else "open")
            )
            cases.append(
                dict(
                    id=case_id,
                    org_id=org_id,
                    code=_code(case_id),
                    category=rng.choice(CATEGORIES),
                    description="Generated case",
                    customer_key=f"room {rng.randint(100, 999)}",
                    state=state,
                    reporter_id=owner,
                    owner_id=owner,
                    team_id=team,
                    policy_version_id=version_id,
                    created_at=created_at,
                    first_resolved_at=first_resolved,
                    resolved_at=(
                        first_resolved + timedelta(hours=30) if reopened else first_resolved
                    ),
                    outcome="with_remedy" if resolved else None,
                    first_contact=(rng.random() < 0.75) if resolved else None,
                    reopened_count=1 if reopened else 0,
                    escalated_ever=escalated,
                    cancelled_at=created_at + timedelta(minutes=3) if cancelled else None,
                )
            )
            if rng.random() < 0.5:
                spends.append(
                    dict(
                        org_id=org_id,
                        case_id=case_id,
                        team_id=team,
                        customer_key=None,
                        remedy=rng.choice(REMEDIES),
                        amount_minor=rng.randint(500, 20000),
                        given_by_id=owner,
                        authorised_by_id=owner,
                        policy_version_id=version_id,
                        request_key=f"s{case_id}",
                        created_at=created_at + timedelta(minutes=2),
                    )
                )
            if escalated:
                decided = resolved or rng.random() < 0.6
                decided_at = created_at + timedelta(minutes=rng.lognormvariate(2.0, 0.9))
                escalations.append(
                    dict(
                        org_id=org_id,
                        case_id=case_id,
                        requester_id=owner,
                        remedy="refund",
                        amount_minor=250000,
                        approver_role="supervisor",
                        state="decided" if decided else "pending",
                        decision=rng.choice(
                            ("approve",) * 14 + ("part",) * 2 + ("deny",) * 3 + ("take",)
                        )
                        if decided
                        else None,
                        decided_by_id=rng.choice(supervisors) if decided else None,
                        decided_at=decided_at if decided else None,
                        policy_version_id=version_id,
                        request_key=f"e{case_id}",
                        created_at=created_at + timedelta(minutes=1),
                        reminders=0,
                        flagged=False,
                    )
                )
            if resolved and rng.random() < 0.3:
                answered = rng.random() < 0.6
                sent = first_resolved + timedelta(minutes=1)
                surveys.append(
                    dict(
                        org_id=org_id,
                        case_id=case_id,
                        token_hash=f"t{case_id}",
                        created_at=sent,
                        expires_at=sent + timedelta(days=7),
                        csat=rng.choice((5, 5, 5, 4, 4, 3, 2, 1)) if answered else None,
                        ces=rng.randint(1, 7) if answered and rng.random() < 0.7 else None,
                        comment="Thank you!" if answered and rng.random() < 0.1 else None,
                        answered_at=sent + timedelta(minutes=5) if answered else None,
                    )
                )
        async with db.engine.begin() as connection:
            for table, rows in (
                (Case.__table__, cases),
                (Spend.__table__, spends),
                (Escalation.__table__, escalations),
                (Survey.__table__, surveys),
            ):
                if rows:
                    await connection.execute(insert(table), rows)
        totals["case"] += len(cases)
        totals["spend"] += len(spends)
        totals["escalation"] += len(escalations)
        totals["survey"] += len(surveys)
        print(f"\r{case_id:,} cases in {time.perf_counter() - started:.0f} s", end="", flush=True)
    if url.startswith("postgresql"):
        # What autovacuum would do by itself after a while: index-only scans need it.
        autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as connection:
            await connection.execute(text("VACUUM ANALYZE"))
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), "
                    '(SELECT max(id) FROM "case"))'
                )
            )
    else:
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    print(f"\norganisation #{org_id}: " + ", ".join(f"{n:,} {k}s" for k, n in totals.items()))
    async with db.reading() as session:
        assert await session.get(Organisation, org_id) is not None
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(generate(args.url, args.cases, args.seed))


if __name__ == "__main__":
    main()
