"""Tables: organisations, teams, accounts, members, invites, policies, the inbox, FSM."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UTCDateTime


class Role(StrEnum):
    """Roles in rising order of authority; admin also has everything a manager has."""

    FRONTLINE = "frontline"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_CHECK = "role IN ('frontline', 'supervisor', 'manager', 'admin')"
_LANGUAGE_CHECK = "language IN ('uk', 'ru', 'en')"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    teams: Mapped[list[Team]] = relationship(back_populates="organisation", order_by="Team.name")


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="teams")


class Account(Base):
    """A Telegram user as the bot knows them, across organisations."""

    __tablename__ = "account"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    # Every action happens in one active organisation (a person may belong to several).
    active_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("org_id", "telegram_user_id"),
        CheckConstraint(_ROLE_CHECK, name="role"),
        CheckConstraint(_LANGUAGE_CHECK, name="language"),
        Index("ix_member_telegram_user_id", "telegram_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # False once Telegram answered 403 (the person blocked the bot).
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    team: Mapped[Team | None] = relationship()


class Invite(Base):
    """An invitation; only the SHA-256 of its code is kept, so a database leak opens nothing."""

    __tablename__ = "invite"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="role"),
        CheckConstraint("uses <= max_uses", name="uses"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    team: Mapped[Team | None] = relationship()


class InboxUpdate(Base):
    """Every update, stored before Telegram is told it arrived (bot/inbox.py): handled until
    it succeeds, by whichever instance holds its lease, one at a time per chat, in order.
    A handled row stays (status "done") as the mark that a redelivery is not handled again."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("bot_id", "update_id"),
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
        # The waiting rows only: what the workers claim, head of each chat first.
        Index(
            "ix_inbox_waiting",
            "chat_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_inbox_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    # Whose updates are handled in order, one at a time: the user's (or the chat's).
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class FsmState(Base):
    """aiogram FSM state and data, so a half-finished dialogue survives a restart."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PolicyVersion(Base):
    """Every policy an organisation has had; the newest activated one is in force. An
    uploaded file waits here, not activated, until an admin confirms it."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("org_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    activated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )


def activated_policies(org_id: Any, *columns: Any) -> Select[Any]:
    """An organisation's activated policy versions (or the given columns of them), the one in
    force first; `org_id` may be a value or a column to correlate with."""
    return (
        select(*(columns or (PolicyVersion,)))
        .where(PolicyVersion.org_id == org_id, PolicyVersion.activated_at.is_not(None))
        .order_by(PolicyVersion.activated_at.desc(), PolicyVersion.version.desc())
    )


