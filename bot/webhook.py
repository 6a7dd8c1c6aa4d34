"""This instance's HTTP server: the webhook Telegram posts updates to, and the operator's
/healthz, /readyz and /metrics.

An update is answered 200 only once it is stored in the inbox (bot/inbox.py); until then
Telegram keeps it and posts it again — to this instance or, behind nginx, to another one. A
request without the right X-Telegram-Bot-Api-Secret-Token is refused (401), counted, and
logged once a minute at most."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import ValidationError

from bot.inbox import parsed, raw_form
from bot.telemetry import (
    INBOX_PENDING,
    Check,
    CheckFailed,
    RedisCheck,
    database_check,
    gauges_refresh,
    ops_routes,
    redis_check,
    telegram_check,
)

if TYPE_CHECKING:
    from bot.app import BotApp

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_UPDATE_BYTES = 1 << 20  # Telegram's updates are far smaller; a larger body is not one


class WebServer:
    def __init__(self, app: BotApp) -> None:
        self.app = app
        self.closing = False
        self.rejected = 0
        self._rejections_logged_at: float | None = None  # loop time of the last such line
        secret = app.settings.webhook_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else None
        self.path = urlsplit(app.webhook_url).path or "/" if app.webhook_url else None
        self._runner: web.AppRunner | None = None
        self._redis: RedisCheck | None = None
        self.port: int | None = None

    def application(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        if self.path is not None:
            web_app.router.add_post(self.path, self._update)
        app = self.app
        checks: dict[str, Check] = {
            "instance": self._running,
            "database": database_check(app.services.db),
            "telegram": telegram_check(app.bot),
        }
        if app.settings.redis_url:
            self._redis = redis_check(app.settings.redis_url)
            checks["redis"] = self._redis
        refresh = gauges_refresh(app.services.db, app.telemetry, app.services.clock, INBOX_PENDING)
        ops_routes(web_app, app.telemetry, checks, refresh)
        return web_app

    async def _running(self) -> None:
        if self.closing:
            raise CheckFailed("stopping")

    async def start(self) -> None:
        address = self.app.settings.listen_address
        assert address is not None, "webhook mode needs CASEBOT_LISTEN"
        self._runner = web.AppRunner(
            self.application(), handle_signals=False, access_log=None, shutdown_timeout=5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, address[0], address[1])
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else address[1]
        log.info("casebot listens on %s:%s", address[0], self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._redis is not None:
            await self._redis.close()

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if self._secret is None or not hmac.compare_digest(given, self._secret):
            self._reject(request)
            return web.Response(status=401, text="unauthorized")
        if self.closing:
            return web.Response(status=503, text="stopping")  # Telegram or nginx tries another
        body = await request.read()
        try:
            form = raw_form(body)
        except (ValueError, ValidationError):
            return web.Response(status=400, text="not an update")
        try:
            await asyncio.shield(self.app.workers.receive(self.app.bot.id, [form]))
        except Exception as error:
            log.warning("update %s could not be stored (%s); Telegram keeps it", form[1], error)

            await self.app.unavailable.updates_failed([parsed(body)])
            return web.Response(status=503, text="try again")
        return web.Response(status=200)

    def _reject(self, request: web.Request) -> None:
        self.rejected += 1
        self.app.telemetry.webhook_rejected.inc()
        now = asyncio.get_running_loop().time()
        if self._rejections_logged_at is None or now - self._rejections_logged_at >= 60:
            self._rejections_logged_at = now
            log.warning(
                "webhook request from %s refused: wrong or missing secret (%s refused so far)",
                request.remote,
                self.rejected,
            )
