"""Who is writing: their account, their membership in the active organisation, their language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Account, Member
from bot.i18n import pick_locale


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    language_code: str | None


@dataclass(frozen=True)
class MemberView:
    id: int
    org_id: int
    org_name: str
    currency: str
    timezone: str
    telegram_user_id: int
    name: str
    role: str
    team_id: int | None
    team_name: str | None
    language: str
    active: bool


@dataclass(frozen=True)
class Context:
    user: TelegramUser
    member: MemberView | None  # active membership in the active organisation
    inactive_org_name: str | None  # set when the person's only membership was deactivated
    org_count: int  # active memberships across organisations

    @property
    def locale(self) -> str:
        if self.member is not None:
            return self.member.language
        return pick_locale(self.user.language_code)


def member_view(member: Member) -> MemberView:
    return MemberView(
        id=member.id,
        org_id=member.org_id,
        org_name=member.organisation.name,
        currency=member.organisation.currency,
        timezone=member.organisation.timezone,
        telegram_user_id=member.telegram_user_id,
        name=member.name,
        role=member.role,
        team_id=member.team_id,
        team_name=member.team.name if member.team else None,
        language=member.language,
        active=member.active,
    )


class ContextService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def load_by_id(self, telegram_user_id: int) -> Context:
        """The context of someone the bot already knows (for news sent to them)."""
        async with self.db.reading() as session:
            account = await session.get(Account, telegram_user_id)
        user = TelegramUser(
            id=telegram_user_id,
            first_name=account.first_name if account else "",
            language_code=account.telegram_language if account else None,
        )
        return await self.load(user)

    async def load(self, user: TelegramUser) -> Context:
        async with self.db.reading() as session:
            account = await session.get(Account, user.id)
            memberships = (
                await session.scalars(
                    select(Member)
                    .where(Member.telegram_user_id == user.id)
                    .options(selectinload(Member.organisation), selectinload(Member.team))
                    .order_by(Member.joined_at)
                )
            ).all()
        active = [m for m in memberships if m.active]
        active_org = account.active_org_id if account else None
        chosen = next((m for m in active if m.org_id == active_org), None)
        if chosen is None and active:
            chosen = active[-1]
        known = account is not None and (account.first_name, account.telegram_language) == (
            user.first_name,
            user.language_code,
        )
        if not known or (chosen and chosen.org_id != active_org):
            # Writes only when something changed: most updates just read.
            await self._remember(user, chosen.org_id if chosen else active_org)
        inactive = memberships[-1].organisation.name if chosen is None and memberships else None
        return Context(
            user=user,
            member=member_view(chosen) if chosen else None,
            inactive_org_name=inactive,
            org_count=len(active),
        )

    async def _remember(self, user: TelegramUser, active_org_id: int | None) -> None:
        async with self.db.transaction() as session:
            account = await session.get(Account, user.id)
            if account is None:
                account = Account(telegram_user_id=user.id)
                session.add(account)
            account.first_name = user.first_name
            account.telegram_language = user.language_code
            account.active_org_id = active_org_id
            account.updated_at = self.clock.now()
