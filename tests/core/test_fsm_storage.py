"""Dialogue state outlives the process: in the database by default, in Redis when configured."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StorageKey

from bot.db.engine import Database
from bot.fsm_storage import SqlStorage
from tests.conftest import REDIS_URL, needs_redis


@pytest.fixture(params=["sql", pytest.param("redis", marks=needs_redis)])
async def make_storage(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[object]:
    created: list[BaseStorage] = []
    prefix = f"test-{uuid.uuid4().hex[:8]}"

    def factory() -> BaseStorage:
        if request.param == "redis":
            from aiogram.fsm.storage.redis import RedisStorage

            assert REDIS_URL is not None
            storage: BaseStorage = RedisStorage.from_url(
                REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix, with_destiny=True)
            )
        else:
            storage = SqlStorage(db)
        created.append(storage)
        return storage

    yield factory
    for storage in created:
        await storage.close()


async def test_state_and_data_survive_a_new_storage_object(make_storage: object) -> None:
    key = StorageKey(bot_id=7, chat_id=42, user_id=42)
    first: BaseStorage = make_storage()  # type: ignore[operator]
    await first.set_state(key, "Onboarding:confirm")
    await first.set_data(key, {"invite_id": 3, "language": "uk", "text": "Шум у номері"})
    await first.close()

    second: BaseStorage = make_storage()  # type: ignore[operator]
    assert await second.get_state(key) == "Onboarding:confirm"
    assert await second.get_data(key) == {"invite_id": 3, "language": "uk", "text": "Шум у номері"}
    await second.set_state(key, None)
    await second.set_data(key, {})
    assert await second.get_state(key) is None
    assert await second.get_data(key) == {}
    other = StorageKey(bot_id=7, chat_id=43, user_id=43)
    assert await second.get_state(other) is None
