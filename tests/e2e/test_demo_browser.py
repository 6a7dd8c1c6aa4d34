"""`casebot demo` in a real headless Chromium (Debian's package, driven by Playwright): Olena
logs a case and gives a remedy within her authority, then asks approval for more; Dmytro
approves it; Sarah opens her digest. Screenshots go to test-artifacts/demo/."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "demo"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (.ci/run installs Debian's chromium)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
    env["CASEBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        str(port),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[bytes] = []

    async def ready() -> str:
        while True:
            line = await process.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise AssertionError("the demo exited:\n" + b"".join(lines).decode())
            lines.append(line)
            if b"casebot demo: open " in line:
                return line.decode().split("open ", 1)[1].split()[0]

    url = await asyncio.wait_for(ready(), 60)

    async def drain() -> None:  # the demo logs on; a full pipe must never stall it
        while line := await process.stdout.readline():  # type: ignore[union-attr]
            lines.append(line)

    draining = asyncio.create_task(drain())
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C stops everything cleanly
        code = await asyncio.wait_for(process.wait(), 30)
        await draining
        assert code == 0, b"".join(lines).decode()[-3000:]


async def test_the_story_in_the_browser(demo: str) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 430, "height": 880})
        await page.goto(demo)
        personas = page.locator(".persona")
        await expect(personas).to_have_count(4)
        await expect(personas.nth(0)).to_contain_text("Olena")
        messages = page.locator("#messages .message")

        async def say(text: str) -> None:
            await page.fill("#text", text)
            await page.press("#text", "Enter")

        async def tap(label: str) -> None:
            await page.get_by_role("button", name=label, exact=True).last.click()

        async def shows(text: str) -> None:
            await expect(messages.filter(has_text=text).last).to_be_visible(timeout=15_000)

        # Olena logs a case and gives a dinner within her authority.
        await page.get_by_role("tab", name="Olena").click()
        await shows("Ваша роль: працівник першої лінії")
        await page.locator("#reply-keyboard button", has_text="Нове звернення").click()
        await shows("Чого стосується проблема?")
        await tap("Шум")
        await shows("Опишіть проблему")
        await say("Гості з 415 шумлять після опівночі")
        await shows("Хто клієнт?")
        await say("412")
        await shows("Слова самого клієнта?")
        await tap("Створити")
        await shows("Звернення K-")
        await expect(messages.last.locator("b").first).to_contain_text("Звернення K-")
        await tap("Компенсувати")
        await tap("Вечеря")
        await shows("Скільки, у USD?")
        await say("100")
        await tap("Підтвердити")
        await shows("Записано: Вечеря на 100,00")
        # …then asks approval for a refund above what is left of her $2,000.
        await tap("Відкрити звернення")
        await tap("Компенсувати")
        await tap("Повернення коштів")
        await shows("Скільки, у USD?")
        await say("2600")
        await tap("Запросити погодження")
        await shows("Запит на погодження")
        await page.screenshot(path=str(ARTIFACTS / "1-olena.png"))

        # Dmytro approves on his card, in Russian.
        await page.get_by_role("tab", name="Dmytro").click()
        await shows("Нужно одобрение")
        await expect(messages.filter(has_text="Нужно одобрение").last).to_contain_text(
            "2\u00a0600,00\u00a0$, возврат денег"
        )
        await tap("Одобрить")
        await shows("Одобрить 2\u00a0600,00\u00a0$?")  # above the policy's confirm_above
        await tap("Одобрить")
        await shows("Решение принято")
        await expect(page.locator(".edited").last).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "2-dmytro.png"))

        # Olena has the answer in Ukrainian.
        await page.get_by_role("tab", name="Olena").click()
        await shows("Погоджено 2\u00a0600,00\u00a0USD")

        # Sarah reads the week's digest with its chart.
        await page.get_by_role("tab", name="Sarah").click()
        await shows("Weekly digest · Demo Hotel")
        chart = page.locator(".bubble img").first
        await expect(chart).to_be_visible()
        assert await chart.evaluate("img => img.naturalWidth") >= 1000
        await page.screenshot(path=str(ARTIFACTS / "3-sarah.png"))
        # …and exports the week as a workbook, offered as a download.
        await say("/export")
        await shows("Which period?")
        await tap("This week")
        await shows("Sent below")
        documents = page.locator("a.document")
        await expect(documents).to_have_count(1)
        async with page.expect_download() as download:
            await documents.first.click()
        saved = await (await download.value).path()
        workbook = await asyncio.to_thread(Path(saved).read_bytes)
        assert workbook.startswith(b"PK")  # an .xlsx is a zip
        await browser.close()
    for name in ("1-olena.png", "2-dmytro.png", "3-sarah.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


async def test_replay_tour_and_a_photo(demo: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    from bot.render.catalog import make_i18n
    from bot.render.digest import chart_png  # any real PNG will do as the "photo"

    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        png = chart_png([], "en")
    picture = tmp_path / "broken-lamp.png"
    picture.write_bytes(png)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 430, "height": 880})
        await page.goto(demo)
        await page.get_by_role("button", name="Replay tour").click()
        banner = page.locator("#banner")
        await expect(banner).to_contain_text("That was the tour", timeout=90_000)
        await expect(page.get_by_role("tab", name="Sarah")).to_have_attribute(
            "aria-selected", "true"
        )
        # A case described by a photo with a caption, as from a phone's camera.
        await page.get_by_role("tab", name="Olena").click()
        await page.fill("#text", "/new")
        await page.press("#text", "Enter")
        await page.get_by_role("button", name="Номер", exact=True).last.click()
        await expect(page.locator("#messages .message").last).to_contain_text("Опишіть проблему")
        await page.fill("#text", "Лампа біля ліжка не світить")
        await page.set_input_files("#photo", str(picture))
        await expect(page.locator("#messages .message").last).to_contain_text("Хто клієнт?")
        await expect(page.locator(".mine .bubble img").last).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "4-tour-and-photo.png"))
        await browser.close()
