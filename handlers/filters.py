"""Filters on who is writing and on what they typed."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.db.models import Role
from bot.render.common import keyboard_action


class RoleAtLeast(Filter):
    """The writer is an active member with this role or a higher one."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        ctx = data.get("ctx")
        member = getattr(ctx, "member", None)
        return member is not None and Role(member.role).at_least(self.role)


class Typed(Filter):
    """Words typed for a step: never a command ("/…") and never a tap on the phone keyboard,
    which are handled as what they are on every screen. With `media`, a photo or a voice
    note counts as typed too."""

    def __init__(self, media: bool = False) -> None:
        self.media = media

    async def __call__(self, message: Message) -> bool:
        if message.text is None:
            return self.media and bool(message.photo or message.voice)
        return not message.text.startswith("/") and keyboard_action(message.text) is None


class KeyboardTap(Filter):
    """A tap on one of the persistent phone keyboard's buttons, in any language."""

    def __init__(self, action: str) -> None:
        self.action = action

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and keyboard_action(message.text) == self.action
