"""`casebot demo`: the whole product in a browser, no token, no internet — the local Bot API
sandbox, the same bot and database as production, a web chat with a persona switcher, and a
demo hotel (created once; re-running keeps it) with six weeks of history."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bot.db.models import (
    Case,
    CaseEvent,
    DigestDelivery,
    Escalation,
    Member,
    Organisation,
    PolicyVersion,
    Spend,
    Survey,
    Team,
)
from bot.sandbox.web import Persona
from bot.services import Services
from bot.services.cases import CODE_ALPHABET

DEMO_ORG = "Demo Hotel"
TIMEZONE = "America/New_York"
HOTEL_POLICY = Path(__file__).resolve().parents[1] / "policies" / "hotel.toml"

PERSONAS = [
    Persona(5001, "Olena", "frontline · Українська", "uk"),
    Persona(5002, "Dmytro", "supervisor · Русский", "ru"),
    Persona(5003, "Sarah", "manager · English", "en"),
    Persona(5004, "Guest", "hotel guest · survey", "en"),
]
# (telegram id, name, role, team, language): the personas and the colleagues behind the history.
STAFF = [
    (5003, "Sarah", "admin", None, "en"),
    (5001, "Olena", "frontline", "Front desk", "uk"),
    (5002, "Dmytro", "supervisor", "Front desk", "ru"),
    (5101, "Anna", "frontline", "Front desk", "en"),
    (5102, "Petro", "frontline", "Restaurant", "uk"),
    (5103, "Ivan", "supervisor", "Restaurant", "ru"),
]
NOTES = (
    "Moved the guests to a quiet room on the 9th floor",
    "Dinner for two on the house; they left smiling",
    "Refunded the minibar charge at once",
    "Fixed the air conditioning while they were at breakfast",
    "Late checkout and an apology from the manager",
)
COMMENTS = ("Thank you, you were wonderful!", "Quick and kind.", "Дякую за турботу!")


async def seed(services: Services) -> int:
    """The demo organisation's id; created with its history on the first run only."""
    async with services.db.reading() as session:
        existing = await session.scalar(
            select(Organisation.id).where(Organisation.name == DEMO_ORG).order_by(Organisation.id)
        )
    if existing is not None:
        return int(existing)
    now = services.clock.now()
    start = now - timedelta(weeks=7)
    policy_text = await asyncio.to_thread(HOTEL_POLICY.read_text, encoding="utf-8")
    created = await services.organisations.create(
        DEMO_ORG, "USD", TIMEZONE, ("Front desk", "Restaurant")
    )
    rng = random.Random(2026)
    async with services.db.transaction() as session:
        org = await session.get(Organisation, created.id)
        assert org is not None
        org.created_at = start
        for first in await session.scalars(
            select(PolicyVersion).where(PolicyVersion.org_id == org.id)
        ):
            first.created_at = first.activated_at = start  # the default, replaced at once
        teams = dict(
            (await session.execute(select(Team.name, Team.id).where(Team.org_id == org.id))).all()
        )
        policy = PolicyVersion(
            org_id=org.id,
            version=2,
            source=policy_text,
            created_at=start,
            activated_at=start + timedelta(seconds=1),
        )
        session.add(policy)
        members: dict[str, Member] = {}
        for user_id, name, role, team, language in STAFF:
            members[name] = Member(
                org_id=org.id,
                telegram_user_id=user_id,
                name=name,
                role=role,
                team_id=teams.get(team) if team else None,
                language=language,
                joined_at=start,
                # Colleagues behind the history have no chat in the demo's sandbox.
                reachable=user_id in {p.user_id for p in PERSONAS},
            )
        session.add_all(members.values())
        await session.flush()
        history = _History(rng, org.id, policy.id, members, now)
        for day in range(42, 0, -1):
            for _ in range(rng.randint(4, 8)):
                history.case(now - timedelta(days=day))
        session.add_all(history.rows)
        await session.flush()
        session.add_all(history.follow_ups())
    return created.id


async def fresh_digests(services: Services, org_id: int) -> None:
    """Let the personas get last week's digest again on this start (their chats are new)."""
    async with services.db.transaction() as session:
        await session.execute(delete(DigestDelivery).where(DigestDelivery.org_id == org_id))


