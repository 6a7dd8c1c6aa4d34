"""Approvers' cards, decisions, and the notices that go through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import days_ago, format_money, format_waiting, format_when
from bot.render import media
from bot.render.callbacks import EscalationStep
from bot.render.catalog import OutsideRenderer
from bot.render.common import (
    cancel_button,
    in_sentence,
    open_case_button,
    shortened,
)
from bot.render.common import role_name as role_word
from bot.services.escalations import EscalationView, Spent
from policies.explain import per
from policies.model import Policy

Screen = tuple[str, InlineKeyboardMarkup]
SNIPPET = 300


def _button(text: str, action: str, view: EscalationView, value: str = "") -> InlineKeyboardButton:
    data = EscalationStep(action=action, escalation_id=view.id, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def _money(view: EscalationView, amount: Any, locale: str) -> str:
    return escape(format_money(amount, view.currency, locale))


def _remedy(view: EscalationView, policy: Policy, locale: str) -> str:
    return escape(policy.remedy_label(view.remedy, locale))


def _category(view: EscalationView, policy: Policy, locale: str) -> str:
    return escape(policy.category_label(view.category, locale))


def _clock(view: EscalationView, moment: Any, locale: str, now: datetime | None) -> str:
    """A moment of the request; without `now` the card is as of that moment (time only)."""
    return escape(format_when(moment, now or moment, view.timezone, locale))


def asked_line(view: EscalationView, locale: str, now: datetime | None) -> str:
    """When the request was made and, once it waits, for how long: "Asked at 14:05.",
    "Waiting 20 minutes, since 14:05.", "Waiting 2 weeks, since Nov 11, 2026."."""
    now = now or view.created_at
    if now - view.created_at < timedelta(minutes=1):
        return _("Asked at {time}.").format(time=_clock(view, view.created_at, locale, now))
    waiting = format_waiting(now - view.created_at, locale)
    if days_ago(view.created_at, now, view.timezone) == 0:
        when = _clock(view, view.created_at, locale, now)
    else:
        when = escape(format_when(view.created_at, now, view.timezone, locale, with_time=False))
    return _("{waiting}, since {when}.").format(
        waiting=escape(waiting[:1].upper() + waiting[1:]), when=when
    )


def summary(view: EscalationView, policy: Policy, locale: str) -> str:
    """The request in one line, readable in a lock-screen preview:
    "$600.00 refund for K-7Q4F · Olena · Noise"."""
    return _("{amount} {remedy} for {code} · {name} · {category}").format(
        amount=_money(view, view.amount, locale),
        remedy=in_sentence(_remedy(view, policy, locale)),
        code=view.case_code,
        name=escape(view.requester.name),
        category=_category(view, policy, locale),
    )


def _spent(
    spends: tuple[Spent, ...], view: EscalationView, policy: Policy, locale: str, with_code: bool
) -> str:
    items = []
    for item in spends:
        amount = _money(view, item.amount, locale)
        remedy = in_sentence(escape(policy.remedy_label(item.remedy, locale)))
        if with_code:
            items.append(
                _("{amount} {remedy} ({code})").format(
                    amount=amount, remedy=remedy, code=item.case_code
                )
            )
        else:
            items.append(_("{amount} {remedy}").format(amount=amount, remedy=remedy))
    return ", ".join(items)


def given_lines(view: EscalationView, policy: Policy, locale: str) -> list[str]:
    """What the case, and its customer today on other cases, have had already."""
    if view.given_on_case:
        lines = [
            _("Already given on this case: {spends}.").format(
                spends=_spent(view.given_on_case, view, policy, locale, with_code=False)
            )
        ]
    else:
        lines = [_("Already given on this case: nothing yet.")]
    if view.given_to_customer is not None:
        if view.given_to_customer:
            lines.append(
                _("This customer today, other cases: {spends}.").format(
                    spends=_spent(view.given_to_customer, view, policy, locale, with_code=True)
                )
            )
        else:
            lines.append(_("This customer today, other cases: nothing yet."))
    return lines


def builtin_reasons() -> dict[str, str]:
    return {
        "unjustified": _("Not justified"),
        "smaller": _("A smaller remedy will do"),
        "other_way": _("Solve it another way"),
    }


def deny_reasons(policy: Policy, locale: str) -> dict[str, str]:
    """The one-tap reasons: the policy's own, or the bot's when the policy has none."""
    if policy.deny_reasons:
        return {key: labels.get(locale) for key, labels in policy.deny_reasons.items()}
    return builtin_reasons()


def reason_text(reason: str | None, policy: Policy, locale: str) -> str:
    if not reason:
        return ""
    if reason.startswith("@"):
        key = reason[1:]
        known = {**builtin_reasons(), **deny_reasons(policy, locale)}
        return escape(known.get(key, key))
    return escape(reason)


def _request_lines(view: EscalationView, policy: Policy, locale: str) -> list[str]:
    lines = [
        _("{name} asks for {amount} ({remedy})").format(
            name=escape(view.requester.name),
            amount=f"<b>{_money(view, view.amount, locale)}</b>",
            remedy=in_sentence(_remedy(view, policy, locale)),
        )
    ]
    about = _category(view, policy, locale)
    if view.customer_key:
        about += " · " + _("customer {key}").format(key=escape(view.customer_key))
    lines.append(about)
    lines += _story(view)
    return lines


def _story(view: EscalationView) -> list[str]:
    """The problem as logged: the description (shortened) and the customer's own words."""
    lines = []
    description = shortened(view.description, SNIPPET)
    if description:
        lines.append(escape(description))
    if view.customer_words:
        lines.append(_("In their words: “{words}”").format(words=escape(view.customer_words)))
    return lines


