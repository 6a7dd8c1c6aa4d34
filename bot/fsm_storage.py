"""aiogram FSM storage in our database, so a half-typed dialogue survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import FsmState


def _state_name(state: str | State | None) -> str | None:
    return state.state if isinstance(state, State) else state


class SqlStorage(BaseStorage):
    def __init__(
        self, db: Database, clock: Clock | None = None, key_builder: KeyBuilder | None = None
    ) -> None:
        self.db = db
        self.clock = clock or Clock()
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        insert = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        row = {"key": self.key_builder.build(key), "updated_at": self.clock.now(), **values}
        row.setdefault("data", "{}")
        statement = insert(FsmState).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=[FsmState.key],
            set_={name: statement.excluded[name] for name in (*values, "updated_at")},
        )
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def _row(self, key: StorageKey) -> FsmState | None:
        async with self.db.reading() as session:
            return await session.scalar(
                select(FsmState).where(FsmState.key == self.key_builder.build(key))
            )

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(key)
        return dict(json.loads(row.data)) if row else {}

    async def clear_user(self, bot_id: int, user_id: int) -> None:
        """Forget every dialogue of a person (on deactivation)."""
        key = StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id)
        async with self.db.transaction() as session:
            await session.execute(
                delete(FsmState).where(FsmState.key == self.key_builder.build(key))
            )

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
