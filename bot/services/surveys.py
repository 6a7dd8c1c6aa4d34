"""Customer surveys: a one-time link the employee shows; the customer rates in Telegram
without ever becoming a member or seeing anything of the organisation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, CaseEvent, CaseState, Survey
from bot.services.cases import _active_member, _case_of_org, _may_act_on
from bot.services.context import MemberView
from bot.services.errors import ServiceError

SURVEY_TTL = timedelta(days=7)
# "q" + 24 url-safe characters (144 bits): never the 22 characters of an invite code.
PREFIX = "q"
COMMENT_LIMIT = 1000


def is_survey_token(payload: str) -> bool:
    return payload.startswith(PREFIX) and len(payload) == 25


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SurveyResult:
    csat: int | None
    ces: int | None
    answered: bool
    sent: bool


class SurveyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def issue(self, actor: MemberView, case_id: int) -> str:
        now = self.clock.now()
        token = PREFIX + secrets.token_urlsafe(18)
        async with self.db.transaction() as session:
            member = await _active_member(session, actor)
            case = await _case_of_org(session, actor, case_id)
            _may_act_on(case, member)
            if case.state != CaseState.RESOLVED:
                raise ServiceError("case_not_resolved_for_survey")
            session.add(
                Survey(
                    org_id=case.org_id,
                    case_id=case.id,
                    token_hash=_hash(token),
                    created_at=now,
                    expires_at=now + SURVEY_TTL,
                )
            )
            session.add(
                CaseEvent(
                    org_id=case.org_id,
                    case_id=case.id,
                    actor_id=member.id,
                    kind="survey_sent",
                    payload="{}",
                    created_at=now,
                )
            )
        return token

    async def open(self, token: str) -> int:
        """The survey id for a valid, unused, unexpired token."""
        if not is_survey_token(token):
            raise ServiceError("survey_invalid")
        async with self.db.reading() as session:
            survey = await session.scalar(select(Survey).where(Survey.token_hash == _hash(token)))
        if survey is None:
            raise ServiceError("survey_invalid")
        if survey.answered_at is not None:
            raise ServiceError("survey_used")
        if survey.expires_at <= self.clock.now():
            raise ServiceError("survey_expired")
        return survey.id

    async def answer(
        self,
        survey_id: int,
        telegram_user_id: int,
        language: str,
        csat: int,
        ces: int | None,
        comment: str | None,
    ) -> None:
        if not 1 <= csat <= 5 or (ces is not None and not 1 <= ces <= 7):
            raise ServiceError("survey_invalid")
        comment = (comment or "").strip()[:COMMENT_LIMIT] or None
        now = self.clock.now()
        async with self.db.transaction() as session:
            done = await session.execute(
                update(Survey)
                .where(
                    Survey.id == survey_id, Survey.answered_at.is_(None), Survey.expires_at > now
                )
                .values(
                    csat=csat,
                    ces=ces,
                    comment=comment,
                    language=language,
                    opened_by=telegram_user_id,
                    answered_at=now,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ServiceError("survey_used")
            survey = await session.get(Survey, survey_id)
            assert survey is not None
            session.add(
                CaseEvent(
                    org_id=survey.org_id,
                    case_id=survey.case_id,
                    actor_id=None,
                    kind="survey_answered",
                    payload=f'{{"csat": {csat}}}',
                    created_at=now,
                )
            )

    async def result(self, actor: MemberView, case_id: int) -> SurveyResult:
        async with self.db.reading() as session:
            case: Case = await _case_of_org(session, actor, case_id)
            rows = (
                await session.scalars(
                    select(Survey).where(Survey.case_id == case.id).order_by(Survey.id.desc())
                )
            ).all()
        answered = next((s for s in rows if s.answered_at is not None), None)
        return SurveyResult(
            csat=answered.csat if answered else None,
            ces=answered.ces if answered else None,
            answered=answered is not None,
            sent=bool(rows),
        )
