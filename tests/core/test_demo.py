"""The demo hotel is made once, with six weeks of history that the metrics can use; running
the demo again keeps it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.db.models import Case, Member, Organisation
from bot.demo import PERSONAS, seed
from bot.services import Services
from bot.services.digests import due_week
from bot.services.metrics import Scope, local_bounds


async def test_seeded_once_with_history(services: Services) -> None:
    first = await seed(services)
    again = await seed(services)
    assert first == again
    async with services.db.reading() as session:
        orgs = await session.scalar(select(func.count()).select_from(Organisation))
        cases = await session.scalar(select(func.count()).select_from(Case))
        oldest = await session.scalar(select(func.min(Case.created_at)))
        personas = set(
            await session.scalars(select(Member.telegram_user_id).where(Member.reachable.is_(True)))
        )
    assert orgs == 1 and cases is not None and cases > 150
    assert oldest is not None and services.clock.now() - oldest > timedelta(days=40)
    assert personas == {p.user_id for p in PERSONAS if p.name != "Guest"}
    policy = (await services.policies.in_force(first)).policy
    assert "noise" in policy.categories  # the hotel example policy is in force
    _, week = due_week(policy, services.clock.now())
    figures = await services.metrics.figures(
        Scope(first), *local_bounds(week.first, week.end, policy.timezone)
    )
    assert figures.logged > 20 and figures.resolved > 20 and figures.answers > 0


async def test_the_supervisor_queue_has_substance(services: Services) -> None:
    org_id = await seed(services)
    dmytro = None
    for persona in PERSONAS:
        if persona.name == "Dmytro":
            dmytro = (await services.context.load_by_id(persona.user_id)).member
    assert dmytro is not None and dmytro.org_id == org_id
    queue = (await services.queue.requests(dmytro)).items
    assert queue, "pending requests of the front desk wait for Dmytro"
    views = [await services.escalations.for_approver(5002, i.escalation_id) for i in queue]
    assert all(view.approver_role == "supervisor" for view in views)
    assert [i.waiting for i in queue] == sorted((i.waiting for i in queue), reverse=True)
    decided = await services.escalations.decide(5002, queue[0].escalation_id, "approve")
    assert decided.decided_by == "Dmytro"
