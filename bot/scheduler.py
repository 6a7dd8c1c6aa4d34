"""The scheduler: SLA reminders and climbs of pending escalations, reminders of follow-ups
past their SLA, and the weekly digests, on due times and delivery records kept in the database
(EscalationService.run_due, FollowUpService.run_due, DigestService.run_due), so a restart loses
nothing and two processes do each step once."""

from __future__ import annotations

import asyncio
import logging

from bot.services import Services

log = logging.getLogger(__name__)


async def run_scheduler(services: Services, stop: asyncio.Event, tick: float = 5.0) -> None:
    while not stop.is_set():
        try:
            while await services.escalations.run_due():
                pass  # a full batch: there may be more due right now
            while await services.follow_ups.run_due():
                pass
            await services.digests.run_due()
        except Exception:  # the loop must outlive one bad row; the next tick tries again
            log.exception("the SLA scheduler failed; retrying at the next tick")
        try:
            await asyncio.wait_for(stop.wait(), tick)
        except TimeoutError:
            continue
