"""Webhook mode in one process: the bot registers its webhook with its secret, the sandbox
posts updates to it as Telegram does, the bot answers 200 only for a stored update with the
right secret (401 otherwise, counted), handles what it stored, and serves /healthz, /readyz
and /metrics on the same port."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.app import BotApp, make_services
from bot.cli import SANDBOX_BOT_USERNAME
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.sandbox import Sandbox
from tests.e2e.harness import harness_settings

SECRET = "s3cret-token-for-the-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Webhooked:
    sandbox: Sandbox
    app: BotApp
    base: str
    http: aiohttp.ClientSession

    async def post(self, payload: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self.http.post(
            f"{self.base}/telegram/webhook", data=json.dumps(payload), headers=headers
        ) as response:
            return response.status

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(f"{self.base}{path}") as response:
            return response.status, await response.text()


@pytest.fixture
async def webhooked(
    db: Database, database_url: str, clock: FrozenClock
) -> AsyncIterator[Webhooked]:
    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(port=0)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = harness_settings(
        database_url, webhook_secret=SECRET, listen=f"127.0.0.1:{port}", instance_id="one"
    )
    app = BotApp(
        settings=settings,
        services=make_services(db, clock),
        api_url=sandbox.url,
        token=sandbox.token,
        webhook_url=f"{base}/telegram/webhook",
    )
    running = asyncio.create_task(app.run())
    registered = asyncio.ensure_future(sandbox.wait_for(lambda: sandbox.webhook_url or None, 30))
    await asyncio.wait({running, registered}, return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        registered.cancel()
        await running  # it failed: say why
    await registered
    async with aiohttp.ClientSession() as http:
        try:
            yield Webhooked(sandbox, app, base, http)
        finally:
            app.stop()
            await running
            await sandbox.stop()


async def test_updates_by_webhook_are_stored_then_handled(webhooked: Webhooked) -> None:
    sandbox = webhooked.sandbox
    assert sandbox.webhook_url.endswith("/telegram/webhook")
    setting = next(p for m, p in sandbox.requests if m == "setWebhook")
    assert setting["allowed_updates"] == ["message", "callback_query"]
    assert "secret_token" in setting  # sent; the sandbox's log hides its value

    olena = sandbox.user(4242, "Olena", language_code="uk")
    # A wrong or a missing secret: refused, nothing stored.
    assert await webhooked.post({"update_id": 1}, secret="wrong-secret-123456") == 401
    assert await webhooked.post({"update_id": 1}, secret=None) == 401
    assert (await webhooked.app.inbox.waiting())[0] == 0
    # Posted by the sandbox with the right one: stored, answered 200, then handled (the
    # stranger's hint, in Ukrainian).
    update_id = await olena.send("/start")
    await olena.expect("запрошення")
    assert [p.status for p in sandbox.webhook_posts if p.update_id == update_id] == [200]
    # Telegram posts it again (its answer was lost): handled once.
    assert await webhooked.post(sandbox._all_updates[update_id]) == 200
    await webhooked.app.workers.quiet()
    assert sum(1 for m in olena.bot_messages if "запрошення" in m.body) == 1

    status, metrics = await webhooked.get("/metrics")
    assert status == 200
    assert "casebot_webhook_rejected_total 2.0" in metrics
    assert 'casebot_updates_handled_total{outcome="ok"} 1.0' in metrics
    assert "casebot_inbox_pending 0.0" in metrics


async def test_health_and_readiness(webhooked: Webhooked) -> None:
    assert await webhooked.get("/healthz") == (200, "ok")
    status, body = await webhooked.get("/readyz")
    assert status == 200, body
    assert json.loads(body) == {"instance": "ok", "database": "ok", "telegram": "ok"}
    # Not an update: refused without storing anything.
    assert await webhooked.post({"no": "update"}) == 400


async def test_an_update_that_cannot_be_stored_is_refused_then_taken_when_it_can(
    webhooked: Webhooked,
) -> None:
    """The database away when the update comes: 503, so Telegram keeps it and posts it again;
    the person is told it is kept; the next post is stored and handled once."""
    from sqlalchemy.exc import OperationalError

    workers = webhooked.app.workers
    receive = workers.receive
    failures = 0

    async def away_once(*args: Any, **kwargs: Any) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database away"))
        await receive(*args, **kwargs)

    workers.receive = away_once  # type: ignore[method-assign]
    sandbox = webhooked.sandbox
    olena = sandbox.user(4243, "Olena", language_code="uk")
    update_id = await olena.send("/start")
    await olena.expect("casebot тимчасово недоступний")
    await olena.expect("запрошення")
    statuses = [p.status for p in sandbox.webhook_posts if p.update_id == update_id]
    assert statuses == [503, 200]
    await workers.quiet()
    assert sum(1 for m in olena.bot_messages if "запрошення" in m.body) == 1


async def test_a_polling_instance_serves_health_and_metrics_when_it_listens(
    db: Database, database_url: str, clock: FrozenClock
) -> None:
    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(port=0)
    port = free_port()
    app = BotApp(
        settings=harness_settings(database_url, listen=f"127.0.0.1:{port}"),
        services=make_services(db, clock),
        api_url=sandbox.url,
        token=sandbox.token,
    )
    running = asyncio.create_task(app.run())
    try:
        olena = sandbox.user(4244, "Olena", language_code="en")
        await olena.send("/start")  # handled through the inbox, by polling
        await olena.expect("invite")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                assert response.status == 200, await response.text()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
            async with http.post(f"http://127.0.0.1:{port}/telegram/webhook") as response:
                assert response.status in (404, 405)  # no webhook in polling mode
        assert 'casebot_updates_handled_total{outcome="ok"} 1.0' in metrics
    finally:
        app.stop()
        await running
        await sandbox.stop()
