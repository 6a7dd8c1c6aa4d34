"""An export as a manager opens it: an .xlsx workbook (or CSV files with a BOM) whose sheets,
headers and values are in the reader's language, money is numbers in the currency's format and
times are the organisation's wall-clock time."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.services.exports import CaseRow, EventRow, ExportData, SpendRow, SurveyRow

TEXT, TIME, MONEY, NUMBER = "text", "time", "money", "number"
SHEETS: dict[str, tuple[tuple[str, str], ...]] = {
    "cases": (
        ("code", TEXT),
        ("created_at", TIME),
        ("category", TEXT),
        ("description", TEXT),
        ("status", TEXT),
        ("team", TEXT),
        ("reporter", TEXT),
        ("owner", TEXT),
        ("customer_key", TEXT),
        ("outcome", TEXT),
        ("first_contact", TEXT),
        ("escalated", TEXT),
        ("reopened", NUMBER),
        ("first_resolved_at", TIME),
        ("resolved_at", TIME),
        ("note", TEXT),
        ("spent", MONEY),
        ("voided_at", TIME),
        ("sensitive", TEXT),
    ),
    "events": (
        ("case", TEXT),
        ("case_status", TEXT),
        ("at", TIME),
        ("event", TEXT),
        ("actor", TEXT),
        ("remedy", TEXT),
        ("amount", MONEY),
        ("details", TEXT),
    ),
    "spends": (
        ("case", TEXT),
        ("case_status", TEXT),
        ("at", TIME),
        ("remedy", TEXT),
        ("amount", MONEY),
        ("given_by", TEXT),
        ("authorised_by", TEXT),
        ("team", TEXT),
        ("customer_key", TEXT),
    ),
    "surveys": (
        ("case", TEXT),
        ("case_status", TEXT),
        ("sent_at", TIME),
        ("answered_at", TIME),
        ("language", TEXT),
        ("csat", NUMBER),
        ("ces", NUMBER),
        ("nps", NUMBER),
        ("comment", TEXT),
        ("survey_kind", TEXT),
    ),
}
# Excel shows a number format as written, so each language gets the order its readers use.
TIME_FORMATS = {"uk": "dd.mm.yyyy hh:mm", "ru": "dd.mm.yyyy hh:mm", "en": "yyyy-mm-dd hh:mm"}
WIDEST = 60  # characters: longer texts wrap in the cell rather than push the sheet aside
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 (Cyrillic intact) only when it starts with one
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportLabels:
    """The words of an export in one language, made by the bot's texts (bot/render)."""

    locale: str
    sheets: Mapping[str, str]  # cases | events | spends | surveys → the sheet's name
    headers: Mapping[str, str]  # a column key of SHEETS → its header
    states: Mapping[str, str]
    outcomes: Mapping[str, str]
    kinds: Mapping[str, str]  # event kinds
    decisions: Mapping[str, str]
    reasons: Mapping[str, str]  # one-tap deny reasons, by key
    languages: Mapping[str, str]
    yes: str
    no: str
    # A follow-up's outcome (called, visited, remedy, unreached) → its words.
    follow_up_outcomes: Mapping[str, str] = field(default_factory=dict)
    survey_kinds: Mapping[str, str] = field(default_factory=dict)  # survey | resurvey


@dataclass(frozen=True)
class ExportFile:
    name: str
    content: bytes


def export_files(data: ExportData, labels: ExportLabels, as_csv: bool = False) -> list[ExportFile]:
    """The workbook, or one CSV file a sheet; named by the period, e.g. cases_2026-11-16_…"""
    stamp = f"{data.first.isoformat()}_{data.last.isoformat()}"
    tables = _tables(data, labels)
    if as_csv:
        return [ExportFile(f"{sheet}_{stamp}.csv", _csv(rows)) for sheet, rows in tables.items()]
    return [ExportFile(f"casebot_{stamp}.xlsx", _workbook(data, labels, tables))]


def headers(sheet: str, data: ExportData, labels: ExportLabels) -> list[str]:
    """Times say whose clock they are on (Excel keeps no zone), money in which currency."""
    names = []
    for key, kind in SHEETS[sheet]:
        name = labels.headers[key]
        if kind == TIME:
            name = f"{name} ({data.timezone})"
        elif kind == MONEY:
            name = f"{name} ({data.currency})"
        names.append(name)
    return names


def _tables(data: ExportData, labels: ExportLabels) -> dict[str, list[list[Any]]]:
    makers: dict[str, Callable[[Any], list[Any]]] = {
        "cases": lambda row: _case(row, data, labels),
        "events": lambda row: _event(row, data, labels),
        "spends": lambda row: _spend(row, data, labels),
        "surveys": lambda row: _survey(row, data, labels),
    }
    sources: dict[str, Sequence[Any]] = {
        "cases": data.cases,
        "events": data.events,
        "spends": data.spends,
        "surveys": data.surveys,
    }
    return {
        sheet: [headers(sheet, data, labels), *(makers[sheet](row) for row in sources[sheet])]
        for sheet in SHEETS
    }


def _yes_no(value: bool | None, labels: ExportLabels) -> str:
    return "" if value is None else labels.yes if value else labels.no


def _case(row: CaseRow, data: ExportData, labels: ExportLabels) -> list[Any]:
    return [
        row.code,
        data.local(row.created_at),
        data.policy.category_label(row.category, labels.locale),
        row.description,
        labels.states.get(row.state, row.state),
        row.team,
        row.reporter,
        row.owner,
        row.customer_key,
        labels.outcomes.get(row.outcome, row.outcome) if row.outcome else "",
        _yes_no(row.first_contact, labels),
        _yes_no(row.escalated, labels),
        row.reopened,
        data.local(row.first_resolved_at),
        data.local(row.resolved_at),
        row.note,
        row.spent,
        data.local(row.cancelled_at),
        _yes_no(row.sensitive, labels),
    ]


