"""Follow-up screens: the supervisor's card (the case, what was given, the customer's words and
four outcomes), the steps of closing it (a note, a re-survey), the customer's "Is it better
now?" and the news of its answer."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import format_money
from bot.render.callbacks import FollowUpStep
from bot.render.catalog import OutsideRenderer
from bot.render.common import cancel_button, open_case_button, open_case_keyboard, shortened
from bot.services.follow_ups import FollowUpView
from policies.model import Policy

Screen = tuple[str, InlineKeyboardMarkup]
SNIPPET = 300  # of the customer's words or comment, on a card


def _button(
    text: str, action: str, view: FollowUpView | int, value: str = ""
) -> InlineKeyboardButton:
    follow_up_id = view if isinstance(view, int) else view.id
    return InlineKeyboardButton(
        text=text,
        callback_data=FollowUpStep(action=action, follow_up_id=follow_up_id, value=value).pack(),
    )


def outcome_name(outcome: str) -> str:
    names = {
        "called": _("Called the customer"),
        "visited": _("Visited the customer"),
        "remedy": _("Gave an extra remedy"),
        "unreached": _("Could not reach the customer"),
    }
    return names.get(outcome, outcome)


def _given_line(view: FollowUpView, policy: Policy, locale: str) -> str:
    if not view.given:
        return _("Given: nothing yet")
    parts = []
    for given in view.given:
        label = escape(policy.remedy_label(given.remedy, locale))
        if given.money and given.amount > 0:
            money = format_money(given.amount, view.currency, locale)
            parts.append(f"{label} <b>{money}</b>")
        else:
            parts.append(label)
    return _("Given: {list}").format(list=", ".join(parts))


def _story(view: FollowUpView, policy: Policy, locale: str) -> list[str]:
    lines = [
        _("Category: {category}").format(
            category=escape(policy.category_label(view.category, locale))
        )
    ]
    if view.customer_key:
        lines.append(_("Customer: {key}").format(key=escape(view.customer_key)))
    lines.append(_given_line(view, policy, locale))
    if view.customer_words:
        lines.append(
            _("Customer's words: “{words}”").format(
                words=escape(shortened(view.customer_words, SNIPPET))
            )
        )
    if view.comment:
        lines.append(
            _("Comment: “{comment}”").format(comment=escape(shortened(view.comment, SNIPPET)))
        )
    lines.append(_("Logged by {name}").format(name=escape(view.reporter)))
    return lines


def _score_line(view: FollowUpView) -> str:
    rated = _("The customer rated {csat} of 5").format(csat=f"<b>{view.csat}</b>")
    if view.contact_requested:
        rated += " · " + _("asks to be contacted")
    return rated


def card(view: FollowUpView, policy: Policy, locale: str, reminder: bool = False) -> Screen:
    """To a supervisor: what went wrong and how the customer feels, then one tap per outcome."""
    first = _("⚠️ <b>Follow-up · case {code}</b>").format(code=view.case_code)
    if reminder:
        first = _("⏰ <b>Reminder · follow-up · case {code}</b>").format(code=view.case_code)
    lines = [first, _score_line(view), *_story(view, policy, locale)]
    lines.append(_("Contact the customer, then record what you did."))
    rows = [
        [_button(_("Called"), "called", view), _button(_("Visited"), "visited", view)],
        [_button(_("Extra remedy"), "remedy", view), _button(_("Not reached"), "unreached", view)],
        [open_case_button(view.case_id)],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def back_button(view: FollowUpView | int) -> InlineKeyboardButton:
    return _button(_("Back"), "back", view)


def _nav(view: FollowUpView | int) -> list[InlineKeyboardButton]:
    return [back_button(view), cancel_button()]


def ask_note(view: FollowUpView, outcome: str) -> Screen:
    """After the outcome: what was agreed, in one message, or Skip."""
    text = "\n".join(
        (
            _("<b>Follow-up · case {code}</b>").format(code=view.case_code),
            outcome_name(outcome),
            _("What did you do or agree? Write it in one message — or skip."),
        )
    )
    rows = [[_button(_("Skip"), "skip", view, outcome)], _nav(view)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def note_too_long(view: FollowUpView, outcome: str, limit: int) -> Screen:
    text, markup = ask_note(view, outcome)
    refusal = _("That is longer than a note can be: {limit} characters at most.").format(
        limit=limit
    )
    return f"{refusal}\n{text}", markup


def ask_resurvey(view: FollowUpView, outcome: str) -> Screen:
    """The last step: ask the customer "Is it better now?" (they answered in Telegram)."""
    text = "\n".join(
        (
            _("<b>Follow-up · case {code}</b>").format(code=view.case_code),
            outcome_name(outcome),
            _("Send the customer one question: “Is it better now?”"),
        )
    )
    rows = [
        [
            _button(_("Send it"), "send", view, outcome),
            _button(_("Don't send"), "close", view, outcome),
        ],
        _nav(view),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def pick_remedy(view: FollowUpView, policy: Policy, locale: str, remedies: list[str]) -> Screen:
    text = "\n".join(
        (
            _("<b>Extra remedy · case {code}</b>").format(code=view.case_code),
            _("What do you give the customer? Your usual authority applies."),
        )
    )
    buttons = [_button(policy.remedy_label(key, locale), "give", view, key) for key in remedies]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(view)])


def ask_amount(
    view: FollowUpView, policy: Policy, locale: str, remedy: str, room: Decimal | None
) -> Screen:
    lines = [
        _("<b>{remedy} · case {code}</b>").format(
            remedy=escape(policy.remedy_label(remedy, locale)), code=view.case_code
        ),
        _("How much, in {currency}?").format(currency=view.currency),
    ]
    if room is not None:
        lines.append(
            _("You can give up to {amount} now.").format(
                amount=f"<b>{format_money(room, view.currency, locale)}</b>"
            )
        )
    rows = [_nav(view)]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def refused(view: FollowUpView, text: str) -> Screen:
    """A give the authority check refused, or an amount that is not one: why, then Back."""
    lines = [_("<b>Follow-up · case {code}</b>").format(code=view.case_code), text]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[_nav(view)])


def closed(view: FollowUpView, policy: Policy, locale: str, resurvey_sent: bool) -> Screen:
    lines = [
        _("✅ <b>Follow-up closed · case {code}</b>").format(code=view.case_code),
        outcome_name(view.outcome or ""),
    ]
    if view.note:
        lines.append(_("Note: {note}").format(note=escape(shortened(view.note, SNIPPET))))
    if view.outcome == "remedy":
        lines.append(_given_line(view, policy, locale))
    if resurvey_sent:
        lines.append(_("The customer was asked “Is it better now?”; you will hear the answer."))
    return "\n".join(lines), open_case_keyboard(view.case_id)


def already_closed(name: str) -> str:
    """An alert: someone closed it first (a second supervisor, a repeated tap)."""
    if name:
        return _("This follow-up is already closed by {name}.").format(name=name)
    return _("This follow-up is already closed.")


def problem(code: str) -> str:
    texts = {
        "no_such_follow_up": _("This follow-up is not there any more."),
        "follow_up_not_yours": _("This follow-up is for the supervisors of another team."),
    }
    return texts.get(code, texts["no_such_follow_up"])


# ---- the customer's side ----


def resurvey(org_name: str, link: str) -> Screen:
    text = "\n".join(
        (
            _("<b>{org}</b> · Is it better now?").format(org=escape(org_name)),
            _("We have tried to put things right. One question, one tap."),
        )
    )
    rows = [[InlineKeyboardButton(text=_("Answer"), url=link)]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def recovered(view: FollowUpView) -> Screen:
    """To whoever followed up, and to the reporter: the re-survey's answer."""
    assert view.resurvey_csat is not None
    if view.resurvey_csat >= 4:
        first = _("🎉 <b>Recovered · case {code}</b>").format(code=view.case_code)
    else:
        first = _("<b>Re-survey · case {code}</b>").format(code=view.case_code)
    lines = [
        first,
        _("Is it better now? The customer answered {csat} of 5 (before: {before}).").format(
            csat=f"<b>{view.resurvey_csat}</b>", before=view.csat
        ),
    ]
    return "\n".join(lines), open_case_keyboard(view.case_id)


class BotFollowUpNotices(OutsideRenderer):
    """The FollowUpNotices the service uses: each renders in the reader's language."""

    def card(
        self, view: FollowUpView, policy: Policy, locale: str, reminder: bool = False
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: card(view, policy, locale, reminder))

    def resurvey(self, org_name: str, link: str, locale: str) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: resurvey(org_name, link))

    def recovered(
        self, view: FollowUpView, policy: Policy, locale: str
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: recovered(view))
