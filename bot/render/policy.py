"""Screens of /policy: the rules that apply to me; for managers each role's page and what the
last version changed; an admin replacing the policy."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import format_when
from bot.render.callbacks import PolicyPage, PolicyStep
from bot.render.common import cancel_button
from bot.services.policies import PolicyChanges, PolicyInForce, Proposal
from policies.explain import describe_role, describe_rules, diff_policies, role_name
from policies.model import ROLES

Screen = tuple[str, InlineKeyboardMarkup | None]
MAX_LISTED = 12


def rules(
    current: PolicyInForce, role: str, locale: str, is_admin: bool, pages: bool = False
) -> Screen:
    """The reader's own rules; with `pages` (managers and admins) the buttons of every role's
    page and of the changes, their own role ticked."""
    lines = [
        _("<b>Policy · version {version}</b>").format(version=current.version),
        describe_rules(current.policy, role, locale),
    ]
    rows = _page_buttons(role, locale) if pages else []
    if is_admin:
        lines += ["", _("To change the policy, send me the .toml file.")]
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("Get the file"), callback_data=PolicyStep(action="file").pack()
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def role_page(current: PolicyInForce, role: str, locale: str) -> Screen:
    """One role's rules in words, as a manager reads them (no TOML)."""
    name = role_name(role, locale)
    lines = [
        _("<b>Policy · version {version}</b>").format(version=current.version),
        f"<b>{escape(name[:1].upper() + name[1:])}</b>",
        describe_role(current.policy, role, locale),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=_page_buttons(role, locale))


def changes_page(changes: PolicyChanges, now: datetime, timezone: str, locale: str) -> Screen:
    """What the version in force changed from the previous one, and who activated it when."""
    when = escape(format_when(changes.activated_at, now, timezone, locale))
    lines = [_("<b>Policy · version {version} · changes</b>").format(version=changes.version)]
    if changes.activated_by:
        lines.append(
            _("Activated by {name}, {when}.").format(name=escape(changes.activated_by), when=when)
        )
    else:
        lines.append(_("Activated {when}.").format(when=when))
    if changes.previous is None:
        lines.append(_("This is the first version: there is nothing to compare it with."))
    else:
        found = diff_policies(changes.previous, changes.policy, locale)
        if found:
            lines.append(
                _("What changed since version {version}:").format(version=changes.previous_version)
            )
            lines += [f"• {change}" for change in found[:MAX_LISTED]]
            if len(found) > MAX_LISTED:
                lines.append(_("…and {count} more.").format(count=len(found) - MAX_LISTED))
        else:
            lines.append(_("No changes to limits, remedies or categories."))
    markup = InlineKeyboardMarkup(inline_keyboard=_page_buttons("changes", locale))
    return "\n".join(lines), markup


def _page_buttons(chosen: str, locale: str) -> list[list[InlineKeyboardButton]]:
    """Frontline · Supervisor / Manager · Admin / Changes, the page on screen ticked."""

    def button(view: str, label: str) -> InlineKeyboardButton:
        text = ("✓ " if view == chosen else "") + label
        return InlineKeyboardButton(text=text, callback_data=PolicyPage(view=view).pack())

    names = {role: role_name(role, locale) for role in ROLES}
    roles = [button(role, name[:1].upper() + name[1:]) for role, name in names.items()]
    return [roles[:2], roles[2:], [button("changes", _("Changes"))]]


def refused(problems: list[str]) -> str:
    shown = [f"• {escape(p)}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        shown.append(_("…and {count} more.").format(count=len(problems) - MAX_LISTED))
    return "\n".join(
        (
            _("<b>The policy was not changed</b>"),
            _("The file has problems:"),
            *shown,
            "",
            _("Fix them and send the file again. The current policy stays in force."),
        )
    )


def proposal(proposed: Proposal, locale: str) -> Screen:
    changes = diff_policies(proposed.current, proposed.proposed, locale, sensitive_categories=False)
    changes += sensitivity_lines(proposed, locale)
    lines = [_("<b>New policy · version {version}</b>").format(version=proposed.version)]
    if changes:
        lines.append(_("What changes:"))
        lines += [f"• {change}" for change in changes[:MAX_LISTED]]
        if len(changes) > MAX_LISTED:
            lines.append(_("…and {count} more.").format(count=len(changes) - MAX_LISTED))
    else:
        lines.append(_("No changes to limits, remedies or categories."))
    lines += ["", _("It takes effect only when you activate it.")]
    rows = [
        [
            InlineKeyboardButton(
                text=_("Activate"),
                callback_data=PolicyStep(action="on", draft_id=proposed.draft_id).pack(),
            ),
            cancel_button(),
        ]
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def sensitivity_lines(proposed: Proposal, locale: str) -> list[str]:
    """What becomes sensitive (with the cases it already has, which become sensitive too) and
    what stops being so."""
    policy = proposed.proposed
    readers = ", ".join(
        role_name(role, locale) for role in dict.fromkeys((*policy.sensitive_roles, "admin"))
    )
    lines = []
    for key, count in proposed.newly_sensitive:
        category = escape(policy.category_label(key, locale))
        if count:
            text = ngettext(
                "🔒 {category} is now sensitive: its {count} earlier case becomes visible only "
                "to its reporter and approvers, and to: {roles}.",
                "🔒 {category} is now sensitive: its {count} earlier cases become visible only "
                "to their reporters and approvers, and to: {roles}.",
                count,
            )
        else:
            text = _(
                "🔒 {category} is now sensitive: its cases will be visible only to their "
                "reporters and approvers, and to: {roles}."
            )
        lines.append(text.format(category=category, count=count, roles=readers))
    for key in proposed.no_longer_sensitive:
        lines.append(
            _("{category} is no longer sensitive: its cases are shown like any other.").format(
                category=escape(policy.category_label(key, locale))
            )
        )
    return lines


def activated(version: int) -> str:
    return _(
        "<b>Policy version {version} is in force.</b> Everyone's authority follows it from now on."
    ).format(version=version)


def only_admins() -> str:
    return _("Only an admin can change the policy.")


def not_a_policy_file() -> str:
    return _("Send the policy as a .toml file, please.")
