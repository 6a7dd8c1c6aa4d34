"""The application factory: services, bot, dispatcher, storage and routers, wired from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import Update
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.unit import DuplicateUpdate
from bot.fsm_storage import SqlStorage
from bot.inbox import LEASE, Claimed, Heartbeat, Inbox, Workers, parsed, stored_form
from bot.middlewares import (
    CommitAtEnd,
    CommitBeforeSending,
    Deduplicate,
    FloodControl,
    InFlight,
    LateCallbackAnswer,
    LoadContext,
    MembershipGate,
)
from bot.outbox import OutboxSender
from bot.render.catalog import make_i18n
from bot.render.digest import BotDigestRenderer
from bot.render.escalations import BotNotices
from bot.render.follow_ups import BotFollowUpNotices
from bot.render.survey import BotSurveyNotices
from bot.scheduler import run_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.telegram_session import CachedResponseSession
from bot.telemetry import CountRetryAfter, Telemetry
from bot.unavailable import Unavailable
from bot.webhook import WebServer

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]


def make_services(db: Database, clock: Clock | None = None) -> Services:
    """The services with the bot's renderers: notices and digests in each reader's language."""
    return Services(
        db,
        clock,
        notices=BotNotices(),
        survey_notices=BotSurveyNotices(),
        digest_renderer=BotDigestRenderer(),
        follow_up_notices=BotFollowUpNotices(),
    )


def make_bot(token: str, api_url: str) -> Bot:
    session = CachedResponseSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def redis_reconnecting() -> dict[str, object]:
    """Redis connection settings that ride out a restart: a pooled connection Redis dropped
    is reconnected within the command (up to five times, 50 ms to 0.5 s apart) instead of
    failing the update it serves, one pooled connection after the other."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    return {
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 5),
        "retry_on_error": [RedisConnectionError, RedisTimeout],
    }


def make_storage(
    settings: Settings, db: Database, services: Services
) -> tuple[BaseStorage, BaseEventIsolation]:
    """The dialogue state in the database by default: written in the update's own
    transaction, with what the handler wrote and the inbox's mark, so an update handled again
    after a crash starts from the state it first saw. With Redis, the per-chat lock is in
    Redis (several instances); the state goes there too only when asked (fsm_storage)."""
    storage: BaseStorage = SqlStorage(db, services.clock)
    isolation: BaseEventIsolation = SimpleEventIsolation()
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        redis_storage = RedisStorage.from_url(
            settings.redis_url, connection_kwargs=redis_reconnecting()
        )
        # A killed instance's lock lasts no longer than its inbox leases (aiogram's default,
        # 60 s, held a chat up for a minute after a kill -9). One chat's updates are claimed
        # one at a time anyway (bot/inbox.py): a lock that runs out under a long handler
        # lets nothing of that chat in beside it.
        isolation = RedisEventIsolation(
            redis=redis_storage.redis, lock_kwargs={"timeout": LEASE.total_seconds()}
        )
        if settings.fsm_storage == "redis":
            storage = redis_storage
    return storage, isolation


