"""Sensitive incidents through the sandbox. The hotel logs safety cases while "safety" is an
ordinary category; the admin uploads a policy that marks it sensitive and is told how many
earlier cases follow. From then on every surface that shows a case — the team's open cases in
/queue, a customer's cases in /my, /case, the export, the digest, /stats, the approval card and
the low-score notice — shows it in full only to its reporter, its approver, the manager (the
role the policy names) and the admin; others see a neutral line in their language, or nothing.

The matrix below is the whole rule in one place: a cell that changes fails the test."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import Member, Team
from bot.sandbox import SandboxMessage, SandboxUser
from bot.services.cases import CaseView
from bot.services.context import MemberView
from tests.e2e.harness import Harness
from tests.e2e.test_onboarding import owner_joins
from tests.e2e.test_surveys import rate

HOTEL = (Path(__file__).resolve().parents[2] / "policies" / "hotel.toml").read_text()
# The example hotel, in Kyiv, without the NPS question (the guests here answer CSAT and CES).
SENSITIVE = HOTEL.replace('timezone = "America/New_York"', 'timezone = "Europe/Kyiv"').replace(
    "survey = { nps = true }", "survey = { nps = false }"
)
ORDINARY = SENSITIVE.replace("sensitive = true\n", "")

FULL, NEUTRAL, NONE = "full", "neutral", "none"

# Who looks. The approver is Dmytro again: the same-team supervisor who was sent the approval
# card of case B, and reads B (only B) because he has to decide it.
VIEWERS = ("reporter", "frontline", "sup_same", "sup_other", "sup_other_en", "manager", "admin")
SURFACES = ("team_list", "my", "case", "export", "digest", "stats", "approval", "notice")
MATRIX: dict[str, dict[str, str]] = {
    # approval: the card of B, which went to the front desk's supervisor.
    #               team_list my       case     export  digest stats approval notice
    "reporter": dict(zip(SURFACES, (NONE, FULL, FULL, NONE, NONE, NONE, NONE, FULL), strict=True)),
    "frontline": dict(zip(SURFACES, (NONE,) * 8, strict=True)),
    "sup_same": dict(
        zip(SURFACES, (NEUTRAL, NEUTRAL, NEUTRAL, NONE, NONE, NONE, FULL, NONE), strict=True)
    ),
    "sup_other": dict(
        zip(SURFACES, (NONE, NEUTRAL, NEUTRAL, NONE, NONE, NONE, NONE, NONE), strict=True)
    ),
    "sup_other_en": dict(
        zip(SURFACES, (NONE, NEUTRAL, NEUTRAL, NONE, NONE, NONE, NONE, NONE), strict=True)
    ),
    "manager": dict(zip(SURFACES, (FULL, FULL, FULL, FULL, NONE, NONE, NONE, FULL), strict=True)),
    "admin": dict(zip(SURFACES, (FULL, FULL, FULL, FULL, NONE, NONE, NONE, FULL), strict=True)),
    # Of case B, which waits for his decision.
    "approver": dict(zip(SURFACES, (FULL, FULL, FULL, NONE, NONE, NONE, FULL, NONE), strict=True)),
}

APPROVE = {"Погодити", "Одобрить", "Approve"}
DIGESTS = ("Тижневий звіт", "Недельный отчёт", "Weekly digest")

# The neutral line in each reader's language.
LOCKED_LINE = {
    "uk": "🔒 Конфіденційне звернення",
    "ru": "🔒 Конфиденциальное обращение",
    "en": "🔒 Sensitive case",
}
LOCKED_CASE = {
    "uk": "🔒 Конфіденційне звернення · {code}\nЙого бачать лише той, хто його зафіксував, ролі, "
    "названі в політиці, та адміністратори.",
    "ru": "🔒 Конфиденциальное обращение · {code}\nЕго видят только тот, кто его зафиксировал, "
    "роли, названные в политике, и администраторы.",
    "en": "🔒 Sensitive case · {code}\nOnly its reporter, the roles the policy names and admins "
    "can read it.",
}


@dataclass
class Hotel:
    people: dict[str, SandboxUser]
    languages: dict[str, str]
    a: CaseView  # sensitive, open, customer 412 — what the matrix is about
    b: CaseView  # sensitive, waiting for Dmytro's approval
    d: CaseView  # sensitive, resolved, rated 5 with a comment: never a story
    e: CaseView  # sensitive, resolved, rated 1: the low-score notice
    n: CaseView  # an ordinary case rated 5: the story the digest does tell


async def view_of(h: Harness, user_id: int) -> MemberView:
    member = (await h.services.context.load_by_id(user_id)).member
    assert member is not None
    return member


async def hotel(h: Harness) -> Hotel:
    sarah = await owner_joins(h)  # admin, en
    people = {"admin": sarah}
    cast = {
        "reporter": (1002, "Olena", "frontline", "Front desk", "uk"),
        "frontline": (1003, "Petro", "frontline", "Front desk", "uk"),
        "sup_same": (1004, "Dmytro", "supervisor", "Front desk", "ru"),
        "sup_other": (1005, "Ivan", "supervisor", "Restaurant", "uk"),
        "sup_other_en": (1006, "Emma", "supervisor", "Restaurant", "en"),
        "manager": (1007, "Maria", "manager", None, "ru"),
    }
    for key, (user_id, name, _, _, language) in cast.items():
        people[key] = h.user(user_id, name, language)
        await people[key].send("/help")  # their chats exist before they are members
    await h.settle()
    admin = await view_of(h, 1001)
    async with h.db.transaction() as session:
        teams = {
            t.name: t.id
            for t in await session.scalars(select(Team).where(Team.org_id == admin.org_id))
        }
        for user_id, name, role, team, language in cast.values():
            session.add(
                Member(
                    org_id=admin.org_id,
                    telegram_user_id=user_id,
                    name=name,
                    role=role,
                    team_id=teams[team] if team else None,
                    language=language,
                    joined_at=h.services.clock.now(),
                )
            )
    # The hotel's policy while safety is an ordinary category.
    proposal = await h.services.policies.propose(admin, ORDINARY.encode())
    await h.services.policies.activate(admin, proposal.draft_id)

    olena = await view_of(h, 1002)
    cases = h.services.cases
    a = await cases.create(
        olena,
        category="safety",
        description="Гість послизнувся у ванній",
        customer_key="412",
        customer_words="Болить коліно",
    )
    b = await cases.create(
        olena, category="safety", description="Гостю погрожував сусід", customer_key="412"
    )
    asked = await cases.give(olena, b.id, "refund", Decimal(2500), f"sens-{b.id}", mode="ask")
    assert asked.escalation_id is not None and asked.approvers == ("Dmytro",)
    d = await cases.create(olena, category="safety", description="Алергія на горіхи в десерті")
    e = await cases.create(olena, category="safety", description="Гостя ображав відвідувач")
    n = await cases.create(olena, category="room", description="Не працював кондиціонер")
    await h.settle()
    languages = {key: value[4] for key, value in cast.items()} | {"admin": "en"}
    return Hotel(people, languages, a, b, d, e, n)


def since(user: SandboxUser, mark: int) -> list[SandboxMessage]:
    return [m for m in user.bot_messages if m.version > mark]


async def said(h: Harness, user: SandboxUser, text: str) -> list[SandboxMessage]:
    """What the bot answered to `text`, once it has finished answering."""
    mark = h.sandbox.version
    await user.send(text)
    await h.settle()
    return since(user, mark)


def seen(texts: list[str], case: CaseView) -> str:
    """How a case shows in these texts: in full (its description), a neutral line, or not."""
    if any(case.description in text for text in texts):
        return FULL
    if any(case.code in text and "🔒" in text for text in texts):
        # A neutral line keeps everything else of the case out.
        for text in texts:
            assert "412" not in text.split(case.code, 1)[-1].split("\n", 1)[0], text
            assert "Болить коліно" not in text, text
        return NEUTRAL
    return NONE


async def team_list(h: Harness, user: SandboxUser) -> list[str]:
    """/queue, then its button of the team's open cases (the last one)."""
    answer = await said(h, user, "/queue")
    queue = next((m for m in answer if m.buttons), None)
    if queue is None:
        return []
    mark = h.sandbox.version
    await user.press(queue.button_labels[-1], queue)
    await h.settle()
    return [m.text for m in since(user, mark)]


