"""Many updates at once: no "database is locked", and each update stored and taken exactly
once, by one of two instances."""

from __future__ import annotations

import asyncio

from bot.inbox import Inbox
from bot.services import Services
from bot.services.context import TelegramUser


async def test_many_people_and_redeliveries_at_once(services: Services) -> None:
    people = [TelegramUser(id=5000 + i, first_name=f"P{i}", language_code="uk") for i in range(30)]
    loads = [services.context.load(p) for p in people]
    # Every update arrives twice, concurrently, at one of two instances: each is stored once,
    # and each taken by exactly one of them.
    a, b = Inbox(services.db, "a"), Inbox(services.db, "b")
    receipts = [
        inbox.receive(7, [(None, update_id, 100 + update_id, "{}")], limit=1)
        for update_id in range(40)
        for inbox in (a, b)
    ]
    results = await asyncio.gather(*loads, *receipts)
    contexts, received = results[: len(loads)], results[len(loads) :]
    assert all(c.member is None and c.locale == "uk" for c in contexts)
    stored = [update for _, counts in received for update in counts.elements()]  # type: ignore[union-attr]
    assert sorted(stored) == [100 + i for i in range(40)]
    taken = [row.update_id for rows, _ in received for row in rows]  # type: ignore[union-attr]
    assert sorted(taken) == list(range(40))