def make_dispatcher(
    settings: Settings,
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    inflight: InFlight,
    i18n: I18n,
    inbox: Inbox,
) -> Dispatcher:
    from handlers import (
        case_card,
        case_media,
        common,
        escalations,
        follow_up,
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
    dp.update.outer_middleware(Deduplicate(services.db, inbox))
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
                follow_up,
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
        self.telemetry: Telemetry | None = None  # counts and times what it handles

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            async with self.db.unit(update.update_id).bound():
                result = await super().feed_update(bot, update, **kwargs)
        except DuplicateUpdate:
            log.info("update %s was delivered again; skipped", update.update_id)
            if self.telemetry is not None:
                self.telemetry.update_handled("duplicate")
            return None
        if self.telemetry is not None:
            self.telemetry.update_handled("ok", time.perf_counter() - start)
        return result


@dataclass
class BotApp:
    """One running instance: updates received (long polling, or a webhook when `webhook_url`
    is set) into the inbox, handled by its workers at least once, notifications sent from the
    outbox, the scheduler's jobs, its leases kept by a heartbeat, and a clean stop."""

    settings: Settings
    services: Services
    api_url: str
    token: str
    webhook_url: str | None = None
    inflight: InFlight = field(default_factory=InFlight)

    def __post_init__(self) -> None:
        self.telemetry = Telemetry()
        self.bot = make_bot(self.token, self.api_url)
        self.bot.session.middleware(CommitBeforeSending(self.services.db))
        self.bot.session.middleware(LateCallbackAnswer())
        self.bot.session.middleware(CountRetryAfter(self.telemetry))
        self.storage, self.isolation = make_storage(self.settings, self.services.db, self.services)
        self.i18n = make_i18n()
        self.inbox = Inbox(self.services.db, self.settings.instance_id)
        self.dp = make_dispatcher(
            self.settings,
            self.services,
            self.storage,
            self.isolation,
            self.inflight,
            self.i18n,
            self.inbox,
        )
        assert isinstance(self.dp, UnitDispatcher)
        self.dp.telemetry = self.telemetry
        self.unavailable = Unavailable(self.bot, self.i18n)
        self.workers = Workers(
            self.inbox,
            self._dispatch,
            concurrency=self.settings.inbox_concurrency,
            on_transient=self.unavailable.row_failed,
            telemetry=self.telemetry,
        )
        self.heartbeat = Heartbeat(self.inbox, self.services.clock)
        self.web: WebServer | None = None
        self._stopping = asyncio.Event()

    async def _dispatch(self, row: Claimed) -> None:
        update = row.update or parsed(row.payload, self.bot)
        await self.dp.feed_update(self.bot, update, inbox_row=row.id)

    async def run(self) -> None:
        """Receive and handle until stop(); then finish the updates already taken."""
        from handlers.menu import set_default_menus

        await self.inbox.prune()
        await set_default_menus(self.bot, self.i18n)
        background = asyncio.Event()  # the outbox, the scheduler and the heartbeat stop last
        handling = asyncio.Event()
        workers = asyncio.create_task(self.workers.run(handling))
        heartbeat = asyncio.create_task(self.heartbeat.run(background))
        # Notifications written by services go out through the outbox, paced.
        sender = asyncio.create_task(
            OutboxSender(
                self.services.db,
                self.bot,
                self.services.clock,
                wakeup=self.services.outbox_ready,
                on_unreachable=self.services.escalations.member_unreachable,
                instance=self.inbox.instance,
            ).run(background)
        )
        scheduler = asyncio.create_task(
            run_scheduler(self.services, background, self.settings.scheduler_tick_seconds)
        )
        try:
            if self.webhook_url is not None or self.settings.listen is not None:
                self.web = WebServer(self)
                await self.web.start()
            if self.webhook_url is not None:
                await self._set_webhook(self.webhook_url)
                await self._stopping.wait()
            else:
                await self._poll()
        finally:
            # Nothing new is taken; what was taken is finished, not dropped.
            if self.web is not None:
                self.web.closing = True
            handling.set()
            await asyncio.gather(workers, return_exceptions=True)
            await self.inflight.wait_idle()
            await self.services.what_works.settled()  # a card's refresh, begun: finished
            with contextlib.suppress(Exception):
                await self.inbox.release()
            if self.web is not None:
                await self.web.stop()
            # What the last handlers queued is sent now; the rest waits in the outbox.
            background.set()
            await asyncio.gather(sender, scheduler, heartbeat, return_exceptions=True)
            await self.bot.session.close()
            await self.storage.close()
            await self.isolation.close()

    async def _set_webhook(self, url: str) -> None:
        secret = self.settings.webhook_secret
        await self.bot.set_webhook(
            url,
            secret_token=secret.get_secret_value() if secret is not None else None,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=self.settings.webhook_max_connections,
            drop_pending_updates=False,
        )
        log.info("casebot takes updates by webhook at %s", url)

    async def _poll(self) -> None:
        """getUpdates until stop(): each batch stored before the next call acknowledges it."""
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            polling = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=offset,
                    timeout=self.settings.polling_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=self.settings.polling_timeout + 10,
                )
            )
            stopping = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not polling.done():
                polling.cancel()  # nothing of it was stored, so nothing is acknowledged
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await polling
                return
            try:
                updates = polling.result()
            except TelegramAPIError as error:
                failures += 1
                log.warning("getUpdates failed (%s); trying again", error)
                await self._pause(failures)
                continue
            if not updates:
                failures = 0
                continue
            forms = []
            for update in updates:
                try:
                    forms.append(stored_form(update))
                except Exception:  # a bug, not a passing failure: it must not block the rest
                    log.exception("update %s cannot be stored; skipped", update.update_id)
            try:
                await asyncio.shield(self.workers.receive(self.bot.id, forms))
            except Exception as error:
                # Not stored, so not acknowledged: Telegram gives them again next time.
                failures += 1
                log.warning("updates could not be stored (%s); kept by Telegram", error)
                await self.unavailable.updates_failed(updates)
                await self._pause(failures)
                continue
            failures = 0
            offset = updates[-1].update_id + 1

    async def _pause(self, failures: int) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), min(0.5 * 2**failures, 30.0))

    def stop(self) -> None:
        self._stopping.set()
