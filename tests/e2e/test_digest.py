"""The Monday digest through the sandbox in uk, ru and en — once per person, whoever runs the
scheduler and however often — and /stats and /export within each role's rights."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import openpyxl
from sqlalchemy import func, select

from bot.app import make_services
from bot.clock import FrozenClock
from bot.db.engine import Database
from bot.db.models import DigestDelivery, Member
from bot.render.callbacks import StatsStep
from bot.sandbox import SandboxUser
from tests.e2e.harness import Harness
from tests.metrics.fixture import Week, hotel_week, utc


async def readers(h: Harness) -> tuple[Week, dict[str, SandboxUser]]:
    """The hand-made week, a manager who reads Ukrainian and an admin who reads English;
    Dmytro (supervisor of the front desk) reads Russian."""
    people = {
        "olena": h.user(11, "Olena", "uk"),
        "dmytro": h.user(13, "Dmytro", "ru"),
        "sarah": h.user(14, "Sarah", "en"),
        "mykola": h.user(15, "Mykola", "uk"),
    }
    for person in people.values():
        await person.send("/help")  # their chats with the bot exist before they are members
    await h.settle()
    week = await hotel_week(h.services)
    async with h.db.transaction() as session:
        session.add_all(
            [
                Member(
                    org_id=week.org_id,
                    telegram_user_id=14,
                    name="Sarah",
                    role="admin",
                    language="en",
                    joined_at=utc(1, 8),
                ),
                Member(
                    org_id=week.org_id,
                    telegram_user_id=15,
                    name="Mykola",
                    role="manager",
                    language="uk",
                    joined_at=utc(1, 8),
                ),
            ]
        )
    return week, people


def digests(user: SandboxUser) -> tuple[list[bytes], list[str]]:
    photos = [m.photo for m in user.bot_messages if m.photo is not None]
    texts = [
        m.text
        for m in user.bot_messages
        if "Weekly" in m.text or "звіт" in m.text or "отчёт" in m.text
    ]
    return photos, texts  # type: ignore[return-value]


async def test_the_monday_digest_in_three_languages_once(
    harness: Harness, database_url: str
) -> None:
    _, people = await readers(harness)
    other_db = Database(database_url)
    try:
        # Two processes' schedulers at once, and this process's own loop meanwhile.
        await asyncio.gather(
            harness.services.digests.run_due(),
            make_services(other_db, harness.services.clock).digests.run_due(),
        )
    finally:
        await other_db.dispose()
    mykola = await people["mykola"].expect("Тижневий звіт · Kyiv Hotel")
    sarah = await people["sarah"].expect("Weekly digest · Kyiv Hotel")
    dmytro = await people["dmytro"].expect("Недельный отчёт · Kyiv Hotel · Front desk")
    await harness.restart_bot()  # a restart after queueing sends nothing twice
    assert await harness.services.digests.run_due() == 0
    await harness.settle()

    assert "Звернення: зафіксовано 6 (↑5), вирішено 5 (↑5), у роботі 2" in mykola.text
    assert "FCR: 40%" in mykola.text and "130,00\xa0USD" in mykola.text
    assert "Час вирішення: медіана 20 хв" in mykola.text
    assert "Cases: logged 6 (↑5), resolved 5 (↑5), backlog 2" in sarah.text
    assert "16 Nov – 22 Nov 2026 · vs last week" in sarah.text
    assert "16 лист. – 22 лист. 2026 · проти минулого тижня" in mykola.text
    assert "Spend: $130.00 (last week $20.00), $26.00 per resolved case" in sarah.text
    assert "Resolution: median 20 min, p90 3 days 14 hr, mean 1 day 5 hr" in sarah.text
    assert "K-AAAA, Olena: “Gave a gift card”" in sarah.text
    assert sarah.button_labels == ["Figures explained"]
    assert mykola.button_labels == ["Що означають цифри"]
    assert "40%" in sarah.bold and "6" in sarah.bold
    # The front desk only: A B E F logged, A B H resolved.
    assert "Обращения: зафиксировано 4 (↑3), решено 3 (↑3), в работе 2" in dmytro.text
    assert "130,00\xa0$" in dmytro.text
    for text in (mykola.text, sarah.text, dmytro.text):
        assert len(text) <= 4096
    for name in ("mykola", "sarah", "dmytro"):
        photos, texts = digests(people[name])
        assert len(photos) == 1 and photos[0].startswith(b"\x89PNG"), name
        assert len(texts) == 1, name
    captions = [m.caption for m in people["sarah"].bot_messages if m.photo is not None]
    assert captions == ["Cases per day · 16 Nov – 22 Nov 2026"]
    assert digests(people["olena"]) == ([], [])  # frontline staff get no digest
    async with harness.db.reading() as session:
        rows = await session.scalar(select(func.count()).select_from(DigestDelivery))
    assert rows == 3


async def test_stats_and_export_by_role(harness: Harness) -> None:
    week, people = await readers(harness)
    olena, dmytro, sarah = people["olena"], people["dmytro"], people["sarah"]
    await olena.send("/stats")
    assert (await olena.expect()).text == "Це недоступно для вашої ролі."
    await olena.send("/export")
    assert (await olena.expect()).text == "Це недоступно для вашої ролі."

    await dmytro.send("/stats")
    mine = await dmytro.expect("Статистика · Kyiv Hotel · Front desk")
    assert mine.button_labels == [
        "✓ Эта неделя",
        "Прошлая неделя",
        "Этот месяц",
        "График",
        "Что значат цифры",
    ]
    # The jargon, one line each, below the figures (which stay).
    await dmytro.press("Что значат цифры", mine)
    terms = await dmytro.expect("Что значат цифры")
    assert terms.message_id != mine.message_id
    for term in ("FCR", "CSAT", "CES", "p90", "п. п."):
        assert term in terms.bold or term in terms.text, term
    await dmytro.press("Прошлая неделя", mine)
    last = await dmytro.expect("Обращения: зафиксировано 4")
    assert last.message_id == mine.message_id
    # A forged button for the restaurant's figures is refused.
    restaurant = next(
        tid
        for tid, name in await harness.services.organisations.teams(week.org_id)
        if name == "Restaurant"
    )
    before = len(dmytro.callback_answers)
    forged = StatsStep(action="stats", period="lw", team_id=restaurant).pack()
    await dmytro.press_data(forged, mine.message_id)
    await harness.sandbox.wait_for(
        lambda: True if len(dmytro.callback_answers) > before else None, 10
    )
    assert dmytro.callback_answers[-1].text == "Это недоступно для вашей роли."
    await dmytro.send("/stats 2026-11-16 2026-11-22")
    typed = await dmytro.expect("Статистика")
    assert "16 нояб. – 22 нояб. 2026" in typed.text
    await dmytro.send("/stats вчера")
    assert "Введите период двумя датами" in (await dmytro.expect()).text

    await sarah.send("/stats")
    org = await sarah.expect("Statistics · Kyiv Hotel")
    assert "Everyone" in " ".join(org.button_labels)
    await sarah.press("Last week", org)
    await sarah.expect("Cases: logged 6")
    await sarah.press("Restaurant")
    team = await sarah.expect("Statistics · Kyiv Hotel · Restaurant")
    assert "Cases: logged 2 (↑2), resolved 2 (↑2), backlog 0" in team.text
    await sarah.press("Chart", team)
    chart = await sarah.expect(where=lambda m: m.photo is not None)
    assert chart.caption == "Cases per day · 16 Nov – 22 Nov 2026"
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")

    await sarah.send("/export")
    screen = await sarah.expect("Export")
    assert screen.button_labels == [
        "This week",
        "Last week",
        "This month",
        "Last month",
        "CSV files",
    ]
    await sarah.press("Last week")
    sent = await sarah.expect("Sent below: 16 Nov – 22 Nov 2026.")
    assert sent.button_labels == ["CSV files"]  # the same days, as CSV, a tap away
    files = await harness.sandbox.wait_for(
        lambda: [m.document for m in sarah.bot_messages if m.document] or None, 10
    )
    assert [name for _, name in files] == ["casebot_2026-11-16_2026-11-22.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(files[0][0]))
    assert book.sheetnames == ["Cases", "Events", "Spends", "Surveys"]
    rows = list(book["Cases"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [
        "K-AAAA",
        "K-BBBB",
        "K-CCCC",
        "K-DDDD",
        "K-EEEE",
        "K-FFFF",
        "K-GGGG",
    ]
    assert rows[0][1] == "Logged (Europe/Kyiv)" and rows[1][1] == datetime(2026, 11, 16, 10, 0)
    spent = rows[0].index("Spent (USD)")
    status = rows[0].index("Status")
    assert rows[1][spent] == 30 and rows[7][status] == "voided"


async def test_stats_mid_week_compare_like_for_like(harness: Harness, clock: FrozenClock) -> None:
    """Wednesday 18 November, 17:00 in Kyiv: this week so far against Monday to Wednesday
    17:00 of the last (H only), rates to a tenth where a whole number would hide them."""
    clock.advance(datetime(2026, 11, 18, 15, tzinfo=UTC) - clock.now())
    _, people = await readers(harness)
    sarah, dmytro = people["sarah"], people["dmytro"]

    await sarah.send("/stats")
    now = await sarah.expect("Statistics · Kyiv Hotel")
    assert now.text.splitlines()[1] == "16 Nov – 22 Nov 2026 · Mon–Wed vs Mon–Wed last week"
    assert "Cases: logged 6 (↑5)" in now.text
    # Escalated B and F of six; none of H alone the week before.
    assert "Escalation rate 33.3% (↑33.3 pp)" in now.text
    assert "response rate 66.7%" in now.text
    assert "(last week " in now.text  # the same stretch of last week, as the label says

    await sarah.press("This month", now)
    month = await sarah.expect("1–18 Nov vs 1–18 Oct")
    assert month.text.splitlines()[1].endswith(" · 1–18 Nov vs 1–18 Oct")
    assert "(previous month $0.00)" in month.text
    await sarah.press("Last week", month)
    last = await sarah.expect("vs last week")
    assert last.text.splitlines()[1] == "9 Nov – 15 Nov 2026 · vs last week"

    await dmytro.send("/stats")
    mine = await dmytro.expect("Статистика · Kyiv Hotel · Front desk")
    assert "пн–ср против пн–ср прошлой недели" in mine.text.splitlines()[1]
    assert "Доля эскалаций 50\xa0% (↑50 п. п.)" in mine.text
