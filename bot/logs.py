"""Logging set-up that never lets a bot token or an invite code reach the output."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_START = re.compile(r"(start=|/start\s+)[A-Za-z0-9_-]+")
# A password in a URL (postgresql://casebot:secret@db/..., redis://:secret@host): drivers
# put the URL they were given in some of their errors.
_URL_PASSWORD = re.compile(r"(\w://[^:/@\s]*:)[^/@\s]+@")

LogFormat = Literal["text", "json"]


def redact(text: str, secrets: list[str] | None = None) -> str:
    """The text with bot tokens, invite codes, URL passwords and the given secrets hidden."""
    cleaned = _START.sub(r"\1<redacted>", _TOKEN.sub("<token>", text))
    cleaned = _URL_PASSWORD.sub(r"\1<redacted>@", cleaned)
    for secret in secrets or []:
        if secret:
            cleaned = cleaned.replace(secret, "<token>")
    return cleaned


class Redact(logging.Filter):
    """Cleans the message, the traceback and every text `extra` of a record before any
    handler formats it."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in secrets or [] if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so both formats print this one.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        return True


# What every LogRecord has; anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO-8601, UTC), level, logger, message, exc_info when
    there is one, and the record's `extra` fields (update_id, chat_id...)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str, secrets: list[str] | None = None, fmt: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram logs every handled update at INFO; that is noise, and may carry user text.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
