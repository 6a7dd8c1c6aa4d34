"""What works on the floor: for a case's category, the organisation's own last 90 days — the
remedies given most, their median amount and the CSAT that followed, and the FCR rate.

Definitions (the card shows them; DOMAIN.md's words):
- the cases: of the organisation and the category, first resolved in the 90 days before now
  (the case counts once, in the window of its first resolution, as in the weekly metrics),
  voided ones left out; with fewer than 10 of them there are no figures at all;
- FCR rate = those with first contact = yes, never escalated and never reopened ÷ the cases
  (DOMAIN.md's FCR; the provisional ones, resolved less than a reopen window ago, count as
  they stand now);
- a remedy's share = the cases given it at least once (any spend of that kind on the case)
  ÷ the cases; the two with the most cases are shown (ties: by key);
- its median amount = the median, over those cases, of what each case got of that remedy in
  all (a split gives two spends, one amount), in the organisation's currency; two middle
  values are averaged (as PostgreSQL's percentile_cont) and rounded half up to the minor
  unit; a remedy without money has none;
- the CSAT that followed = the mean score (1–5) of the survey answers on those cases, shown
  only from 3 answers (one or two say little about a remedy).

One statement over indexes (cases: ix_case_org_category_resolved, read from the index alone;
spends by ix_spend_case; surveys by their case_id); the figures are kept per (organisation,
category) and refreshed apart after ten minutes, so a card seldom pays for them
(WhatWorksService; benchmarks/what_works.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, Spend, Survey
from bot.money import from_minor

WINDOW = timedelta(days=90)
MIN_RESOLVED = 10
MIN_RATINGS = 3
SHOWN = 2
TTL = timedelta(minutes=10)
log = logging.getLogger(__name__)

KEPT = 4096  # (organisation, category) pairs kept at most; beyond it the cache starts over


@dataclass(frozen=True)
class RemedyFigures:
    remedy: str
    cases: int  # resolved cases of the category given this remedy
    share: float  # of the category's resolved cases
    median: Decimal | None  # per case, in the organisation's currency; None: no money given
    csat: float | None  # mean 1–5 of the answers on those cases; None under MIN_RATINGS
    ratings: int


@dataclass(frozen=True)
class WhatWorks:
    category: str
    resolved: int  # first resolved in the window, not voided
    fcr_cases: int
    remedies: tuple[RemedyFigures, ...] = ()  # most given first, SHOWN at most

    @property
    def enough(self) -> bool:
        """Enough history to tell anything: MIN_RESOLVED resolved cases."""
        return self.resolved >= MIN_RESOLVED

    @property
    def fcr(self) -> float | None:
        return self.fcr_cases / self.resolved if self.resolved else None


def _median_minor(value: Any) -> int:
    """SQLite's avg is a float, PostgreSQL's a Decimal: either, rounded to a minor unit."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def what_works(
    session: AsyncSession, org_id: int, category: str, currency: str, now: datetime
) -> WhatWorks:
    """The figures, computed now (no cache): see the module's definitions."""
    resolved_in = (
        Case.org_id == org_id,
        Case.category == category,
        Case.first_resolved_at >= now - WINDOW,
        Case.first_resolved_at < now,
        Case.cancelled_at.is_(None),
    )
    fcr_case = (
        Case.first_contact.is_(True) & Case.escalated_ever.is_(False) & (Case.reopened_count == 0)
    )
    totals = (
        select(
            func.count().label("resolved"),
            func.coalesce(func.sum(case((fcr_case, 1), else_=0)), 0).label("fcr"),
        )
        .where(*resolved_in)
        .subquery("totals")
    )
    # What each resolved case got of each remedy, in all.
    given = (
        select(
            Spend.case_id.label("case_id"),
            Spend.remedy.label("remedy"),
            func.sum(Spend.amount_minor).label("amount"),
        )
        .where(Spend.org_id == org_id, Spend.case_id.in_(select(Case.id).where(*resolved_in)))
        .group_by(Spend.case_id, Spend.remedy)
        .cte("given")
    )
    ranked = select(
        given.c.remedy,
        given.c.amount,
        func.row_number().over(partition_by=given.c.remedy, order_by=given.c.amount).label("rank"),
        func.count().over(partition_by=given.c.remedy).label("cases"),
    ).subquery("ranked")
    # The middle one (odd count) or two (even count): 2 × rank is the count, or one or two
    # more than it, only there.
    middle = 2 * ranked.c.rank
    medians = (
        select(
            ranked.c.remedy,
            func.max(ranked.c.cases).label("cases"),
            func.avg(ranked.c.amount).label("median"),
        )
        .where(middle >= ranked.c.cases, middle <= ranked.c.cases + 2)
        .group_by(ranked.c.remedy)
        .subquery("medians")
    )
    rated = (
        select(
            given.c.remedy,
            func.avg(Survey.csat).label("csat"),
            func.count(Survey.csat).label("ratings"),
        )
        .join(Survey, Survey.case_id == given.c.case_id)
        .where(Survey.csat.is_not(None))
        .group_by(given.c.remedy)
        .subquery("rated")
    )
    # One statement: the totals on every row (one row of them alone when nothing was given),
    # so a card pays one round trip for the figures, however many cases there are.
    rows = (
        await session.execute(
            select(
                totals.c.resolved,
                totals.c.fcr,
                medians.c.remedy,
                medians.c.cases,
                medians.c.median,
                rated.c.csat,
                func.coalesce(rated.c.ratings, 0),
            ).select_from(
                totals.outerjoin(medians, true()).outerjoin(
                    rated, rated.c.remedy == medians.c.remedy
                )
            )
        )
    ).all()
    resolved, fcr = int(rows[0][0] or 0), int(rows[0][1] or 0)
    if resolved < MIN_RESOLVED:
        return WhatWorks(category, resolved, fcr)
    found = []
    for _, _, remedy, cases, median, csat, ratings in rows:
        if remedy is None:
            continue
        minor = _median_minor(median) if median is not None else 0
        found.append(
            RemedyFigures(
                remedy=str(remedy),
                cases=int(cases),
                share=int(cases) / resolved,
                median=from_minor(minor, currency) if minor > 0 else None,
                csat=float(csat) if csat is not None and int(ratings) >= MIN_RATINGS else None,
                ratings=int(ratings),
            )
        )
    found.sort(key=lambda figures: (-figures.cases, figures.remedy))
    return WhatWorks(category, resolved, fcr, tuple(found[:SHOWN]))


