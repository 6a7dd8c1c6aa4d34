"""What the customer sees (two questions, three when the policy asks NPS, and a comment in
their language, with the other languages one tap away, then thanks — nothing else), and what
staff are told of the answer."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGE_NAMES
from bot.render.callbacks import LanguagePick, SurveyStep
from bot.render.catalog import OutsideRenderer
from bot.render.common import open_case_keyboard, shortened
from bot.services.surveys import SurveyAnswer

Screen = tuple[str, InlineKeyboardMarkup]
SNIPPET = 300  # of a comment, in a notice


def _button(text: str, action: str, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=SurveyStep(action=action, value=value).pack()
    )


def _other_languages(language: str) -> list[InlineKeyboardButton]:
    """Under every question: the guest's Telegram may speak another language than they do."""
    return [
        InlineKeyboardButton(text=name, callback_data=LanguagePick(code=code).pack())
        for code, name in LANGUAGE_NAMES.items()
        if code != language
    ]


def ask_csat(org_name: str, language: str) -> Screen:
    """The first screen: whose service is rated, and the stars."""
    text = "\n".join(
        (
            _("<b>{org}</b> · How did we do?").format(org=escape(org_name)),
            _("How happy are you with how we looked after you? 1 — not at all, 5 — very happy."),
        )
    )
    buttons = [_button(f"{n} ★", "csat", n) for n in range(1, 6)]
    rows = [buttons[:3], buttons[3:], _other_languages(language)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_ces(language: str) -> Screen:
    text = _("How easy was it to get your issue sorted? 1 — very hard, 7 — very easy.")
    buttons = [_button(str(n), "ces", n) for n in range(1, 8)]
    buttons.append(_button(_("Skip"), "skip"))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _other_languages(language)])


def ask_nps(language: str) -> Screen:
    """0–10 in rows of three (a phone's width), Skip beside 9 and 10."""
    text = _(
        "How likely are you to recommend us to a friend? 0 — not at all likely, "
        "10 — extremely likely."
    )
    buttons = [_button(str(n), "nps", n) for n in range(11)]
    buttons.append(_button(_("Skip"), "skip"))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _other_languages(language)])


def ask_better(org_name: str, language: str) -> Screen:
    """A follow-up's re-survey: one question, the stars."""
    text = "\n".join(
        (
            _("<b>{org}</b> · Is it better now?").format(org=escape(org_name)),
            _("1 — no better at all, 5 — all put right."),
        )
    )
    buttons = [_button(f"{n} ★", "csat", n) for n in range(1, 6)]
    rows = [buttons[:3], buttons[3:], _other_languages(language)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_comment(language: str, contact: bool = False) -> Screen:
    """The last step; "Please contact me" opens a follow-up whatever the rating."""
    text = _("Would you like to add anything? Write it here, or tap Finish.")
    if contact:
        text = _("We will contact you.") + "\n" + text
        first = [_button(_("Finish"), "finish")]
    else:
        first = [_button(_("Finish"), "finish"), _button(_("Contact me"), "contact")]
    rows = [first, _other_languages(language)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def comment_too_long(language: str, limit: int, contact: bool = False) -> Screen:
    """The comment step again, under a comment longer than the survey keeps."""
    text, markup = ask_comment(language, contact)
    refusal = _("That is longer than we can keep: {limit} characters at most.").format(limit=limit)
    return f"{refusal}\n{text}", markup


def thanks() -> str:
    """Takes the place of the last question: no buttons are left."""
    return _("<b>Thank you!</b> Your answer helps us do better.")


def problem(code: str) -> str:
    texts = {
        "survey_invalid": _("This survey link is not valid."),
        "survey_used": _("This survey has already been answered. Thank you!"),
        "survey_expired": _("This survey link has expired. Thank you all the same!"),
    }
    return texts.get(code, texts["survey_invalid"])


def link_caption(link: str, refreshed: bool = False) -> str:
    caption = _("Show this code to the customer, or send them the link: {link}").format(
        link=escape(link)
    )
    if refreshed:
        caption += "\n" + _("This is a new link: the earlier one for this case no longer works.")
    return caption


def use_the_buttons() -> str:
    """A guest typed (a command, a word) where the survey waits for a tap."""
    return _("Please answer with the buttons above.")


def type_or_finish() -> str:
    """A guest sent a command where the survey waits for a comment."""
    return _("Please type your comment in a message, or tap Finish above.")


def recorded() -> str:
    """A guest writes after finishing the survey."""
    return _("Thank you, your answer is recorded.")


def _answer_lines(answer: SurveyAnswer) -> list[str]:
    lines = []
    if answer.ces is not None:
        lines.append(_("How easy: {ces} of 7").format(ces=answer.ces))
    if answer.comment:
        lines.append(
            _("Comment: “{comment}”").format(comment=escape(shortened(answer.comment, SNIPPET)))
        )
    return lines


def answered(answer: SurveyAnswer) -> Screen:
    """To the reporter: every answer; a low one under a warning."""
    lines = [
        _("Case {code}: the customer rated {csat} of 5").format(
            code=answer.case_code, csat=f"<b>{answer.csat}</b>"
        )
    ]
    if answer.low:
        lines.insert(0, _("⚠️ <b>Low score</b>"))
    return "\n".join(lines + _answer_lines(answer)), open_case_keyboard(answer.case_id)


def low_score(answer: SurveyAnswer) -> Screen:
    """To the reporter's supervisors, at once."""
    lines = [
        _("⚠️ <b>Low score · case {code}</b>").format(code=answer.case_code),
        _("The customer rated {csat} of 5").format(csat=f"<b>{answer.csat}</b>"),
        _("Logged by {name}").format(name=escape(answer.reporter)),
    ]
    return "\n".join(lines + _answer_lines(answer)), open_case_keyboard(answer.case_id)


class BotSurveyNotices(OutsideRenderer):
    """The SurveyNotices the service uses: each renders in the reader's language, outside
    any handler (the guest's update is in the guest's language)."""

    def answered(self, answer: SurveyAnswer, locale: str) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: answered(answer))

    def low_score(self, answer: SurveyAnswer, locale: str) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: low_score(answer))
