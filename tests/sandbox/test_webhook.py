"""The sandbox in webhook mode: every update is posted to the bot's URL until the bot answers
2xx, one at a time per chat, with the secret header, as Telegram does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox import Sandbox
from tests.sandbox.conftest import Call


@dataclass
class Receiver:
    """A bot's webhook endpoint on a free loopback port: records every POST and answers with
    the next status of `script` (200 once it runs out)."""

    url: str = ""
    posts: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.posts.append((await request.json(), dict(request.headers)))
            self.arrived.set()
            if self.delay:
                await asyncio.sleep(self.delay)
            return web.Response(status=self.script.pop(0) if self.script else 200)
        finally:
            self.in_flight -= 1

    def update_ids(self) -> list[int]:
        return [body["update_id"] for body, _ in self.posts]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_and_confirmed_on_200(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    olena = sandbox.user(42, "Olena")
    first = await olena.send("before the webhook")
    status, body = await call(
        "setWebhook",
        url=receiver.url,
        secret_token="s3cret_token-1",
        max_connections=5,
        allowed_updates=["message", "callback_query"],
    )
    assert (status, body["result"]) == (200, True)
    second = await olena.send("after")
    await sandbox.updates_confirmed(timeout=5)

    assert receiver.update_ids() == [first, second]
    payload, headers = receiver.posts[0]
    assert payload["message"]["text"] == "before the webhook"
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_token-1"
    assert headers["Content-Type"].startswith("application/json")
    _, body = await call("getWebhookInfo")
    assert body["result"] == {
        "url": receiver.url,
        "has_custom_certificate": False,
        "pending_update_count": 0,
        "max_connections": 5,
        "ip_address": "127.0.0.1",
        "allowed_updates": ["message", "callback_query"],
    }
    # While the webhook is set, getUpdates is refused, as by Telegram.
    status, body = await call("getUpdates")
    assert status == 409 and "webhook is active" in body["description"]


async def test_no_secret_header_without_a_secret(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    await call("setWebhook", url=receiver.url)
    await sandbox.user(42, "Olena").send("hi")
    await sandbox.updates_confirmed(timeout=5)
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.posts[0][1]
    assert (await call("getWebhookInfo"))[1]["result"]["max_connections"] == 40


async def test_a_failed_post_is_retried_with_backoff_and_reported(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    receiver.script = [500, 503]
    await call("setWebhook", url=receiver.url, secret_token="abc")
    update_id = await sandbox.user(42, "Olena").send("hi")
    await sandbox.wait_for(lambda: True if sandbox.webhook_failures else None, 5)
    _, body = await call("getWebhookInfo")
    info = body["result"]
    assert info["pending_update_count"] == 1  # not confirmed yet
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["last_error_date"], int)

    await sandbox.updates_confirmed(timeout=5)
    assert receiver.update_ids() == [update_id] * 3
    assert sandbox.webhook_failures == 2
    assert [p.status for p in sandbox.webhook_posts] == [500, 503, 200]
    gaps = [b.started - a.ended for a, b in itertools.pairwise(sandbox.webhook_posts)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19  # 0.1 s, then doubled


async def test_an_unreachable_webhook_keeps_the_update_until_it_answers(
    sandbox: Sandbox, call: Call
) -> None:
    # Nothing listens on the URL yet: the update waits, and is posted once a server is up.
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await runner.cleanup()

    await call("setWebhook", url=f"http://127.0.0.1:{port}/hook")
    update_id = await sandbox.user(42, "Olena").send("hi")
    await sandbox.wait_for(lambda: True if sandbox.webhook_failures >= 2 else None, 5)
    info = (await call("getWebhookInfo"))[1]["result"]
    assert (info["pending_update_count"], info["last_error_message"]) == (1, "Connection refused")

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await sandbox.updates_confirmed(timeout=5)
    finally:
        await runner.cleanup()
    assert hook.update_ids() == [update_id]


async def test_one_chat_at_a_time_in_order_chats_side_by_side(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    receiver.delay = 0.05
    olena, taras = sandbox.user(42, "Olena"), sandbox.user(43, "Taras")
    sent: dict[int, list[int]] = {42: [], 43: []}
    for i in range(4):
        sent[42].append(await olena.send(f"o{i}"))
        sent[43].append(await taras.send(f"t{i}"))
    receiver.script = [500]  # the first post fails: that chat's next update waits for it
    await call("setWebhook", url=receiver.url, max_connections=10)
    await sandbox.updates_confirmed(timeout=10)

    confirmed: dict[int, list[int]] = {42: [], 43: []}
    for post in sandbox.webhook_posts:
        if post.ok:
            confirmed[post.chat_id].append(post.update_id)
    assert confirmed == sent
    # Two chats were posted side by side, never two updates of one chat.
    assert receiver.most_in_flight == 2
    for chat in (42, 43):
        posts = [p for p in sandbox.webhook_posts if p.chat_id == chat]
        assert all(a.ended <= b.started for a, b in itertools.pairwise(posts))


async def test_max_connections_bounds_the_posts_in_flight(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    receiver.delay = 0.1
    for user_id in range(100, 110):
        await sandbox.user(user_id, "Guest").send("hi")
    await call("setWebhook", url=receiver.url, max_connections=3)
    await sandbox.updates_confirmed(timeout=10)
    assert len(receiver.posts) == 10 and receiver.most_in_flight == 3


async def test_callback_queries_are_posted_in_their_chat(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    olena = sandbox.user(42, "Olena")
    await olena.send("hi")
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    await call("sendMessage", chat_id=42, text="Pick", reply_markup=keyboard)
    await call("setWebhook", url=receiver.url)
    pressed = await olena.press("Go")
    await sandbox.updates_confirmed(timeout=5)
    assert receiver.update_ids()[-1] == pressed
    assert sandbox.webhook_posts[-1].chat_id == 42


async def test_delete_webhook_stops_posting_and_polling_takes_over(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    receiver.script = [500] * 1000  # the bot never accepts: the update stays pending
    await call("setWebhook", url=receiver.url)
    update_id = await sandbox.user(42, "Olena").send("hi")
    await receiver.arrived.wait()
    assert (await call("deleteWebhook"))[1]["result"] is True
    posts = len(receiver.posts)
    await asyncio.sleep(0.3)
    assert len(receiver.posts) == posts  # nothing posted after deleteWebhook
    info = (await call("getWebhookInfo"))[1]["result"]
    assert (info["url"], info["pending_update_count"]) == ("", 1)
    _, body = await call("getUpdates")
    assert [u["update_id"] for u in body["result"]] == [update_id]


async def test_set_webhook_refusals(call: Call, receiver: Receiver) -> None:
    status, body = await call("setWebhook", url="ftp://example.org/hook")
    assert (status, body["description"]) == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    status, body = await call("setWebhook", url=receiver.url, secret_token="no spaces")
    assert (status, body["description"]) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )
    # An empty URL removes the webhook.
    await call("setWebhook", url=receiver.url)
    assert (await call("setWebhook", url=""))[1]["result"] is True
    assert (await call("getUpdates"))[0] == 200


async def test_a_waiting_long_poll_ends_when_a_webhook_is_set(
    sandbox: Sandbox, call: Call, receiver: Receiver
) -> None:
    poll = asyncio.create_task(call("getUpdates", timeout=30))
    await sandbox.wait_for(lambda: True if sandbox._waiting_polls else None, 5)
    await call("setWebhook", url=receiver.url)
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 409 and body["description"] == "Conflict: terminated by setWebhook request"
    # What arrives now goes to the webhook only.
    update_id = await sandbox.user(42, "Olena").send("hi")
    await sandbox.updates_confirmed(timeout=5)
    assert receiver.update_ids() == [update_id]
