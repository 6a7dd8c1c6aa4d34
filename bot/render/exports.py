"""The words of an export in the reader's language: sheet names, column headers and the names
of statuses, outcomes and events; and what /export says when it refuses a period."""

from __future__ import annotations

from datetime import date, datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.i18n import DOTTED_DAYS, LANGUAGE_NAMES, babel_locale
from bot.render.callbacks import StatsStep
from bot.render.cases import outcome_name, state_name
from bot.render.errors import refusal
from bot.render.escalations import builtin_reasons, deny_reasons
from bot.render.follow_ups import outcome_name as follow_up_outcome
from bot.services.errors import ServiceError
from bot.services.exports import LONGEST
from bot.services.follow_ups import OUTCOMES as FOLLOW_UP_OUTCOMES
from bot.services.workbook import ExportLabels
from policies.model import Policy

STATES = ("open", "escalated", "resolved", "reopened", "cancelled")
OUTCOMES = ("with_remedy", "without_remedy", "unsatisfied", "unresolvable")


def export_labels(policy: Policy, locale: str) -> ExportLabels:
    """Call inside the reader's i18n context (a handler's, or `ExportTexts`)."""
    return ExportLabels(
        locale=locale,
        sheets={
            "cases": _("Cases"),
            "events": _("Events"),
            "spends": _("Spends"),
            "surveys": _("Surveys"),
        },
        headers={
            "code": _("Case"),
            "case": _("Case"),
            "created_at": _("Logged"),
            "category": _("Category"),
            "description": _("Description"),
            "status": _("Status"),
            "case_status": _("Case status"),
            "team": _("Team"),
            "reporter": _("Logged by"),
            "owner": _("Owner"),
            "customer_key": _("Customer key"),
            "outcome": _("Outcome"),
            "first_contact": _("Solved at first contact"),
            "escalated": _("Approval requested"),
            "reopened": _("Times reopened"),
            "first_resolved_at": _("First resolved"),
            "resolved_at": _("Last resolved"),
            "note": _("Outcome note"),
            "spent": _("Spent"),
            "voided_at": _("Voided"),
            "sensitive": _("Sensitive"),
            "at": _("Time"),
            "event": _("Event"),
            "actor": _("By"),
            "remedy": _("Remedy"),
            "amount": _("Amount"),
            "details": _("Details"),
            "given_by": _("Given by"),
            "authorised_by": _("Authorised by"),
            "sent_at": _("Sent"),
            "answered_at": _("Answered"),
            "language": _("Language"),
            "csat": _("CSAT (1–5)"),
            "ces": _("CES (1–7)"),
            "nps": _("NPS (0–10)"),
            "comment": _("Customer's comment"),
            "survey_kind": _("Kind"),
        },
        states={state: state_name(state) for state in STATES},
        outcomes={outcome: outcome_name(outcome) for outcome in OUTCOMES},
        kinds={
            "created": _("Logged"),
            "added": _("Added to the case"),
            "spend": _("Remedy given"),
            "escalated": _("Approval requested"),
            "decided": _("Decision"),
            "climbed": _("Passed up"),
            "withdrawn": _("Request withdrawn"),
            "resolved": _("Resolved"),
            "note": _("Note"),
            "reopened": _("Case reopened"),
            "cancelled": _("Voided"),
            "survey_sent": _("Survey sent"),
            "survey_answered": _("Survey answered"),
            "cause": _("Why it keeps happening"),
            "follow_up_opened": _("Follow-up opened"),
            "follow_up_closed": _("Follow-up closed"),
            "resurvey_sent": _("Re-survey sent"),
            "resurvey_answered": _("Re-survey answered"),
        },
        follow_up_outcomes={outcome: follow_up_outcome(outcome) for outcome in FOLLOW_UP_OUTCOMES},
        survey_kinds={"survey": _("Survey"), "resurvey": _("Re-survey")},
        decisions={
            "approve": _("Approved"),
            "part": _("Approved in part"),
            "deny": _("Denied"),
            "take": _("Taken over"),
        },
        reasons={**builtin_reasons(), **deny_reasons(policy, locale)},
        languages=dict(LANGUAGE_NAMES),
        yes=_("Yes"),
        no=_("No"),
    )


class ExportTexts:
    """The labels in any language outside a handler (the `casebot export` command)."""

    def __init__(self) -> None:
        from bot.render.catalog import make_i18n

        self.i18n = make_i18n()

    def labels(self, policy: Policy, locale: str) -> ExportLabels:
        with self.i18n.context(), self.i18n.use_locale(locale):
            return export_labels(policy, locale)


def export_range_help(locale: str) -> str:
    """The forms /export takes, as /stats: 01.11.2026 in uk and ru, ISO everywhere."""
    iso, dotted = "2026-11-01 2026-11-15", locale in DOTTED_DAYS
    text = _(
        "Type the period as two days, first and last: /export {example} "
        "(at most {limit} days), or use the buttons of /export."
    ).format(example="01.11.2026 15.11.2026" if dotted else iso, limit=LONGEST)
    if dotted:
        text += " " + _("Dates like {example} work too.").format(example=iso)
    return text


def export_refusal(error: ServiceError, locale: str) -> str:
    """Why a period cannot be exported (bot/render/errors.py), with today in the reader's style."""
    today = error.params.get("today")
    if isinstance(today, date):
        pattern = "dd.MM.y" if locale in DOTTED_DAYS else "medium"
        shown = format_date(today, pattern, locale=babel_locale(locale))
        error = ServiceError(error.code, **{**error.params, "today": shown})
    return refusal(error)


def range_key(first: date, last: date) -> str:
    """A period in a button's data: 20261101-20261115 (17 of callback data's 64 bytes)."""
    return f"{first:%Y%m%d}-{last:%Y%m%d}"


def range_of_key(key: str) -> tuple[date, date] | None:
    first, _, last = key.partition("-")
    try:
        return (
            datetime.strptime(first, "%Y%m%d").date(),  # noqa: DTZ007 (a day, no time)
            datetime.strptime(last, "%Y%m%d").date(),  # noqa: DTZ007
        )
    except ValueError:
        return None


def csv_again(first: date, last: date) -> InlineKeyboardMarkup:
    """Under "Sent below": the same days as CSV files (a typed period has no screen)."""
    data = StatsStep(action="csv", period=range_key(first, last)).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("CSV files"), callback_data=data)]]
    )
