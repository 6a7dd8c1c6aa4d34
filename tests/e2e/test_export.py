"""/export through the sandbox: a manager who reads Ukrainian types any period and gets the
workbook, or CSV files a tap away; periods backwards, in the future or over 400 days are
refused in words; frontline staff cannot export at all."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl

from bot.render.callbacks import StatsStep
from bot.sandbox import SandboxUser
from tests.e2e.harness import Harness
from tests.e2e.test_digest import readers


def documents(user: SandboxUser) -> list[tuple[bytes, str]]:
    return [m.document for m in user.bot_messages if m.document is not None]


async def test_a_typed_period_in_ukrainian(harness: Harness) -> None:
    _, people = await readers(harness)
    mykola = people["mykola"]
    await mykola.send("/export 16.11.2026 22.11.2026")
    sent = await mykola.expect("Надіслано нижче: 16 лист. – 22 лист. 2026.")
    assert sent.button_labels == ["Файли CSV"]
    files = await harness.sandbox.wait_for(lambda: documents(mykola) or None, 10)
    content, name = files[0]
    assert name == "casebot_2026-11-16_2026-11-22.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Звернення", "Події", "Витрати", "Опитування"]
    cases = book["Звернення"]
    assert cases["A1"].value == "Звернення" and cases["E1"].value == "Статус"
    assert cases["B2"].value == datetime(2026, 11, 16, 10, 0)
    assert cases["C2"].value == "Очікування" and cases["E8"].value == "анульоване"
    spends = book["Витрати"]
    assert spends["E2"].value == 30 and "USD" in spends["E2"].number_format

    # The same days as CSV files, one a sheet, each with a BOM for Excel.
    await mykola.press("Файли CSV", sent)
    await harness.sandbox.wait_for(lambda: len(documents(mykola)) == 5 or None, 10)
    csvs = documents(mykola)[1:]
    assert [name for _, name in csvs] == [
        f"{sheet}_2026-11-16_2026-11-22.csv" for sheet in ("cases", "events", "spends", "surveys")
    ]
    assert all(content.startswith(b"\xef\xbb\xbf") for content, _ in csvs)
    text = csvs[0][0].decode("utf-8-sig")
    assert text.startswith("Звернення,Зафіксовано (Europe/Kyiv),Категорія,")
    assert "анульоване" in text


async def test_the_screen_presets_and_csv_files(harness: Harness) -> None:
    _, people = await readers(harness)
    mykola = people["mykola"]
    await mykola.send("/export")
    screen = await mykola.expect("Експорт")
    assert "/export 01.11.2026 15.11.2026" in screen.text
    assert screen.button_labels == [
        "Цей тиждень",
        "Минулий тиждень",
        "Цей місяць",
        "Минулий місяць",
        "Файли CSV",
    ]
    await mykola.press("Файли CSV", screen)
    csv_screen = await mykola.expect("файлами CSV")
    assert csv_screen.message_id == screen.message_id
    assert csv_screen.button_labels[-1] == "Книга Excel"
    await mykola.press("Минулий тиждень", csv_screen)
    await mykola.expect("Надіслано нижче: 16 лист. – 22 лист. 2026.")
    await harness.sandbox.wait_for(lambda: len(documents(mykola)) == 4 or None, 10)
    assert documents(mykola)[0][1] == "cases_2026-11-16_2026-11-22.csv"


async def test_periods_refused_in_words(harness: Harness) -> None:
    _, people = await readers(harness)
    mykola, sarah = people["mykola"], people["sarah"]
    await mykola.send("/export 22.11.2026 16.11.2026")
    assert "Перша дата пізніша за останню" in (await mykola.expect()).text
    await mykola.send("/export 20.11.2026 30.11.2026")  # today is 23 November
    assert (
        "Період закінчується після сьогоднішнього дня (23.11.2026)" in (await mykola.expect()).text
    )
    await mykola.send("/export 01.01.2025 22.11.2026")
    assert "Це понад 400 днів" in (await mykola.expect()).text
    await mykola.send("/export вчора")
    assert "/export 01.11.2026 15.11.2026" in (await mykola.expect()).text
    await sarah.send("/export 2026-11-30 2026-12-01")
    assert "The period ends after today (Nov 23, 2026)" in (await sarah.expect()).text
    assert documents(mykola) == [] and documents(sarah) == []


async def test_frontline_cannot_export(harness: Harness) -> None:
    _, people = await readers(harness)
    olena = people["olena"]
    await olena.send("/export 16.11.2026 22.11.2026")
    assert (await olena.expect()).text == "Це недоступно для вашої ролі."
    await olena.send("/help")
    menu = await olena.expect()
    before = len(olena.callback_answers)
    forged = StatsStep(action="csv", period="20261116-20261122").pack()
    await olena.press_data(forged, menu.message_id)
    await harness.sandbox.wait_for(
        lambda: True if len(olena.callback_answers) > before else None, 10
    )
    assert olena.callback_answers[-1].text == "Це недоступно для вашої ролі."
    await harness.settle()
    assert documents(olena) == []
