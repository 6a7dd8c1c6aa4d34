"""Times the weekly metrics (what a Monday digest computes: this week's figures, last week's
for the change, seven days for the chart, and the recognition) for the organisation that
benchmarks/generate.py made, and prints the figures and the indexes that serve them.

    python benchmarks/weekly_metrics.py --url sqlite+aiosqlite:///bench.sqlite3
Target: under 1 s for 1,000,000 cases on the 2-core machine, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from benchmarks.generate import NOW
from bot.app import make_services
from bot.clock import FrozenClock
from bot.db.base import Base
from bot.db.engine import Database
from bot.db.models import Case, Organisation
from bot.services.metrics import Scope

WEEK = (date(2026, 11, 16), date(2026, 11, 23))


async def run(url: str, repeat: int) -> None:
    db = Database(url)
    services = make_services(db, FrozenClock(NOW))
    async with db.reading() as session:
        org_id = await session.scalar(select(func.min(Organisation.id)))
        cases = await session.scalar(select(func.count()).select_from(Case))
    assert org_id is not None
    timings = []
    content = None
    for _ in range(repeat):
        started = time.perf_counter()
        content = await services.digests.content(Scope(org_id), *WEEK)
        timings.append(time.perf_counter() - started)
    assert content is not None
    f = content.figures
    print(f"database: {db.engine.dialect.name}, cases in all: {cases:,}")
    print(
        f"week {WEEK[0]}–{WEEK[1]}: logged {f.logged:,}, resolved {f.resolved:,}, "
        f"FCR {f.fcr:.1%}, median resolution {f.resolution.median:.0f} s, "
        f"CSAT {f.csat:.1%}, spend {f.spend}"
    )
    print(
        f"weekly metrics (figures + last week + 7 days + recognition): "
        f"median {statistics.median(timings):.3f} s, best {min(timings):.3f} s, "
        f"first {timings[0]:.3f} s over {repeat} runs"
    )
    print("indexes used by the weekly metrics:")
    for table in ("case", "escalation", "spend", "survey"):
        for index in Base.metadata.tables[table].indexes:
            print(f"  {table}({', '.join(c.name for c in index.columns)})")
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.repeat))


if __name__ == "__main__":
    main()
