"""The export a manager opens: the hand-made week as an .xlsx workbook (read back with openpyxl)
and as CSV files with a BOM, in Ukrainian and English; and which periods may be exported."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from bot.db.models import Case, CaseEvent
from bot.render.exports import ExportTexts
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.exports import LONGEST, ExportData, check_range, preset_days
from bot.services.workbook import BOM, export_files, money_format
from tests.metrics.fixture import hotel_week, utc

WORDS = "Гість чекав 40 хвилин — «ключ не працював», ґанок, їжак"
FORMULA = '=HYPERLINK("http://example.com","click")'


async def _week(services: Services) -> ExportData:
    week = await hotel_week(services)
    async with services.db.transaction() as session:
        cases = {c.code: c for c in (await session.scalars(select(Case))).all()}
        cases["K-AAAA"].description = WORDS
        cases["K-BBBB"].description = FORMULA
        for kind, at, payload in (
            ("spend", utc(16, 8, 2), {"remedy": "gift", "amount": "30.00"}),
            ("decided", utc(16, 9, 30), {"decision": "deny", "reason": "@unjustified"}),
        ):
            session.add(
                CaseEvent(
                    org_id=week.org_id,
                    case_id=cases["K-BBBB" if kind == "decided" else "K-AAAA"].id,
                    actor_id=week.members["dmytro"],
                    kind=kind,
                    payload=json.dumps(payload),
                    created_at=at,
                )
            )
    return await services.exports.data(week.org_id, date(2026, 11, 16), date(2026, 11, 22))


def _book(data: ExportData, locale: str) -> openpyxl.Workbook:
    files = export_files(data, ExportTexts().labels(data.policy, locale))
    assert [f.name for f in files] == ["casebot_2026-11-16_2026-11-22.xlsx"]
    return openpyxl.load_workbook(io.BytesIO(files[0].content))


def _column(sheet: openpyxl.worksheet.worksheet.Worksheet, header: str) -> list[object]:
    names = [cell.value for cell in sheet[1]]
    index = names.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


async def test_the_workbook_in_ukrainian(services: Services) -> None:
    data = await _week(services)
    book = _book(data, "uk")
    assert book.sheetnames == ["Звернення", "Події", "Витрати", "Опитування"]
    cases = book["Звернення"]
    assert [cell.value for cell in cases[1]][:6] == [
        "Звернення",
        "Зафіксовано (Europe/Kyiv)",
        "Категорія",
        "Опис",
        "Статус",
        "Команда",
    ]
    assert cases.freeze_panes == "A2"
    assert cases.column_dimensions["D"].width > cases.column_dimensions["A"].width
    codes = _column(cases, "Звернення")
    assert codes == ["K-AAAA", "K-BBBB", "K-CCCC", "K-DDDD", "K-EEEE", "K-FFFF", "K-GGGG"]
    # 08:00 UTC is 10:00 in Kyiv; Excel keeps no zone, the header names it.
    logged = cases["B2"]
    assert isinstance(logged.value, datetime) and logged.value.tzinfo is None
    assert logged.value == datetime(2026, 11, 16, 10, 0)
    assert logged.is_date and "hh:mm" in logged.number_format
    # Cyrillic typed by a person comes back as typed; a formula-looking text stays text.
    assert cases["D2"].value == WORDS
    assert cases["D3"].value == FORMULA and cases["D3"].data_type == "s"
    # Values in words, not codes; the voided case is there, marked so.
    statuses = _column(cases, "Статус")
    assert statuses[0] == "вирішене" and statuses[6] == "анульоване"
    assert _column(cases, "Категорія")[0] == "Очікування"
    assert _column(cases, "Результат")[0] == "З компенсацією"
    assert _column(cases, "Вирішено під час першого контакту")[:4] == ["Так", "Так", "Так", "Ні"]
    spent = _column(cases, "Витрачено (USD)")
    assert spent[:2] == [30, 100] and spent[6] == 50

    spends = book["Витрати"]
    amount = spends["E2"]
    assert spends["E1"].value == "Сума (USD)"
    assert isinstance(amount.value, int | float) and amount.value == 30
    assert "USD" in amount.number_format and amount.number_format == money_format("USD")
    assert _column(spends, "Компенсація")[:2] == ["Подарунок", "Повернення коштів"]
    assert _column(spends, "Статус звернення")[-1] == "анульоване"

    events = book["Події"]
    assert _column(events, "Подія") == ["Надано компенсацію", "Рішення"]
    assert _column(events, "Сума (USD)")[0] == 30
    assert _column(events, "Подробиці")[1] == "Відмовлено · Немає підстав"

    surveys = book["Опитування"]
    assert _column(surveys, "CSAT (1–5)") == [5, None, 3, 5]
    assert _column(surveys, "Статус звернення")[-1] == "анульоване"


async def test_the_workbook_in_english(services: Services) -> None:
    book = _book(await _week(services), "en")
    assert book.sheetnames == ["Cases", "Events", "Spends", "Surveys"]
    assert [cell.value for cell in book["Spends"][1]] == [
        "Case",
        "Case status",
        "Time (Europe/Kyiv)",
        "Remedy",
        "Amount (USD)",
        "Given by",
        "Authorised by",
        "Team",
        "Customer key",
    ]
    assert _column(book["Cases"], "Status")[6] == "voided"
    assert _column(book["Events"], "Details")[1] == "Denied · Not justified"
    assert book["Cases"]["B2"].number_format == "yyyy-mm-dd hh:mm"


async def test_csv_files_with_a_bom(services: Services) -> None:
    data = await _week(services)
    files = export_files(data, ExportTexts().labels(data.policy, "uk"), as_csv=True)
    assert [f.name for f in files] == [
        f"{sheet}_2026-11-16_2026-11-22.csv" for sheet in ("cases", "events", "spends", "surveys")
    ]
    cases = files[0].content
    assert cases.startswith(BOM.encode())  # b"\xef\xbb\xbf": Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(cases.decode("utf-8-sig"))))
    assert rows[0]["Опис"] == WORDS
    assert rows[0]["Зафіксовано (Europe/Kyiv)"] == "2026-11-16 10:00:00"
    assert rows[0]["Витрачено (USD)"] == "30.00"
    assert rows[1]["Опис"].startswith("'=")  # not run as a formula
    assert rows[6]["Статус"] == "анульоване"


def test_which_periods_may_be_exported() -> None:
    today = date(2026, 11, 23)
    check_range(date(2026, 11, 16), today, today)
    check_range(date(2025, 10, 20), date(2026, 11, 23), today)  # 400 days, both counted
    for first, last, code in (
        (date(2026, 11, 22), date(2026, 11, 16), "export_backwards"),
        (date(2026, 11, 20), date(2026, 11, 24), "export_future"),
        (date(2025, 10, 19), date(2026, 11, 23), "export_too_long"),
    ):
        with pytest.raises(ServiceError) as refused:
            check_range(first, last, today)
        assert refused.value.code == code
    assert LONGEST == 400


async def test_presets_end_today(services: Services) -> None:
    week = await hotel_week(services)
    policy = (await services.policies.in_force(week.org_id)).policy
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)  # a Monday
    assert preset_days(policy, now, "tw") == (date(2026, 11, 23), date(2026, 11, 23))
    assert preset_days(policy, now, "lw") == (date(2026, 11, 16), date(2026, 11, 22))
    assert preset_days(policy, now, "tm") == (date(2026, 11, 1), date(2026, 11, 23))
    assert preset_days(policy, now, "lm") == (date(2026, 10, 1), date(2026, 10, 31))