async def export(h: Harness, user: SandboxUser, case: CaseView) -> str:
    answer = await said(h, user, "/export 2026-11-23 2026-11-29")
    files = [m.document for m in answer if m.document is not None]
    if not files:
        return NONE
    book = openpyxl.load_workbook(io.BytesIO(files[0][0]))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == case.code)
    marked = row[len(header) - 1]
    assert marked in ("Так", "Да", "Yes"), (header, row)  # exports mark sensitive cases
    return FULL if row[3] == case.description else NEUTRAL


async def observe(h: Harness, place: Hotel, viewer: str) -> dict[str, str]:
    """Every surface as `viewer` meets it, each cell one of full / neutral / none."""
    user = place.people["sup_same" if viewer == "approver" else viewer]
    case = place.b if viewer == "approver" else place.a
    cells = {
        "team_list": seen(await team_list(h, user), case),
        "my": seen([m.text for m in await said(h, user, "/my 412")], case),
        "case": seen([m.text for m in await said(h, user, f"/case {case.code}")], case),
        "export": await export(h, user, case),
        "stats": seen([m.text for m in await said(h, user, "/stats")], case),
    }
    # What arrived without asking: the approval card of B, the follow-up card of E's low score (a
    # sensitive case rated 1, with the guest's words), the digest (never a sensitive story).
    arrived = user.bot_messages
    cards = [m.text for m in arrived if place.b.code in m.text and APPROVE & set(m.button_labels)]
    cells["approval"] = seen(cards, place.b)
    notices = [m.text for m in arrived if place.e.code in m.text and "Мене образили" in m.text]
    cells["notice"] = FULL if notices else NONE
    digests = [m.text for m in arrived if any(title in m.text for title in DIGESTS)]
    cells["digest"] = seen(digests, place.d)
    return {surface: cells[surface] for surface in SURFACES}


