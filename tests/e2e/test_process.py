"""`casebot run` as a real process: polls the Bot API it is given, and on SIGTERM finishes the
update it is handling before it exits; its log never shows the token or an invite code."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.app import make_services
from bot.cli import SANDBOX_BOT_USERNAME
from bot.db import migrate
from bot.db.engine import Database
from bot.sandbox import Sandbox


async def test_sigterm_finishes_the_update_in_flight(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'casebot.sqlite3'}"
    db = Database(url)
    await migrate.upgrade(db.engine)
    created = await make_services(db).organisations.create("Grand Hotel", "USD", "Europe/Kyiv")
    await db.dispose()

    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(port=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
    env.update(
        CASEBOT_BOT_TOKEN=sandbox.token,
        CASEBOT_TELEGRAM_API_URL=sandbox.url,
        CASEBOT_DATABASE_URL=url,
        CASEBOT_LOG_LEVEL="DEBUG",
        CASEBOT_SANDBOX="false",
    )
    # DEBUG logging is chatty: into a file, so a full pipe never stalls the bot.
    log_file = (tmp_path / "casebot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        sarah = sandbox.user(1001, "Sarah", language_code="en")
        await sarah.start(created.owner_invite_code)
        await sarah.expect("Language", timeout=60)  # the first start imports everything
        await sarah.press("✓ English")
        await sarah.expect("Joining Grand Hotel")

        gate = sandbox.hold("editMessageText")
        await sarah.press("Join")
        await asyncio.wait_for(gate.reached.wait(), 10)
        process.send_signal(signal.SIGTERM)
        gate.release()

        await sarah.expect("Welcome to Grand Hotel, Sarah!")
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        log_file.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await sandbox.stop()

    log = (tmp_path / "casebot.log").read_text()
    assert code == 0, log[-3000:]
    # The handler ran to its end after the signal: the member's menu was set last.
    menus = [p for m, p in sandbox.requests if m == "setMyCommands" and "chat_id" in str(p)]
    assert menus, "the join handler was cut off before it set the member's menu"
    assert "casebot stopped" in log
    assert sandbox.token not in log
    assert created.owner_invite_code not in log


async def test_run_without_token_brings_up_the_sandbox_on_sqlite(tmp_path: Path) -> None:
    """The README's first command on a fresh machine: no token, no database, no network."""
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
    env["CASEBOT_SANDBOX_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"local Telegram sandbox at http://127.0.0.1:{port}" in line
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/bot1:not-the-token/getMe"
            async with session.get(url) as response:
                assert response.status == 401
        assert (tmp_path / "data" / "casebot.sqlite3").exists()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
