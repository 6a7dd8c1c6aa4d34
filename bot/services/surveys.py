"""Customer surveys: a one-time link the employee shows; the customer rates in Telegram
without ever becoming a member or seeing anything of the organisation but its name. A survey
belongs to one resolution of its case: the first answer stands, and only a reopen and a new
resolution may ask again. An answer is told to the case's reporter, and a low one to their
supervisors at once, through the outbox."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Case, CaseEvent, CaseState, Member, Organisation, Survey
from bot.outbox import enqueue
from bot.services.case_queries import active_member, case_of_org, may_act_on, refuse_veiled
from bot.services.context import MemberView
from bot.services.errors import ServiceError
from bot.services.escalations import Person
from bot.services.follow_ups import FollowUpService, supervisors_of
from bot.services.policies import PolicyService
from bot.services.typed import COMMENT_LIMIT, cleaned, mask_card_numbers

SURVEY_TTL = timedelta(days=7)
# "q" + 24 url-safe characters (144 bits): never the 22 characters of an invite code.
PREFIX = "q"
# A rating at or below this reaches the reporter's supervisors at once.
LOW_SCORE = 2
Markup = dict[str, Any] | None


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
    # Answered for the case's current resolution: nobody may ask again until a new one.
    answered_now: bool = False


@dataclass(frozen=True)
class SurveyLink:
    token: str
    # This resolution's unanswered link was replaced: the earlier one no longer opens.
    refreshed: bool = False


@dataclass(frozen=True)
class GuestSurvey:
    """What the customer's screens need: which survey, and whose it is."""

    survey_id: int
    org_name: str
    # The organisation's policy asks "How likely are you to recommend us?" too.
    asks_nps: bool = False
    # A follow-up's recovery re-survey: one question, "Is it better now?".
    recovery: bool = False


@dataclass(frozen=True)
class SurveyAnswer:
    """What staff are told when a customer answers."""

    case_id: int
    case_code: str
    csat: int
    ces: int | None
    comment: str | None
    reporter: str

    @property
    def low(self) -> bool:
        return self.csat <= LOW_SCORE


class SurveyNotices(Protocol):
    """Renders the news of an answer in the reader's language (bot.app wires the bot's)."""

    def answered(self, answer: SurveyAnswer, locale: str) -> tuple[str, Markup]:
        """To the reporter."""

    def low_score(self, answer: SurveyAnswer, locale: str) -> tuple[str, Markup]:
        """To the reporter's supervisors (or the organisation's managers)."""


class SurveyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notices: SurveyNotices | None = None,
        wakeup: asyncio.Event | None = None,
        policies: PolicyService | None = None,
        follow_ups: FollowUpService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notices = notices
        self.wakeup = wakeup or asyncio.Event()
        self.policies = policies or PolicyService(db, clock)
        self.follow_ups = follow_ups

    async def issue(self, actor: MemberView, case_id: int) -> SurveyLink:
        """A link for the case's current resolution. Refused once the customer has answered
        for it; an unanswered link of this resolution is replaced by a fresh one (only the
        hash is kept, so the old link cannot be shown again) — still one survey."""
        now = self.clock.now()
        token = PREFIX + secrets.token_urlsafe(18)
        async with self.db.transaction() as session:
            member = await active_member(session, actor)
            # Two taps at once must not make two surveys of one resolution.
            await session.execute(select(Case.id).where(Case.id == case_id).with_for_update())
            case = await case_of_org(session, actor, case_id)
            may_act_on(case, member)
            policy = (await self.policies.in_force(case.org_id)).policy
            await refuse_veiled(session, case, member, policy)
            if case.state != CaseState.RESOLVED:
                raise ServiceError("case_not_resolved_for_survey")
            current = await _this_resolution(session, case)
            if any(s.answered_at is not None for s in current):
                raise ServiceError("survey_already_answered")
            survey = current[-1] if current else None
            if survey is not None:
                survey.token_hash = _hash(token)
                survey.expires_at = now + SURVEY_TTL
            else:
                survey = Survey(
                    org_id=case.org_id,
                    case_id=case.id,
                    token_hash=_hash(token),
                    created_at=now,
                    expires_at=now + SURVEY_TTL,
                )
                session.add(survey)
                await session.flush()
            payload: dict[str, Any] = {"survey_id": survey.id}
            if current:
                payload["refreshed"] = True
            session.add(
                CaseEvent(
                    org_id=case.org_id,
                    case_id=case.id,
                    actor_id=member.id,
                    kind="survey_sent",
                    payload=json.dumps(payload),
                    created_at=now,
                )
            )
        return SurveyLink(token, refreshed=bool(current))

    async def open(self, token: str) -> GuestSurvey:
        """The survey of a valid, unused, unexpired token, with its organisation's name.
        A used one says so in the language the customer answered in (`language` in the
        error's params)."""
        if not is_survey_token(token):
            raise ServiceError("survey_invalid")
        async with self.db.reading() as session:
            row = (
                await session.execute(
                    select(Survey, Organisation.name)
                    .join(Organisation, Organisation.id == Survey.org_id)
                    .where(Survey.token_hash == _hash(token))
                )
            ).first()
        if row is None:
            raise ServiceError("survey_invalid")
        survey, org_name = row
        if survey.answered_at is not None:
            raise _used(survey)
        if survey.expires_at <= self.clock.now():
            raise ServiceError("survey_expired")
        if survey.follow_up_id is not None:
            return GuestSurvey(survey.id, org_name, recovery=True)
        policy = (await self.policies.in_force(survey.org_id)).policy
        return GuestSurvey(survey.id, org_name, asks_nps=policy.survey_nps)

    async def answer(
        self,
        survey_id: int,
        telegram_user_id: int,
        language: str,
        csat: int,
        ces: int | None,
        comment: str | None,
        nps: int | None = None,
        contact: bool = False,
    ) -> None:
        """The first answer stands: a second one (a link used twice, two people with one
        link) is refused and changes nothing. A low one, or one asking to be contacted, opens
        a follow-up (bot/services/follow_ups.py); a re-survey's answer is told to whoever
        followed up."""
        if (
            not 1 <= csat <= 5
            or (ces is not None and not 1 <= ces <= 7)
            or (nps is not None and not 0 <= nps <= 10)
        ):
            raise ServiceError("survey_invalid")
        # Not asked to type it again: unreadable bits replaced (the step refused it if too long).
        comment = mask_card_numbers(cleaned(comment or "").strip()[:COMMENT_LIMIT]) or None
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
                    nps=nps,
                    comment=comment,
                    language=language,
                    opened_by=telegram_user_id,
                    answered_at=now,
                    contact_requested=contact,
                )
            )
            survey = await session.get(Survey, survey_id, populate_existing=True)
            if done.rowcount != 1:  # type: ignore[attr-defined]
                if survey is None or survey.answered_at is not None:
                    raise _used(survey)
                raise ServiceError("survey_expired")
            case = await session.get(Case, survey.case_id) if survey else None
            assert survey is not None and case is not None
            session.add(
                CaseEvent(
                    org_id=survey.org_id,
                    case_id=survey.case_id,
                    actor_id=None,
                    kind="resurvey_answered" if survey.follow_up_id else "survey_answered",
                    payload=json.dumps(
                        {
                            "csat": csat,
                            "ces": ces,
                            "nps": nps,
                            "comment": comment,
                            "survey_id": survey.id,
                            **({"contact": True} if contact else {}),
                        },
                        ensure_ascii=False,
                    ),
                    created_at=now,
                )
            )
            if survey.follow_up_id is not None:
                if self.follow_ups is not None:
                    await self.follow_ups.recovered(session, survey)
                return
            reporter = await session.get(Member, case.reporter_id)
            assert reporter is not None
            opened = None
            if self.follow_ups is not None:
                opened = await self.follow_ups.open_for(session, survey, case, reporter)
            told = await self._tell(session, case, reporter, csat, ces, comment, opened is None)
        if told:
            self.db.after_commit(self.wakeup.set)

    async def _tell(
        self,
        session: AsyncSession,
        case: Case,
        reporter: Member,
        csat: int,
        ces: int | None,
        comment: str | None,
        alert: bool = True,
    ) -> int:
        """The reporter hears of every answer; a low one reaches the supervisors of the
        reporter's team too (the managers and admins when the team has none) — as a
        follow-up card when it opened one (then `alert` is off), else as this alert."""
        if self.notices is None:
            return 0
        news = SurveyAnswer(case.id, case.code, csat, ces, comment, reporter.name)
        told = 0
        if reporter.active and reporter.reachable:
            self._send(session, case, reporter.telegram_user_id, reporter.language, news)
            told += 1
        if news.low and alert:
            for person in await self._supervisors(session, case, reporter):
                self._send(session, case, person.chat_id, person.language, news, low=True)
                told += 1
        return told

    async def _supervisors(
        self, session: AsyncSession, case: Case, reporter: Member
    ) -> list[Person]:
        policy = (await self.policies.in_force(case.org_id)).policy
        return await supervisors_of(
            session, policy, case, reporter.team_id or case.team_id, reporter.id
        )

    def _send(
        self,
        session: AsyncSession,
        case: Case,
        chat_id: int,
        locale: str,
        news: SurveyAnswer,
        low: bool = False,
    ) -> None:
        assert self.notices is not None
        render = self.notices.low_score if low else self.notices.answered
        text, markup = render(news, locale)
        enqueue(
            session,
            self.clock,
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            org_id=case.org_id,
        )

    async def result(self, actor: MemberView, case_id: int) -> SurveyResult:
        async with self.db.reading() as session:
            case: Case = await case_of_org(session, actor, case_id)
            rows = (
                await session.scalars(
                    select(Survey)
                    .where(Survey.case_id == case.id, Survey.follow_up_id.is_(None))
                    .order_by(Survey.id.desc())
                )
            ).all()
            current = await _this_resolution(session, case) if rows else []
        answered = next((s for s in rows if s.answered_at is not None), None)
        return SurveyResult(
            csat=answered.csat if answered else None,
            ces=answered.ces if answered else None,
            answered=answered is not None,
            sent=bool(rows),
            answered_now=any(s.answered_at is not None for s in current),
        )


def _used(survey: Survey | None) -> ServiceError:
    """Already answered: said in the language of the first answer to whoever answered it."""
    if survey is None:
        return ServiceError("survey_used")
    return ServiceError("survey_used", language=survey.language, by=survey.opened_by)


async def _this_resolution(session: AsyncSession, case: Case) -> list[Survey]:
    """The surveys issued since the case was last resolved, oldest first. Events, not
    times, tell which: their ids keep the order even when two moments are equal."""
    resolved = await session.scalar(
        select(func.max(CaseEvent.id)).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "resolved"
        )
    )
    sent = await session.scalars(
        select(CaseEvent.payload).where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "survey_sent",
            CaseEvent.id > (resolved or 0),
        )
    )
    ids = {json.loads(payload).get("survey_id") for payload in sent} - {None}
    if not ids:
        return []
    rows = await session.scalars(
        select(Survey).where(Survey.case_id == case.id, Survey.id.in_(ids)).order_by(Survey.id)
    )
    return list(rows)
