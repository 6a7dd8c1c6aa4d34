"""Words and buttons every screen shares: roles, languages, Back/Cancel, the command menu."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape

from aiogram.types import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from bot.db.models import Role
from bot.i18n import LANGUAGE_NAMES


def role_name(role: str) -> str:
    names = {
        Role.FRONTLINE: _("frontline staff"),
        Role.SUPERVISOR: _("supervisor"),
        Role.MANAGER: _("manager"),
        Role.ADMIN: _("admin"),
    }
    return names[Role(role)]


def role_button(role: str) -> str:
    labels = {
        Role.FRONTLINE: _("Frontline"),
        Role.SUPERVISOR: _("Supervisor"),
        Role.MANAGER: _("Manager"),
        Role.ADMIN: _("Admin"),
    }
    return labels[Role(role)]


def role_duties(role: str) -> str:
    duties = {
        Role.FRONTLINE: _(
            "You log customers' problems, see how much you may spend to fix them on the spot, "
            "and record how each case ended."
        ),
        Role.SUPERVISOR: _(
            "You decide on requests that go beyond your team's authority and keep an eye on "
            "your teams' open cases."
        ),
        Role.MANAGER: _(
            "You get a weekly digest: first-contact resolution, resolution times, customer "
            "ratings and what it all cost."
        ),
        Role.ADMIN: _(
            "You invite staff, set their roles and teams, and look after the organisation's "
            "empowerment policy."
        ),
    }
    return duties[Role(role)]


def team_label(team_name: str | None) -> str:
    return escape(team_name) if team_name else _("no team")


def language_buttons(selected: str | None) -> list[list[InlineKeyboardButton]]:
    from bot.render.callbacks import LanguagePick

    row = [
        InlineKeyboardButton(
            text=("✓ " if code == selected else "") + name,
            callback_data=LanguagePick(code=code).pack(),
        )
        for code, name in LANGUAGE_NAMES.items()
    ]
    return [row]


TEXT_LIMIT = 4096  # Telegram's limit of a message's text, in UTF-16 code units


def in_sentence(label: str) -> str:
    """A label from a button or the policy ("Refund", "With remedy") inside a sentence."""
    return label[:1].lower() + label[1:]


def shortened(text: str, limit: int) -> str:
    """At most `limit` characters, the cut marked with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def open_case_button(case_id: int) -> InlineKeyboardButton:
    from bot.render.callbacks import CaseStep

    return InlineKeyboardButton(
        text=_("Open case"), callback_data=CaseStep(action="card", case_id=case_id).pack()
    )


def open_case_keyboard(case_id: int) -> InlineKeyboardMarkup:
    """A notice's one way on: the case it is about."""
    return InlineKeyboardMarkup(inline_keyboard=[[open_case_button(case_id)]])


def cancel_button() -> InlineKeyboardButton:
    from bot.render.callbacks import Cancel

    return InlineKeyboardButton(text=_("Cancel"), callback_data=Cancel().pack())


@dataclass(frozen=True)
class Command:
    name: str
    description: LazyProxy
    role: Role  # the lowest role that has it


COMMANDS: tuple[Command, ...] = (
    Command("start", __("Home screen"), Role.FRONTLINE),
    Command("new", __("Log a customer's problem"), Role.FRONTLINE),
    Command("authority", __("What you may give now"), Role.FRONTLINE),
    Command("policy", __("Your spending rules"), Role.FRONTLINE),
    Command("my", __("My cases"), Role.FRONTLINE),
    Command("case", __("Open a case by its code"), Role.FRONTLINE),
    Command("reopen", __("Reopen a case by its code"), Role.FRONTLINE),
    Command("queue", __("Requests waiting for you"), Role.SUPERVISOR),
    Command("stats", __("Figures: FCR, times, ratings, spend"), Role.SUPERVISOR),
    Command("export", __("Cases, spends and surveys for Excel"), Role.MANAGER),
    Command("invite", __("Invite staff"), Role.ADMIN),
    Command("team", __("Members, roles, teams"), Role.ADMIN),
    Command("language", __("Change language"), Role.FRONTLINE),
    Command("help", __("What I can do"), Role.FRONTLINE),
    Command("cancel", __("Stop what you are doing"), Role.FRONTLINE),
)


def commands_for(role: str, several_orgs: bool = False) -> list[BotCommand]:
    allowed = [c for c in COMMANDS if Role(role).at_least(c.role)]
    menu = [BotCommand(command=c.name, description=str(c.description)) for c in allowed]
    if several_orgs:
        menu.insert(1, BotCommand(command="org", description=_("Switch organisation")))
    return menu


def floor_keyboard() -> ReplyKeyboardMarkup:
    """What a person on the floor needs at any moment, one thumb away."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("New case"))],
            [KeyboardButton(text=_("My cases")), KeyboardButton(text=_("Authority"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


# The phone keyboard's labels and what each does; the keyboard may be in any of the
# languages (it changes only when the bot sends it again).
# (floor_keyboard's _() calls put these msgids in the catalogs).
_KEYBOARD = {"new": "New case", "my": "My cases", "authority": "Authority"}


@cache
def _keyboard_labels() -> dict[str, str]:
    from bot.i18n import LOCALES, translations

    return {
        translations(locale).gettext(msgid): action
        for locale in LOCALES
        for action, msgid in _KEYBOARD.items()
    }


def keyboard_action(text: str) -> str | None:
    """ "new", "my" or "authority" when the text is a tap on the phone keyboard."""
    return _keyboard_labels().get(text.strip())


def stranger_commands() -> list[BotCommand]:
    return [BotCommand(command="start", description=_("Join with an invite link"))]
