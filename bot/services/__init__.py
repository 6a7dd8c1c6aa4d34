"""Use cases, one transaction each; they know nothing of aiogram."""

from __future__ import annotations

import asyncio

from bot.clock import Clock
from bot.db.engine import Database
from bot.services.cases import CaseLifecycle, CaseService
from bot.services.context import ContextService
from bot.services.digests import DigestService
from bot.services.escalations import EscalationService
from bot.services.exports import ExportService
from bot.services.invites import InviteService
from bot.services.members import MemberService
from bot.services.metrics import MetricsService
from bot.services.organisations import OrganisationService
from bot.services.policies import PolicyService
from bot.services.queue import QueueService
from bot.services.surveys import SurveyService
from bot.services.updates import UpdateLog


class Services:
    """Every service wired to one database and one clock; handed to handlers by middleware."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()
        self.context = ContextService(db, self.clock)
        self.updates = UpdateLog(db, self.clock)
        self.invites = InviteService(db, self.clock)
        self.policies = PolicyService(db, self.clock)
        self.organisations = OrganisationService(db, self.clock, self.invites, self.policies)
        # Notifications are rendered in each reader's language by the bot's screens.
        from bot.render.escalations import BotNotices

        self.outbox_ready = asyncio.Event()
        self.escalations = EscalationService(
            db, self.clock, self.policies, BotNotices(), self.outbox_ready
        )
        self.cases = CaseService(db, self.clock, self.policies, self.escalations)
        self.queue = QueueService(db, self.clock)
        self.lifecycle = CaseLifecycle(db, self.clock, self.policies, self.escalations)
        from bot.render.survey import BotSurveyNotices

        self.surveys = SurveyService(db, self.clock, BotSurveyNotices(), self.outbox_ready)
        self.metrics = MetricsService(db, self.clock, self.policies)
        self.exports = ExportService(db, self.clock, self.policies)
        from bot.render.digest import BotDigestRenderer

        self.digests = DigestService(
            db, self.clock, self.policies, self.metrics, BotDigestRenderer(), self.outbox_ready
        )
        self.members = MemberService(db, self.clock)