class _History:
    """Cases of the past weeks with their spends, escalations, surveys and events."""

    def __init__(
        self,
        rng: random.Random,
        org_id: int,
        version_id: int,
        members: dict[str, Member],
        now: datetime,
    ) -> None:
        self.rng = rng
        self.org_id = org_id
        self.version_id = version_id
        self.members = members
        self.now = now
        self.rows: list[object] = []
        self.pending: list[tuple[Case, dict[str, object]]] = []
        self.codes: set[str] = set()

    def _code(self) -> str:
        while True:
            code = "K-" + "".join(self.rng.choice(CODE_ALPHABET) for _ in range(4))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def case(self, day: datetime) -> None:
        rng = self.rng
        local = day.astimezone(ZoneInfo(TIMEZONE)).replace(
            hour=rng.randint(7, 22), minute=rng.randint(0, 59)
        )
        created = local.astimezone(day.tzinfo)
        if created >= self.now - timedelta(hours=1):
            return
        who = self.members[rng.choice(("Olena", "Olena", "Anna", "Petro"))]
        escalated = rng.random() < 0.15
        resolved = rng.random() < (0.75 if escalated else 0.9)
        took = timedelta(minutes=rng.lognormvariate(1.6, 0.9) * (4 if escalated else 1))
        fields: dict[str, object] = {}
        if resolved:
            at = created + took
            fields = {
                "first_resolved_at": at,
                "resolved_at": at,
                "outcome": rng.choice(("with_remedy", "with_remedy", "without_remedy")),
                "first_contact": rng.random() < 0.8,
                "resolution_note": rng.choice(NOTES) if rng.random() < 0.3 else None,
            }
        case = Case(
            org_id=self.org_id,
            code=self._code(),
            category=rng.choice(("noise", "room", "food", "billing", "service")),
            description=rng.choice(
                (
                    "Noisy neighbours after midnight",
                    "The room was not ready at check-in",
                    "Cold soup at dinner",
                    "Charged twice for parking",
                    "Waited 20 minutes for room service",
                )
            ),
            customer_key=f"{rng.randint(2, 9)}{rng.randint(0, 3)}{rng.randint(1, 9)}",
            state="resolved" if resolved else ("escalated" if escalated else "open"),
            reporter_id=who.id,
            owner_id=who.id,
            team_id=who.team_id,
            policy_version_id=self.version_id,
            created_at=created,
            reopened_count=0,
            escalated_ever=escalated,
            **fields,
        )
        self.rows.append(case)
        self.pending.append((case, {"escalated": escalated, "resolved": resolved}))

    def follow_ups(self) -> list[object]:
        rng = self.rng
        rows: list[object] = []
        approver = {
            self.members["Olena"].team_id: self.members["Dmytro"],
            self.members["Petro"].team_id: self.members["Ivan"],
        }
        for case, facts in self.pending:
            rows.append(self._event(case, case.reporter_id, "created", case.created_at))
            if rng.random() < 0.6:
                amount = rng.choice((2500, 4000, 6000, 12000, 18000, 35000))
                rows.append(
                    Spend(
                        org_id=self.org_id,
                        case_id=case.id,
                        team_id=case.team_id,
                        customer_key=case.customer_key,
                        remedy=rng.choice(("dinner", "voucher", "upgrade", "refund")),
                        amount_minor=amount,
                        given_by_id=case.owner_id,
                        authorised_by_id=case.owner_id,
                        policy_version_id=self.version_id,
                        request_key=secrets.token_urlsafe(12),
                        created_at=case.created_at + timedelta(minutes=2),
                    )
                )
            if facts["escalated"]:
                decided = bool(facts["resolved"]) or rng.random() < 0.5
                decider = approver.get(case.team_id, self.members["Sarah"])
                rows.append(
                    Escalation(
                        org_id=self.org_id,
                        case_id=case.id,
                        requester_id=case.reporter_id,
                        remedy="refund",
                        amount_minor=250000,
                        approver_role="supervisor",
                        state="decided" if decided else "pending",
                        decision=rng.choice(("approve", "approve", "part", "deny"))
                        if decided
                        else None,
                        approved_minor=250000 if decided else None,
                        reason="@smaller_remedy" if decided else None,
                        decided_by_id=decider.id if decided else None,
                        decided_at=case.created_at + timedelta(minutes=rng.randint(3, 40))
                        if decided
                        else None,
                        policy_version_id=self.version_id,
                        request_key=secrets.token_urlsafe(12),
                        created_at=case.created_at + timedelta(minutes=1),
                        reminders=0,
                        flagged=False,
                    )
                )
            if facts["resolved"] and case.first_resolved_at is not None:
                rows.append(self._event(case, case.owner_id, "resolved", case.first_resolved_at))
                if rng.random() < 0.45:
                    sent = case.first_resolved_at + timedelta(minutes=1)
                    answered = rng.random() < 0.75
                    rows.append(
                        Survey(
                            org_id=self.org_id,
                            case_id=case.id,
                            token_hash=secrets.token_hex(32),
                            created_at=sent,
                            expires_at=sent + timedelta(days=7),
                            language="en",
                            csat=rng.choice((5, 5, 5, 4, 4, 3, 2)) if answered else None,
                            ces=rng.randint(1, 4) if answered else None,
                            comment=rng.choice(COMMENTS)
                            if answered and rng.random() < 0.3
                            else None,
                            answered_at=sent + timedelta(minutes=4) if answered else None,
                            # The hotel's policy asks NPS too.
                            nps=rng.choice((10, 10, 9, 9, 8, 7, 6, 4)) if answered else None,
                        )
                    )
        return rows

    def _event(self, case: Case, actor: int, kind: str, at: datetime) -> CaseEvent:
        return CaseEvent(
            org_id=self.org_id,
            case_id=case.id,
            actor_id=actor,
            kind=kind,
            payload=json.dumps({}),
            policy_version_id=self.version_id,
            created_at=at,
        )
