"""Creating organisations and their teams (the command-line side of onboarding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import list_currencies
from sqlalchemy import func, select

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Organisation, Role, Team
from bot.services.errors import ServiceError
from bot.services.invites import InviteService
from bot.services.policies import PolicyService

OWNER_INVITE_TTL = timedelta(days=7)


@dataclass(frozen=True)
class CreatedOrganisation:
    id: int
    name: str
    owner_invite_code: str


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if code not in list_currencies():
        raise ServiceError("unknown_currency", currency=code)
    return code


def check_timezone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError("unknown_timezone", timezone=name) from None
    if name not in available_timezones():
        raise ServiceError("unknown_timezone", timezone=name)
    return name


def check_name(name: str, limit: int) -> str:
    name = " ".join(name.split())
    if not name:
        raise ServiceError("empty_name")
    if len(name) > limit:
        raise ServiceError("name_too_long", limit=limit)
    return name


class OrganisationService:
    def __init__(
        self, db: Database, clock: Clock, invites: InviteService, policies: PolicyService
    ) -> None:
        self.db = db
        self.clock = clock
        self.invites = invites
        self.policies = policies

    async def create(
        self, name: str, currency: str, timezone: str, teams: list[str] | tuple[str, ...] = ()
    ) -> CreatedOrganisation:
        name = check_name(name, 120)
        currency = check_currency(currency)
        timezone = check_timezone(timezone)
        team_names = list(dict.fromkeys(check_name(t, 80) for t in teams))
        now = self.clock.now()
        async with self.db.transaction() as session:
            org = Organisation(name=name, currency=currency, timezone=timezone, created_at=now)
            session.add(org)
            await session.flush()
            for team_name in team_names:
                session.add(Team(org_id=org.id, name=team_name, created_at=now))
            await self.policies.add_default(session, org)
            code = await self.invites.issue(
                session,
                org_id=org.id,
                role=Role.ADMIN,
                team_id=None,
                max_uses=1,
                ttl=OWNER_INVITE_TTL,
                created_by_id=None,
            )
            return CreatedOrganisation(id=org.id, name=org.name, owner_invite_code=code)

    async def add_team(self, org_id: int, name: str) -> int:
        name = check_name(name, 80)
        async with self.db.transaction() as session:
            exists = await session.scalar(
                select(func.count()).where(Team.org_id == org_id, Team.name == name)
            )
            if exists:
                raise ServiceError("team_exists", team=name)
            team = Team(org_id=org_id, name=name, created_at=self.clock.now())
            session.add(team)
            await session.flush()
            return team.id

    async def all(self) -> list[tuple[int, str, str, str]]:
        async with self.db.reading() as session:
            rows = await session.execute(
                select(
                    Organisation.id, Organisation.name, Organisation.currency, Organisation.timezone
                ).order_by(Organisation.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def teams(self, org_id: int) -> list[tuple[int, str]]:
        async with self.db.reading() as session:
            rows = await session.execute(
                select(Team.id, Team.name).where(Team.org_id == org_id).order_by(Team.name)
            )
            return [(row[0], row[1]) for row in rows]
