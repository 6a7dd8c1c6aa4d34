"""Screens of /policy: the rules that apply to me, and an admin replacing the policy."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.render.callbacks import PolicyStep
from bot.render.common import cancel_button
from bot.services.policies import PolicyInForce, Proposal
from policies.explain import describe_rules, diff_policies

Screen = tuple[str, InlineKeyboardMarkup | None]
MAX_LISTED = 12


def rules(current: PolicyInForce, role: str, locale: str, is_admin: bool) -> Screen:
    lines = [
        _("<b>Policy · version {version}</b>").format(version=current.version),
        describe_rules(current.policy, role, locale),
    ]
    markup = None
    if is_admin:
        lines += ["", _("To change the policy, send me the .toml file.")]
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Get the file"), callback_data=PolicyStep(action="file").pack()
                    )
                ]
            ]
        )
    return "\n".join(lines), markup


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
    changes = diff_policies(proposed.current, proposed.proposed, locale)
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


def activated(version: int) -> str:
    return _(
        "<b>Policy version {version} is in force.</b> Everyone's authority follows it from now on."
    ).format(version=version)


def only_admins() -> str:
    return _("Only an admin can change the policy.")


def not_a_policy_file() -> str:
    return _("Send the policy as a .toml file, please.")
