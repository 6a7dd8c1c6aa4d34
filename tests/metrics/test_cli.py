"""`casebot digest` and `casebot export` write their files from the command line."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from bot.app import make_services
from bot.cli import main
from bot.clock import FrozenClock
from bot.db import migrate
from bot.db.engine import Database
from tests.metrics.fixture import hotel_week


def _database(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path / 'casebot.sqlite3'}"

    async def build() -> None:
        db = Database(url)
        await migrate.upgrade(db.engine)
        await hotel_week(make_services(db, FrozenClock(datetime(2026, 11, 23, 9, tzinfo=UTC))))
        await db.dispose()

    asyncio.run(build())
    return url


def test_preview_and_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASEBOT_DATABASE_URL", _database(tmp_path))
    out = tmp_path / "out"
    assert (
        main(["digest", "--org", "1", "--week", "2026-W47", "--lang", "ru", "--out", str(out)]) == 0
    )
    text = (out / "digest-ru.html").read_text(encoding="utf-8")
    assert "Недельный отчёт · Kyiv Hotel" in text and "16 нояб. – 22 нояб. 2026" in text
    assert (out / "digest-ru.png").read_bytes().startswith(b"\x89PNG")
    export = ["export", "--org", "1", "--from", "2026-11-16", "--to", "2026-11-22"]
    assert main([*export, "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "casebot_2026-11-16_2026-11-22.xlsx")
    assert book.sheetnames == ["Cases", "Events", "Spends", "Surveys"]
    assert book["Cases"].max_row == 8  # the header and seven cases, the voided one too
    dotted = ["export", "--org", "1", "--from", "16.11.2026", "--to", "22.11.2026"]
    assert main([*dotted, "--lang", "uk", "--csv", "--out", str(out)]) == 0
    with (out / "events_2026-11-16_2026-11-22.csv").open(encoding="utf-8-sig") as events:
        assert next(csv.reader(events))[:4] == [
            "Звернення",
            "Статус звернення",
            "Час (Europe/Kyiv)",
            "Подія",
        ]
    with (out / "cases_2026-11-16_2026-11-22.csv").open(encoding="utf-8-sig") as cases:
        assert len(list(csv.DictReader(cases))) == 7
    assert main([*export[:-1], "2026-12-31", "--out", str(out)]) == 2
    assert "ends after today" in capsys.readouterr().err
    assert main(["digest", "--org", "9", "--week", "2026-W47", "--out", str(out)]) == 1
    assert main(["digest", "--org", "1", "--week", "week 47", "--out", str(out)]) == 2
    assert "write it as YYYY-Www" in capsys.readouterr().err
