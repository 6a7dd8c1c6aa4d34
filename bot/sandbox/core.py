"""A local Telegram Bot API: an aiohttp server on loopback that answers as Telegram does (and
refuses what Telegram refuses), plus users played from Python. Tests and the demo use it over
real HTTP, exactly as production talks to Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from bot.sandbox.html import EntityError, parse_html, slice_utf16, utf16_len

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_BUTTON_ACTIONS = {
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}
_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
}
_DELIVERIES = {"sendmessage", "editmessagetext", "sendphoto", "senddocument", "sendvoice"}
_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# A webhook's failed update is tried again after 0.1 s, doubling to at most 2 s: Telegram's
# own backoff is minutes, a test's is seconds.
WEBHOOK_RETRY_FIRST = 0.1
WEBHOOK_RETRY_CAP = 2.0
WEBHOOK_TIMEOUT = 10.0


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class Gate:
    """Holds the next call of one method inside the server until released."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def wait_released(self) -> None:
        await self._released.wait()


@dataclass
class CallbackAnswer:
    text: str | None
    show_alert: bool


@dataclass
class SandboxMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str = ""
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    photo_file_id: str | None = None
    document: tuple[bytes, str] | None = None
    document_file_id: str | None = None
    voice: bytes | None = None
    voice_file_id: str | None = None
    voice_duration: int = 0
    edit_date: int | None = None
    version: int = 0

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            [(b["text"], b.get("callback_data") or b.get("url") or "") for b in row] for row in rows
        ]

    @property
    def button_labels(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def bold(self) -> list[str]:
        body = self.text if self.caption is None else self.caption
        return [
            slice_utf16(body, e["offset"], e["length"])
            for e in self.entities
            if e["type"] == "bold"
        ]

    @property
    def body(self) -> str:
        return self.caption if self.caption is not None else self.text


@dataclass
class _Update:
    update_id: int
    payload: dict[str, Any]
    kind: str
    forced: bool = False  # redelivered on purpose: returned again whatever the offset
    delivered: bool = False
    chat_id: int = 0
    # Webhook mode: being posted now; posts that failed; not to be posted before (loop time).
    pushing: bool = False
    attempts: int = 0
    retry_at: float = 0.0


@dataclass(frozen=True)
class WebhookPost:
    """One POST of an update to the webhook, as it ended."""

    update_id: int
    chat_id: int
    started: float  # loop time
    ended: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Webhook:
    url: str
    secret: str | None
    max_connections: int


def _chat_of(kind: str, body: dict[str, Any]) -> int:
    """The chat an update belongs to: Telegram sends one chat's updates one at a time."""
    if kind == "callback_query":
        return int(body.get("message", {}).get("chat", {}).get("id") or body["from"]["id"])
    return int(body.get("chat", {}).get("id") or 0)


class SandboxUser:
    """A Telegram user writing to the bot from their private chat (chat id = user id)."""

    def __init__(
        self,
        sandbox: Sandbox,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.sandbox = sandbox
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.callback_answers: list[CallbackAnswer] = []
        self.reply_keyboard: list[list[str]] | None = None
        self._mark = 0

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    # Reading the chat as it stands.
    @property
    def messages(self) -> list[SandboxMessage]:
        return list(self.sandbox.chats.get(self.id, []))

    @property
    def bot_messages(self) -> list[SandboxMessage]:
        return [m for m in self.messages if m.from_bot]

    @property
    def last(self) -> SandboxMessage | None:
        bot = self.bot_messages
        return bot[-1] if bot else None

    @property
    def commands(self) -> list[tuple[str, str]]:
        return self.sandbox.resolve_commands(self.id, self.language_code)

    # Acting.
    async def send(self, text: str) -> int:
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        return self._post(self.sandbox.user_message(self, text=text, entities=entities))

    async def start(self, payload: str | None = None) -> int:
        return await self.send(f"/start {payload}" if payload else "/start")

    async def send_photo(self, data: bytes, caption: str | None = None) -> int:
        file_id = self.sandbox.store_file(data, "photo.jpg", "image/jpeg", kind="photo")
        return self._post(
            self.sandbox.user_message(self, caption=caption, photo=data, photo_file_id=file_id)
        )

    async def send_voice(self, data: bytes, duration: int = 1, caption: str | None = None) -> int:
        """A voice note recorded in the chat (OGG/Opus, as Telegram's apps record them)."""
        file_id = self.sandbox.store_file(
            data, "voice.ogg", "audio/ogg", kind="voice", duration=duration
        )
        return self._post(
            self.sandbox.user_message(
                self, caption=caption, voice=data, voice_file_id=file_id, voice_duration=duration
            )
        )

    async def send_document(self, data: bytes, filename: str, caption: str | None = None) -> int:
        file_id = self.sandbox.store_file(
            data, filename, "application/octet-stream", kind="document"
        )
        return self._post(
            self.sandbox.user_message(
                self, caption=caption, document=(data, filename), document_file_id=file_id
            )
        )

    async def press(self, label: str, message: SandboxMessage | None = None) -> int:
        if message is None:
            with_keyboard = [m for m in self.bot_messages if m.buttons]
            if not with_keyboard:
                raise AssertionError(f"no inline keyboard in the chat of {self.first_name}")
            message = with_keyboard[-1]
        for row in message.buttons:
            for text, data in row:
                if text == label:
                    return self._post(self.sandbox.callback(self, message, data))
        raise AssertionError(f"no button {label!r}; the buttons are {message.button_labels}")

    async def press_data(self, data: str, message_id: int) -> int:
        message = next((m for m in self.messages if m.message_id == message_id), None)
        if message is None:
            raise AssertionError(f"no message {message_id} in the chat")
        return self._post(self.sandbox.callback(self, message, data))

    async def tap(self, label: str) -> int:
        labels = [text for row in self.reply_keyboard or [] for text in row]
        if label not in labels:
            raise AssertionError(f"no reply button {label!r}; the keyboard has {labels}")
        return await self.send(label)

    def _post(self, update_id: int) -> int:
        self._mark = self.sandbox.version
        return update_id

    async def expect(
        self,
        contains: str | None = None,
        *,
        where: Callable[[SandboxMessage], bool] | None = None,
        timeout: float = 10,
    ) -> SandboxMessage:
        """The first bot message created or changed since this user's last action that
        matches; waits for it (no polling), and fails with the transcript."""

        def found() -> SandboxMessage | None:
            for message in self.bot_messages:
                if message.version <= self._mark:
                    continue
                if contains is not None and contains not in message.body:
                    continue
                if where is not None and not where(message):
                    continue
                return message
            return None

        try:
            return await self.sandbox.wait_for(found, timeout)
        except TimeoutError:
            raise AssertionError(
                f"no bot message {contains!r} for {self.first_name} within {timeout}s; "
                f"chat:\n{self.transcript()}"
            ) from None

    def transcript(self) -> str:
        lines = []
        for m in self.messages:
            who = "bot" if m.from_bot else self.first_name
            buttons = f" {m.button_labels}" if m.buttons else ""
            media = "".join(
                f"[{kind}] "
                for kind, present in (("photo", m.photo), ("voice", m.voice), ("file", m.document))
                if present is not None
            )
            lines.append(f"  [{m.message_id}] {who}: {media}{m.body!r}{buttons}")
        return "\n".join(lines) or "  (empty)"


class Sandbox:
    """The Bot API server and the world it keeps: users, chats, updates, commands, files."""

    def __init__(
        self,
        token: str | None = None,
        bot_username: str = "casebot_sandbox_bot",
        bot_first_name: str = "casebot",
    ) -> None:
        self.token = token or "7000001:SANDBOX" + secrets.token_urlsafe(24)
        self.bot_id = int(self.token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.url = ""
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, list[SandboxMessage]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        # (loop time, method, chat id) of every message delivered or edited: pacing checks.
        self.deliveries: list[tuple[float, str, int]] = []
        self.webhook_url = ""
        # Every POST to the webhook, and how many failed (a non-2xx answer or none at all).
        self.webhook_posts: list[WebhookPost] = []
        self.webhook_failures = 0
        self.webhook_timeout = WEBHOOK_TIMEOUT
        self.version = 0
        self._blocked: set[int] = set()
        self._known_chats: set[int] = set()
        self._updates: list[_Update] = []
        self._update_ids = itertools.count(100001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callbacks: dict[str, tuple[int, bool]] = {}
        self._callback_ids = itertools.count(1)
        self._files: dict[str, tuple[bytes, str, str]] = {}
        self._file_kinds: dict[str, str] = {}  # photo | voice | document
        self._durations: dict[str, int] = {}  # of voice notes, in seconds
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._holds: dict[str, Gate] = {}
        self._allowed_updates: list[str] | None = None
        self._poller: asyncio.Event | None = None
        self._waiting_polls = 0
        self._all_updates: dict[int, dict[str, Any]] = {}
        # Replaced (and set) on every change: waiters hold the one they saw, so no wake-up is
        # lost and nobody polls.
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._webhook: _Webhook | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None  # (unix time, message)

    # Life cycle.
    async def start(
        self, host: str = "127.0.0.1", port: int = 0, personas: list[Any] | None = None
    ) -> str:
        """Listen; with `personas`, also serve the demo's web chat for them at "/"."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        if personas is not None:
            from bot.sandbox.web import attach

            for persona in personas:
                self.user(persona.user_id, persona.name, language_code=persona.language)
                self._known_chats.add(persona.user_id)  # the bot may write to them first
            attach(app, self, personas)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1] if self._runner.addresses else port
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        await self._stop_pusher()
        if self._poller is not None:
            self._poller.set()
            self._notify_soon()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # Users and test controls.
    def user(
        self,
        user_id: int,
        first_name: str = "Olena",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "uk",
    ) -> SandboxUser:
        if user_id not in self.users:
            self.users[user_id] = SandboxUser(
                self, user_id, first_name, last_name, username, language_code
            )
            self.chats[user_id] = []
        return self.users[user_id]

    def changed_event(self) -> asyncio.Event:
        """Set at the next change of anything (then replaced): for waiters outside tests."""
        return self._changed

    def block(self, user_id: int) -> None:
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 3, times: int = 1
    ) -> None:
        self._failures.setdefault(method.lower(), []).extend([(status, retry_after)] * times)

    def hold(self, method: str) -> Gate:
        gate = Gate()
        self._holds[method.lower()] = gate
        return gate

    def redeliver(self, update_id: int) -> None:
        payload = self._all_updates[update_id]
        kind = "message" if "message" in payload else "callback_query"
        chat_id = _chat_of(kind, payload[kind])
        self._updates.append(_Update(update_id, payload, kind, forced=True, chat_id=chat_id))
        self._notify_soon()

    async def updates_confirmed(self, timeout: float = 10) -> None:
        """Every update was fetched and confirmed, and the bot is long-polling again (or,
        with a webhook set, every update was posted and answered 2xx)."""

        def done() -> bool | None:
            waiting = self._waiting_polls > 0 or self._webhook is not None
            return (not self._updates and waiting) or None

        await self.wait_for(done, timeout)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait until predicate() returns something other than None; re-checked on changes."""
        async with asyncio.timeout(timeout):
            while True:
                changed = self._changed
                result = predicate()
                if result is not None:
                    return result
                await changed.wait()

    def resolve_commands(self, chat_id: int, language: str | None) -> list[tuple[str, str]]:
        chat_scope = _scope_key({"type": "chat", "chat_id": chat_id})
        order = [chat_scope, "all_private_chats", "default"]
        for scope in order:
            for lang in (language or "", ""):
                commands = self._commands.get((scope, lang))
                if commands:
                    return [(c["command"], c["description"]) for c in commands]
        return []

    # What users do becomes updates.
    def _queue(self, kind: str, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        payload = {"update_id": update_id, kind: body}
        self._all_updates[update_id] = payload
        self._updates.append(_Update(update_id, payload, kind, chat_id=_chat_of(kind, body)))
        self._notify_soon()
        return update_id

    def user_message(self, user: SandboxUser, **fields: Any) -> int:
        self._known_chats.add(user.id)
        self._blocked.discard(user.id)
        message = self._add_message(user.id, from_bot=False, **fields)
        return self._queue("message", self._message_json(message))

    def callback(self, user: SandboxUser, message: SandboxMessage, data: str) -> int:
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = (user.id, False)
        body = {
            "id": query_id,
            "from": user.as_json(),
            "message": self._message_json(message),
            "chat_instance": str(user.id),
            "data": data,
        }
        return self._queue("callback_query", body)

    def store_file(
        self, data: bytes, name: str, mime: str, kind: str = "document", duration: int = 0
    ) -> str:
        file_id = f"SBX{next(self._file_ids):06d}"
        self._files[file_id] = (data, name, mime)
        self._file_kinds[file_id] = kind
        if kind == "voice":
            self._durations[file_id] = duration
        return file_id

    # Chat state.
    def _add_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> SandboxMessage:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = SandboxMessage(
            message_id=next(counter),
            chat_id=chat_id,
            from_bot=from_bot,
            date=int(time.time()),
            **fields,
        )
        self.chats.setdefault(chat_id, []).append(message)
        self._touch(message)
        return message

    def _touch(self, message: SandboxMessage | None = None) -> None:
        self.version += 1
        if message is not None:
            message.version = self.version
        self._notify_soon()

    def _notify_soon(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        user = self.users.get(chat_id)
        chat: dict[str, Any] = {"id": chat_id, "type": "private"}
        if user is not None:
            chat["first_name"] = user.first_name
            if user.username:
                chat["username"] = user.username
        return chat

    def _message_json(self, message: SandboxMessage) -> dict[str, Any]:
        sender = self._bot_json() if message.from_bot else self.users[message.chat_id].as_json()
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": self._chat_json(message.chat_id),
            "date": message.date,
        }
        if message.photo is not None:
            data["photo"] = _photo_sizes(message.photo, message.photo_file_id or "")
        if message.voice is not None:
            file_id = message.voice_file_id or ""
            data["voice"] = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "duration": message.voice_duration,
                "mime_type": self._files[file_id][2] if file_id in self._files else "audio/ogg",
                "file_size": len(message.voice),
            }
        if message.document is not None:
            content, name = message.document
            data["document"] = {
                "file_id": message.document_file_id,
                "file_unique_id": f"u{message.document_file_id}",
                "file_name": name,
                "file_size": len(content),
            }
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        elif message.photo is None and message.document is None and message.voice is None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        return data

    # HTTP.
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"].lower()
        # When Telegram counts a request against its limits: on arrival, not when answered.
        arrived = asyncio.get_running_loop().time()
        try:
            params = await _read_params(request)
            self.requests.append((request.match_info["method"], _loggable(params)))
            failures = self._failures.get(method)
            if failures:
                status, retry_after = failures.pop(0)
                if status == 429:
                    raise ApiError(
                        429, f"Too Many Requests: retry after {retry_after}", retry_after
                    )
                raise ApiError(status, _SERVER_ERRORS.get(status, "Internal Server Error"))
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            gate = self._holds.pop(method, None)
            if gate is not None:
                gate.reached.set()
                await gate.wait_released()
            result = await handler(params)
        except ApiError as error:
            return _error(error)
        if method in _DELIVERIES and isinstance(result, dict):
            chat = int(result.get("chat", {}).get("id", 0))
            self.deliveries.append((arrived, method, chat))
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = self._files.get(file_id)
        if stored is None:
            return _error(ApiError(404, "Not Found"))
        return web.Response(body=stored[0], content_type=stored[2])

    # Bot API methods.
    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_json(), "can_join_groups": False, "supports_inline_queries": False}

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(int(params.get("timeout") or 0), 0)
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._confirm(offset)
        if self._poller is not None:
            self._poller.set()  # a newer getUpdates terminates the waiting one
            self._notify_soon()
        me = asyncio.Event()
        self._poller = me
        try:
            if not self._available() and timeout > 0:
                self._waiting_polls += 1
                self._notify_soon()
                try:
                    await self.wait_for(
                        lambda: True if (self._available() or me.is_set()) else None, timeout
                    )
                except TimeoutError:
                    pass
                finally:
                    self._waiting_polls -= 1
            if self.webhook_url:  # set while this request waited
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if me.is_set() and self._poller is not me:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        finally:
            if self._poller is me:
                self._poller = None
        batch = self._available()[:limit]
        for update in batch:
            update.delivered = True
        return [u.payload for u in batch]

    def _available(self) -> list[_Update]:
        allowed = self._allowed_updates
        return [u for u in self._updates if allowed is None or u.kind in allowed]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            # A redelivered update stays until it has been fetched again.
            self._updates = [
                u
                for u in self._updates
                if not ((u.update_id < offset and not u.forced) or (u.forced and u.delivered))
            ]
        self._notify_soon()

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:  # an empty URL removes the webhook, as deleteWebhook does
            return await self._api_deletewebhook(params)
        if not url.startswith(("http://", "https://")):
            # Telegram takes only HTTPS; the sandbox also takes HTTP, for loopback.
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret not in (None, "") and not _SECRET_TOKEN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        try:
            connections = int(params.get("max_connections") or 40)
        except (TypeError, ValueError):
            raise bad_request("bad max_connections") from None
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if _bool(params.get("drop_pending_updates")):
            self._updates.clear()
        self._webhook = _Webhook(
            url, str(secret) if secret else None, min(max(connections, 1), 100)
        )
        self.webhook_url = url
        if self._poller is not None:  # a waiting getUpdates ends, as on Telegram
            self._poller.set()
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.create_task(self._push_updates(), name="sandbox-webhook")
        self._notify_soon()
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        await self._stop_pusher()
        self.webhook_url = ""
        if _bool(params.get("drop_pending_updates")):
            self._updates.clear()
        self._notify_soon()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates is not None:
                info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # Webhook mode: every queued update is posted to the URL until it is answered 2xx.
    async def _stop_pusher(self) -> None:
        self._webhook = None
        pusher, self._pusher = self._pusher, None
        if pusher is not None and not pusher.done():
            pusher.cancel()
            await asyncio.gather(pusher, return_exceptions=True)

    async def _push_updates(self) -> None:
        loop = asyncio.get_running_loop()
        pushes: set[asyncio.Task[None]] = set()
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while self._webhook is not None:
                    changed = self._changed
                    hook = self._webhook
                    # Counted by the updates, not the tasks: a post that just ended has set
                    # `pushing` off before its task is done.
                    posting = sum(1 for u in self._updates if u.pushing)
                    ready, wake = self._next_pushes(loop.time(), hook.max_connections - posting)
                    for update in ready:
                        update.pushing = True
                        task = asyncio.create_task(self._push(session, hook, update))
                        pushes.add(task)
                        task.add_done_callback(pushes.discard)
                    delay = None if wake is None else max(wake - loop.time(), 0.001)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), delay)
            finally:
                for task in pushes:
                    task.cancel()
                await asyncio.gather(*pushes, return_exceptions=True)

    def _next_pushes(self, now: float, room: int) -> tuple[list[_Update], float | None]:
        """The updates to post now (the oldest of each chat not being posted, at most `room`)
        and when the next one waiting out its backoff is due."""
        allowed = self._allowed_updates
        seen: set[int] = set()
        ready: list[_Update] = []
        wake: float | None = None
        for update in self._updates:
            if allowed is not None and update.kind not in allowed:
                continue
            if update.chat_id in seen:
                continue  # a chat's next update waits until the one before is confirmed
            seen.add(update.chat_id)
            if update.pushing:
                continue
            if update.retry_at > now:
                wake = update.retry_at if wake is None else min(wake, update.retry_at)
            elif len(ready) < room:
                ready.append(update)
        return ready, wake

    async def _push(self, session: aiohttp.ClientSession, hook: _Webhook, update: _Update) -> None:
        loop = asyncio.get_running_loop()
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret} if hook.secret else {}
        started = loop.time()
        status: int | None = None
        error = ""
        try:
            async with session.post(hook.url, json=update.payload, headers=headers) as response:
                status = response.status
                await response.read()
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as failure:
            error = f"Connection failed: {type(failure).__name__}"
        finally:
            update.pushing = False
        self.webhook_posts.append(
            WebhookPost(update.update_id, update.chat_id, started, loop.time(), status, error)
        )
        if not error:
            self._updates = [u for u in self._updates if u is not update]
            update.delivered = True
        else:
            update.attempts += 1
            backoff = WEBHOOK_RETRY_FIRST * 2 ** (update.attempts - 1)
            update.retry_at = loop.time() + min(backoff, WEBHOOK_RETRY_CAP)
            self.webhook_failures += 1
            self._webhook_error = (int(time.time()), error)
        self._notify_soon()

    def _chat(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        try:
            chat_id = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id not in self._known_chats:
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _formatted(
        self, params: dict[str, Any], key: str, entities_key: str
    ) -> tuple[str, str | None, list[dict[str, Any]]]:
        raw = str(params.get(key) or "")
        mode = params.get("parse_mode")
        if mode is None or mode == "":
            return raw, None, list(params.get(entities_key) or [])
        if str(mode).lower() != "html":
            # The bot only speaks HTML; other modes are not emulated.
            raise bad_request(f"unsupported parse_mode in the sandbox: {mode}")
        try:
            text, entities = parse_html(raw)
        except EntityError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return text, raw, entities

    def _markup(self, params: dict[str, Any], chat_id: int) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    actions = _BUTTON_ACTIONS & set(button)
                    if not actions:
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    if "callback_data" in button:
                        size = len(str(button["callback_data"]).encode("utf-8"))
                        if not 1 <= size <= CALLBACK_DATA_LIMIT:
                            raise bad_request("BUTTON_DATA_INVALID")
            return dict(markup)
        user = self.users.get(chat_id)
        if user is not None and "keyboard" in markup:
            user.reply_keyboard = [
                [b["text"] if isinstance(b, dict) else str(b) for b in row]
                for row in markup["keyboard"]
            ]
        elif user is not None and markup.get("remove_keyboard"):
            user.reply_keyboard = None
        return None

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        text, source, entities = self._formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > TEXT_LIMIT:  # Telegram counts UTF-16 code units
            raise bad_request("message is too long")
        markup = self._markup(params, chat_id)
        message = self._add_message(
            chat_id, from_bot=True, text=text, html=source, entities=entities, reply_markup=markup
        )
        return self._message_json(message)

    def _media(self, params: dict[str, Any], key: str) -> tuple[str, bytes, str]:
        """The file to send as `key`: (file id, content, file name). An upload is stored as a
        new file; a file id of a stored file of the same kind is sent again as it is."""
        value = params.get(key)
        if isinstance(value, _Upload):
            file_id = self.store_file(value.data, value.filename, value.content_type, kind=key)
            return file_id, value.data, value.filename
        if isinstance(value, str) and value in self._files:
            if self._file_kinds.get(value) != key:
                raise bad_request("type of file mismatch")
            data, name, _ = self._files[value]
            return value, data, name
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _caption(self, params: dict[str, Any]) -> tuple[str | None, str | None, list[Any]]:
        if params.get("caption") in (None, ""):
            return None, None, []
        caption, source, entities = self._formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        return caption, source, entities

    async def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "photo")

    async def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "document")

    async def _api_sendvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(params, "voice")

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = self._chat(params)
        caption, source, entities = self._caption(params)
        file_id, data, name = self._media(params, kind)
        media: dict[str, Any]
        if kind == "photo":
            media = {"photo": data, "photo_file_id": file_id}
        elif kind == "voice":
            # Telegram measures an upload itself; the sandbox takes the bot's word for it.
            try:
                duration = int(params.get("duration") or self._durations.get(file_id, 0))
            except (TypeError, ValueError):
                raise bad_request("wrong duration specified") from None
            self._durations[file_id] = self._durations.get(file_id) or duration
            media = {"voice": data, "voice_file_id": file_id, "voice_duration": duration}
        else:
            media = {"document": (data, name), "document_file_id": file_id}
        message = self._add_message(
            chat_id,
            from_bot=True,
            caption=caption,
            html=source,
            entities=entities,
            reply_markup=self._markup(params, chat_id),
            **media,
        )
        return self._message_json(message)

    async def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    def _find(self, params: dict[str, Any], missing: str) -> SandboxMessage:
        chat_id = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise bad_request(missing)

    async def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        text, source, entities = self._formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > TEXT_LIMIT:  # Telegram counts UTF-16 code units
            raise bad_request("message is too long")
        markup = self._markup(params, message.chat_id)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise _not_modified()
        message.text, message.html, message.entities = text, source, entities
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self._touch(message)
        return self._message_json(message)

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = self._markup(params, message.chat_id)
        if markup == message.reply_markup:
            raise _not_modified()
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self._touch(message)
        return self._message_json(message)

    async def _api_deletemessage(self, params: dict[str, Any]) -> bool:
        message = self._find(params, "message to delete not found")
        self.chats[message.chat_id].remove(message)
        self._touch()
        return True

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        known = self._callbacks.get(query_id)
        if known is None or known[1]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        user_id, _ = known
        self._callbacks[query_id] = (user_id, True)
        text = params.get("text")
        self.users[user_id].callback_answers.append(
            CallbackAnswer(
                text=str(text) if text else None, show_alert=_bool(params.get("show_alert"))
            )
        )
        self._touch()
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return _scope_key(scope), str(params.get("language_code") or "")

    async def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            name = str(command.get("command", ""))
            if not (1 <= len(name) <= 32) or not name.replace("_", "").isalnum():
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        self._touch()
        return True

    async def _api_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self._commands.get(self._commands_key(params), [])

    async def _api_deletemycommands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._touch()
        return True

    async def _api_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(stored[0]),
            "file_path": f"files/{file_id}",
        }


@dataclass
class _Upload:
    data: bytes
    filename: str
    content_type: str


def _scope_key(scope: dict[str, Any]) -> str:
    kind = str(scope.get("type", "default"))
    if kind in ("chat", "chat_administrators", "chat_member"):
        return f"{kind}:{scope.get('chat_id')}:{scope.get('user_id', '')}".rstrip(":")
    return kind


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if request.can_read_body:
        if content_type == "application/json":
            params.update(await request.json())
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename:
                    params[part.name or ""] = _Upload(
                        bytes(await part.read()),
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                    )
                else:
                    params[part.name or ""] = await part.text()
        else:
            params.update(await request.post())
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"))
        elif key in _JSON_FIELDS and isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {key} JSON object") from None
    return params


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: f"<file {len(value.data)} bytes>" if isinstance(value, _Upload) else value
        for key, value in params.items()
    }


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.code)


def _photo_sizes(data: bytes, file_id: str) -> list[dict[str, Any]]:
    width, height = _image_size(data)
    return [
        {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": width,
            "height": height,
            "file_size": len(data),
        }
    ]


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, size = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + size
    return 0, 0
