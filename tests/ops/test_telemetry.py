"""An operator's view through a real HTTP server: /healthz while up, /readyz naming what is
down (and never a secret), /metrics with the queues' depth and age, and Telegram's 429s
counted on every Bot API call."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import make_bot
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.outbox import enqueue
from bot.sandbox import Sandbox
from bot.services import Services
from bot.telemetry import (
    CheckFailed,
    CountRetryAfter,
    Refresh,
    Telemetry,
    database_check,
    gauges_refresh,
    ops_routes,
    redis_check,
    telegram_check,
)
from tests.cases.test_escalations import escalate, hotel
from tests.conftest import REDIS_URL, needs_redis

Client = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
async def serve() -> AsyncIterator[Client]:
    """Starts ops_routes on a free port and gives a client for it."""
    clients: list[TestClient[web.Request, web.Application]] = []

    async def start(
        telemetry: Telemetry,
        checks: Mapping[str, Callable[[], Awaitable[None]]],
        refresh: Refresh | None = None,
    ) -> TestClient[web.Request, web.Application]:
        app = web.Application()
        ops_routes(app, telemetry, checks, refresh)
        client = TestClient(TestServer(app, port=0))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        await sb.user(501, "Olena").send("hi")
        yield sb


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    bot = make_bot(sandbox.token, sandbox.url)
    yield bot
    await bot.session.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples(exposition: str) -> dict[str, float]:
    """Every sample of the exposition by name (with its labels, when it has any)."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def test_healthz_answers_while_the_process_is_up(serve: Client) -> None:
    client = await serve(Telemetry(), {})
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.text() == "ok"


async def test_readyz_is_ok_when_database_and_telegram_answer(
    serve: Client, sqlite_database_url: str, bot: Bot
) -> None:
    db = Database(sqlite_database_url)
    try:
        client = await serve(
            Telemetry(), {"database": database_check(db), "telegram": telegram_check(bot)}
        )
        response = await client.get("/readyz")
        assert response.status == 200
        assert await response.json() == {"database": "ok", "telegram": "ok"}
    finally:
        await db.dispose()


@needs_redis
async def test_readyz_is_ok_with_all_three(
    serve: Client, sqlite_database_url: str, bot: Bot
) -> None:
    assert REDIS_URL is not None
    db = Database(sqlite_database_url)
    redis = redis_check(REDIS_URL)
    try:
        checks = {
            "database": database_check(db),
            "redis": redis,
            "telegram": telegram_check(bot),
        }
        client = await serve(Telemetry(), checks)
        for _ in range(3):  # the one Redis client serves every probe
            response = await client.get("/readyz")
            assert response.status == 200
            assert await response.text() == '{"database":"ok","redis":"ok","telegram":"ok"}'
    finally:
        await redis.close()
        await db.dispose()


