"""Many updates at once: no "database is locked", and each update id is taken exactly once."""

from __future__ import annotations

import asyncio

from bot.services import Services
from bot.services.context import TelegramUser


async def test_many_people_and_redeliveries_at_once(services: Services) -> None:
    people = [TelegramUser(id=5000 + i, first_name=f"P{i}", language_code="uk") for i in range(30)]
    loads = [services.context.load(p) for p in people]
    # Every update arrives twice, concurrently: exactly one of each pair is taken.
    claims = [services.updates.claim(7, update_id) for update_id in range(40) for _ in range(2)]
    results = await asyncio.gather(*loads, *claims)
    contexts, taken = results[: len(loads)], results[len(loads) :]
    assert all(c.member is None and c.locale == "uk" for c in contexts)
    assert sum(1 for t in taken if t) == 40
