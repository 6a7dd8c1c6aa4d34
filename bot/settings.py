"""Runtime settings from CASEBOT_* environment variables and an optional .env file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

TELEGRAM_API_URL = "https://api.telegram.org"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_ASYNC_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path('data') / 'casebot.sqlite3'}"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CASEBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    database_url: str = Field(default_factory=default_database_url)
    telegram_api_url: str = TELEGRAM_API_URL
    redis_url: str | None = None
    # Where dialogue state lives: the database (in each update's transaction), or Redis.
    fsm_storage: Literal["database", "redis"] = "database"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # "json": one JSON object per line, for journald and log shippers (bot/logs.py).
    log_format: Literal["text", "json"] = "text"
    # Without a token, `casebot run` starts the local Bot API sandbox unless this is off.
    sandbox: bool = True
    sandbox_port: int = Field(default=8081, ge=0, le=65535)
    polling_timeout: int = Field(default=30, ge=0, le=50)
    flood_rate: int = Field(default=20, ge=1, description="updates a user may send per window")
    flood_window_seconds: int = Field(default=10, ge=1)
    # How often the SLA scheduler looks for reminders and climbs that are due.
    scheduler_tick_seconds: float = Field(default=5.0, gt=0, le=300)
    # Webhook mode (`casebot run --webhook URL`, or this): Telegram posts updates to URL.
    webhook_url: str | None = None
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; the same on every instance.
    webhook_secret: SecretStr | None = None
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # HOST:PORT of this instance's HTTP server: the webhook, /healthz, /readyz, /metrics.
    listen: str | None = None
    # This instance's name in the leases it holds (default: host name and process id).
    instance_id: str | None = Field(default=None, max_length=64)
    # Updates this instance handles at once (each chat's one at a time, in order).
    inbox_concurrency: int = Field(default=32, ge=1, le=1000)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOKEN_RE.match(value.strip()):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError("does not look like a bot token (digits, a colon, then the secret)")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL (e.g. sqlite+aiosqlite:///data/casebot.sqlite3)"
            ) from None
        if url.drivername not in _ASYNC_DRIVERS:
            raise ValueError(
                f"uses driver '{url.drivername}'; use sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
            # Telegram's rule for secret_token; never echo the value.
            raise ValueError("use 16 to 256 characters: letters, digits, _ and -")
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        host, _, port = str(value).rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("write it as HOST:PORT, e.g. 127.0.0.1:8081")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", str(value)):
            raise ValueError("is not a URL (e.g. https://bot.example.com/telegram/webhook)")
        return value

    @field_validator("telegram_api_url", "redis_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^(https?|rediss?)://[^\s/]+", value):
            raise ValueError("is not a URL")
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def uses_sandbox(self) -> bool:
        return self.bot_token is None and self.sandbox

    @property
    def listen_address(self) -> tuple[str, int] | None:
        if self.listen is None:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


def load_settings(**overrides: object) -> Settings:
    """Settings or a SettingsError whose message is one line: variable and what is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"CASEBOT_{field.upper()}: {message}") from None


def require_redis_for_fsm(settings: Settings) -> None:
    if settings.fsm_storage == "redis" and not settings.redis_url:
        raise SettingsError("CASEBOT_FSM_STORAGE: 'redis' needs CASEBOT_REDIS_URL")


def require_webhook(settings: Settings) -> None:
    """Webhook mode needs its secret and an address to listen on."""
    if settings.webhook_secret is None:
        raise SettingsError(
            "CASEBOT_WEBHOOK_SECRET: missing; webhook mode needs it (16 to 256 letters, digits, "
            "_ and -, the same on every instance)"
        )
    if settings.listen is None:
        raise SettingsError(
            "CASEBOT_LISTEN: missing; webhook mode needs HOST:PORT to listen on "
            "(e.g. 127.0.0.1:8081 behind nginx)"
        )


def require_token(settings: Settings) -> None:
    if settings.bot_token is None and not settings.sandbox:
        raise SettingsError(
            "CASEBOT_BOT_TOKEN: missing; set it to the token from @BotFather "
            "(or leave CASEBOT_SANDBOX on to run against the local sandbox)"
        )
