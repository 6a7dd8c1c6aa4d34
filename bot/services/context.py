"""Who is writing: their account, their membership in the active organisation, their language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Account, Member, Organisation, PolicyVersion, Team, activated_policies
from bot.db.unit import UnitOfWork
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
    return _view(member, member.organisation, member.team)


def _view(member: Member, org: Organisation, team: Team | None) -> MemberView:
    return MemberView(
        id=member.id,
        org_id=member.org_id,
        org_name=org.name,
        currency=org.currency,
        timezone=org.timezone,
        telegram_user_id=member.telegram_user_id,
        name=member.name,
        role=member.role,
        team_id=member.team_id,
        team_name=team.name if team else None,
        language=member.language,
        active=member.active,
    )


# Built once (building a statement costs more than running it): every membership of the
# person with its organisation, team, the account, and the organisation's policy in force.
_NEWEST_POLICY = (
    activated_policies(Member.org_id, PolicyVersion.id).limit(1).correlate(Member).scalar_subquery()
)
_CONTEXT = (
    select(Member, Organisation, Team, Account, _NEWEST_POLICY)
    .join(Organisation, Organisation.id == Member.org_id)
    .outerjoin(Team, Team.id == Member.team_id)
    .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
    .where(Member.telegram_user_id == bindparam("user_id"))
    .order_by(Member.joined_at)
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
        """Account, memberships with their organisation and team, and each organisation's
        policy in force (its version id, for the policy cache): one statement."""
        async with self.db.reading() as session:
            rows = (await session.execute(_CONTEXT, {"user_id": user.id})).all()
            account = rows[0][3] if rows else await session.get(Account, user.id)
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            for row in rows:
                unit.memo[("policy", row[0].org_id)] = row[4]
            unit.seeds += [row[0] for row in rows if row[0].active]
        memberships = [row[0] for row in rows]
        views = {row[0].id: _view(row[0], row[1], row[2]) for row in rows}
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
        inactive = views[memberships[-1].id].org_name if chosen is None and memberships else None
        return Context(
            user=user,
            member=views[chosen.id] if chosen else None,
            inactive_org_name=inactive,
            org_count=len(active),
        )

    async def _remember(self, user: TelegramUser, active_org_id: int | None) -> None:
        async def write(session: AsyncSession) -> None:
            account = await session.get(Account, user.id)
            if account is None:
                account = Account(telegram_user_id=user.id)
                session.add(account)
            account.first_name = user.first_name
            account.telegram_language = user.language_code
            account.active_org_id = active_org_id
            account.updated_at = self.clock.now()
            await session.flush()

        unit = UnitOfWork.current(self.db)
        if unit is not None:
            # With the update's other small writes, when it commits.
            unit.defer(("account", user.id), write)
            return
        async with self.db.transaction() as session:
            await write(session)