def card(
    view: EscalationView,
    policy: Policy,
    locale: str,
    now: datetime | None = None,
    reminder: bool = False,
) -> Screen:
    """What an approver gets: the request in one line (what a lock screen shows), what was
    given already, the requester's own room, and one-tap decisions; `now` (the clock's) says
    how long it waits."""
    first = summary(view, policy, locale)
    if reminder:
        first = _("Reminder · {request}").format(request=first)
    lines = [f"<b>{first}</b>"]
    needed = _("Approval needed · {code}").format(code=view.case_code)
    if view.customer_key:
        needed += " · " + _("customer {key}").format(key=escape(view.customer_key))
    lines.append(needed)
    lines += _story(view)
    lines += given_lines(view, policy, locale)
    if view.requester_room is not None and view.requester_limit is not None:
        lines.append(
            _("{name} can still give {amount} without approval ({per}).").format(
                name=escape(view.requester.name),
                amount=f"<b>{_money(view, view.requester_room, locale)}</b>",
                per=per(view.requester_limit, policy, locale),
            )
        )
    lines.append(asked_line(view, locale, now))
    rows = [
        [
            _button(_("Approve"), "ok", view),
            _button(_("Approve part"), "part", view),
            _button(_("Deny"), "deny", view),
        ],
        [_button(_("Take over"), "take", view), open_case_button(view.case_id)],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def outcome_line(
    view: EscalationView, policy: Policy, locale: str, now: datetime | None = None
) -> str:
    who = escape(view.decided_by or "")
    at = _clock(view, view.decided_at, locale, now) if view.decided_at else ""
    if view.state == "withdrawn":
        if view.reason == "withdrawn":
            return _("Withdrawn by {name} ({time}).").format(name=who, time=at)
        if view.reason == "resolved":
            return _("Withdrawn: {name} resolved the case ({time}).").format(name=who, time=at)
        return _("Withdrawn: the case was voided.")
    if view.decision == "approve":
        return _("Approved by {name} ({time}).").format(name=who, time=at)
    if view.decision == "part":
        return _("{name} approved {amount} of {asked} ({time}).").format(
            name=who,
            amount=f"<b>{_money(view, view.approved, locale)}</b>",
            asked=_money(view, view.amount, locale),
            time=at,
        )
    if view.decision == "deny":
        return _("Denied by {name} ({time}): {reason}").format(
            name=who, time=at, reason=reason_text(view.reason, policy, locale)
        )
    return _("Taken over by {name} ({time}).").format(name=who, time=at)


def decided_card(
    view: EscalationView,
    policy: Policy,
    locale: str,
    now: datetime | None = None,
    undo: bool = False,
) -> Screen:
    """Every approver's card once someone decided: the same request, the decision, no buttons
    but the case — and Undo on the decider's own card until the requester acts on it."""
    if view.state == "withdrawn":
        lines = [_("<b>Withdrawn · {code}</b>").format(code=view.case_code)]
    else:
        lines = [_("<b>Decided · {code}</b>").format(code=view.case_code)]
    lines += _request_lines(view, policy, locale)[:2]
    lines.append(outcome_line(view, policy, locale, now))
    rows = [[open_case_button(view.case_id)]]
    if undo and view.state == "decided" and not view.used:
        rows = [[_button(_("Undo"), "undo", view), open_case_button(view.case_id)]]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_approve(view: EscalationView, policy: Policy, locale: str) -> Screen:
    """An approval above the threshold, asked once more on the card itself."""
    text = "\n".join(
        (
            f"<b>{summary(view, policy, locale)}</b>",
            _("Approve {amount}?").format(amount=f"<b>{_money(view, view.amount, locale)}</b>"),
        )
    )
    rows = [[_button(_("Approve"), "sure", view), _button(_("Back"), "back", view)]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def undone_news(view: EscalationView, policy: Policy, locale: str, name: str) -> Screen:
    """The requester's news, edited: the approver took the decision back; it waits again."""
    lines = [
        _("<b>Decision withdrawn · {code}</b>").format(code=view.case_code),
        _("{name} withdrew the decision. Your request for {amount} ({remedy}) waits again.").format(
            name=escape(name),
            amount=f"<b>{_money(view, view.amount, locale)}</b>",
            remedy=_remedy(view, policy, locale),
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(
        inline_keyboard=[[open_case_button(view.case_id)]]
    )


def decision_news(view: EscalationView, policy: Policy, locale: str) -> Screen:
    """The requester's news, in their language."""
    who = escape(view.decided_by or "")
    remedy = _remedy(view, policy, locale)
    rows = [[open_case_button(view.case_id)]]
    if view.decision in ("approve", "part"):
        title = _("<b>Approved · {code}</b>").format(code=view.case_code)
        if view.decision == "approve":
            body = _("{name} approved {amount} ({remedy}).").format(
                name=who, amount=f"<b>{_money(view, view.approved, locale)}</b>", remedy=remedy
            )
        else:
            body = _("{name} approved {amount} of {asked} ({remedy}).").format(
                name=who,
                amount=f"<b>{_money(view, view.approved, locale)}</b>",
                asked=_money(view, view.amount, locale),
                remedy=remedy,
            )
        lines = [title, body, _("Give it to the customer and record it here.")]
        rows = [[_button(_("Give now"), "use", view), open_case_button(view.case_id)]]
    elif view.decision == "deny":
        lines = [
            _("<b>Denied · {code}</b>").format(code=view.case_code),
            _("{name} denied {amount} ({remedy}).").format(
                name=who, amount=f"<b>{_money(view, view.amount, locale)}</b>", remedy=remedy
            ),
            _("Reason: {reason}").format(reason=reason_text(view.reason, policy, locale)),
            _("The case is yours again: give what you may, or resolve it."),
        ]
    else:
        lines = [
            _("<b>Taken over · {code}</b>").format(code=view.case_code),
            _("{name} took the case over; it is theirs now.").format(name=who),
        ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def climbed_news(view: EscalationView, policy: Policy, locale: str, names: list[str]) -> Screen:
    lines = [
        _("<b>Still waiting · {code}</b>").format(code=view.case_code),
        _("No answer in time: the request for {amount} went to {names} ({role}).").format(
            amount=f"<b>{_money(view, view.amount, locale)}</b>",
            names=escape(", ".join(names)),
            role=role_word(view.approver_role or "manager"),
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(
        inline_keyboard=[[open_case_button(view.case_id)]]
    )


def nobody_can_approve(view: EscalationView, policy: Policy, locale: str) -> Screen:
    lines = [
        _("<b>Nobody can approve · {code}</b>").format(code=view.case_code),
        *_request_lines(view, policy, locale)[:2],
        _(
            "No one in the bot may approve this amount (limits, or nobody in the role). "
            "Call {name}, or change the policy."
        ).format(name=escape(view.requester.name)),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(
        inline_keyboard=[[open_case_button(view.case_id)]]
    )


def unreachable(name: str, org_name: str) -> str:
    return "\n".join(
        (
            _("<b>{name} blocked the bot</b>").format(name=escape(name)),
            _(
                "{name} ({org}) no longer gets notifications, approvals included. Ask them to "
                "unblock the bot in Telegram."
            ).format(name=escape(name), org=escape(org_name)),
        )
    )


def ask_part(view: EscalationView, locale: str) -> Screen:
    example = "1,500.50" if locale == "en" else "1 500,50"
    text = "\n".join(
        (
            _("<b>Approve part · {code}</b>").format(code=view.case_code),
            _("How much do you approve, up to {amount}? For example: {example}").format(
                amount=f"<b>{_money(view, view.amount, locale)}</b>", example=example
            ),
        )
    )
    rows = [[_button(_("Back"), "back", view), cancel_button()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_part(view: EscalationView, amount: Any, policy: Policy, locale: str) -> Screen:
    text = "\n".join(
        (
            _("<b>Approve part · {code}</b>").format(code=view.case_code),
            _("Approve {amount} of {asked} ({remedy})?").format(
                amount=f"<b>{_money(view, amount, locale)}</b>",
                asked=_money(view, view.amount, locale),
                remedy=_remedy(view, policy, locale),
            ),
        )
    )
    rows = [
        [_button(_("Confirm"), "partok", view)],
        [_button(_("Back"), "part", view), cancel_button()],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_reason(view: EscalationView, policy: Policy, locale: str) -> Screen:
    text = "\n".join(
        (
            _("<b>Deny · {code}</b>").format(code=view.case_code),
            _("Why? Tap a reason or type your own."),
        )
    )
    buttons = [
        _button(label[:32], "why", view, key) for key, label in deny_reasons(policy, locale).items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(_("Back"), "back", view), cancel_button()])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


class BotNotices(OutsideRenderer):
    """The Notices the services use: each renders in the reader's language, outside any
    handler (the scheduler and the sender have none)."""

    def card(
        self,
        view: EscalationView,
        policy: Policy,
        locale: str,
        now: datetime | None = None,
        reminder: bool = False,
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: card(view, policy, locale, now, reminder))

    def decided_card(
        self, view: EscalationView, policy: Policy, locale: str, undo: bool = False
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: decided_card(view, policy, locale, undo=undo))

    def undone_news(
        self, view: EscalationView, policy: Policy, locale: str, name: str
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: undone_news(view, policy, locale, name))

    def decision_news(
        self, view: EscalationView, policy: Policy, locale: str
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: decision_news(view, policy, locale))

    def climbed_news(
        self, view: EscalationView, policy: Policy, locale: str, names: list[str]
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: climbed_news(view, policy, locale, names))

    def nobody_can_approve(
        self, view: EscalationView, policy: Policy, locale: str
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: nobody_can_approve(view, policy, locale))

    def unreachable(
        self, name: str, org_name: str, locale: str
    ) -> tuple[str, dict[str, Any] | None]:
        return self._render(locale, lambda: (unreachable(name, org_name), None))

    def media_caption(self, view: EscalationView, policy: Policy, locale: str) -> str:
        text, _markup = self._render(
            locale, lambda: (media.caption(view.case_code, view.description), None)
        )
        return text


def back_button(escalation_id: int) -> InlineKeyboardButton:
    """Back to the approval card, for an error reply that keeps a typed step open."""
    data = EscalationStep(action="back", escalation_id=escalation_id).pack()
    return InlineKeyboardButton(text=_("Back"), callback_data=data)
