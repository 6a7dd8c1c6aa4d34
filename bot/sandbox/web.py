"""The demo's web chat, served by the sandbox: each persona's chat as the sandbox holds it
(formatting as entities, inline and reply keyboards, photos, voice notes, documents,
edits), and what the
person does there (type, tap, send a photo) turned into updates — the bot cannot tell it from
Telegram. Changes are pushed with server-sent events; the page is plain static files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.sandbox.core import Sandbox, SandboxMessage

STATIC = Path(__file__).with_name("static")


@dataclass(frozen=True)
class Persona:
    user_id: int
    name: str
    role: str  # shown under the name: "frontline · Українська"
    language: str


def attach(app: web.Application, sandbox: Sandbox, personas: list[Persona]) -> None:
    chat = WebChat(sandbox, personas)
    app.router.add_get("/", chat.index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/demo/api/personas", chat.personas_json)
    app.router.add_get("/demo/api/chat/{user_id:\\d+}", chat.chat_json)
    app.router.add_post("/demo/api/chat/{user_id:\\d+}/send", chat.send)
    app.router.add_post("/demo/api/chat/{user_id:\\d+}/press", chat.press)
    app.router.add_post("/demo/api/chat/{user_id:\\d+}/photo", chat.photo)
    app.router.add_get("/demo/api/media/{user_id:\\d+}/{message_id:\\d+}", chat.media)
    app.router.add_get("/demo/api/events", chat.events)


class WebChat:
    def __init__(self, sandbox: Sandbox, personas: list[Persona]) -> None:
        self.sandbox = sandbox
        self.personas = {p.user_id: p for p in personas}

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def personas_json(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"id": p.user_id, "name": p.name, "role": p.role, "language": p.language}
                for p in self.personas.values()
            ]
        )

    def _persona(self, request: web.Request) -> Persona:
        persona = self.personas.get(int(request.match_info["user_id"]))
        if persona is None:
            raise web.HTTPNotFound(text="no such persona")
        return persona

    def _user(self, persona: Persona) -> Any:
        return self.sandbox.user(persona.user_id, persona.name, language_code=persona.language)

    async def chat_json(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        user = self._user(persona)
        return web.json_response(
            {
                "version": self.sandbox.version,
                "messages": [self._message(m) for m in user.messages],
                "reply_keyboard": user.reply_keyboard or [],
                "alerts": [
                    {"text": a.text, "alert": a.show_alert} for a in user.callback_answers if a.text
                ],
            }
        )

    def _message(self, message: SandboxMessage) -> dict[str, Any]:
        base = f"/demo/api/media/{message.chat_id}/{message.message_id}"
        return {
            "id": message.message_id,
            "from_bot": message.from_bot,
            "text": message.body,
            "entities": message.entities,
            "photo": f"{base}?v={message.version}" if message.photo is not None else None,
            "voice": (
                {"url": base, "duration": message.voice_duration}
                if message.voice is not None
                else None
            ),
            "document": (
                {"url": base, "name": message.document[1]} if message.document is not None else None
            ),
            "buttons": [
                [{"text": text, "data": data} for text, data in row] for row in message.buttons
            ],
            "urls": [
                [b.get("url") for b in row]
                for row in (message.reply_markup or {}).get("inline_keyboard", [])
            ],
            "edited": message.edited,
        }

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="JSON expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return body

    async def send(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        text = str((await self._body(request)).get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        await self._user(persona).send(text[:4096])
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        body = await self._body(request)
        try:
            message_id, data = int(body["message_id"]), str(body["data"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="message_id and data expected") from None
        user = self._user(persona)
        try:
            await user.press_data(data, message_id)
        except AssertionError:
            raise web.HTTPNotFound(text="no such message") from None
        return web.json_response({"ok": True})

    async def photo(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        data = await request.post()
        upload = data.get("photo")
        caption = str(data.get("caption") or "") or None
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="a photo file expected")
        content = upload.file.read(10 * 1024 * 1024 + 1)
        if len(content) > 10 * 1024 * 1024:
            raise web.HTTPRequestEntityTooLarge(max_size=10 * 1024 * 1024, actual_size=len(content))
        await self._user(persona).send_photo(content, caption)
        return web.json_response({"ok": True})

    async def media(self, request: web.Request) -> web.Response:
        persona = self._persona(request)
        wanted = int(request.match_info["message_id"])
        message = next((m for m in self._user(persona).messages if m.message_id == wanted), None)
        if message is None:
            raise web.HTTPNotFound()
        if message.photo is not None:
            return web.Response(body=message.photo, content_type="image/png")
        if message.voice is not None:
            return web.Response(body=message.voice, content_type="audio/ogg")
        if message.document is not None:
            content, name = message.document
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return web.Response(
                body=content,
                content_type=kind,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        raise web.HTTPNotFound()

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the sandbox's version each time anything changes."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            while True:
                changed = self.sandbox.changed_event()
                await response.write(f"data: {self.sandbox.version}\n\n".encode())
                with contextlib.suppress(TimeoutError):  # a heartbeat: the same version again
                    await asyncio.wait_for(changed.wait(), 15)
        except ConnectionResetError:
            pass  # the page was closed
        return response
