"""/queue: the counts, the requests waiting for a decision, and the team's open cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import format_money, format_waiting
from bot.render.callbacks import FollowUpStep, QueueStep
from bot.render.cases import case_line, state_name
from bot.render.common import in_sentence
from bot.services.follow_ups import FollowUpView
from bot.services.queue import Counts, QueueItem, Requests, TeamCases
from policies.model import Policy

Screen = tuple[str, InlineKeyboardMarkup]
PER_ROW = 4


def _button(
    text: str, action: str, page: int = 0, state: str = "", item: int = 0
) -> InlineKeyboardButton:
    data = QueueStep(action=action, page=page, state=state, item=item).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def counts_line(counts: Counts) -> str:
    """ "3 requests wait for you; 28 open cases in Front desk"."""
    waiting = ngettext(
        "{count} request waits for you", "{count} requests wait for you", counts.waiting
    ).format(count=counts.waiting)
    if counts.team_name is not None:
        cases = ngettext(
            "{count} open case in team {team}",
            "{count} open cases in team {team}",
            counts.open_cases,
        ).format(count=counts.open_cases, team=escape(counts.team_name))
    else:
        cases = ngettext(
            "{count} open case in the organisation",
            "{count} open cases in the organisation",
            counts.open_cases,
        ).format(count=counts.open_cases)
    return f"{waiting}; {cases}"


def request_line(item: QueueItem, policy: Policy, locale: str) -> str:
    return _("• {code} · {name}, {amount}, {remedy} · {waiting}").format(
        code=item.case_code,
        name=escape(item.requester),
        amount=f"<b>{escape(format_money(item.amount, item.currency, locale))}</b>",
        remedy=escape(in_sentence(policy.remedy_label(item.remedy, locale))),
        waiting=escape(format_waiting(item.waiting, locale)),
    )


def _page_line(page: int, pages: int) -> list[str]:
    if pages < 2:
        return []
    return [_("Page {page} of {pages}").format(page=page + 1, pages=pages)]


def _nav(page: int, pages: int, action: str, state: str = "") -> list[InlineKeyboardButton]:
    nav = []
    if page > 0:
        nav.append(_button("‹ " + _("Previous"), action, page - 1, state))
    if page + 1 < pages:
        nav.append(_button(_("Next") + " ›", action, page + 1, state))
    return nav


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]


def requests(
    found: Requests,
    policy: Policy,
    locale: str,
    follow_ups: Sequence[FollowUpView] = (),
) -> Screen:
    """The requests waiting for this approver, oldest first; a button opens each one's card.
    Below them, the follow-ups of unhappy customers this person may close, most overdue
    first."""
    lines = [_("<b>Approval queue</b>"), counts_line(found.counts), ""]
    if not found.items:
        lines.append(_("Nothing waits for your decision."))
    lines += [request_line(item, policy, locale) for item in found.items]
    lines += _page_line(found.page, found.pages)
    if found.items:
        lines.append(_("Tap a case code to open its approval card."))
    rows = _rows(
        [
            _button(item.case_code, "card", found.page, item=item.escalation_id)
            for item in found.items
        ]
    )
    nav = _nav(found.page, found.pages, "req")
    if nav:
        rows.append(nav)
    if follow_ups:
        lines += ["", _("<b>Follow-ups waiting</b>")]
        lines += [
            _("• {code} · rated {csat} of 5 · logged by {name}").format(
                code=view.case_code, csat=view.csat, name=escape(view.reporter)
            )
            for view in follow_ups
        ]
        buttons = [
            InlineKeyboardButton(
                text=view.case_code,
                callback_data=FollowUpStep(action="open", follow_up_id=view.id).pack(),
            )
            for view in follow_ups
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(_("Team's open cases") + f" ({found.counts.open_cases})", "cases")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def filter_names() -> dict[str, str]:
    return {
        "": _("All open"),
        "escalated": _("Waiting for approval"),
        "open": _("Open"),
        "reopened": _("Reopened"),
    }


def team_cases(found: TeamCases, policy: Policy, locale: str, now: datetime) -> Screen:
    """The team's open cases, oldest first, filtered by status; a button opens each card."""
    names = filter_names()
    lines = [_("<b>Approval queue</b>"), counts_line(found.counts), ""]
    lines.append(_("<b>Team's open cases</b>"))
    if found.state:
        lines.append(_("Status: {state}").format(state=state_name(found.state)))
    if not found.cases:
        lines.append(_("No cases with this status."))
    lines += [case_line(case, policy, locale, now) for case in found.cases]
    lines += _page_line(found.page, found.pages)
    if found.cases:
        lines.append(_("Tap a case code to open its card."))
    rows = _rows(
        [
            _button(case.code, "case", found.page, found.state, case.id)
            for case in found.cases
            if not case.veiled  # a sensitive case is not this reader's to open
        ]
    )
    nav = _nav(found.page, found.pages, "cases", found.state)
    if nav:
        rows.append(nav)
    ticks = [
        _button(("✓ " if key == found.state else "") + name, "cases", 0, key)
        for key, name in names.items()
    ]
    rows += [ticks[:2], ticks[2:]]
    waiting = found.counts.waiting
    rows.append([_button("‹ " + _("Requests") + f" ({waiting})", "req")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)
