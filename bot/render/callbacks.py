"""Callback data factories: short unique prefixes, well under Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguagePick(CallbackData, prefix="lg"):
    code: str


class JoinStep(CallbackData, prefix="jn"):
    action: str  # ok | back | cancel


class InviteStep(CallbackData, prefix="iv"):
    action: str  # role | team | uses | ttl | back | cancel
    value: str = ""


class TeamAction(CallbackData, prefix="tm"):
    action: str  # page | open | role | setrole | team | setteam | off | offok | close
    member_id: int = 0
    value: str = ""


class PolicyStep(CallbackData, prefix="pv"):
    action: str  # file | on
    draft_id: int = 0


class OrgPick(CallbackData, prefix="og"):
    org_id: int


class Cancel(CallbackData, prefix="x"):
    pass


class CaseStep(CallbackData, prefix="cs"):
    action: str  # cat | skip | create | back | remedy | give | mode
    value: str = ""
    case_id: int = 0


class SurveyStep(CallbackData, prefix="sv"):
    action: str  # csat | ces | skip | finish
    value: int = 0


class EscalationStep(CallbackData, prefix="es"):
    action: str  # ok | part | partok | deny | why | take | back | use | show
    escalation_id: int
    value: str = ""


class StatsStep(CallbackData, prefix="st"):
    action: str  # stats | export
    period: str  # tw | lw | tm
    team_id: int = 0