class CaseState(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


class Case(Base):
    """One customer problem, from logging to outcome."""

    __tablename__ = "case"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint(
            "state IN ('open', 'escalated', 'resolved', 'reopened', 'cancelled')", name="state"
        ),
        Index("ix_case_org_customer", "org_id", "customer_key"),
        Index("ix_case_org_created", "org_id", "created_at"),
        # Covers the weekly metrics' resolution times and backlog: no table lookups.
        Index("ix_case_org_resolved", "org_id", "first_resolved_at", "created_at", "cancelled_at"),
        # What works on the floor (bot/services/what_works.py): a category's resolutions of the
        # last 90 days and their first-contact figures, read from the index alone.
        Index(
            "ix_case_org_category_resolved",
            "org_id",
            "category",
            "first_resolved_at",
            "cancelled_at",
            "first_contact",
            "escalated_ever",
            "reopened_count",
            "id",
        ),
        # Voided cases only (few): their spends are taken out of the weekly figures. Partial,
        # so no query about live cases ever prefers it.
        Index(
            "ix_case_org_voided",
            "org_id",
            sqlite_where=text("cancelled_at IS NOT NULL"),
            postgresql_where=text("cancelled_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    voice_file_id: Mapped[str | None] = mapped_column(String(255))
    customer_key: Mapped[str | None] = mapped_column(String(64))
    customer_words: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    first_contact: Mapped[bool | None] = mapped_column(Boolean)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # Why it keeps happening, as the resolver saw it: a key of the policy's [causes], or
    # their own words (one or the other).
    cause: Mapped[str | None] = mapped_column(String(20))
    cause_words: Mapped[str | None] = mapped_column(Text)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated_ever: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Spend(Base):
    """Money given to a customer, in minor units of the organisation's currency (exact sums
    in SQL on SQLite as on PostgreSQL)."""

    __tablename__ = "spend"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount"),
        # Covers the weekly spend figures: read from the index alone.
        Index("ix_spend_org_created", "org_id", "created_at", "team_id", "remedy", "amount_minor"),
        Index("ix_spend_case", "case_id"),
        Index("ix_spend_customer", "org_id", "customer_key", "created_at"),
        Index("ix_spend_authoriser", "authorised_by_id", "created_at"),
        Index("ix_spend_team", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    customer_key: Mapped[str | None] = mapped_column(String(64))
    remedy: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    given_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    authorised_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    # One confirmation, one spend: a double tap carries the same key.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Escalation(Base):
    """A request to a higher role for a spend above one's authority."""

    __tablename__ = "escalation"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'decided', 'withdrawn')", name="state"),
        Index("ix_escalation_org_state", "org_id", "state", "created_at"),
        Index("ix_escalation_due", "state", "remind_at"),
        Index("ix_escalation_org_created", "org_id", "created_at"),
        Index("ix_escalation_org_decided", "org_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    remedy: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    approver_role: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    decision: Mapped[str | None] = mapped_column(String(12))
    approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The SLA scheduler's due times: a reminder, then a climb to the next role up.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    climb_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    # Nobody in the chain can approve it: the admins were told.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the reporter gave what was approved (one spend per approval).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The requester's news of the decision, edited when the approver undoes it.
    news_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))


class EscalationCard(Base):
    """A message with decision buttons sent to an approver (the card, and each reminder):
    every one of them is edited when the escalation is decided."""

    __tablename__ = "escalation_card"
    __table_args__ = (Index("ix_escalation_card_escalation", "escalation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """The append-only audit trail: every transition and spend of a case."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Survey(Base):
    """A one-time customer survey link (only its hash is kept) and the answer."""

    __tablename__ = "survey"
    __table_args__ = (
        Index("ix_survey_org_created", "org_id", "created_at"),
        Index("ix_survey_org_answered", "org_id", "answered_at"),
        CheckConstraint("csat IS NULL OR (csat BETWEEN 1 AND 5)", name="csat"),
        CheckConstraint("ces IS NULL OR (ces BETWEEN 1 AND 7)", name="ces"),
        CheckConstraint("nps IS NULL OR (nps BETWEEN 0 AND 10)", name="nps"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(2))
    csat: Mapped[int | None] = mapped_column(Integer)
    ces: Mapped[int | None] = mapped_column(Integer)
    # "How likely are you to recommend us?" 0–10, when the policy asks it.
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The customer asked to be contacted ("Please contact me" under the comment).
    contact_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # A recovery re-survey ("Is it better now?", one question) of this follow-up; None for
    # the survey of a resolution, the only kind the CSAT, CES and NPS figures count.
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_up.id", ondelete="CASCADE", use_alter=True), index=True
    )


class FollowUp(Base):
    """A low score (or a customer's "please contact me") put before the reporter's
    supervisors: one of them contacts the customer and records what was done, within the
    policy's follow-up SLA (reminded like an escalation until closed)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'closed')", name="state"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('called', 'visited', 'remedy', 'unreached')",
            name="outcome",
        ),
        Index("ix_follow_up_org_opened", "org_id", "opened_at"),
        Index("ix_follow_up_due", "state", "remind_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    csat: Mapped[int] = mapped_column(Integer)
    contact_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    outcome: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A notification written in the same transaction as the change that caused it; a sender
    delivers it later with Telegram's pacing. Sent at least once: see bot/outbox.py."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'dead')", name="status"),
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The instance whose heartbeat keeps the lease (bot/inbox.py Heartbeat).
    leased_by: Mapped[str | None] = mapped_column(String(64))
    dedup_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    # An edit of a message this outbox sent earlier (its Telegram id is known once sent).
    edit_of_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DigestDelivery(Base):
    """One weekly digest per person per week: the row is written in the transaction that
    queues the digest, so a second scheduler run or process finds it and sends nothing."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("member_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week of the report, e.g. 2026-W47
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
