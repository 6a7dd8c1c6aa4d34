"""The application factory: services, bot, dispatcher, storage and routers, wired from settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import Update
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.unit import DuplicateUpdate
from bot.fsm_storage import SqlStorage
from bot.middlewares import (
    CommitAtEnd,
    CommitBeforeSending,
    Deduplicate,
    FloodControl,
    InFlight,
    LoadContext,
    MembershipGate,
)
from bot.outbox import OutboxSender
from bot.render.catalog import make_i18n
from bot.render.digest import BotDigestRenderer
from bot.render.escalations import BotNotices
from bot.render.survey import BotSurveyNotices
from bot.scheduler import run_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.telegram_session import CachedResponseSession

log = logging.getLogger(__name__)


def make_services(db: Database, clock: Clock | None = None) -> Services:
    """The services with the bot's renderers: notices and digests in each reader's language."""
    return Services(
        db,
        clock,
        notices=BotNotices(),
        survey_notices=BotSurveyNotices(),
        digest_renderer=BotDigestRenderer(),
    )


def make_bot(token: str, api_url: str) -> Bot:
    session = CachedResponseSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def make_storage(
    settings: Settings, db: Database, services: Services
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
        return storage, RedisEventIsolation(redis=storage.redis)
    return SqlStorage(db, services.clock), SimpleEventIsolation()


def make_dispatcher(
    settings: Settings,
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    inflight: InFlight,
    i18n: I18n,
) -> Dispatcher:
    from handlers import (
        case_card,
        case_media,
        common,
        escalations,
        invite,
        language,
        new_case,
        policy,
        queue,
        remedy,
        resolve,
        start,
        stats,
        survey,
        team,
    )

    dp = UnitDispatcher(services.db, storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(inflight)
    dp.update.outer_middleware(CommitAtEnd(services.db))
    dp.update.outer_middleware(Deduplicate(services))
    dp.update.outer_middleware(FloodControl(settings.flood_rate, settings.flood_window_seconds))
    dp.update.outer_middleware(LoadContext(services, i18n))
    dp.update.outer_middleware(MembershipGate())
    from handlers.errors import on_error

    dp.errors.register(on_error)
    dp.include_routers(
        *(
            m.routes.build()
            for m in (
                survey,
                start,
                language,
                invite,
                team,
                policy,
                queue,
                escalations,
                stats,
                new_case,
                remedy,
                resolve,
                case_card,
                case_media,
                common,
            )
        )
    )
    return dp


class UnitDispatcher(Dispatcher):
    """Each update is handled inside one unit of work (bot/db/unit.py): every middleware,
    the dialogue state and the handler read in one transaction and write in one more."""

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        try:
            async with self.db.unit(update.update_id).bound():
                return await super().feed_update(bot, update, **kwargs)
        except DuplicateUpdate:
            log.info("update %s was delivered again; skipped", update.update_id)
            return None


@dataclass
class BotApp:
    """One running bot: polling, in-flight tracking and a clean stop."""

    settings: Settings
    services: Services
    api_url: str
    token: str
    handle_as_tasks: bool = True
    inflight: InFlight = field(default_factory=InFlight)

    def __post_init__(self) -> None:
        self.bot = make_bot(self.token, self.api_url)
        self.bot.session.middleware(CommitBeforeSending(self.services.db))
        self.storage, self.isolation = make_storage(self.settings, self.services.db, self.services)
        self.i18n = make_i18n()
        self.dp = make_dispatcher(
            self.settings, self.services, self.storage, self.isolation, self.inflight, self.i18n
        )
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Poll until stop(); then finish the updates already being handled."""
        from handlers.menu import set_default_menus

        await self.services.updates.prune()
        await set_default_menus(self.bot, self.i18n)
        polling = asyncio.create_task(
            self.dp.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                handle_as_tasks=self.handle_as_tasks,
                polling_timeout=self.settings.polling_timeout,
                allowed_updates=["message", "callback_query"],
            )
        )
        stop = asyncio.create_task(self._stopping.wait())
        # Notifications written by services go out through the outbox, paced.
        sender_stop = asyncio.Event()
        sender = asyncio.create_task(
            OutboxSender(
                self.services.db,
                self.bot,
                self.services.clock,
                wakeup=self.services.outbox_ready,
                on_unreachable=self.services.escalations.member_unreachable,
            ).run(sender_stop)
        )
        scheduler = asyncio.create_task(
            run_scheduler(self.services, sender_stop, self.settings.scheduler_tick_seconds)
        )
        try:
            await asyncio.wait({polling, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not polling.done():
                await self.dp.stop_polling()
            await polling
            # Updates taken before the stop are finished, not dropped.
            handling = set(getattr(self.dp, "_handle_update_tasks", ()))
            await asyncio.gather(*handling, return_exceptions=True)
            await self.inflight.wait_idle()
        finally:
            # What the last handlers queued is sent now; the rest waits in the outbox.
            sender_stop.set()
            await asyncio.gather(sender, scheduler, return_exceptions=True)
            stop.cancel()
            await self.bot.session.close()
            await self.storage.close()
            await self.isolation.close()

    def stop(self) -> None:
        self._stopping.set()
