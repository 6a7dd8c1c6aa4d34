"""aiogram FSM storage in our database, so a half-typed dialogue survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import bindparam, delete, select

from bot.clock import Clock
from bot.db.engine import Database, conflict_insert
from bot.db.models import FsmState
from bot.db.unit import UnitOfWork


def _state_name(state: str | State | None) -> str | None:
    return state.state if isinstance(state, State) else state


# Built once: a statement built per call costs more than running it (SQLAlchemy coerces
# every clause and walks it for its cache key each time).
_READ = select(FsmState.state, FsmState.data).where(FsmState.key == bindparam("key"))


def _whole_upsert(dialect: str) -> Any:
    """The dialogue's whole row, inserted or replaced, with its values bound at execution."""
    insert = conflict_insert(dialect)
    statement = insert(FsmState).values(
        key=bindparam("key"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[FsmState.key],
        set_={name: statement.excluded[name] for name in ("state", "data", "updated_at")},
    )


class SqlStorage(BaseStorage):
    """Inside an update (a unit of work) a dialogue is read once, with the update's other
    reads, kept in memory while handlers change it, and written once at the update's commit,
    only when it changed. Outside one (tests, tools) every change is a unit of its own."""

    def __init__(
        self, db: Database, clock: Clock | None = None, key_builder: KeyBuilder | None = None
    ) -> None:
        self.db = db
        self.clock = clock or Clock()
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._write_whole = _whole_upsert(db.engine.dialect.name)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        built = self.key_builder.build(key)
        unit = UnitOfWork.current(self.db)
        if unit is None:
            # Outside an update (tests, tools): a unit of work of its own, the same path.
            async with self.db.unit().bound() as own:
                await self._change(own, built, values)
            return
        await self._change(unit, built, values)

    async def _change(self, unit: UnitOfWork, key: str, values: dict[str, Any]) -> None:
        dialogue = await self._dialogue(unit, key)
        dialogue.update(values)
        self._defer(unit, key, dialogue)

    def _defer(self, unit: UnitOfWork, key: str, dialogue: dict[str, Any]) -> None:
        if dialogue == unit.memo.get(("fsm-stored", key)):
            unit.forget(("fsm", key))  # changed and changed back: nothing to write
            return
        values = {
            "key": key,
            "state": dialogue["state"],
            "data": dialogue["data"],
            "updated_at": self.clock.now(),
        }

        async def write(session: Any) -> None:
            await (await session.connection()).execute(self._write_whole, values)

        unit.defer(("fsm", key), write)

    async def _dialogue(self, unit: UnitOfWork, key: str) -> dict[str, Any]:
        """The update's working copy of a dialogue: {"state": …, "data": json text}."""
        memo = unit.memo.get(("fsm", key))
        if memo is None:
            stored = await self._stored(key) or {"state": None, "data": "{}"}
            unit.memo[("fsm-stored", key)] = dict(stored)
            memo = unit.memo[("fsm", key)] = stored
        return memo

    async def _row(self, key: StorageKey) -> dict[str, Any] | None:
        built = self.key_builder.build(key)
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            return await self._dialogue(unit, built)
        return await self._stored(built)

    async def _stored(self, key: str) -> dict[str, Any] | None:
        async with self.db.reading() as session:
            row = (await session.execute(_READ, {"key": key})).first()
        return {"state": row.state, "data": row.data} if row else None

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(key)
        return row["state"] if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(key)
        # A fresh dict each time: callers (update_data) change what they get.
        return dict(json.loads(row["data"])) if row else {}

    async def clear_user(self, bot_id: int, user_id: int) -> None:
        """Forget every dialogue of a person (on deactivation)."""
        key = self.key_builder.build(StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id))
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            unit.forget(("fsm", key))
            unit.memo.pop(("fsm", key), None)
        async with self.db.transaction() as session:
            await session.execute(delete(FsmState).where(FsmState.key == key))

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
