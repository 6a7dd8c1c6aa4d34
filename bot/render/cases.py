"""Screens of logging a case and its card."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape, unescape
from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.numbers import format_decimal, format_percent

from bot.i18n import (
    babel_locale,
    format_age,
    format_money,
    format_money_short,
    format_number,
    format_when,
)
from bot.render import media
from bot.render.callbacks import CaseStep
from bot.render.common import TEXT_LIMIT, cancel_button, in_sentence
from bot.services.cases import CaseList, CaseView, TimelineEntry
from bot.services.context import MemberView
from bot.services.surveys import SurveyResult
from bot.services.what_works import WINDOW, WhatWorks
from policies.engine import Decision
from policies.explain import per
from policies.explain import role_name as explained_role
from policies.model import Policy

Screen = tuple[str, InlineKeyboardMarkup]
STEPS = 4
LINE_SNIPPET = 40  # characters of a description on a list's line


def _button(text: str, action: str, value: str = "", case_id: int = 0) -> InlineKeyboardButton:
    data = CaseStep(action=action, value=value, case_id=case_id).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def _title(step: int, category: str | None = None) -> str:
    if category:
        return _("<b>New case · {category}</b> · step {step} of {steps}").format(
            category=escape(category), step=step, steps=STEPS
        )
    return _("<b>New case</b> · step {step} of {steps}").format(step=step, steps=STEPS)


def new_case_button() -> str:
    return _("New case")


def choose_category(policy: Policy, locale: str) -> Screen:
    buttons = [
        _button(labels.get(locale)[:24], "cat", key) for key, labels in policy.categories.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([cancel_button()])
    text = "\n".join((_title(1), _("What is the problem about?")))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_description(category: str) -> Screen:
    text = "\n".join(
        (
            _title(2, category),
            _("Describe the problem in one message: text, or a photo or voice note."),
        )
    )
    rows = [[_button(_("Back"), "back", "description"), cancel_button()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_customer(category: str) -> Screen:
    text = "\n".join(
        (
            _title(3, category),
            # Never "card": a bank's staff would type the customer's payment card.
            _("Who is the customer? Type a room, order or customer number — or skip."),
        )
    )
    rows = [
        [_button(_("Create case"), "create"), _button(_("Skip"), "skip", "customer")],
        [_button(_("Back"), "back", "customer"), cancel_button()],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_words(category: str, history: str | None, open_case: CaseView | None = None) -> Screen:
    lines = [_title(4, category)]
    if history:
        lines.append(history)
    if open_case is not None:
        lines.append(
            _("This customer's case {code} is still open: add this problem to it?").format(
                code=open_case.code
            )
        )
    lines.append(_("The customer's own words? Type them — or create the case now."))
    first = [_button(_("Create case"), "create")]
    if open_case is not None:
        first.append(
            _button(_("Add to {code}").format(code=open_case.code), "addto", case_id=open_case.id)
        )
    rows = [first, [_button(_("Back"), "back", "words"), cancel_button()]]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def returning_customer(count: int, spent_today: str) -> str:
    return ngettext(
        "Returning customer: {count} earlier case, spent today: {spent}.",
        "Returning customer: {count} earlier cases, spent today: {spent}.",
        count,
    ).format(count=count, spent=f"<b>{escape(spent_today)}</b>")


def card(
    case: CaseView,
    policy: Policy,
    member: MemberView,
    locale: str,
    authority: Decision | None,
    may_reopen: bool = False,
    rating: SurveyResult | None = None,
    history: str | None = None,
    waiting: str | None = None,
    quick: Sequence[Preset] = (),
    now: datetime | None = None,
    works: WhatWorks | None = None,
) -> Screen:
    category = policy.category_label(case.category, locale)
    lines = [_("<b>Case {code} · {category}</b>").format(code=case.code, category=escape(category))]
    if case.description:
        lines.append(escape(case.description))
    lines += media.attached_lines(case.photo_file_id, case.voice_file_id)
    if case.customer_key:
        lines.append(_("Customer: {key}").format(key=escape(case.customer_key)))
    if case.customer_words:
        lines.append(_("In their words: “{words}”").format(words=escape(case.customer_words)))
    lines.append(_("Status: {state}").format(state=state_name(case.state)))
    if waiting:
        lines.append(_("Waiting for: {names}").format(names=waiting))
    if case.state == "resolved" and case.outcome:
        lines.append(
            _("Outcome: {outcome}; first contact: {answer}.").format(
                outcome=in_sentence(outcome_name(case.outcome)),
                answer=_("yes") if case.first_contact else _("no"),
            )
        )
    lines.append(
        _("Logged {moment}").format(
            moment=escape(format_when(case.created_at, now, member.timezone, locale))
        )
    )
    if rating is not None and rating.answered:
        lines.append(_("Customer rating: {csat} of 5").format(csat=f"<b>{rating.csat}</b>"))
    elif rating is not None and rating.sent:
        lines.append(_("Survey sent; no answer yet."))
    if case.spent:
        lines.append(
            _("Spent: {amount}").format(
                amount=f"<b>{escape(format_money(case.spent, member.currency, locale))}</b>"
            )
        )
    if authority is not None:
        lines.append(authority_line(authority, policy, member, locale))
    if case.state in ("open", "reopened", "escalated"):
        # Last of the text, so a card too long for one message loses these lines first.
        lines += what_works_lines(works, policy, case.category, member.currency, locale)
    rows = []
    if case.state in ("open", "reopened", "escalated") and quick:
        # The fastest path: a preset of the policy's quick remedy, one tap from the card.
        buttons = [
            _button(
                preset_label(preset, policy, member.currency, locale, with_remedy=True),
                "qg",
                f"{preset.remedy}={preset.amount}",
                case.id,
            )
            for preset in quick
        ]
        rows.append(buttons)
        if any(not preset.within for preset in quick):
            lines.append(approval_mark_legend())
    if case.state in ("open", "reopened"):
        rows.append(
            [
                _button(_("Give remedy"), "remedy", case_id=case.id),
                _button(_("Resolve"), "resolve", case_id=case.id),
            ]
        )
    if case.state == "escalated":
        # Waiting is not a dead end: give within authority, withdraw, or resolve anyway.
        rows.append(
            [
                _button(_("Give remedy"), "remedy", case_id=case.id),
                _button(_("Withdraw request"), "wd", case_id=case.id),
                _button(_("Resolve"), "resolve", case_id=case.id),
            ]
        )
    if case.state == "resolved":
        # One survey per resolution: once answered, only a reopen brings the button back.
        asked = rating is not None and rating.answered_now
        row = [] if asked else [_button(_("Ask the customer"), "survey", case_id=case.id)]
        if may_reopen:
            row.append(_button(_("Reopen"), "reopen", case_id=case.id))
        if row:
            rows.append(row)
    shown = media.media_buttons(case.id, case.photo_file_id, case.voice_file_id)
    if shown:
        rows.append(shown)
    if case.state in ("open", "reopened", "escalated"):
        rows.append([_button(_("Void case"), "void", case_id=case.id)])
    return _fitted(lines, history), InlineKeyboardMarkup(inline_keyboard=rows)


_TAG = re.compile(r"<[^>]*>")


def _units(html: str) -> int:
    """The length Telegram holds to its limit: of the text its HTML shows (tags gone, "&lt;"
    one character), in UTF-16 code units."""
    return len(unescape(_TAG.sub("", html)).encode("utf-16-le", "surrogatepass")) // 2


def _fitted(lines: list[str], history: str | None) -> str:
    """The card always fits one message: below the card, its history, from which the
    oldest entries go first; only if the card alone is too long (the longest allowed fields
    together) are its last lines cut, whole, so no tag is split."""
    entries = history.split("\n") if history else []  # [0] is the History heading
    text = "\n".join([*lines, "", *entries] if entries else lines)
    while len(entries) > 1 and _units(text) > TEXT_LIMIT:
        del entries[1]
        text = "\n".join([*lines, "", *entries] if len(entries) > 1 else lines)
    while _units(text) > TEXT_LIMIT and "\n" in text:
        text = text[: text.rfind("\n")]
    return text if _units(text) <= TEXT_LIMIT else text[: TEXT_LIMIT // 2]


@dataclass(frozen=True)
class Preset:
    """An amount offered as a button; `within`: the member may give it without approval."""

    remedy: str
    amount: Decimal
    within: bool


APPROVAL_MARK = "⤴"


def preset_label(
    preset: Preset, policy: Policy, currency: str, locale: str, with_remedy: bool = False
) -> str:
    money = format_money_short(preset.amount, currency, locale)
    label = f"{policy.remedy_label(preset.remedy, locale)} {money}" if with_remedy else money
    return label if preset.within else f"{label} {APPROVAL_MARK}"


def approval_mark_legend() -> str:
    return _("{mark} needs approval").format(mark=APPROVAL_MARK)


def authority_line(decision: Decision, policy: Policy, member: MemberView, locale: str) -> str:
    if decision.unlimited:
        return _("Your authority: no limit.")
    tightest = min(decision.checks, key=lambda c: c.remaining, default=None)
    if tightest is None:
        return _("Your authority: none without approval.")
    left = escape(format_money(tightest.remaining, member.currency, locale))
    return _("You may give up to {amount} now ({per}).").format(
        amount=f"<b>{left}</b>", per=per(tightest.limit, policy, locale)
    )


def what_works_lines(
    works: WhatWorks | None, policy: Policy, category: str, currency: str, locale: str
) -> list[str]:
    """What has worked for the category (two lines at most, from 10 resolved cases: the
    remedies given most, then the first-contact rate), and the policy's playbook line for
    it, which needs no history (it is the manager's advice, not a figure)."""
    where = babel_locale(locale)
    lines = []
    if works is not None and works.enough:
        items = []
        for found in works.remedies:
            what = escape(in_sentence(policy.remedy_label(found.remedy, locale)))
            if found.median is not None:
                median = escape(format_money_short(found.median, currency, locale))
                what = _("{remedy} ~{amount}").format(remedy=what, amount=f"<b>{median}</b>")
            share = format_percent(found.share, locale=where)
            if found.csat is not None:
                csat = format_decimal(_tenth(found.csat), format="0.0", locale=where)
                items.append(
                    _("{remedy} ({share}, CSAT {csat})").format(remedy=what, share=share, csat=csat)
                )
            else:
                items.append(_("{remedy} ({share})").format(remedy=what, share=share))
        if items:
            lines.append(_("Usually solved by: {remedies}").format(remedies=" · ".join(items)))
        lines.append(
            ngettext(
                "Solved at first contact: {share} of {count} case in {days} days",
                "Solved at first contact: {share} of {count} cases in {days} days",
                works.resolved,
            ).format(
                share=format_percent(works.fcr or 0, locale=where),
                count=format_number(works.resolved, locale),
                days=WINDOW.days,
            )
        )
    advice = policy.playbook(category, locale)
    if advice:
        lines.append(_("What to do: {advice}").format(advice=escape(advice)))
    return lines


def _tenth(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def state_name(state: str) -> str:
    names = {
        "open": _("open"),
        "escalated": _("waiting for approval"),
        "resolved": _("resolved"),
        "reopened": _("reopened"),
        "cancelled": _("voided"),
    }
    return names.get(state, state)


def choose_remedy(case: CaseView, policy: Policy, locale: str) -> Screen:
    buttons = [
        _button(remedy.labels.get(locale)[:24], "rem", key, case.id)
        for key, remedy in policy.remedies.items()
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(_("Back"), "card", case_id=case.id), cancel_button()])
    text = "\n".join((_("<b>Remedy · {code}</b>").format(code=case.code), _("What will you give?")))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_amount(
    case: CaseView,
    remedy: str,
    currency: str,
    locale: str,
    authority: str,
    presets: Sequence[Preset] = (),
    policy: Policy | None = None,
) -> Screen:
    example = "1,500.50" if locale == "en" else "1 500,50"
    lines = [_("<b>{remedy} · {code}</b>").format(remedy=escape(remedy), code=case.code)]
    # With presets too: the buttons speak for themselves, and any other amount is typed.
    lines.append(
        _("How much, in {currency}? For example: {example}").format(
            currency=currency, example=example
        )
    )
    lines.append(authority)
    rows = []
    if presets and policy is not None:
        rows.append(
            [
                _button(preset_label(p, policy, currency, locale), "pre", str(p.amount), case.id)
                for p in presets
            ]
        )
        if any(not p.within for p in presets):
            lines.append(approval_mark_legend())
    rows.append([_button(_("Back"), "remedy", case_id=case.id), cancel_button()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def decision_screen(
    case: CaseView,
    remedy: str,
    amount: str,
    decision: Decision,
    explanation: str,
    now: str,
    rest: str,
    back_to_card: bool = False,
) -> Screen:
    from policies.engine import Outcome

    title = (
        _("<b>{remedy}: {amount}</b> · {code}").format(
            remedy=escape(remedy), amount=escape(amount), code=case.code
        )
        if decision.requested
        else _("<b>{remedy}</b> · {code}").format(remedy=escape(remedy), code=case.code)
    )
    lines = [title, explanation]
    waiting = case.state == "escalated"
    rows: list[list[InlineKeyboardButton]] = []
    if decision.outcome == Outcome.ALLOWED:
        rows.append(
            [
                _button(_("Confirm & close"), "go", "close", case.id),
                _button(_("Confirm"), "go", "give", case.id),
            ]
        )
    elif decision.outcome == Outcome.PARTIAL and waiting:
        rows.append([_button(_("Give {amount} now").format(amount=now), "go", "now", case.id)])
    elif decision.outcome == Outcome.PARTIAL:
        rows.append(
            [
                _button(_("Give {amount} now").format(amount=now), "go", "split", case.id),
                _button(_("Request approval"), "go", "ask", case.id),
            ]
        )
    elif decision.outcome == Outcome.NEEDS_APPROVAL and not waiting:
        rows.append([_button(_("Request approval"), "go", "ask", case.id)])
    if waiting and decision.outcome in (Outcome.PARTIAL, Outcome.NEEDS_APPROVAL):
        lines.append(_("A request for this case is already waiting: no second one."))
    back = _button(_("Back"), "card", case_id=case.id) if back_to_card else None
    rows.append([back or _button(_("Back"), "amount", case_id=case.id), cancel_button()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def given_screen(
    case: CaseView,
    remedy: str,
    given: str | None,
    asked: str | None,
    approvers: str | None,
    admins: str | None = None,
    approver_count: int = 1,
) -> Screen:
    rows = []
    if given and not asked and case.state in ("open", "reopened"):
        # Done giving: close the case right here, or give something more.
        rows.append(
            [
                _button(_("Close the case"), "close", case_id=case.id),
                _button(_("Give more"), "remedy", case_id=case.id),
            ]
        )
    rows.append([_button(_("Open case"), "card", case_id=case.id)])
    text = given_text(case, remedy, given, asked, approvers, admins, approver_count)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def given_text(
    case: CaseView,
    remedy: str,
    given: str | None,
    asked: str | None,
    approvers: str | None,
    admins: str | None = None,
    approver_count: int = 1,
) -> str:
    lines = [_("<b>Case {code}</b>").format(code=case.code)]
    if given:
        lines.append(
            _("Recorded: {remedy}, {amount}.").format(
                amount=f"<b>{escape(given)}</b>", remedy=escape(remedy)
            )
        )
    if asked:
        if approvers:
            # Names go in as the sentence's subject, never after a colon.
            lines.append(
                ngettext(
                    "Approval of {amount} requested; {names} will decide.",
                    "Approval of {amount} requested; {names} will decide — whoever answers first.",
                    approver_count,
                ).format(amount=f"<b>{escape(asked)}</b>", names=approvers)
            )
            lines.append(_("You will get the answer here."))
        elif admins:
            lines.append(
                _(
                    "Nobody in the bot can approve {amount}. The admins ({names}) have been told; "
                    "call them."
                ).format(amount=f"<b>{escape(asked)}</b>", names=admins)
            )
        else:
            lines.append(
                _(
                    "Recorded the request for {amount}; nobody up the chain can approve "
                    "it, so call your admin."
                ).format(amount=f"<b>{escape(asked)}</b>")
            )
    return "\n".join(lines)


def authority_screen(
    decisions: list[tuple[str, Decision]], policy: Policy, member: MemberView, locale: str
) -> str:
    """/authority: for each remedy, what may be given now and which limit decides."""
    lines = [_("<b>Your authority now</b>")]
    for remedy, decision in decisions:
        label = escape(policy.remedies[remedy].labels.get(locale))
        if decision.outcome == "forbidden":
            lines.append(_("• {remedy}: not for your role").format(remedy=label))
        elif not policy.remedies[remedy].money:
            lines.append(_("• {remedy}: always").format(remedy=label))
        else:
            lines.append(f"• {label}: {authority_line(decision, policy, member, locale)}")
    lines.append(_("Limits per case and per customer count from zero on a new case."))
    return "\n".join(lines)


OUTCOME_LABELS = ("with_remedy", "without_remedy", "unsatisfied", "unresolvable")


def outcome_name(outcome: str) -> str:
    names = {
        "with_remedy": _("With remedy"),
        "without_remedy": _("Without remedy"),
        "unsatisfied": _("Unsatisfied"),
        "unresolvable": _("Not resolvable"),
    }
    return names[outcome]


def _nav(case: CaseView) -> list[InlineKeyboardButton]:
    return [_button(_("Back"), "card", case_id=case.id), cancel_button()]


def ask_outcome(case: CaseView) -> Screen:
    buttons = [_button(outcome_name(o), "out", o, case.id) for o in OUTCOME_LABELS]
    text = "\n".join((_("<b>Resolve · {code}</b>").format(code=case.code), _("How did it end?")))
    rows = [buttons[:2], buttons[2:], _nav(case)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_first_contact(case: CaseView) -> Screen:
    text = "\n".join(
        (
            _("<b>Resolve · {code}</b>").format(code=case.code),
            _("Solved during the first contact with the customer?"),
        )
    )
    rows = [
        [_button(_("Yes"), "fc", "yes", case.id), _button(_("No"), "fc", "no", case.id)],
        _nav(case),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def resolved_screen(case: CaseView, policy: Policy, locale: str) -> Screen:
    """Right after resolving: what was recorded, the survey one tap away, a note if wished,
    and — when the policy lists causes — why it keeps happening, one more optional tap."""
    lines = [_("<b>Resolved · {code}</b>").format(code=case.code)]
    if case.outcome:
        lines.append(
            _("Outcome: {outcome}; first contact: {answer}.").format(
                outcome=in_sentence(outcome_name(case.outcome)),
                answer=_("yes") if case.first_contact else _("no"),
            )
        )
    causes = policy.causes_for(case.category)
    told = cause_line(case, policy, locale)
    if told:
        lines.append(told)
    elif causes:
        lines.append(_("This keeps happening because… (a tap, if you know)"))
    lines.append(_("A note? Type it in one message — or skip."))
    rows = [
        [
            _button(_("Ask the customer"), "survey", case_id=case.id),
            _button(_("Skip"), "card", case_id=case.id),
        ]
    ]
    if causes and not told:
        buttons = [
            _button(policy.cause_label(key, locale), "cause", key, case.id) for key in causes
        ]
        buttons.append(_button(_("Another reason…"), "causew", case_id=case.id))
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def cause_line(case: CaseView, policy: Policy, locale: str) -> str | None:
    """The cause recorded on a case: the policy's label, or the resolver's words."""
    if case.cause:
        return _("Keeps happening because: {cause}").format(
            cause=escape(in_sentence(policy.cause_label(case.cause, locale)))
        )
    if case.cause_words:
        return _("Keeps happening because, in their words: “{words}”").format(
            words=escape(case.cause_words)
        )
    return None


def ask_cause_words(case: CaseView) -> Screen:
    text = "\n".join(
        (
            _("<b>Resolved · {code}</b>").format(code=case.code),
            _("Why does this keep happening? Type it in one line."),
        )
    )
    return text, InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Skip"), "card", case_id=case.id)]]
    )


def ask_reopen_reason(case: CaseView) -> Screen:
    text = "\n".join(
        (
            _("<b>Reopen · {code}</b>").format(code=case.code),
            _("Why is it reopened? Type the reason."),
        )
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[_nav(case)])


def confirm_void(case: CaseView) -> Screen:
    text = "\n".join(
        (
            _("<b>Void case {code}?</b>").format(code=case.code),
            _(
                "For a case logged by mistake: it drops out of the figures but stays in the "
                "history."
            ),
        )
    )
    rows = [[_button(_("Void case"), "voidok", case_id=case.id)], _nav(case)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


class Listed(Protocol):
    """What a line of a case list needs: a CaseView of /my, a TeamCase of /queue."""

    @property
    def code(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def customer_key(self) -> str | None: ...
    @property
    def state(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def veiled(self) -> bool: ...


def snippet(text: str, limit: int = LINE_SNIPPET) -> str:
    """The start of a description on one line, cut at a word with "…", escaped."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        if " " in cut[limit // 2 :]:
            cut = cut[: cut.rindex(" ")]
        text = cut.rstrip(" ,.;:-") + "…"
    return escape(text)


def case_line(case: Listed, policy: Policy, locale: str, now: datetime) -> str:
    """A line of a list: "• K-7Q4F · 412 · Water dripping from the bath… · 2 hr", and the status
    when the case is not simply open ("· waiting for approval", "· voided")."""
    parts = [case.code]
    if case.veiled:
        # A sensitive case the reader may not read: that it exists, and nothing of it.
        parts.append("🔒 " + _("Sensitive case"))
    else:
        if case.customer_key:
            parts.append(escape(case.customer_key))
        parts.append(
            snippet(case.description) or escape(policy.category_label(case.category, locale))
        )
    parts.append(escape(format_age(now - case.created_at, locale)))
    if case.state != "open":
        parts.append(state_name(case.state))
    return "• " + " · ".join(parts)


def my_cases(found: CaseList, policy: Policy, locale: str, now: datetime) -> Screen:
    """/my: my cases (or a customer's), open ones or all, a page at a time; `now` (the clock's)
    gives each its age."""
    key = found.customer_key
    if key is not None:
        lines = [_("<b>Cases of customer {key}</b>").format(key=escape(key))]
    else:
        lines = [_("<b>My cases</b>")]
    if not found.cases:
        if key is not None:
            lines.append(_("No cases of this customer for you to see."))
        elif found.total:
            lines.append(_("No open cases."))
        else:
            lines.append(_("No cases yet. Tap “New case” when a customer has a problem."))
    lines += [case_line(case, policy, locale, now) for case in found.cases]
    if found.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=found.page + 1, pages=found.pages))
    if key is None:
        lines.append(_("A customer's cases: type /my and their key, for example /my 412."))
    anchor = found.customer_of or 0

    def to(page: int, only_open: bool) -> str:
        return f"{page}{'o' if only_open else 'a'}"

    buttons = [
        _button(case.code, "card", case_id=case.id) for case in found.cases if not case.veiled
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    nav = []
    if found.page > 0:
        nav.append(_button("‹ " + _("Previous"), "my", to(found.page - 1, found.only_open), anchor))
    if found.page + 1 < found.pages:
        nav.append(_button(_("Next") + " ›", "my", to(found.page + 1, found.only_open), anchor))
    if nav:
        rows.append(nav)
    if found.total:
        mark = {True: "✓ ", False: ""}
        rows.append(
            [
                _button(mark[found.only_open] + _("Open only"), "my", to(0, True), anchor),
                _button(mark[not found.only_open] + _("All"), "my", to(0, False), anchor),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def ask_case_code(cases: list[CaseView], reopen: bool, policy: Policy, locale: str) -> Screen:
    """/case or /reopen without a code: my likely cases on buttons, or type the code."""
    if reopen:
        lines = [_("<b>Reopen a case</b>")]
        if cases:
            lines.append(_("Your cases that can still be reopened are on the buttons."))
    else:
        lines = [_("<b>Open a case</b>")]
        if cases:
            lines.append(_("Your open cases are on the buttons."))
    if cases:
        lines.append(_("Or type the case code, for example K-7Q4F."))
    else:
        lines.append(_("Type the case code, for example K-7Q4F."))
    action = "reopen" if reopen else "card"
    buttons = [
        _button(
            f"{case.code} · {policy.category_label(case.category, locale)[:16]}",
            action,
            case_id=case.id,
        )
        for case in cases
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([cancel_button()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def timeline(
    entries: list[TimelineEntry],
    policy: Policy,
    member: MemberView,
    locale: str,
    now: datetime | None = None,
) -> str:
    lines = [_("<b>History</b>")]
    for entry in entries:
        who = escape(entry.actor or "")
        payload = entry.payload
        remedy = payload.get("remedy")
        remedy_label = escape(policy.remedy_label(str(remedy or ""), locale))
        amount = payload.get("amount")
        money = (
            escape(format_money(Decimal(str(amount)), member.currency, locale))
            if (amount is not None)
            else ""
        )
        texts = {
            "created": _("logged by {name}").format(name=who),
            "spend": (
                _("{amount} · {remedy} ({name}, approved by {approver})").format(
                    amount=money,
                    remedy=remedy_label,
                    name=who,
                    approver=escape(str(payload["authorised_by"])),
                )
                if payload.get("authorised_by")
                else _("{amount} · {remedy} ({name})").format(
                    amount=money, remedy=remedy_label, name=who
                )
            ),
            "escalated": _("approval asked for {amount} ({name})").format(amount=money, name=who),
            "decided": _decided_entry(payload, who, money, policy, member, locale),
            "undone": _("decision undone; the request waits again ({name})").format(name=who),
            "climbed": _("passed up to {role}").format(
                role=explained_role(str(payload.get("approver") or "manager"), locale, "to")
            ),
            "resolved": (
                _("resolved by {name}: {note}").format(
                    name=who, note=escape(str(payload["note"])[:200])
                )
                if payload.get("note")
                else _("resolved by {name}").format(name=who)
            ),
            "reopened": _("reopened by {name}: {reason}").format(
                name=who, reason=escape(str(payload.get("reason", "")))
            ),
            "cancelled": _("voided by {name}").format(name=who),
            # Up to 300 characters of it: eight entries must leave the card under 4096.
            "added": _("added by {name}: {text}").format(
                name=who, text=escape(str(payload.get("text") or "…")[:300])
            ),
            "withdrawn": (
                _("request for {amount} withdrawn: the case was resolved ({name})")
                if payload.get("why") == "resolved"
                else _("request for {amount} withdrawn ({name})")
            ).format(amount=money, name=who),
            "note": _("note by {name}: {note}").format(
                name=who, note=escape(str(payload.get("note", ""))[:200])
            ),
            "cause": (
                _("why it keeps happening, by {name}: {cause}").format(
                    name=who,
                    cause=escape(in_sentence(policy.cause_label(str(payload["cause"]), locale))),
                )
                if payload.get("cause")
                else _("why it keeps happening, by {name}: “{words}”").format(
                    name=who, words=escape(str(payload.get("words") or "…")[:200])
                )
            ),
            "survey_sent": _("survey sent"),
            "survey_answered": (
                _("customer rated {csat} of 5 — “{comment}”").format(
                    csat=payload.get("csat"),
                    comment=escape(str(payload["comment"])[:100]),
                )
                if payload.get("comment")
                else _("customer rated {csat} of 5").format(csat=payload.get("csat"))
            ),
        }
        moment = escape(format_when(entry.at, now, member.timezone, locale))
        lines.append(f"{moment} — {texts.get(entry.kind, escape(entry.kind))}")
    return "\n".join(lines)


def _decided_entry(
    payload: dict[str, object],
    who: str,
    money: str,
    policy: Policy,
    member: MemberView,
    locale: str,
) -> str:
    from bot.render.escalations import reason_text

    decision = payload.get("decision")
    if decision == "approve":
        return _("approved {amount} ({name})").format(amount=money, name=who)
    if decision == "part":
        asked = escape(format_money(Decimal(str(payload.get("asked"))), member.currency, locale))
        return _("approved {amount} of {asked} ({name})").format(
            amount=money, asked=asked, name=who
        )
    if decision == "deny":
        reason = reason_text(str(payload.get("reason") or ""), policy, locale)
        return _("denied: {reason} ({name})").format(reason=reason, name=who)
    return _("taken over by {name}").format(name=who)


def back_button(action: str, value: str = "", case_id: int = 0) -> InlineKeyboardButton:
    """Back to a step, for an error reply that keeps the step open."""
    return _button(_("Back"), action, value, case_id)
