"""The runtime around the handlers: flood control, and dialogue state kept in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import make_services
from bot.cli import SANDBOX_BOT_USERNAME
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.sandbox import Sandbox
from tests.conftest import REDIS_URL, needs_redis
from tests.e2e.harness import Harness, harness_settings
from tests.fault.conftest import needs_redis_server
from tests.fault.processes import RedisServer


@pytest.fixture
async def make_harness(
    db: Database, database_url: str, clock: FrozenClock
) -> AsyncIterator[object]:
    started: list[Harness] = []

    async def factory(**overrides: object) -> Harness:
        sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
        await sandbox.start(port=0)
        h = Harness(sandbox, make_services(db, clock), harness_settings(database_url, **overrides))
        await h.start_bot()
        started.append(h)
        return h

    yield factory
    for h in started:
        if h.app is not None:
            await h.stop_bot()
        await h.sandbox.stop()


async def test_flood_gets_one_warning_then_silence(make_harness: object) -> None:
    h: Harness = await make_harness(flood_rate=3, flood_window_seconds=600)  # type: ignore[operator]
    petro = h.user(3001, "Petro", "uk")
    for text in ("1", "2", "3", "4", "5", "6"):
        await petro.send(text)
    await h.settle()
    texts = [m.text for m in petro.bot_messages]
    assert len(texts) == 4
    assert texts[3] == ("Ви надсилаєте надто швидко. Зачекайте кілька секунд і спробуйте знову.")


@needs_redis
async def test_dialogue_in_redis_survives_a_restart(make_harness: object) -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    async for key in redis.scan_iter("fsm:*"):
        await redis.delete(key)
    h: Harness = await make_harness(  # type: ignore[operator]
        redis_url=REDIS_URL, fsm_storage="redis"
    )
    code = await h.create_org()
    olena = h.user(1002, "Olena", "uk")
    await olena.start(code)
    await olena.expect("Мова")
    assert [key async for key in redis.scan_iter("fsm:*")], "the state is not in Redis"
    await h.restart_bot()
    await olena.press("✓ Українська")
    await olena.expect("Приєднання до Grand Hotel")
    await olena.press("Приєднатися")
    await olena.expect("Вітаємо")
    await redis.aclose()


async def test_an_unexpected_failure_tells_the_person_what_to_do(make_harness: object) -> None:
    h: Harness = await make_harness()  # type: ignore[operator]
    code = await h.create_org()
    olena = h.user(1002, "Olena", "uk")
    await olena.start(code)
    await olena.expect("Мова")
    h.sandbox.fail_next("editMessageText", status=500)
    await olena.press("✓ Українська")
    await h.settle()
    assert olena.callback_answers[-1].text == (
        "Щось пішло не так з нашого боку. Усе, що ви ввели, збережено: спробуйте ще раз "
        "або натисніть /cancel, щоб почати спочатку."
    )
    # Nothing was lost: the same tap now goes through.
    await olena.press("✓ Українська")
    await olena.expect("Приєднання до Grand Hotel")


@needs_redis_server
async def test_redis_away_the_tap_is_kept_and_done_once_it_is_back(
    make_harness: object, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path / "redis", persist=True)
    await redis.start()
    try:
        h: Harness = await make_harness(redis_url=redis.url)  # type: ignore[operator]
        code = await h.create_org()
        olena = h.user(1002, "Olena", "uk")
        await olena.start(code)
        await olena.expect("Мова")
        await redis.stop()
        await olena.press("✓ Українська")
        told = await olena.expect("casebot тимчасово недоступний")
        assert "збережено" in told.text
        assert not olena.callback_answers or "Щось пішло не так" not in str(
            olena.callback_answers[-1].text
        )
        await redis.start()
        # The same tap, kept in the inbox, is done once Redis is back; nobody tapped again.
        await olena.expect("Приєднання до Grand Hotel", timeout=20)
        assert h.app is not None
        assert h.app.unavailable.told == 1
    finally:
        await redis.stop()
