"""The local Telegram Bot API sandbox: a server that answers as Telegram does, and users
played from Python."""

from bot.sandbox.core import (
    ApiError,
    CallbackAnswer,
    Gate,
    Sandbox,
    SandboxMessage,
    SandboxUser,
    WebhookPost,
)

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Gate",
    "Sandbox",
    "SandboxMessage",
    "SandboxUser",
    "WebhookPost",
]
