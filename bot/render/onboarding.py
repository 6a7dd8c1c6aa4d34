"""Screens of joining: invite problems, language choice, confirmation, welcome and help."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.render.callbacks import JoinStep
from bot.render.common import (
    cancel_button,
    commands_for,
    language_buttons,
    role_duties,
    role_name,
    team_label,
)
from bot.services.context import MemberView
from bot.services.invites import InviteOffer

Screen = tuple[str, InlineKeyboardMarkup | None]


def stranger_hint() -> str:
    return _("This bot is for invited staff only. Please ask your manager for an invite link.")


def deactivated(org_name: str) -> str:
    return _(
        "Your access to {org} has ended. If this is a mistake, ask your admin for a new invite."
    ).format(org=f"<b>{escape(org_name)}</b>")


def invite_problem(code: str) -> str:
    problems = {
        "invite_invalid": _(
            "This invite link is not valid. Check that you opened the whole link, "
            "or ask your admin for a new one."
        ),
        "invite_expired": _("This invite has expired. Ask your admin for a new link."),
        "invite_used_up": _("This invite has already been used. Ask your admin for a new link."),
    }
    return problems[code]


def finish_joining_first() -> str:
    return _("You have not joined yet. Finish joining with the buttons below, or /cancel.")


def choose_language(selected: str) -> Screen:
    text = _("<b>Language</b>\nChoose the language for casebot:")
    rows = [*language_buttons(selected), [cancel_button()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_join(offer: InviteOffer) -> Screen:
    text = "\n".join(
        (
            _("<b>Joining {org}</b>").format(org=escape(offer.org_name)),
            _("Role: {role}").format(role=f"<b>{role_name(offer.role)}</b>"),
            _("Team: {team}").format(team=team_label(offer.team_name)),
            "",
            _("Join the organisation?"),
        )
    )
    rows = [
        [InlineKeyboardButton(text=_("Join"), callback_data=JoinStep(action="ok").pack())],
        [
            InlineKeyboardButton(text=_("Back"), callback_data=JoinStep(action="back").pack()),
            cancel_button(),
        ],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def already_member(org_name: str) -> str:
    return _("You are already a member of {org}.").format(org=f"<b>{escape(org_name)}</b>")


def home(member: MemberView, several_orgs: bool = False, welcome: bool = False) -> str:
    if welcome:
        title = _("<b>Welcome to {org}, {name}!</b>").format(
            org=escape(member.org_name), name=escape(member.name)
        )
    else:
        title = _("<b>casebot · {org}</b>").format(org=escape(member.org_name))
    lines = [
        title,
        _("Your role: {role}; team: {team}.").format(
            role=f"<b>{role_name(member.role)}</b>", team=team_label(member.team_name)
        ),
        role_duties(member.role),
        "",
        _("What you can do here:"),
    ]
    lines += [
        f"/{c.command} — {escape(c.description)}"
        for c in commands_for(member.role, several_orgs)
        if c.command != "start"
    ]
    return "\n".join(lines)


def new_case_hint() -> str:
    return _("When a customer has a problem, tap “New case” below.")


def unexpected_failure() -> str:
    return _(
        "Something went wrong on our side. Nothing you entered is lost: try again, "
        "or /cancel to start over."
    )


def unavailable() -> str:
    return _(
        "⏳ casebot is briefly unavailable. What you sent is kept and will be done as soon as "
        "it is back, usually within a minute. If nothing happens, try again in a minute."
    )


def cancelled() -> str:
    return _("Cancelled. Nothing was changed.")


def outdated_button() -> str:
    return _("This button is out of date. Open the screen again from the menu.")


def not_allowed() -> str:
    return _("This is not available for your role.")


def too_fast() -> str:
    return _("You are sending too fast. Wait a few seconds, then try again.")


def language_set() -> str:
    return _("Done: casebot now speaks English with you. The menu is updated too.")
