"""What each step of the frontline's core job costs the database, counted per update through
the sandbox: one read and at most one write transaction, and a budget of statements that
fails the test when a step grows past it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from bot.db.unit import bound_unit
from tests.e2e.harness import Harness
from tests.e2e.test_fast_path import WORDS, Counted
from tests.e2e.test_floor_story import hotel, staff

# step → (read transactions, write transactions, statements) at most, as measured when the
# unit of work landed (before it: 9–10 transactions and 12–19 statements a step). A statement
# is any SQL the step sends but BEGIN, COMMIT, ROLLBACK and savepoints. Five is the floor: the
# dialogue state, whether the update was seen, and the context read; the update marked handled
# and the dialogue state written.
BUDGET = {
    "new case": (1, 1, 5),
    "category": (1, 1, 5),
    "description": (1, 1, 5),
    "create": (1, 1, 12),  # what works included: one statement, then kept for ten minutes
    "give remedy": (1, 1, 7),
    "remedy": (1, 1, 8),
    "amount": (1, 1, 8),
    "confirm & close": (1, 1, 12),  # PostgreSQL: one more, the organisation's row lock
    "first contact": (1, 1, 9),
}
SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@dataclass
class Cost:
    reads: int = 0
    writes: int = 0
    statements: int = 0
    sql: list[str] = field(default_factory=list)


class Meter:
    """Counts statements and transactions per update (by the unit of work they ran in)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.by_update: dict[Any, Cost] = defaultdict(Cost)
        self.steps: dict[str, Cost] = {}
        engine = harness.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, conn: Any, cursor: Any, text: str, *_: Any) -> None:
        unit = bound_unit()
        head = text.lstrip().upper()
        if unit is None or head.startswith(SKIPPED):
            return
        cost = self.by_update[unit.label]
        cost.statements += 1
        cost.sql.append(text.split("\n")[0][:120])
        if head.startswith(("INSERT", "UPDATE", "DELETE")):
            conn.info["wrote"] = True

    def _begin(self, conn: Any) -> None:
        conn.info["wrote"] = False

    def _end(self, conn: Any) -> None:
        unit = bound_unit()
        if unit is None:
            return
        cost = self.by_update[unit.label]
        if conn.info.pop("wrote", False):
            cost.writes += 1
        else:
            cost.reads += 1

    async def step(self, name: str, action: Callable[[], Awaitable[Any]]) -> Cost:
        before = set(self.by_update)
        await action()
        await self.harness.settle()
        new = [label for label in self.by_update if label not in before]
        assert len(new) == 1, f"{name}: {len(new)} updates"
        self.steps[name] = self.by_update[new[0]]
        return self.steps[name]


async def test_each_step_of_the_core_job_stays_within_its_budget(harness: Harness) -> None:
    w = WORDS["en"]
    olena = Counted(await staff(harness, await hotel(harness), "en"))
    meter = Meter(harness)

    await meter.step("new case", lambda: olena.tap(w["new"]))
    await olena.expect(w["noise"])
    await meter.step("category", lambda: olena.press(w["noise"]))
    await meter.step("description", lambda: olena.send("Loud party next door"))
    await olena.expect(w["create"])
    await meter.step("create", lambda: olena.press(w["create"]))
    await olena.expect(w["card"])
    await meter.step("give remedy", lambda: olena.press("Give remedy"))
    await olena.expect("What will you give?")
    await meter.step("remedy", lambda: olena.press("Voucher"))
    await olena.expect("How much, in USD?")
    await meter.step("amount", lambda: olena.send("40"))
    await olena.expect(w["confirm_close"])
    await meter.step("confirm & close", lambda: olena.press(w["confirm_close"]))
    await olena.expect(w["yes"])
    await meter.step("first contact", lambda: olena.press(w["yes"]))
    await olena.expect(w["note?"])

    report = "\n".join(
        f"{name}: {c.reads} read, {c.writes} write, {c.statements} statements"
        + "".join(f"\n    {sql}" for sql in c.sql)
        for name, c in meter.steps.items()
    )
    print(report)
    locks = 1 if harness.db.engine.dialect.name == "postgresql" else 0
    over = []
    for name, (reads, writes, statements) in BUDGET.items():
        cost = meter.steps[name]
        if name == "confirm & close":
            statements += locks
        if cost.reads > reads or cost.writes > writes or cost.statements > statements:
            over.append(name)
    assert not over, f"over budget: {over}\n{report}"
