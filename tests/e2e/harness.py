"""The bot as it runs in production, polling the local Bot API sandbox over HTTP.

A test plays users through the sandbox and reads their chats; `settle()` waits until the bot
has taken every update and finished handling it, so "nothing else happened" can be asserted
without sleeping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.app import BotApp
from bot.cli import SANDBOX_BOT_USERNAME
from bot.db.engine import Database
from bot.sandbox import Sandbox, SandboxUser
from bot.services import Services
from bot.settings import Settings, load_settings


@dataclass
class Harness:
    sandbox: Sandbox
    services: Services
    settings: Settings
    app: BotApp | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        return self.services.db

    async def start_bot(self) -> None:
        assert self.app is None, "the bot is already running"
        self.app = BotApp(
            settings=self.settings,
            services=self.services,
            api_url=self.sandbox.url,
            token=self.sandbox.token,
        )
        self._task = asyncio.create_task(self.app.run())

    async def stop_bot(self) -> None:
        assert self.app is not None and self._task is not None
        self.app.stop()
        await self._task
        self.app, self._task = None, None

    async def restart_bot(self) -> None:
        """A new process in all but name: new Bot, Dispatcher and storage; same database."""
        await self.stop_bot()
        await self.start_bot()

    async def settle(self) -> None:
        assert self.app is not None
        await self.sandbox.updates_confirmed()
        await self.app.workers.quiet()
        await self.app.inflight.wait_idle()

    def user(self, user_id: int, first_name: str, language_code: str = "uk") -> SandboxUser:
        return self.sandbox.user(user_id, first_name, language_code=language_code)

    async def create_org(
        self,
        name: str = "Grand Hotel",
        currency: str = "USD",
        timezone: str = "Europe/Kyiv",
        teams: tuple[str, ...] = ("Front desk", "Restaurant"),
    ) -> str:
        created = await self.services.organisations.create(name, currency, timezone, teams)
        return created.owner_invite_code


def harness_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "bot_username": SANDBOX_BOT_USERNAME,
        "polling_timeout": 10,
        # Stories tap quickly; the flood limit has its own test.
        "flood_rate": 200,
        # Tests run the scheduler's jobs themselves, at the moments they choose.
        "scheduler_tick_seconds": 300,
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)
