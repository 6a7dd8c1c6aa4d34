"""What an operator watches casebot by: Prometheus metrics, /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Escalation, InboxUpdate, OutboxMessage
from bot.logs import redact

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

Outcome = Literal["ok", "failed", "duplicate", "retried"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "failed", "duplicate", "retried")
Check = Callable[[], Awaitable[None]]
Refresh = Callable[[], Awaitable[None]]

# Handler latency from a cached reply (about a millisecond) to a slow export (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CHECK_TIMEOUT = 2.0
TELEGRAM_CHECK_TTL = 15.0


class Telemetry:
    """One app's metrics, in a registry of its own.

    prometheus_client's global REGISTRY refuses a second metric of the same name, so two apps
    in one process (the tests, the demo beside its sandbox) would collide there, and a test
    would read what an earlier one counted. A Telemetry is made once per app, next to its
    dispatcher; whatever counts takes it, and /metrics serves its registry.

    Updates are counted once per handling attempt, by outcome: `ok` (handled), `failed`
    (given up on: it will not be tried again), `retried` (this attempt failed and the update is
    left to be taken again), `duplicate` (skipped: handled before). Latency is observed for
    attempts that ran a handler (ok, failed, retried), not for skipped duplicates.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "casebot_updates_handled", "Updates handled, by outcome", ["outcome"], registry=r
        )
        for outcome in OUTCOMES:  # every outcome shows, at zero until it happens
            self.updates.labels(outcome=outcome)
        self.handler_seconds = Histogram(
            "casebot_handler_seconds",
            "Time an update spent in its handlers",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.inbox_depth = Gauge(
            "casebot_inbox_pending", "Updates received and not yet handled", registry=r
        )
        self.inbox_oldest_age = Gauge(
            "casebot_inbox_oldest_pending_age_seconds",
            "Age of the oldest update not yet handled (0 when none waits)",
            registry=r,
        )
        self.outbox_depth = Gauge(
            "casebot_outbox_pending", "Notifications waiting to be sent", registry=r
        )
        self.outbox_oldest_age = Gauge(
            "casebot_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification not yet sent (0 when none waits)",
            registry=r,
        )
        self.telegram_retry_after = Counter(
            "casebot_telegram_retry_after",
            "Bot API calls answered 429 Too Many Requests, by method",
            ["method"],
            registry=r,
        )
        self.escalations_waiting = Gauge(
            "casebot_escalations_pending", "Escalations waiting for a decision", registry=r
        )
        self.webhook_rejected = Counter(
            "casebot_webhook_rejected",
            "Webhook requests refused for a wrong or missing secret token",
            registry=r,
        )

    def update_handled(self, outcome: Outcome, seconds: float | None = None) -> None:
        self.updates.labels(outcome=outcome).inc()
        if seconds is not None:
            self.handler_seconds.observe(seconds)

    @contextmanager
    def handling(self, on_error: Outcome = "retried") -> Iterator[None]:
        """Times the block and counts it `ok`, or `on_error` when it raises (re-raised)."""
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.update_handled(on_error, time.perf_counter() - start)
            raise
        self.update_handled("ok", time.perf_counter() - start)


class CountRetryAfter(BaseRequestMiddleware):
    """Counts every Bot API call that Telegram answered 429 (aiogram's TelegramRetryAfter),
    whoever made it: a handler, the outbox sender, a probe. Register it on the bot's session:
    `bot.session.middleware(CountRetryAfter(telemetry))`."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.telemetry.telegram_retry_after.labels(method=method.__api_method__).inc()
            raise


# ---- gauges read from the database ------------------------------------------------------


@dataclass(frozen=True)
class PendingRows:
    """The rows of a queue table that wait: a condition and the column of their arrival."""

    where: ColumnElement[bool]
    since: Any  # a UTCDateTime column, e.g. OutboxMessage.created_at


OUTBOX_PENDING = PendingRows(OutboxMessage.status == "pending", OutboxMessage.created_at)
INBOX_PENDING = PendingRows(InboxUpdate.status == "pending", InboxUpdate.received_at)


async def count_pending(
    session: AsyncSession, rows: PendingRows, now: datetime
) -> tuple[int, float]:
    """How many rows wait and the age in seconds of the oldest (0 when none does)."""
    count, oldest = (
        await session.execute(select(func.count(), func.min(rows.since)).where(rows.where))
    ).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return int(count), age


def gauges_refresh(
    db: Database,
    telemetry: Telemetry,
    clock: Clock | None = None,
    inbox: PendingRows | None = None,
) -> Refresh:
    """A refresh for /metrics: outbox depth and age, escalations waiting and, when the inbox's
    pending rows are given (e.g. `PendingRows(Inbox.handled_at.is_(None), Inbox.received_at)`),
    inbox depth and age; aggregates in one read transaction."""
    clock = clock or Clock()

    async def refresh() -> None:
        now = clock.now()
        async with db.reading() as session:
            depth, age = await count_pending(session, OUTBOX_PENDING, now)
            waiting = await session.scalar(
                select(func.count()).select_from(Escalation).where(Escalation.state == "pending")
            )
            if inbox is not None:
                inbox_depth, inbox_age = await count_pending(session, inbox, now)
        telemetry.outbox_depth.set(depth)
        telemetry.outbox_oldest_age.set(age)
        telemetry.escalations_waiting.set(waiting or 0)
        if inbox is not None:
            telemetry.inbox_depth.set(inbox_depth)
            telemetry.inbox_oldest_age.set(inbox_age)

    return refresh


# ---- readiness checks ---------------------------------------------------------------------


def database_check(db: Database) -> Check:
    """`SELECT 1` on a connection of the pool: the database answers and a connection is free."""
    # A deferred BEGIN on SQLite: the probe must never take (or wait for) the write lock.
    engine = db.engine.execution_options(sqlite_begin="DEFERRED")

    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


class RedisCheck:
    """PING through one client kept for every probe, with short socket timeouts and no retries
    (the probe's answer is wanted now). Given a client (the FSM storage's), it uses that one
    and leaves closing it to its owner."""

    def __init__(self, redis: str | Redis, timeout: float = 1.0) -> None:
        if isinstance(redis, str):
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self.client: Redis = Redis.from_url(
                redis,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._owned = True
        else:
            self.client, self._owned = redis, False

    async def __call__(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        if self._owned:
            await self.client.aclose()


def redis_check(redis: str | Redis) -> RedisCheck:
    return RedisCheck(redis)


class CheckFailed(Exception):
    """A check's failure kept from an earlier probe; its message is the reason already."""


class TelegramCheck:
    """getMe, its answer (or its failure) kept for `ttl` seconds: probes every few seconds
    from a balancer and a monitor would otherwise be a steady stream of Bot API calls.
    Probes arriving together share one call."""

    def __init__(self, bot: Bot, ttl: float = TELEGRAM_CHECK_TTL) -> None:
        self.bot = bot
        self.ttl = ttl
        self._checked_at: float | None = None
        self._failure: str | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._checked_at is None or now - self._checked_at >= self.ttl:
                try:
                    await self.bot.get_me(request_timeout=int(CHECK_TIMEOUT))
                except Exception as exc:
                    self._failure = _reason(exc)
                else:
                    self._failure = None
                self._checked_at = time.monotonic()
            if self._failure is not None:
                raise CheckFailed(self._failure)


def telegram_check(bot: Bot, ttl: float = TELEGRAM_CHECK_TTL) -> TelegramCheck:
    return TelegramCheck(bot, ttl)


def _reason(exc: BaseException) -> str:
    """One line for the probe's answer: the error's kind and its first line, no secret."""
    if isinstance(exc, CheckFailed):
        return str(exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return redact(line)[:200]


async def _run(check: Check, timeout: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as exc:
        return _reason(exc)
    return "ok"


# ---- routes -------------------------------------------------------------------------------


def ops_routes(
    app: web.Application,
    telemetry: Telemetry,
    checks: Mapping[str, Check],
    refresh: Refresh | None = None,
    *,
    timeout: float = CHECK_TIMEOUT,
) -> None:
    """GET /healthz (the process is up), /readyz (every check passes, each within `timeout`)
    and /metrics (after `refresh`). Wired into the webhook app, for example:

        telemetry = Telemetry()
        bot.session.middleware(CountRetryAfter(telemetry))
        checks = {"database": database_check(db), "telegram": telegram_check(bot)}
        if settings.redis_url:
            checks["redis"] = redis_check(storage.redis)  # the FSM storage's client
        inbox = PendingRows(InboxUpdate.handled_at.is_(None), InboxUpdate.received_at)
        ops_routes(app, telemetry, checks, gauges_refresh(db, telemetry, clock, inbox))
    """
    failing: dict[str, str] = {}  # what the last probe found wrong, to log changes only

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_request: web.Request) -> web.Response:
        names = list(checks)
        results = await asyncio.gather(*(_run(checks[name], timeout) for name in names))
        answer = dict(zip(names, results, strict=True))
        for name, result in answer.items():
            if result != "ok" and failing.get(name) != result:
                log.warning("readiness: %s failed: %s", name, result)
            elif result == "ok" and name in failing:
                log.info("readiness: %s is back", name)
            if result == "ok":
                failing.pop(name, None)
            else:
                failing[name] = result
        status = 200 if all(result == "ok" for result in results) else 503
        return web.json_response(answer, status=status, dumps=_compact)

    refresh_failed = False

    async def metrics(request: web.Request) -> web.Response:
        nonlocal refresh_failed
        if refresh is not None:
            try:
                await asyncio.wait_for(refresh(), timeout)
            except Exception as exc:
                # The counters are still worth serving; the gauges keep their last values.
                if not refresh_failed:
                    log.warning("metrics: the gauges could not be refreshed: %s", _reason(exc))
                refresh_failed = True
            else:
                refresh_failed = False
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(
            body=encoder(telemetry.registry), headers={"Content-Type": content_type}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
