"""Each Telegram update handled once across restarts and processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database, conflict_insert
from bot.db.models import ProcessedUpdate
from bot.db.unit import DuplicateUpdate, UnitOfWork

# Telegram keeps an unconfirmed update for 24 hours; ids older than twice that can't come back.
KEEP = timedelta(hours=48)


_SEEN = select(ProcessedUpdate.update_id).where(
    ProcessedUpdate.bot_id == bindparam("bot_id"),
    ProcessedUpdate.update_id == bindparam("update_id"),
)


class UpdateLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Built once, its values bound at execution (see fsm_storage: building costs).
        insert = conflict_insert(db.engine.dialect.name)
        self._mark = (
            insert(ProcessedUpdate)
            .values(
                bot_id=bindparam("bot_id"),
                update_id=bindparam("update_id"),
                processed_at=bindparam("processed_at"),
            )
            .on_conflict_do_nothing()
        )

    async def seen(self, bot_id: int, update_id: int) -> bool:
        """Whether the update was already handled (read with the update's other reads)."""
        async with self.db.reading() as session:
            found = await session.scalar(_SEEN, {"bot_id": bot_id, "update_id": update_id})
        return found is not None

    def mark(self, unit: UnitOfWork, bot_id: int, update_id: int) -> None:
        """Record the update as handled in the same transaction as what handling it wrote:
        a second delivery (here or in another process) finds the mark at its commit, and its
        effects are rolled back (DuplicateUpdate) before it tells anyone anything."""
        values = {"bot_id": bot_id, "update_id": update_id, "processed_at": self.clock.now()}

        async def write(session: AsyncSession) -> None:
            # On the connection: a Core statement, with a rowcount (not an ORM bulk insert).
            result = await (await session.connection()).execute(self._mark, values)
            if not result.rowcount:
                raise DuplicateUpdate(update_id)

        unit.defer(("update", bot_id, update_id), write)

    async def claim(self, bot_id: int, update_id: int) -> bool:
        """True for the first delivery of an update, False for any redelivery."""
        try:
            async with self.db.transaction() as session:
                session.add(
                    ProcessedUpdate(
                        bot_id=bot_id, update_id=update_id, processed_at=self.clock.now()
                    )
                )
        except IntegrityError:
            return False
        return True

    async def prune(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.processed_at < self.clock.now() - KEEP
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
