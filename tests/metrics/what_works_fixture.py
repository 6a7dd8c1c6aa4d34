"""A hotel's noise cases of the last 90 days, whose "what works" figures are worked out by hand
(tests/metrics/test_what_works.py, tests/e2e/test_what_works.py). Now is the tests' clock,
Monday 23 November 2026 09:00 UTC.

Twelve noise cases first resolved in the window (N01–N12), and what must be left out: one
resolved 90 days and a minute ago, a voided one, an open one, a room case.

    case  first contact  spends (USD)            CSAT
    N01   yes            voucher 40              5
    N02   yes            voucher 50              4
    N03   yes, escal.    voucher 50 + 20 (split) 5
    N04   yes            voucher 30              3
    N05   yes, reopened  voucher 60              (asked, no answer)
    N06   yes            voucher 100, upgrade 120
    N07   yes            voucher 45
    N08   yes            upgrade 80              5
    N09   yes            upgrade 100.01          4
    N10   yes            upgrade 150
    N11   no             apology
    N12   no             apology

- voucher: 7 cases of 12 = 58 %; per case 30 40 45 50 60 70 100 → median $50; CSAT of
  N01–N04 = (5 + 4 + 5 + 3) / 4 = 4.25 → 4.3 (four answers: shown);
- upgrade: 4 of 12 = 33 %; 80 100.01 120 150 → (100.01 + 120) / 2 = 110.005 → $110.01
  (half up); two answers: no CSAT shown;
- apology: 2 of 12, third: not shown (two remedies at most);
- FCR: first contact yes, never escalated, never reopened: N01 N02 N04 N06–N10 = 8 of 12 = 67 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.db.engine import Database
from bot.db.models import Case, Spend, Survey

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# (first contact, escalated, reopened, spends, answers)
NOISE: list[tuple[bool, bool, bool, list[tuple[str, str]], list[int | None]]] = [
    (True, False, False, [("voucher", "40")], [5]),
    (True, False, False, [("voucher", "50")], [4]),
    (True, True, False, [("voucher", "50"), ("voucher", "20")], [5]),
    (True, False, False, [("voucher", "30")], [3]),
    (True, False, True, [("voucher", "60")], [None]),
    (True, False, False, [("voucher", "100"), ("upgrade", "120")], []),
    (True, False, False, [("voucher", "45")], []),
    (True, False, False, [("upgrade", "80")], [5]),
    (True, False, False, [("upgrade", "100.01")], [4]),
    (True, False, False, [("upgrade", "150")], []),
    (False, False, False, [("apology", "0")], []),
    (False, False, False, [("apology", "0")], []),
]


@dataclass(frozen=True)
class History:
    org_id: int
    member_id: int
    version_id: int


async def add_history(
    db: Database,
    history: History,
    category: str = "noise",
    count: int = len(NOISE),
    left_out: bool = True,
) -> None:
    """The first `count` rows of NOISE as cases of `category`, and (with `left_out`) the four
    that must not count."""
    added = 0

    def case(code: str, resolved_ago: timedelta | None, **fields: object) -> Case:
        nonlocal added
        added += 1
        created = NOW - (resolved_ago or timedelta(hours=1)) - timedelta(minutes=10)
        resolved_at = NOW - resolved_ago if resolved_ago is not None else None
        values: dict[str, object] = dict(
            org_id=history.org_id,
            code=code,
            category=category,
            description="Loud music",
            state="resolved" if resolved_at else "open",
            reporter_id=history.member_id,
            owner_id=history.member_id,
            policy_version_id=history.version_id,
            created_at=created,
            first_resolved_at=resolved_at,
            resolved_at=resolved_at,
            outcome="with_remedy" if resolved_at else None,
            first_contact=True if resolved_at else None,
            reopened_count=0,
            escalated_ever=False,
        )
        values.update(fields)
        return Case(**values)

    def spend(row: Case, remedy: str, amount: str, n: int) -> Spend:
        return Spend(
            org_id=history.org_id,
            case_id=row.id,
            remedy=remedy,
            amount_minor=int(Decimal(amount) * 100),
            given_by_id=history.member_id,
            authorised_by_id=history.member_id,
            policy_version_id=history.version_id,
            request_key=f"{row.code}-{n}",
            created_at=row.created_at + timedelta(minutes=2),
        )

    prefix = category[:1].upper()
    async with db.transaction() as session:
        rows: list[tuple[Case, list[tuple[str, str]], list[int | None]]] = []
        for index, (first, escalated, reopened, spends, answers) in enumerate(NOISE[:count]):
            row = case(
                f"W-{prefix}{index:02d}",
                timedelta(days=1 + index * 8),  # 1 … 89 days ago: all in the window
                first_contact=first,
                escalated_ever=escalated,
                reopened_count=1 if reopened else 0,
            )
            rows.append((row, spends, answers))
        if left_out:
            old = case("W-OLD", timedelta(days=90, minutes=1))
            voided = case("W-VOID", timedelta(days=2), cancelled_at=NOW - timedelta(days=2))
            still_open = case("W-OPEN", None)
            other = case("W-ROOM", timedelta(days=3), category="room")
            rows += [(row, [("refund", "500")], [1]) for row in (old, voided, still_open, other)]
        session.add_all(row for row, _, _ in rows)
        await session.flush()
        for row, spends, answers in rows:
            session.add_all(spend(row, r, a, n) for n, (r, a) in enumerate(spends))
            for n, answer in enumerate(answers):
                sent = (row.first_resolved_at or NOW) + timedelta(minutes=1)
                session.add(
                    Survey(
                        org_id=history.org_id,
                        case_id=row.id,
                        token_hash=f"{row.code}-{n}",
                        created_at=sent,
                        expires_at=sent + timedelta(days=7),
                        csat=answer,
                        answered_at=sent + timedelta(minutes=5) if answer else None,
                    )
                )
