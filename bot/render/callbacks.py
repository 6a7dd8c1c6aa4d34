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


class PolicyPage(CallbackData, prefix="pp"):
    view: str  # a role (frontline | supervisor | manager | admin) or "changes"


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
    action: str  # ok | sure | part | partok | deny | why | take | back | use | undo
    escalation_id: int
    value: str = ""


class StatsStep(CallbackData, prefix="st"):
    action: str  # stats | terms | chart | export (a workbook) | csv | xfmt (the screen's format)
    period: str  # tw | lw | tm | lm; export and csv also 20261101-20261115; xfmt: csv | xlsx
    team_id: int = 0


class QueueStep(CallbackData, prefix="qu"):
    action: str  # req (requests page) | cases (open cases page) | card | case
    page: int = 0
    state: str = ""  # the open-cases filter: "" | escalated | open | reopened
    item: int = 0  # card: the escalation's id; case: the case's id
