"""Tokens and invite codes never reach the log."""

from __future__ import annotations

import logging

import pytest

from bot.logs import Redact

TOKEN = "7000001:AAFakeTokenForTestsOnly_abcdefghij"


@pytest.mark.parametrize(
    "line",
    [
        f"POST https://api.telegram.org/bot{TOKEN}/getUpdates failed",
        "opened https://t.me/casebot_bot?start=jReJcxWaUaEms6EJTN5GiQ",
        "text was /start jReJcxWaUaEms6EJTN5GiQ",
    ],
)
def test_secrets_are_redacted(line: str, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(Redact([TOKEN]))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("%s", line)
    logger.filters.clear()
    text = caplog.records[-1].getMessage()
    assert TOKEN not in text
    assert "jReJcxWaUaEms6EJTN5GiQ" not in text
