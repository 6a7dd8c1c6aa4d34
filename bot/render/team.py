"""Screens of /team: the roster, a member's card, role and team changes, deactivation."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.db.models import Role
from bot.i18n import LANGUAGE_NAMES
from bot.render.callbacks import TeamAction
from bot.render.common import role_button, role_name, team_label
from bot.services.context import MemberView
from bot.services.members import MemberPage

Screen = tuple[str, InlineKeyboardMarkup]


def _button(text: str, action: str, member_id: int = 0, value: str = "") -> InlineKeyboardButton:
    data = TeamAction(action=action, member_id=member_id, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def _close() -> InlineKeyboardButton:
    return _button(_("Close"), "close")


def roster(page: MemberPage, org_name: str) -> Screen:
    lines = [
        _("<b>Team · {org}</b>").format(org=escape(org_name)),
        ngettext("{count} member", "{count} members", page.total).format(count=page.total),
        "",
    ]
    for member in page.members:
        status = "" if member.active else " · " + _("access ended")
        lines.append(
            f"• <b>{escape(member.name)}</b> — {role_name(member.role)}, "
            f"{team_label(member.team_name)}{status}"
        )
    if page.pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages)]
    names = [_button(m.name[:24], "open", m.id) for m in page.members]
    rows = [names[i : i + 2] for i in range(0, len(names), 2)]
    nav = []
    if page.page > 0:
        nav.append(_button("‹ " + _("Previous"), "page", value=str(page.page - 1)))
    if page.page + 1 < page.pages:
        nav.append(_button(_("Next") + " ›", "page", value=str(page.page + 1)))
    rows += [nav] if nav else []
    rows.append([_close()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def card(member: MemberView, note: str | None = None) -> Screen:
    lines = [
        f"<b>{escape(member.name)}</b>",
        _("Role: {role}").format(role=f"<b>{role_name(member.role)}</b>"),
        _("Team: {team}").format(team=team_label(member.team_name)),
        _("Language: {language}").format(language=LANGUAGE_NAMES[member.language]),
        _("Access: {status}").format(status=_("active") if member.active else _("ended")),
    ]
    if note:
        lines += ["", note]
    rows: list[list[InlineKeyboardButton]] = []
    if member.active:
        rows.append(
            [
                _button(_("Role"), "role", member.id),
                _button(_("Team"), "team", member.id),
                _button(_("Deactivate"), "off", member.id),
            ]
        )
    rows.append([_button(_("Back"), "page"), _close()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def choose_role(member: MemberView) -> Screen:
    buttons = [
        _button(
            ("✓ " if role == member.role else "") + role_button(role), "setrole", member.id, role
        )
        for role in Role
    ]
    text = _("<b>{name}: role</b>\nChoose the new role:").format(name=escape(member.name))
    rows = [buttons[:3], buttons[3:], [_button(_("Back"), "open", member.id), _close()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def choose_team(member: MemberView, teams: list[tuple[int, str]]) -> Screen:
    buttons = [
        _button(
            ("✓ " if team_id == member.team_id else "") + name[:30],
            "setteam",
            member.id,
            str(team_id),
        )
        for team_id, name in teams
    ]
    buttons.append(_button(_("No team"), "setteam", member.id, "0"))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(_("Back"), "open", member.id), _close()])
    text = _("<b>{name}: team</b>\nChoose the team:").format(name=escape(member.name))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_deactivation(member: MemberView) -> Screen:
    text = _(
        "<b>Deactivate {name}?</b>\nTheir access ends at once. They can come back only with "
        "a new invite."
    ).format(name=escape(member.name))
    rows = [
        [_button(_("Deactivate"), "offok", member.id)],
        [_button(_("Back"), "open", member.id), _close()],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def farewell(org_name: str) -> str:
    return _("Your access to {org} has been ended by an admin.").format(
        org=f"<b>{escape(org_name)}</b>"
    )


def role_changed(org_name: str, role: str) -> str:
    return _("Your role in {org} is now {role}. The menu is updated.").format(
        org=f"<b>{escape(org_name)}</b>", role=f"<b>{role_name(role)}</b>"
    )


def closed() -> str:
    return _("Team screen closed.")
