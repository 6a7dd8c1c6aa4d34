"""Screens of logging a case and its card."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import gettext as ngettext

from bot.i18n import format_moment, format_money
from bot.render.callbacks import CaseStep
from bot.render.common import cancel_button, role_name
from bot.services.cases import CaseView, TimelineEntry
from bot.services.context import MemberView
from bot.services.surveys import SurveyResult
from policies.engine import Decision
from policies.explain import per
from policies.model import Policy

Screen = tuple[str, InlineKeyboardMarkup]
STEPS = 4


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
            _("Who is the customer? Type a room, card or order number — or skip."),
        )
    )
    rows = [
        [_button(_("Create case"), "create"), _button(_("Skip"), "skip", "customer")],
        [_button(_("Back"), "back", "customer"), cancel_button()],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_words(category: str, history: str | None) -> Screen:
    lines = [_title(4, category)]
    if history:
        lines.append(history)
    lines.append(_("The customer's own words? Type them — or create the case now."))
    rows = [
        [_button(_("Create case"), "create")],
        [_button(_("Back"), "back", "words"), cancel_button()],
    ]
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
) -> Screen:
    category = policy.category_label(case.category, locale)
    lines = [
        _("<b>Case {code} · {category}</b>").format(code=case.code, category=escape(category)),
        escape(case.description) if case.description else _("(photo or voice note)"),
    ]
    if case.customer_key:
        lines.append(_("Customer: {key}").format(key=escape(case.customer_key)))
    if case.customer_words:
        lines.append(_("In their words: «{words}»").format(words=escape(case.customer_words)))
    lines.append(_("State: {state}").format(state=state_name(case.state)))
    if waiting:
        lines.append(_("Waiting for: {names}").format(names=waiting))
    if case.state == "resolved" and case.outcome:
        lines.append(
            _("Outcome: {outcome}; first contact: {answer}.").format(
                outcome=outcome_name(case.outcome),
                answer=_("yes") if case.first_contact else _("no"),
            )
        )
    lines.append(
        _("Logged {moment}").format(
            moment=escape(format_moment(case.created_at, member.timezone, locale, "short"))
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
    if history:
        lines += ["", history]
    rows = []
    if case.state in ("open", "reopened"):
        rows.append(
            [
                _button(_("Give remedy"), "remedy", case_id=case.id),
                _button(_("Resolve"), "resolve", case_id=case.id),
            ]
        )
    if case.state == "resolved":
        row = [_button(_("Ask the customer"), "survey", case_id=case.id)]
        if may_reopen:
            row.append(_button(_("Reopen"), "reopen", case_id=case.id))
        rows.append(row)
    if case.state in ("open", "reopened", "escalated"):
        rows.append([_button(_("Void case"), "void", case_id=case.id)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


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


def state_name(state: str) -> str:
    names = {
        "open": _("open"),
        "escalated": _("waiting for approval"),
        "resolved": _("resolved"),
        "reopened": _("reopened"),
        "cancelled": _("cancelled"),
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


def ask_amount(case: CaseView, remedy: str, currency: str, locale: str, authority: str) -> Screen:
    example = "1,500.50" if locale == "en" else "1 500,50"
    text = "\n".join(
        (
            _("<b>{remedy} · {code}</b>").format(remedy=escape(remedy), code=case.code),
            _("How much, in {currency}? For example: {example}").format(
                currency=currency, example=example
            ),
            authority,
        )
    )
    rows = [[_button(_("Back"), "remedy", case_id=case.id), cancel_button()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def decision_screen(
    case: CaseView,
    remedy: str,
    amount: str,
    decision: Decision,
    explanation: str,
    now: str,
    rest: str,
) -> Screen:
    from policies.engine import Outcome

    title = _("<b>{remedy}: {amount}</b> · {code}").format(
        remedy=escape(remedy), amount=escape(amount), code=case.code
    )
    rows: list[list[InlineKeyboardButton]] = []
    if decision.outcome == Outcome.ALLOWED:
        rows.append([_button(_("Confirm"), "go", "give", case.id)])
    elif decision.outcome == Outcome.PARTIAL:
        rows.append(
            [
                _button(_("Give {amount} now").format(amount=now), "go", "split", case.id),
                _button(_("Ask for all"), "go", "ask", case.id),
            ]
        )
    elif decision.outcome == Outcome.NEEDS_APPROVAL:
        rows.append([_button(_("Ask approval"), "go", "ask", case.id)])
    rows.append([_button(_("Back"), "amount", case_id=case.id), cancel_button()])
    return "\n".join((title, explanation)), InlineKeyboardMarkup(inline_keyboard=rows)


def given_screen(
    case: CaseView,
    remedy: str,
    given: str | None,
    asked: str | None,
    approvers: str | None,
    admins: str | None = None,
) -> Screen:
    rows = [[_button(_("Open case"), "card", case_id=case.id)]]
    text = given_text(case, remedy, given, asked, approvers, admins)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def given_text(
    case: CaseView,
    remedy: str,
    given: str | None,
    asked: str | None,
    approvers: str | None,
    admins: str | None = None,
) -> str:
    lines = [_("<b>Case {code}</b>").format(code=case.code)]
    if given:
        lines.append(
            _("Recorded: {amount} · {remedy}.").format(
                amount=f"<b>{escape(given)}</b>", remedy=escape(remedy)
            )
        )
    if asked:
        if approvers:
            lines.append(
                _("Approval asked for {amount} from: {names}.").format(
                    amount=f"<b>{escape(asked)}</b>", names=approvers
                )
            )
            lines.append(_("You will get the answer here."))
        elif admins:
            lines.append(
                _(
                    "Nobody in the bot can approve {amount}. Call {names}: they have been told too."
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


def ask_note(case: CaseView) -> Screen:
    text = "\n".join(
        (
            _("<b>Resolve · {code}</b>").format(code=case.code),
            _("Add a note in one message, or finish now."),
        )
    )
    rows = [[_button(_("Finish"), "finish", case_id=case.id)], _nav(case)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


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
                "Use this for a case logged by mistake: it leaves the statistics and stays in the "
                "history."
            ),
        )
    )
    rows = [[_button(_("Void case"), "voidok", case_id=case.id)], _nav(case)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def my_cases(cases: list[CaseView], page: int, pages: int, policy: Policy, locale: str) -> Screen:
    lines = [_("<b>My cases</b>")]
    if not cases:
        lines.append(_("No cases yet. Tap «New case» when a customer has a problem."))
    for case in cases:
        category = policy.category_label(case.category, locale)
        lines.append(f"• {case.code} · {escape(category)} · {state_name(case.state)}")
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    buttons = [_button(case.code, "card", case_id=case.id) for case in cases]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    nav = []
    if page > 0:
        nav.append(_button("‹ " + _("Previous"), "my", str(page - 1)))
    if page + 1 < pages:
        nav.append(_button(_("Next") + " ›", "my", str(page + 1)))
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def timeline(entries: list[TimelineEntry], policy: Policy, member: MemberView, locale: str) -> str:
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
            "climbed": _("passed up to: {role}").format(
                role=role_name(str(payload.get("approver") or "manager"))
            ),
            "resolved": _("resolved by {name}").format(name=who),
            "reopened": _("reopened by {name}: {reason}").format(
                name=who, reason=escape(str(payload.get("reason", "")))
            ),
            "cancelled": _("voided by {name}").format(name=who),
            "survey_sent": _("survey sent"),
            "survey_answered": _("customer rated {csat} of 5").format(csat=payload.get("csat")),
        }
        moment = escape(format_moment(entry.at, member.timezone, locale, "short"))
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
