"""Tokens and invite codes never reach the log, in text or in JSON lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from bot.logs import Redact, setup_logging

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


DATABASE_URL = "postgresql+asyncpg://casebot:hunter2secret@db.internal/casebot"


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.mark.usefixtures("restore_logging")
def test_json_logs_are_one_object_a_line_with_the_extra_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [TOKEN], fmt="json")
    log = logging.getLogger("casebot.test")
    log.info("handled update %s", 7, extra={"update_id": 7, "chat_id": 501})
    log.warning("second line")
    first, second = json_lines(capsys)
    assert first["message"] == "handled update 7"
    assert first["level"] == "INFO"
    assert first["logger"] == "casebot.test"
    assert (first["update_id"], first["chat_id"]) == (7, 501)
    when = datetime.fromisoformat(str(first["time"]))
    assert when.utcoffset() == timedelta(0)
    assert second["level"] == "WARNING"
    assert "exc_info" not in second


@pytest.mark.usefixtures("restore_logging")
def test_json_logs_hide_the_token_in_the_message_the_traceback_and_the_extras(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [TOKEN], fmt="json")
    log = logging.getLogger("casebot.test")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage: 502")
    except RuntimeError:
        log.exception("call to %s failed", f"bot{TOKEN}", extra={"url": DATABASE_URL})
    out = capsys.readouterr().err
    assert TOKEN not in out
    assert "hunter2secret" not in out
    (entry,) = [json.loads(line) for line in out.splitlines()]
    assert "RuntimeError" in str(entry["exc_info"])
    assert "Traceback" in str(entry["exc_info"])
    assert "<token>" in str(entry["exc_info"])
    assert entry["url"] == "postgresql+asyncpg://casebot:<redacted>@db.internal/casebot"


@pytest.mark.usefixtures("restore_logging")
def test_text_logs_hide_the_token_in_the_traceback_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [TOKEN])
    try:
        raise RuntimeError(f"token {TOKEN} refused")
    except RuntimeError:
        logging.getLogger("casebot.test").exception("start failed")
    out = capsys.readouterr().err
    assert "start failed" in out
    assert "RuntimeError: token <token> refused" in out
    assert TOKEN not in out
