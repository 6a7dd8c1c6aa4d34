"""The organisation's policy in force, and replacing it: propose (validated, stored as a
draft), then activate on an admin's confirmation. Decisions record the version they used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, Member, Organisation, PolicyVersion, activated_policies
from bot.db.unit import UnitOfWork
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.invites import require_admin
from policies.defaults import default_policy_text
from policies.loader import load_policy
from policies.model import Policy

MAX_POLICY_BYTES = 64 * 1024


@dataclass(frozen=True)
class PolicyInForce:
    version_id: int
    version: int
    source: str
    policy: Policy
    activated_at: datetime


@dataclass(frozen=True)
class PolicyChanges:
    """The version in force beside the one it replaced (None: the first), and who activated
    it when (no one named for a default policy, which comes with the organisation)."""

    version: int
    policy: Policy
    previous: Policy | None
    previous_version: int | None
    activated_at: datetime
    activated_by: str | None


@dataclass(frozen=True)
class Proposal:
    draft_id: int
    version: int
    current: Policy
    proposed: Policy
    # Categories this version makes sensitive, each with how many cases it has already: those
    # earlier cases become sensitive too (sensitivity follows the policy in force).
    newly_sensitive: tuple[tuple[str, int], ...] = ()
    # …and those it makes ordinary again.
    no_longer_sensitive: tuple[str, ...] = ()


class PolicyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._parsed: dict[int, Policy] = {}  # version id → policy; versions never change
        self._in_force: dict[int, PolicyInForce] = {}  # org id → its policy, as last seen

    def _parse(self, row: PolicyVersion) -> Policy:
        if row.id not in self._parsed:
            self._parsed[row.id] = load_policy(row.source)
        return self._parsed[row.id]

    async def in_force(self, org_id: int) -> PolicyInForce:
        """The organisation's active policy. Kept per organisation and checked against the
        id of the newest active version, which the update's context already read (or one
        small query finds): a policy activated by another process is seen on the next update,
        and the TOML source is read and parsed only when the version changes."""
        cached = self._in_force.get(org_id)
        newest = await self._newest_id(org_id)
        if cached is not None and cached.version_id == newest:
            return cached
        row = None
        if newest is not None:
            async with self.db.reading() as session:
                row = await session.get(PolicyVersion, newest)
        if row is None:
            # Organisations made before policies existed get the default on first use.
            async with self.db.transaction() as session:
                row = await _newest_active(session, org_id)
                if row is None:
                    org = await session.get(Organisation, org_id)
                    if org is None:
                        raise ServiceError("not_allowed")
                    row = await self.add_default(session, org)
        assert row.activated_at is not None
        current = PolicyInForce(row.id, row.version, row.source, self._parse(row), row.activated_at)
        self._in_force[org_id] = current
        return current

    async def _newest_id(self, org_id: int) -> int | None:
        unit = UnitOfWork.current(self.db)
        key = ("policy", org_id)
        if unit is not None and key in unit.memo:
            return unit.memo[key]
        async with self.db.reading() as session:
            newest = await session.scalar(activated_policies(org_id, PolicyVersion.id).limit(1))
        if unit is not None:
            unit.memo[key] = newest
        return newest

    def _changed(self, org_id: int) -> None:
        """This update activated or added a version: the next read must look again."""
        unit = UnitOfWork.current(self.db)
        if unit is not None:
            unit.memo.pop(("policy", org_id), None)

    async def add_default(self, session: AsyncSession, org: Organisation) -> PolicyVersion:
        row = PolicyVersion(
            org_id=org.id,
            version=await _next_version(session, org.id),
            source=default_policy_text(org.currency, org.timezone),
            created_at=self.clock.now(),
            activated_at=self.clock.now(),
        )
        session.add(row)
        await session.flush()
        self._changed(org.id)
        return row

    async def propose(self, actor: MemberView, source: bytes) -> Proposal:
        """Validate an uploaded file and keep it as a draft; PolicyError lists what is wrong."""
        if len(source) > MAX_POLICY_BYTES:
            raise ServiceError("policy_too_big", limit=MAX_POLICY_BYTES // 1024)
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError("policy_not_utf8") from None
        proposed = load_policy(text)
        current = await self.in_force(actor.org_id)
        if proposed.currency != actor.currency:
            raise ServiceError(
                "policy_currency", currency=proposed.currency, expected=actor.currency
            )
        if proposed.timezone != actor.timezone:
            raise ServiceError(
                "policy_timezone", timezone=proposed.timezone, expected=actor.timezone
            )
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            row = PolicyVersion(
                org_id=actor.org_id,
                version=await _next_version(session, actor.org_id),
                source=text,
                created_by_id=actor.id,
                created_at=self.clock.now(),
            )
            session.add(row)
            await session.flush()
            newly = sorted(proposed.sensitive - current.policy.sensitive)
            counts = dict(
                (
                    await session.execute(
                        select(Case.category, func.count())
                        .where(Case.org_id == actor.org_id, Case.category.in_(newly))
                        .group_by(Case.category)
                    )
                ).all()
                if newly
                else ()
            )
            return Proposal(
                row.id,
                row.version,
                current.policy,
                proposed,
                newly_sensitive=tuple((key, int(counts.get(key, 0))) for key in newly),
                no_longer_sensitive=tuple(
                    sorted(
                        key
                        for key in current.policy.sensitive - proposed.sensitive
                        if key in proposed.categories
                    )
                ),
            )

    async def activate(self, actor: MemberView, draft_id: int) -> PolicyInForce:
        async with self.db.transaction() as session:
            await require_admin(session, actor)
            row = await session.get(PolicyVersion, draft_id)
            if row is None or row.org_id != actor.org_id:
                raise ServiceError("no_such_policy")
            if row.activated_at is not None:
                raise ServiceError("policy_already_active", version=row.version)
            row.activated_at = self.clock.now()
            row.activated_by_id = actor.id
        self._changed(actor.org_id)
        return await self.in_force(actor.org_id)

    async def changes(self, org_id: int) -> PolicyChanges:
        """What the version in force changed from the one activated before it."""
        current = await self.in_force(org_id)
        async with self.db.reading() as session:
            rows = list(await session.scalars(activated_policies(org_id).limit(2)))
            activator = (
                await session.get(Member, rows[0].activated_by_id)
                if rows and rows[0].activated_by_id
                else None
            )
        previous = self._parse(rows[1]) if len(rows) > 1 else None
        return PolicyChanges(
            version=current.version,
            policy=current.policy,
            previous=previous,
            previous_version=rows[1].version if len(rows) > 1 else None,
            activated_at=current.activated_at,
            activated_by=activator.name if activator else None,
        )


async def _newest_active(session: AsyncSession, org_id: int) -> PolicyVersion | None:
    return await session.scalar(activated_policies(org_id).limit(1))


async def _next_version(session: AsyncSession, org_id: int) -> int:
    newest = await session.scalar(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.org_id == org_id)
    )
    return int(newest or 0) + 1
