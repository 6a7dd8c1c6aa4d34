"""Settings: clear one-line errors with exit code 2, and no token in sight."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings, require_token

TOKEN = "123456789:AAH" + "x" * 32


def casebot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_are_the_embedded_sqlite_and_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CASEBOT_"):
            monkeypatch.delenv(name)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///data/casebot.sqlite3"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.uses_sandbox


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        f"CASEBOT_BOT_TOKEN={TOKEN}\nCASEBOT_LOG_LEVEL=DEBUG\nCASEBOT_LOG_FORMAT=json\n"
    )
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "json"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"database_url": "mysql://localhost/x"}, "CASEBOT_DATABASE_URL: uses driver 'mysql'"),
        ({"database_url": "not a url"}, "CASEBOT_DATABASE_URL: is not a database URL"),
        ({"telegram_api_url": "ftp:/x"}, "CASEBOT_TELEGRAM_API_URL: is not a URL"),
        ({"log_level": "LOUD"}, "CASEBOT_LOG_LEVEL:"),
        ({"log_format": "xml"}, "CASEBOT_LOG_FORMAT:"),
        ({"bot_token": "secret-typo"}, "CASEBOT_BOT_TOKEN: does not look like a bot token"),
    ],
)
def test_bad_values_name_the_variable(overrides: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, **overrides)
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)
    assert "secret-typo" not in str(error.value)


def test_missing_token_without_sandbox_is_an_error() -> None:
    settings = load_settings(_env_file=None, sandbox=False, bot_token=None)
    with pytest.raises(SettingsError, match=r"^CASEBOT_BOT_TOKEN: missing"):
        require_token(settings)


def test_cli_missing_token_with_no_sandbox_exits_2(tmp_path: Path) -> None:
    result = casebot("run", env={"CASEBOT_SANDBOX": "false"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "casebot: CASEBOT_BOT_TOKEN: missing; set it to the token from @BotFather "
        "(or leave CASEBOT_SANDBOX on to run against the local sandbox)"
    ]
    assert "Traceback" not in result.stderr


def test_cli_bad_database_url_exits_2(tmp_path: Path) -> None:
    result = casebot("run", env={"CASEBOT_DATABASE_URL": "mysql://db/x"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_DATABASE_URL:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_unreachable_database_exits_2_without_token_in_output(tmp_path: Path) -> None:
    env = {
        "CASEBOT_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
        "CASEBOT_BOT_TOKEN": TOKEN,
        "CASEBOT_SANDBOX": "0",
    }
    result = casebot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "CASEBOT_DATABASE_URL: cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_cli_unreachable_redis_exits_2(tmp_path: Path) -> None:
    env = {
        "CASEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'casebot.sqlite3'}",
        "CASEBOT_BOT_TOKEN": TOKEN,
        "CASEBOT_SANDBOX": "0",
        "CASEBOT_REDIS_URL": "redis://127.0.0.1:9/0",
    }
    result = casebot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_REDIS_URL: cannot reach Redis")
    assert len(result.stderr.strip().splitlines()) == 1
    assert TOKEN not in result.stdout + result.stderr


def test_cli_webhook_needs_its_secret_and_address(tmp_path: Path) -> None:
    env = {
        "CASEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'casebot.sqlite3'}",
        "CASEBOT_BOT_TOKEN": TOKEN,
        "CASEBOT_SANDBOX": "0",
    }
    hook = ("run", "--webhook", "https://bot.example.com/telegram/webhook")
    result = casebot(*hook, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_WEBHOOK_SECRET: missing")
    env["CASEBOT_WEBHOOK_SECRET"] = "short"
    result = casebot(*hook, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_WEBHOOK_SECRET: use 16 to 256")
    assert "short" not in result.stderr
    env["CASEBOT_WEBHOOK_SECRET"] = "a-long-enough-secret"
    result = casebot(*hook, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_LISTEN: missing")
    result = casebot("run", "--webhook", "not a url", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("casebot: CASEBOT_WEBHOOK_URL: is not a URL")
