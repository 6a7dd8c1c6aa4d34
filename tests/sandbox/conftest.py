"""A fresh sandbox per test, and a raw Bot API caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from bot.sandbox import Sandbox

Call = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        yield sb


@pytest.fixture
async def call(sandbox: Sandbox) -> AsyncIterator[Call]:
    """POST a Bot API method as JSON; returns (HTTP status, decoded body)."""
    async with aiohttp.ClientSession() as session:

        async def request(method: str, token: str | None = None, **params: Any) -> Any:
            url = f"{sandbox.url}/bot{token or sandbox.token}/{method}"
            async with session.post(url, json=params) as response:
                return response.status, await response.json()

        yield request
