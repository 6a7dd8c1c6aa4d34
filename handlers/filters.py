"""Filters on who is writing."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.db.models import Role


class RoleAtLeast(Filter):
    """The writer is an active member with this role or a higher one."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        ctx = data.get("ctx")
        member = getattr(ctx, "member", None)
        return member is not None and Role(member.role).at_least(self.role)
