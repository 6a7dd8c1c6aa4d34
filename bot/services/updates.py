"""At-most-once handling of Telegram updates across restarts and processes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import ProcessedUpdate

# Telegram keeps an unconfirmed update for 24 hours; ids older than twice that can't come back.
KEEP = timedelta(hours=48)


class UpdateLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

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