async def rated(h: Harness, place: Hotel) -> None:
    """D, E and N resolved and rated by the guest (D 5 with thanks, E 1 with a complaint)."""
    olena = await view_of(h, 1002)
    guest = h.user(5001, "Guest", "uk")
    for case, stars, words in (
        (place.d, 5, "Дякую за турботу"),
        (place.e, 1, "Мене образили"),
        (place.n, 5, None),
    ):
        await h.services.lifecycle.resolve(
            olena, case.id, "without_remedy", True, note=f"Нотатка {case.code}"
        )
        link = await h.services.surveys.issue(olena, case.id)
        await rate(guest, link.token, stars, words)
    await h.settle()


# The matrix is the rule, not the dialect: it runs once, on SQLite (a minute of CI). The
# queries that decide a cell (veiled_cases) run on both databases in the test after it.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_sensitive_visibility_matrix(harness: Harness) -> None:
    place = await hotel(harness)
    sarah = place.people["admin"]

    # The upload screen says what becomes sensitive, and that the earlier cases follow.
    await sarah.send_document(SENSITIVE.encode(), "hotel.toml")
    proposal = await sarah.expect("New policy · version 3")
    assert (
        "🔒 Safety is now sensitive: its 4 earlier cases become visible only to their "
        "reporters and approvers, and to: manager, admin." in proposal.text
    )
    await sarah.press("Activate")
    await sarah.expect("Policy version 3 is in force.")
    await rated(harness, place)

    # The Monday digest of the week: the ordinary case is its story, the sensitive one never.
    clock = harness.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=7))
    assert await harness.services.digests.run_due() == 5
    await harness.settle()
    digest = await place.people["manager"].expect("Недельный отчёт")
    assert place.n.code in digest.text

    found = {viewer: await observe(harness, place, viewer) for viewer in (*VIEWERS, "approver")}
    wrong = {
        (viewer, surface): (found[viewer][surface], expected)
        for viewer, row in MATRIX.items()
        for surface, expected in row.items()
        if found[viewer][surface] != expected
    }
    assert not wrong, "\n".join(
        f"{cell}: {got} (expected {want})" for cell, (got, want) in wrong.items()
    )

    # The neutral line, in each reader's language.
    for viewer in ("sup_same", "sup_other", "sup_other_en"):
        user, language = place.people[viewer], place.languages[viewer]
        lines = [m.text for m in await said(harness, user, "/my 412")]
        locked = f"• {place.a.code} · {LOCKED_LINE[language]} · "
        assert any(line.startswith(locked) for t in lines for line in t.splitlines()), lines
        refusal = [m.text for m in await said(harness, user, f"/case {place.a.code}")]
        assert refusal == [LOCKED_CASE[language].format(code=place.a.code)]


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        # No role named: the manager is one of "everyone else"; the admin still reads it all.
        (
            "[]",
            {
                "manager": {"my": NEUTRAL, "case": NEUTRAL, "export": NEUTRAL},
                "sup_same": {"case": NEUTRAL},
                "admin": {"case": FULL, "export": FULL},
            },
        ),
        # Supervisors named: every supervisor reads it, the manager does not.
        (
            '["supervisor"]',
            {
                "manager": {"case": NEUTRAL, "export": NEUTRAL},
                "sup_same": {"my": FULL, "case": FULL},
                "sup_other": {"case": FULL},
                "frontline": {"case": NONE},
            },
        ),
    ],
)
async def test_the_roles_the_policy_names_decide(
    harness: Harness, named: str, expected: dict[str, dict[str, str]]
) -> None:
    place = await hotel(harness)
    admin = await view_of(harness, 1001)
    text = SENSITIVE.replace('sensitive_roles = ["manager"]', f"sensitive_roles = {named}")
    proposal = await harness.services.policies.propose(admin, text.encode())
    await harness.services.policies.activate(admin, proposal.draft_id)
    harness.services.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    for viewer, cells in expected.items():
        user = place.people[viewer]
        commands = {"my": "/my 412", "case": f"/case {place.a.code}"}
        for surface, want in cells.items():
            if surface == "export":
                got = await export(harness, user, place.a)
            else:
                got = seen([m.text for m in await said(harness, user, commands[surface])], place.a)
            assert got == want, (named, viewer, surface)
