"""Callback data factories: short unique prefixes, well under Telegram's 64 bytes."""

from __future__ import annotations

import re

from aiogram.filters.callback_data import CallbackData

# Ids are INTEGER columns (4 bytes on PostgreSQL); 0 stands for "none" in the factories below.
LARGEST_ID = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")


def in_range(data: CallbackData) -> bool:
    """Every whole number of a button fits an id column: a forged button with a case id of
    10^23, or of -1, is refused as forged before any query is made with it."""
    return all(
        0 <= value <= LARGEST_ID
        for value in data.model_dump().values()
        if isinstance(value, int) and not isinstance(value, bool)
    )


def id_of(value: str) -> int | None:
    """A button's text value read as an id or a count ("12"), or None when it is none."""
    if not _ID.fullmatch(value) or int(value) > LARGEST_ID:
        return None
    return int(value)


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
    action: str  # csat | ces | nps | skip | finish | contact
    value: int = 0


class FollowUpStep(CallbackData, prefix="fu"):
    action: str  # called | visited | remedy | unreached | skip | send | close | back | give | open
    follow_up_id: int
    value: str = ""  # skip/send/close: the outcome; give: the remedy


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