async def test_readyz_names_redis_when_nothing_answers_there_and_hides_its_password(
    serve: Client, sqlite_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(sqlite_database_url)
    redis = redis_check(f"redis://:hunter2secret@127.0.0.1:{closed_port()}/0")
    try:
        client = await serve(Telemetry(), {"database": database_check(db), "redis": redis})
        for _ in range(2):
            response = await client.get("/readyz")
            assert response.status == 503
            body = await response.json()
            assert body["database"] == "ok"
            assert body["redis"] != "ok"
            assert "\n" not in body["redis"]
            assert "hunter2secret" not in await response.text()
    finally:
        await redis.close()
        await db.dispose()
    assert "Connect" in body["redis"] or "refused" in body["redis"], body
    # Two failing probes, one warning: the log tells of changes, not of every probe.
    warnings = [r for r in caplog.records if r.name == "bot.telemetry"]
    assert len(warnings) == 1
    assert "hunter2secret" not in caplog.text


async def test_readyz_gives_up_on_a_check_that_hangs() -> None:
    async def hangs() -> None:
        await asyncio.sleep(60)

    async def fine() -> None:
        return None

    app = web.Application()
    ops_routes(app, Telemetry(), {"database": fine, "redis": hangs}, timeout=0.2)
    async with TestClient(TestServer(app, port=0)) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert await response.json() == {"database": "ok", "redis": "no answer within 0.2 s"}


async def test_telegram_check_asks_getme_once_in_a_while(sandbox: Sandbox, bot: Bot) -> None:
    check = telegram_check(bot)
    await check()
    sandbox.fail_next("getMe", status=502)
    await check()  # the answer of a moment ago stands: Telegram is not asked again
    assert [m for m, _ in sandbox.requests].count("getMe") == 1
    fresh = telegram_check(bot, ttl=0)
    with pytest.raises(CheckFailed, match=r"^TelegramServerError: "):
        await fresh()


async def test_metrics_show_the_outbox_queued_and_the_age_of_its_oldest(
    serve: Client, db: Database, clock: FrozenClock
) -> None:
    async with db.transaction() as session:
        for n in range(5):
            enqueue(session, clock, chat_id=501 + n % 2, text=f"news #{n}")
    clock.advance(timedelta(seconds=42))
    telemetry = Telemetry()
    client = await serve(telemetry, {}, gauges_refresh(db, telemetry, clock))
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(await response.text())
    assert found["casebot_outbox_pending"] == 5
    assert found["casebot_outbox_oldest_pending_age_seconds"] == 42
    assert found["casebot_escalations_pending"] == 0
    for name in (
        "casebot_updates_handled_total{outcome=ok}",
        "casebot_updates_handled_total{outcome=duplicate}",
        "casebot_handler_seconds_count",
        "casebot_inbox_pending",
        "casebot_inbox_oldest_pending_age_seconds",
        "casebot_webhook_rejected_total",
    ):
        assert name in found, name


async def test_metrics_count_escalations_waiting_and_what_was_handled(
    serve: Client, services: Services, clock: FrozenClock
) -> None:
    olena, case, _ = await hotel(services)
    await escalate(services, olena, case, 3000)
    telemetry = Telemetry()
    with telemetry.handling():
        pass
    with pytest.raises(RuntimeError), telemetry.handling():
        raise RuntimeError("the database went away")
    telemetry.update_handled("duplicate")
    telemetry.webhook_rejected.inc()
    client = await serve(telemetry, {}, gauges_refresh(services.db, telemetry, clock))
    found = samples(await (await client.get("/metrics")).text())
    assert found["casebot_escalations_pending"] == 1
    assert found["casebot_updates_handled_total{outcome=ok}"] == 1
    assert found["casebot_updates_handled_total{outcome=retried}"] == 1
    assert found["casebot_updates_handled_total{outcome=duplicate}"] == 1
    assert found["casebot_updates_handled_total{outcome=failed}"] == 0
    assert found["casebot_handler_seconds_count"] == 2  # the duplicate ran no handler
    assert found["casebot_webhook_rejected_total"] == 1


async def test_metrics_are_served_when_the_gauges_cannot_be_read(serve: Client) -> None:
    async def broken() -> None:
        raise ConnectionError("database is away")

    telemetry = Telemetry()
    telemetry.update_handled("ok", 0.003)
    client = await serve(telemetry, {}, broken)
    response = await client.get("/metrics")
    assert response.status == 200
    assert samples(await response.text())["casebot_updates_handled_total{outcome=ok}"] == 1


async def test_two_apps_in_one_process_count_apart() -> None:
    first, second = Telemetry(), Telemetry()
    first.update_handled("ok")
    name, ok = "casebot_updates_handled_total", {"outcome": "ok"}
    assert first.registry.get_sample_value(name, ok) == 1
    assert second.registry.get_sample_value(name, ok) == 0


async def test_429s_from_any_bot_api_call_are_counted(sandbox: Sandbox, bot: Bot) -> None:
    telemetry = Telemetry()
    bot.session.middleware(CountRetryAfter(telemetry))
    sandbox.fail_next("sendMessage", status=429, retry_after=1)
    sandbox.fail_next("answerCallbackQuery", status=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(501, "first")
    await bot.send_message(501, "second")  # no 429 this time: not counted
    with pytest.raises(TelegramRetryAfter):
        await bot.answer_callback_query("1", text="x")
    found = samples(generate_latest(telemetry.registry).decode())
    assert found["casebot_telegram_retry_after_total{method=sendMessage}"] == 1
    assert found["casebot_telegram_retry_after_total{method=answerCallbackQuery}"] == 1
    assert [m.text for m in sandbox.users[501].bot_messages] == ["second"]
