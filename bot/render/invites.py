"""Screens of /invite: role, team, number of uses, validity, and the finished link."""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.db.models import Role
from bot.i18n import format_when
from bot.render.callbacks import InviteStep
from bot.render.common import cancel_button, role_button, role_name, team_label

Screen = tuple[str, InlineKeyboardMarkup]

USES_CHOICES = (1, 5, 20)
DAYS_CHOICES = (1, 7, 30)
STEPS = 4


def _title(step: int) -> str:
    return _("<b>New invite</b> · step {step} of {steps}").format(step=step, steps=STEPS)


def _nav(step: str) -> list[InlineKeyboardButton]:
    back = InlineKeyboardButton(
        text=_("Back"), callback_data=InviteStep(action="back", value=step).pack()
    )
    return [back, cancel_button()]


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def choose_role() -> Screen:
    buttons = [
        InlineKeyboardButton(
            text=role_button(role), callback_data=InviteStep(action="role", value=role).pack()
        )
        for role in Role
    ]
    text = "\n".join((_title(1), _("Who are you inviting?")))
    return text, InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons), [cancel_button()]])


def choose_team(teams: list[tuple[int, str]]) -> Screen:
    buttons = [
        InlineKeyboardButton(
            text=name[:30], callback_data=InviteStep(action="team", value=str(team_id)).pack()
        )
        for team_id, name in teams
    ]
    buttons.append(
        InlineKeyboardButton(text=_("No team"), callback_data=InviteStep(action="team").pack())
    )
    text = "\n".join((_title(2), _("Which team will they join?")))
    return text, InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons), _nav("team")])


def choose_uses() -> Screen:
    buttons = [
        InlineKeyboardButton(
            text=ngettext("{count} person", "{count} people", n).format(count=n),
            callback_data=InviteStep(action="uses", value=str(n)).pack(),
        )
        for n in USES_CHOICES
    ]
    text = "\n".join((_title(3), _("How many people may join with this link?")))
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons, _nav("uses")])


def choose_ttl() -> Screen:
    buttons = [
        InlineKeyboardButton(
            text=ngettext("{count} day", "{count} days", n).format(count=n),
            callback_data=InviteStep(action="ttl", value=str(n)).pack(),
        )
        for n in DAYS_CHOICES
    ]
    text = "\n".join((_title(4), _("How long will the link work?")))
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons, _nav("ttl")])


def ready(
    *,
    role: str,
    team_name: str | None,
    uses: int,
    expires_at: datetime,
    timezone: str,
    locale: str,
    now: datetime | None = None,
) -> str:
    return "\n".join(
        (
            _("<b>Invite ready</b>"),
            _("Role: {role}").format(role=f"<b>{role_name(role)}</b>"),
            _("Team: {team}").format(team=team_label(team_name)),
            ngettext(
                "Up to {count} person can join.", "Up to {count} people can join.", uses
            ).format(count=f"<b>{uses}</b>"),
            _("Valid until {moment}.").format(
                moment=escape(format_when(expires_at, now, timezone, locale))
            ),
            _("The link and its QR code follow; share them only with the people you invite."),
        )
    )


def link_caption(link: str) -> str:
    return _("Invite link: {link}\nOpen it in Telegram or scan the code.").format(link=escape(link))
