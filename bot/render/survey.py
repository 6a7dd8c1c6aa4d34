"""What the customer sees: a language, two questions, a comment, thanks — nothing else."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.render.callbacks import SurveyStep

Screen = tuple[str, InlineKeyboardMarkup]


def _button(text: str, action: str, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=SurveyStep(action=action, value=value).pack()
    )


def ask_csat() -> Screen:
    text = "\n".join(
        (
            _("<b>How did we do?</b>"),
            _(
                "How satisfied are you with how we handled your problem? 1 — not at all, "
                "5 — completely."
            ),
        )
    )
    buttons = [_button(f"{n} ★", "csat", n) for n in range(1, 6)]
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons[:3], buttons[3:]])


def ask_ces() -> Screen:
    text = _("How easy was it to get it solved? 1 — very hard, 7 — very easy.")
    buttons = [_button(str(n), "ces", n) for n in range(1, 8)]
    buttons.append(_button(_("Skip"), "skip"))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_comment() -> Screen:
    text = _("Anything you would like to add? Type it, or finish.")
    return text, InlineKeyboardMarkup(inline_keyboard=[[_button(_("Finish"), "finish")]])


def thanks() -> str:
    return _("<b>Thank you!</b> Your answer helps us serve you better.")


def problem(code: str) -> str:
    texts = {
        "survey_invalid": _("This survey link is not valid."),
        "survey_used": _("This survey has already been answered. Thank you!"),
        "survey_expired": _("This survey link has expired. Thank you all the same!"),
    }
    return texts.get(code, texts["survey_invalid"])


def link_caption(link: str) -> str:
    from html import escape

    return _("Show this code to the customer, or send them the link: {link}").format(
        link=escape(link)
    )
