"""The fault test's own machines work alone: a redis-server that restarts on its port, and
nginx that spreads requests over two upstreams and fails over when one of them dies."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.fault.conftest import needs_nginx, needs_redis_server
from tests.fault.processes import Nginx, RedisServer, free_port


@needs_redis_server
async def test_redis_server_on_a_free_port_restarts_in_place(tmp_path: Path) -> None:
    from redis.asyncio import Redis

    server = RedisServer(tmp_path / "redis")
    assert server.port != 6379
    await server.start()
    client = Redis.from_url(server.url)
    try:
        await client.set("dialogue", "typing")
        down_for = await server.restart(down_for=0.2)
        assert down_for >= 0.2
        # Nothing is kept by default; the same client reconnects by itself.
        assert await client.get("dialogue") is None
    finally:
        await client.aclose()
        await server.stop()
    assert server.process is not None and server.process.returncode is not None


@needs_redis_server
async def test_a_persistent_redis_keeps_its_keys_over_a_restart(tmp_path: Path) -> None:
    from redis.asyncio import Redis

    server = RedisServer(tmp_path / "redis", persist=True)
    await server.start()
    client = Redis.from_url(server.url)
    try:
        await client.set("dialogue", "typing")
        await server.restart()
        assert await client.get("dialogue") == b"typing"
    finally:
        await client.aclose()
        await server.stop()


async def _upstream(name: str, port: int) -> web.AppRunner:
    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=name)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@pytest.fixture
async def two_upstreams() -> AsyncIterator[dict[str, tuple[int, web.AppRunner]]]:
    ports = {"a": free_port(), "b": free_port()}
    runners = {name: (port, await _upstream(name, port)) for name, port in ports.items()}
    yield runners
    for _, runner in runners.values():
        await runner.cleanup()


@needs_nginx
async def test_nginx_spreads_and_fails_over(
    tmp_path: Path, two_upstreams: dict[str, tuple[int, web.AppRunner]]
) -> None:
    nginx = Nginx(tmp_path / "nginx", [port for port, _ in two_upstreams.values()])
    await nginx.start()
    try:
        async with aiohttp.ClientSession() as session:

            async def post_all(count: int) -> Counter[str]:
                answers: Counter[str] = Counter()
                for i in range(count):
                    url = f"{nginx.url}/telegram/webhook"
                    async with session.post(url, json={"update_id": i}) as response:
                        assert response.status == 200
                        answers[await response.text()] += 1
                return answers

            assert set(await post_all(10)) == {"a", "b"}  # round robin
            # One instance dies: every request still gets an answer, from the other.
            await two_upstreams["a"][1].cleanup()
            assert await post_all(10) == Counter({"b": 10})
            # It comes back on its port and gets its share again.
            port_a = two_upstreams["a"][0]
            two_upstreams["a"] = (port_a, await _upstream("a", port_a))
            await asyncio.sleep(2.1)  # fail_timeout=1s, counted by nginx in whole seconds
            assert set(await post_all(10)) == {"a", "b"}
    finally:
        await nginx.stop()
    assert any("upstream=" in line for line in nginx.access_log())
    # Every file nginx wrote is in its own directory.
    assert (tmp_path / "nginx" / "error.log").exists()


@needs_nginx
async def test_the_sandbox_posts_through_nginx_and_survives_an_upstream_dying(
    tmp_path: Path,
) -> None:
    """The webhook path of the fault test without the bot: sandbox → nginx → two receivers;
    one dies in the middle, and every update is still confirmed, each chat's in order."""
    from bot.sandbox import Sandbox

    seen: dict[str, list[int]] = {"a": [], "b": []}

    async def receiver(name: str, port: int) -> web.AppRunner:
        async def hook(request: web.Request) -> web.Response:
            assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "fault"
            seen[name].append((await request.json())["update_id"])
            await asyncio.sleep(0.01)
            return web.Response(text="")

        app = web.Application()
        app.router.add_post("/telegram/webhook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    ports = {"a": free_port(), "b": free_port()}
    runners = {name: await receiver(name, port) for name, port in ports.items()}
    nginx = Nginx(tmp_path / "nginx", list(ports.values()))
    await nginx.start()
    sandbox = Sandbox()
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"{sandbox.url}/bot{sandbox.token}/setWebhook"
            params = {"url": f"{nginx.url}/telegram/webhook", "secret_token": "fault"}
            async with session.post(url, json=params) as response:
                assert response.status == 200
        users = [sandbox.user(500 + i, f"Guest{i}") for i in range(4)]
        sent: dict[int, list[int]] = {u.id: [] for u in users}
        for round_ in range(10):
            for user in users:
                sent[user.id].append(await user.send(f"{round_}"))
            if round_ == 4:
                await runners.pop("a").cleanup()  # instance a dies
            await asyncio.sleep(0.02)
        await sandbox.updates_confirmed(timeout=20)
    finally:
        for runner in runners.values():
            await runner.cleanup()
        await nginx.stop()
        await sandbox.stop()
    confirmed: dict[int, list[int]] = {u: [] for u in sent}
    for post in sandbox.webhook_posts:
        if post.ok:
            confirmed[post.chat_id].append(post.update_id)
    assert confirmed == sent
    assert seen["a"] and seen["b"]
    assert set(seen["a"]) | set(seen["b"]) == {i for ids in sent.values() for i in ids}