def _event(row: EventRow, data: ExportData, labels: ExportLabels) -> list[Any]:
    payload = row.payload
    remedy = str(payload.get("remedy") or "")
    amount = payload.get("amount")
    return [
        row.case,
        labels.states.get(row.case_state, row.case_state),
        data.local(row.at),
        labels.kinds.get(row.kind, row.kind),
        row.actor,
        data.policy.remedy_label(remedy, labels.locale) if remedy else "",
        _decimal(amount),
        _details(row, data, labels),
    ]


def _details(row: EventRow, data: ExportData, labels: ExportLabels) -> str:
    """What an event's record says beyond its kind, remedy and amount, in words."""
    payload = row.payload
    parts: list[str] = []
    if row.kind == "created" and payload.get("category"):
        parts.append(data.policy.category_label(str(payload["category"]), labels.locale))
    if row.kind == "decided":
        decision = str(payload.get("decision") or "")
        parts.append(labels.decisions.get(decision, decision))
        reason = str(payload.get("reason") or "")
        if reason:
            parts.append(labels.reasons.get(reason[1:], reason[1:]) if reason[0] == "@" else reason)
    if row.kind == "resolved" and payload.get("outcome"):
        outcome = str(payload["outcome"])
        parts.append(labels.outcomes.get(outcome, outcome))
    if row.kind == "survey_answered" and payload.get("csat") is not None:
        parts.append(f"CSAT {payload['csat']}")
        if payload.get("nps") is not None:
            parts.append(f"NPS {payload['nps']}")
    if row.kind == "follow_up_closed" and payload.get("outcome"):
        outcome = str(payload["outcome"])
        parts.append(labels.follow_up_outcomes.get(outcome, outcome))
    if row.kind in ("follow_up_opened", "resurvey_answered") and payload.get("csat") is not None:
        parts.append(f"CSAT {payload['csat']}")
    if row.kind == "cause" and payload.get("cause"):
        parts.append(data.policy.cause_label(str(payload["cause"]), labels.locale))
    if payload.get("authorised_by"):
        parts.append(str(payload["authorised_by"]))
    # A decision's reason was said above, in words for a one-tap one.
    typed: tuple[str, ...] = ("note", "text", "comment", "words")
    if row.kind != "decided":
        typed = ("reason", *typed)
    parts.extend(str(payload[key]) for key in typed if payload.get(key))
    return " · ".join(dict.fromkeys(part for part in parts if part))


def _spend(row: SpendRow, data: ExportData, labels: ExportLabels) -> list[Any]:
    return [
        row.case,
        labels.states.get(row.case_state, row.case_state),
        data.local(row.at),
        data.policy.remedy_label(row.remedy, labels.locale),
        row.amount,
        row.given_by,
        row.authorised_by,
        row.team,
        row.customer_key,
    ]


def _survey(row: SurveyRow, data: ExportData, labels: ExportLabels) -> list[Any]:
    return [
        row.case,
        labels.states.get(row.case_state, row.case_state),
        data.local(row.sent_at),
        data.local(row.answered_at),
        labels.languages.get(row.language, row.language),
        row.csat,
        row.ces,
        row.nps,
        row.comment,
        labels.survey_kinds.get(row.kind, row.kind),
    ]


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def money_format(currency: str) -> str:
    """`#,##0.00 "USD"`: the reader's Excel puts its own separators, the code says the money."""
    digits = get_currency_precision(currency)
    return f'#,##0{"." + "0" * digits if digits else ""} "{currency}"'


def _workbook(data: ExportData, labels: ExportLabels, tables: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"{data.org_name} · {data.first.isoformat()} – {data.last.isoformat()}"
    book.properties.creator = "casebot"
    time_format = TIME_FORMATS.get(labels.locale, TIME_FORMATS["en"])
    for sheet, rows in tables.items():
        page = book.create_sheet(_sheet_name(labels.sheets[sheet]))
        kinds = [kind for _, kind in SHEETS[sheet]]
        widths = [len(str(name)) for name in rows[0]]
        for values in rows:
            page.append([_cell_value(value) for value in values])
        for cell in page[1]:
            cell.font = Font(bold=True)
        for line in page.iter_rows(min_row=2):
            for cell, kind in zip(line, kinds, strict=True):
                if kind == TIME:
                    cell.number_format = time_format
                elif kind == MONEY:
                    cell.number_format = money_format(data.currency)
                elif kind == TEXT and cell.data_type == "f":
                    cell.data_type = "s"  # typed by a person: text, never a formula
        for values in rows[1:]:
            for index, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                shown = 16 if kind == TIME else len(str(value)) if value is not None else 0
                widths[index] = max(widths[index], shown + (3 if kind == MONEY else 0))
        for index, width in enumerate(widths, start=1):
            page.column_dimensions[get_column_letter(index)].width = min(width + 2, WIDEST)
        page.freeze_panes = "A2"
        page.auto_filter.ref = page.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    """Excel's rule: at most 31 characters, none of []:*?/\\."""
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31]


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    for values in rows:
        writer.writerow([_csv_value(value) for value in values])
    return buffer.getvalue().encode("utf-8")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # a spreadsheet would run it as a formula otherwise
    return str(value)
