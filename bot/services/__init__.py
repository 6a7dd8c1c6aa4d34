"""Use cases, one transaction each; they know nothing of aiogram."""

from __future__ import annotations

import asyncio

from bot.clock import Clock
from bot.db.engine import Database
from bot.services.cases import CaseLifecycle, CaseService
from bot.services.context import ContextService
from bot.services.digests import DigestRenderer, DigestService
from bot.services.escalations import EscalationService, Notices
from bot.services.exports import ExportService
from bot.services.follow_ups import FollowUpNotices, FollowUpService
from bot.services.invites import InviteService
from bot.services.members import MemberService
from bot.services.metrics import MetricsService
from bot.services.organisations import OrganisationService
from bot.services.policies import PolicyService
from bot.services.queue import QueueService
from bot.services.surveys import SurveyNotices, SurveyService
from bot.services.what_works import WhatWorksService


class Services:
    """Every service wired to one database and one clock, with the renderers of what they
    write to the outbox; built by `bot.app.make_services`, handed to handlers by middleware."""

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        *,
        notices: Notices,
        survey_notices: SurveyNotices,
        digest_renderer: DigestRenderer,
        follow_up_notices: FollowUpNotices | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or Clock()
        self.context = ContextService(db, self.clock)
        self.invites = InviteService(db, self.clock)
        self.policies = PolicyService(db, self.clock)
        self.organisations = OrganisationService(db, self.clock, self.invites, self.policies)
        self.outbox_ready = asyncio.Event()
        self.escalations = EscalationService(
            db, self.clock, self.policies, notices, self.outbox_ready
        )
        self.cases = CaseService(db, self.clock, self.policies, self.escalations)
        self.queue = QueueService(db, self.clock)
        self.lifecycle = CaseLifecycle(db, self.clock, self.policies, self.escalations)
        self.follow_ups = FollowUpService(
            db, self.clock, self.policies, follow_up_notices, self.outbox_ready
        )
        self.surveys = SurveyService(
            db, self.clock, survey_notices, self.outbox_ready, self.policies, self.follow_ups
        )
        self.metrics = MetricsService(db, self.clock, self.policies)
        self.exports = ExportService(db, self.clock, self.policies)
        self.digests = DigestService(
            db, self.clock, self.policies, self.metrics, digest_renderer, self.outbox_ready
        )
        self.members = MemberService(db, self.clock)
        self.what_works = WhatWorksService(db, self.clock)
