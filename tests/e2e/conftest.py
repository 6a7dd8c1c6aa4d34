"""A sandbox and a running bot for each end-to-end test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.cli import SANDBOX_BOT_USERNAME
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.sandbox import Sandbox
from bot.services import Services
from tests.e2e.harness import Harness, harness_settings


@pytest.fixture
async def harness(db: Database, database_url: str, clock: FrozenClock) -> AsyncIterator[Harness]:
    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(port=0)
    h = Harness(sandbox, Services(db, clock), harness_settings(database_url))
    await h.start_bot()
    try:
        yield h
    finally:
        if h.app is not None:
            await h.stop_bot()
        await sandbox.stop()
