"""Invites: issued as one-time codes, kept only as hashes, redeemed atomically."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Account, Invite, Member, Role, Team
from bot.services.context import MemberView, TelegramUser
from bot.services.errors import ServiceError

# Telegram allows 64 characters of [A-Za-z0-9_-] in a /start payload; 22 carry 128 bits.
CODE_BYTES = 16
MAX_USES = 500
MAX_TTL = timedelta(days=90)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(code: str) -> bool:
    return 16 <= len(code) <= 64 and all(c.isalnum() or c in "-_" for c in code)


@dataclass(frozen=True)
class InviteOffer:
    """What a person is about to accept; holds the invite id, never the code."""

    invite_id: int
    org_id: int
    org_name: str
    role: str
    team_name: str | None
    already_member: bool


@dataclass(frozen=True)
class Joined:
    member_id: int
    org_name: str
    role: str
    team_name: str | None
    language: str


class InviteService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def issue(
        self,
        session: AsyncSession,
        *,
        org_id: int,
        role: Role,
        team_id: int | None,
        max_uses: int,
        ttl: timedelta,
        created_by_id: int | None,
    ) -> str:
        if not 1 <= max_uses <= MAX_USES:
            raise ServiceError("bad_uses", limit=MAX_USES)
        if not timedelta(minutes=1) <= ttl <= MAX_TTL:
            raise ServiceError("bad_ttl")
        if team_id is not None:
            team = await session.get(Team, team_id)
            if team is None or team.org_id != org_id:
                raise ServiceError("no_such_team")
        code = secrets.token_urlsafe(CODE_BYTES)
        now = self.clock.now()
        session.add(
            Invite(
                org_id=org_id,
                code_hash=hash_code(code),
                role=Role(role),
                team_id=team_id,
                created_by_id=created_by_id,
                max_uses=max_uses,
                uses=0,
                expires_at=now + ttl,
                created_at=now,
            )
        )
        await session.flush()
        return code

    async def create(
        self, actor: MemberView, role: Role, team_id: int | None, max_uses: int, ttl: timedelta
    ) -> str:
        """An admin invites someone to their own organisation."""
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            return await self.issue(
                session,
                org_id=actor.org_id,
                role=role,
                team_id=team_id,
                max_uses=max_uses,
                ttl=ttl,
                created_by_id=actor.id,
            )

    async def inspect(self, code: str, telegram_user_id: int) -> InviteOffer:
        """Check a code without using it up: forged, revoked, expired and used-up are refused."""
        if not looks_like_code(code):
            raise ServiceError("invite_invalid")
        async with self.db.reading() as session:
            invite = await session.scalar(
                select(Invite)
                .where(Invite.code_hash == hash_code(code))
                .options(selectinload(Invite.organisation), selectinload(Invite.team))
            )
            return await self._offer(session, invite, telegram_user_id)

    async def offer(self, invite_id: int, telegram_user_id: int) -> InviteOffer:
        async with self.db.reading() as session:
            invite = await session.scalar(
                select(Invite)
                .where(Invite.id == invite_id)
                .options(selectinload(Invite.organisation), selectinload(Invite.team))
            )
            return await self._offer(session, invite, telegram_user_id)

    async def _offer(
        self, session: AsyncSession, invite: Invite | None, telegram_user_id: int
    ) -> InviteOffer:
        if invite is None or invite.revoked_at is not None:
            raise ServiceError("invite_invalid")
        if invite.expires_at <= self.clock.now():
            raise ServiceError("invite_expired")
        member = await session.scalar(
            select(Member).where(
                Member.org_id == invite.org_id, Member.telegram_user_id == telegram_user_id
            )
        )
        already = member is not None and member.active
        if invite.uses >= invite.max_uses and not already:
            raise ServiceError("invite_used_up")
        return InviteOffer(
            invite_id=invite.id,
            org_id=invite.org_id,
            org_name=invite.organisation.name,
            role=invite.role,
            team_name=invite.team.name if invite.team else None,
            already_member=already,
        )

    async def redeem(self, invite_id: int, user: TelegramUser, language: str) -> Joined:
        """Use one place of the invite and make the person a member, in one transaction."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            taken = await session.execute(
                update(Invite)
                .where(
                    Invite.id == invite_id,
                    Invite.uses < Invite.max_uses,
                    Invite.expires_at > now,
                    Invite.revoked_at.is_(None),
                )
                .values(uses=Invite.uses + 1)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                invite = await session.get(Invite, invite_id)
                if invite is None or invite.revoked_at is not None:
                    raise ServiceError("invite_invalid")
                if invite.expires_at <= now:
                    raise ServiceError("invite_expired")
                raise ServiceError("invite_used_up")
            invite = await session.scalar(
                select(Invite)
                .where(Invite.id == invite_id)
                .options(selectinload(Invite.organisation), selectinload(Invite.team))
            )
            assert invite is not None
            member = await session.scalar(
                select(Member).where(
                    Member.org_id == invite.org_id, Member.telegram_user_id == user.id
                )
            )
            if member is not None and member.active:
                raise ServiceError("already_member", org=invite.organisation.name)
            if member is None:
                member = Member(org_id=invite.org_id, telegram_user_id=user.id)
                session.add(member)
            # A person let go earlier comes back with what the new invite says.
            member.name = user.first_name or str(user.id)
            member.role = Role(invite.role)
            member.team_id = invite.team_id
            member.language = language
            member.active = True
            member.reachable = True
            member.joined_at = now
            member.deactivated_at = None
            member.invited_by_id = invite.created_by_id
            account = await session.get(Account, user.id)
            if account is None:
                account = Account(
                    telegram_user_id=user.id,
                    first_name=user.first_name,
                    telegram_language=user.language_code,
                    updated_at=now,
                )
                session.add(account)
            account.active_org_id = invite.org_id
            await session.flush()
            return Joined(
                member_id=member.id,
                org_name=invite.organisation.name,
                role=member.role,
                team_name=invite.team.name if invite.team else None,
                language=language,
            )


async def require_admin(session: AsyncSession, actor: MemberView) -> Member:
    """Re-read the actor: a role change or deactivation takes effect on the very next tap."""
    member = await session.get(Member, actor.id)
    if member is None or not member.active or member.org_id != actor.org_id:
        raise ServiceError("not_allowed")
    if member.role != Role.ADMIN:
        raise ServiceError("not_allowed")
    return member