class WhatWorksService:
    """The figures of a category, kept per (organisation, category) by this process: 90 days
    of history move little in ten minutes, and a card is opened often.

    The first card of a category computes them in its update's own read (one statement,
    counted in the update's budget). Once they are older than `ttl`, a card shows them as
    they are and a refresh runs apart — its own read transaction, outside any update (on
    SQLite on aiosqlite's worker, as the digest's reads are), one at a time per category — so
    no later card waits for the query (at 1,000,000 cases it takes about 0.15 s on SQLite)."""

    def __init__(self, db: Database, clock: Clock, ttl: timedelta = TTL) -> None:
        self.db = db
        self.clock = clock
        self.ttl = ttl
        self._kept: dict[tuple[int, str], tuple[datetime, WhatWorks]] = {}
        self._refreshing: dict[tuple[int, str], asyncio.Task[None]] = {}

    async def figures(self, org_id: int, category: str, currency: str) -> WhatWorks:
        key = (org_id, category)
        now = self.clock.now()
        kept = self._kept.get(key)
        if kept is None:
            async with self.db.reading() as session:
                found = await what_works(session, org_id, category, currency, now)
            self._keep(key, now, found)
            return found
        if not timedelta(0) <= now - kept[0] < self.ttl and key not in self._refreshing:
            # Outside the update's context: not its unit of work, not its transaction.
            task = asyncio.get_running_loop().create_task(
                self._refresh(key, currency), context=contextvars.Context()
            )
            self._refreshing[key] = task
        return kept[1]

    async def _refresh(self, key: tuple[int, str], currency: str) -> None:
        try:
            now = self.clock.now()
            async with self.db.reading_apart() as session:
                found = await what_works(session, *key, currency, now)
            self._keep(key, now, found)
        except Exception:  # the kept figures stay; the next card after the TTL tries again
            log.exception("what works for %s could not be refreshed", key)
        finally:
            self._refreshing.pop(key, None)

    def _keep(self, key: tuple[int, str], now: datetime, found: WhatWorks) -> None:
        if len(self._kept) >= KEPT and key not in self._kept:
            self._kept.clear()
        self._kept[key] = (now, found)

    async def settled(self) -> None:
        """Every refresh under way finished (tests; a clean shutdown)."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    def forget(self) -> None:
        """Every kept figure dropped: the next card computes them again."""
        self._kept.clear()
