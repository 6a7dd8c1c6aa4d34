"""The SQL percentiles (one numbered sort, two neighbours) agree with percentile_cont computed
in Python, for any set of durations (hypothesis), on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Case
from bot.services.metrics import durations, seconds

START = datetime(2026, 11, 16, 9, tzinfo=UTC)


def percentile_cont(values: list[int], p: float) -> float:
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    if low + 1 >= len(ordered):
        return float(ordered[low])
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def test_sql_percentiles_match_python(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}"

    async def prepare() -> tuple[int, int, int]:
        db = Database(url)
        await migrate.upgrade(db.engine)
        services = make_services(db, FrozenClock(START))
        created = await services.organisations.create("P", "USD", "Europe/Kyiv")
        version = (await services.policies.in_force(created.id)).version_id
        owner = await services.invites.inspect(created.owner_invite_code, 1)
        from bot.services.context import TelegramUser

        await services.invites.redeem(owner.invite_id, TelegramUser(1, "A", "en"), "en")
        member = (await services.context.load_by_id(1)).member
        assert member is not None
        await db.dispose()
        return created.id, version, member.id

    org_id, version, member_id = asyncio.run(prepare())

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=40))
    def check(values: list[int]) -> None:
        async def measure() -> tuple[float | None, float | None, float | None]:
            db = Database(url)
            try:
                async with db.engine.begin() as connection:
                    await connection.execute(delete(Case.__table__))
                    await connection.execute(
                        insert(Case.__table__),
                        [
                            dict(
                                org_id=org_id,
                                code=f"K-{i}",
                                category="other",
                                description="",
                                state="resolved",
                                reporter_id=member_id,
                                owner_id=member_id,
                                policy_version_id=version,
                                created_at=START,
                                first_resolved_at=START + timedelta(seconds=v),
                                reopened_count=0,
                                escalated_ever=False,
                            )
                            for i, v in enumerate(values)
                        ],
                    )
                async with db.reading() as session:
                    found = await durations(
                        session,
                        seconds(Case.first_resolved_at, Case.created_at, "sqlite"),
                        [Case.org_id == org_id],
                    )
                return found.median, found.p90, found.mean
            finally:
                await db.dispose()

        median, p90, mean = asyncio.run(measure())
        assert median == round(percentile_cont(values, 0.5), 3)
        assert p90 == round(percentile_cont(values, 0.9), 3)
        assert mean is not None and abs(mean - sum(values) / len(values)) < 1e-6

    check()
