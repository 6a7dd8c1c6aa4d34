"""Times what works on the floor (bot/services/what_works.py) for the organisation that
benchmarks/generate.py made: the figures' one statement computed afresh, p50/p99 over many
calls (each category in turn), and the whole case card a frontline member sees (card_screen:
the case, authority, presets, reopen, survey, history, what works) — with the figures
computed on every card (nothing kept), kept (the ten-minute cache, as nearly every card
finds them), and without them at all (the card before this feature).

    python benchmarks/generate.py --url sqlite+aiosqlite:///bench.sqlite3 --cases 1000000
    python benchmarks/what_works.py --url sqlite+aiosqlite:///bench.sqlite3
    python benchmarks/what_works.py --url sqlite+aiosqlite:///bench.sqlite3 --generate 1000000

The same with --url postgresql+asyncpg://… Target: the card with the figures kept is as fast
as the card without them (within noise), and the figures afresh well under the card's own
time budget of a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from benchmarks.generate import CATEGORIES, NOW, generate
from bot.app import make_services
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import Case, Member, Organisation
from bot.render.catalog import make_i18n
from bot.services.context import Context, TelegramUser, member_view
from bot.services.what_works import WINDOW, WhatWorks, what_works
from handlers.case_view import card_screen


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms, p99 {p99 * 1000:7.2f} ms, "
        f"max {ordered[-1] * 1000:7.2f} ms over {len(ordered)} calls"
    )


async def timed(calls: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    await call(0)  # warm the connection pool and the statement cache
    timings = []
    for n in range(calls):
        started = time.perf_counter()
        await call(n)
        timings.append(time.perf_counter() - started)
    return timings


async def run(url: str, calls: int) -> None:
    db = Database(url)
    services = make_services(db, FrozenClock(NOW))
    async with db.reading() as session:
        org_id = await session.scalar(select(func.min(Organisation.id)))
        cases = await session.scalar(select(func.count()).select_from(Case))
        member = await session.scalar(
            select(Member).where(Member.org_id == org_id, Member.role == "frontline").limit(1)
        )
        assert org_id is not None and member is not None
        await session.refresh(member, ["organisation", "team"])
        view = member_view(member)
    print(f"database: {db.engine.dialect.name}, cases in all: {cases:,}")

    async def fresh(n: int) -> WhatWorks:
        async with db.reading() as session:
            return await what_works(session, org_id, CATEGORIES[n % len(CATEGORIES)], "USD", NOW)

    for category in CATEGORIES:
        found = await fresh(CATEGORIES.index(category))
        remedies = ", ".join(
            f"{r.remedy} {r.share:.0%} ~{r.median} CSAT {r.csat:.2f}"
            if r.csat is not None
            else f"{r.remedy} {r.share:.0%} ~{r.median}"
            for r in found.remedies
        )
        print(
            f"  {category}: {found.resolved:,} resolved in 90 days, "
            f"FCR {found.fcr or 0:.0%}; {remedies}"
        )
    print(f"what works, computed afresh:     {percentiles(await timed(calls, fresh))}")
    print(await plan(db, org_id))

    # A case of each category, open, for the card.
    opened = []
    for category in CATEGORIES:
        case = await services.cases.create(
            view, category=category, description="Loud party next door", customer_key="412"
        )
        opened.append(case.id)
    ctx = Context(TelegramUser(member.telegram_user_id, member.name, "en"), view, None, 1)
    i18n = make_i18n()

    async def card(n: int) -> None:
        with i18n.context(), i18n.use_locale("en"):
            await card_screen(ctx, services, opened[n % len(opened)])

    async def card_afresh(n: int) -> None:
        services.what_works.forget()
        await card(n)

    for n in range(len(opened)):  # each category's figures kept once, as after the first card
        await card(n)
    kept = await timed(calls, card)
    afresh = await timed(calls, card_afresh)
    figures = services.what_works.figures

    async def nothing(*_: Any) -> None:
        return None

    services.what_works.figures = nothing  # type: ignore[method-assign,assignment]
    without = await timed(calls, card)
    services.what_works.figures = figures  # type: ignore[method-assign]
    print(f"case card, what works kept:      {percentiles(kept)}")
    print(f"case card, what works afresh:    {percentiles(afresh)}")
    print(f"case card, without what works:   {percentiles(without)}")
    await db.dispose()


async def plan(db: Database, org_id: int) -> str:
    """How the database reads the cases of a category (the index, alone)."""
    async with db.reading() as session:
        window: tuple[Any, Any] = (NOW - WINDOW, NOW)
        if db.sqlite:  # as UTCDateTime stores them there
            window = tuple(moment.strftime("%Y-%m-%d %H:%M:%S.%f") for moment in window)
        since, until = window
        query = (
            'SELECT count(*) FROM "case" WHERE org_id = :org AND category = :category '
            "AND first_resolved_at >= :since AND first_resolved_at < :until "
            "AND cancelled_at IS NULL"
        )
        explain = "EXPLAIN QUERY PLAN " if db.sqlite else "EXPLAIN "
        rows = (
            await session.execute(
                text(explain + query),
                {"org": org_id, "category": "noise", "since": since, "until": until},
            )
        ).all()
    return "plan of the cases' part:\n" + "\n".join(f"  {row[-1]}" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--generate", type=int, metavar="CASES", help="write that many cases first (generate.py)"
    )
    args = parser.parse_args()
    if args.generate:
        asyncio.run(generate(args.url, args.generate, 7))
    asyncio.run(run(args.url, args.calls))


if __name__ == "__main__":
    main()
