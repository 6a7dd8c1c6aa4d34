"""Members: language, the admin's team screen (role, team, deactivation), switching organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Account, Member, Role, Team
from bot.i18n import LOCALES
from bot.services.context import MemberView, member_view
from bot.services.errors import ServiceError
from bot.services.invites import require_admin

PAGE_SIZE = 8


@dataclass(frozen=True)
class MemberPage:
    members: list[MemberView]
    page: int
    pages: int
    total: int


class MemberService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def set_language(self, actor: MemberView, language: str) -> None:
        if language not in LOCALES:
            raise ServiceError("bad_language")
        async with self.db.transaction() as session:
            member = await session.get(Member, actor.id)
            if member is None or not member.active:
                raise ServiceError("not_allowed")
            # The choice follows the person into every organisation they belong to.
            for other in await session.scalars(
                select(Member).where(Member.telegram_user_id == member.telegram_user_id)
            ):
                other.language = language

    async def page(self, actor: MemberView, page: int) -> MemberPage:
        async with self.db.reading() as session:
            await require_admin(session, actor)
            total = int(
                await session.scalar(
                    select(func.count()).select_from(Member).where(Member.org_id == actor.org_id)
                )
                or 0
            )
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            rows = await session.scalars(
                _members_query()
                .where(Member.org_id == actor.org_id)
                # Active people first, then by name, so the list reads like a roster.
                .order_by(Member.active.desc(), func.lower(Member.name), Member.id)
                .offset(page * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
            return MemberPage([member_view(m) for m in rows], page, pages, total)

    async def get(self, actor: MemberView, member_id: int) -> MemberView:
        async with self.db.reading() as session:
            await require_admin(session, actor)
            return member_view(await _member_of_org(session, actor.org_id, member_id))

    async def change_role(self, actor: MemberView, member_id: int, role: Role) -> MemberView:
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            member = await _member_of_org(session, actor.org_id, member_id)
            if member.role == Role.ADMIN and role != Role.ADMIN:
                await _keep_an_admin(session, actor.org_id, member.id)
            member.role = Role(role)
            await session.flush()
            return member_view(member)

    async def change_team(
        self, actor: MemberView, member_id: int, team_id: int | None
    ) -> MemberView:
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            member = await _member_of_org(session, actor.org_id, member_id)
            if team_id is not None:
                team = await session.get(Team, team_id)
                if team is None or team.org_id != actor.org_id:
                    raise ServiceError("no_such_team")
            member.team_id = team_id
            await session.flush()
            await session.refresh(member, ["team"])
            return member_view(member)

    async def deactivate(self, actor: MemberView, member_id: int) -> MemberView:
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            member = await _member_of_org(session, actor.org_id, member_id)
            if member.id == actor.id:
                raise ServiceError("cannot_deactivate_self")
            if not member.active:
                return member_view(member)
            if member.role == Role.ADMIN:
                await _keep_an_admin(session, actor.org_id, member.id)
            member.active = False
            member.deactivated_at = self.clock.now()
            await session.flush()
            return member_view(member)

    async def organisations(self, telegram_user_id: int) -> list[tuple[int, str]]:
        async with self.db.reading() as session:
            rows = await session.scalars(
                _members_query().where(
                    Member.telegram_user_id == telegram_user_id, Member.active.is_(True)
                )
            )
            return sorted((m.org_id, m.organisation.name) for m in rows)

    async def switch_organisation(self, telegram_user_id: int, org_id: int) -> None:
        async with self.db.transaction() as session:
            member = await session.scalar(
                select(Member).where(
                    Member.telegram_user_id == telegram_user_id,
                    Member.org_id == org_id,
                    Member.active.is_(True),
                )
            )
            account = await session.get(Account, telegram_user_id)
            if member is None or account is None:
                raise ServiceError("not_allowed")
            account.active_org_id = org_id


def _members_query():  # type: ignore[no-untyped-def]
    return select(Member).options(selectinload(Member.organisation), selectinload(Member.team))


async def _member_of_org(session: AsyncSession, org_id: int, member_id: int) -> Member:
    member = await session.scalar(_members_query().where(Member.id == member_id))
    # Another organisation's member looks exactly like a missing one.
    if member is None or member.org_id != org_id:
        raise ServiceError("no_such_member")
    return member


async def _keep_an_admin(session: AsyncSession, org_id: int, leaving_id: int) -> None:
    others = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            Member.org_id == org_id,
            Member.role == Role.ADMIN,
            Member.active.is_(True),
            Member.id != leaving_id,
        )
    )
    if not others:
        raise ServiceError("last_admin")
