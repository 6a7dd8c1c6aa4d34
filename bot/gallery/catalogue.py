"""The catalogue of screens: (id, title, how to draw it from the hotel) — one line a screen."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from aiogram.types import BotCommand, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.gallery import scenes as h
from bot.gallery.scenes import Scene
from bot.render import (
    cases,
    common,
    digest,
    errors,
    escalations,
    follow_ups,
    invites,
    media,
    onboarding,
    queue,
    survey,
    team,
)
from bot.render import policy as policy_screens
from bot.render.catalog import make_i18n
from bot.services.digests import Comparison
from bot.services.errors import ServiceError
from bot.services.escalations import Spent
from bot.services.invites import InviteOffer
from bot.services.policies import PolicyChanges
from policies.explain import explain, role_name

Button = tuple[str, str]  # label, callback_data (or a URL; "" for a reply-keyboard key)


@dataclass(frozen=True)
class Shot:
    """One screen as a reader gets it."""

    id: str
    title: str
    kind: str  # message | caption | alert | menu
    text: str
    rows: tuple[tuple[Button, ...], ...] = ()
    reply_keyboard: bool = False  # the rows are the phone keyboard's keys, not inline buttons


@dataclass(frozen=True)
class Out:
    """What a catalogue entry returns when a plain (text, markup) does not say it all."""

    text: str
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
    kind: str = "message"


def caption(text: str) -> Out:
    return Out(text, kind="caption")


def alert(text: str) -> Out:
    return Out(text, kind="alert")


def commands(menu: list[BotCommand]) -> Out:
    return Out("\n".join(f"/{c.command} — {escape(c.description)}" for c in menu), kind="menu")


def with_buttons(text: str, *buttons: Any) -> Out:
    """A step's error as the handlers send it: the reason, then Back and Cancel below."""
    return Out(text, InlineKeyboardMarkup(inline_keyboard=[list(buttons)]))


def fit(render: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a render function with the gallery's clock as `now` when it takes one, and with
    only the keyword arguments it knows (the render functions change as we write)."""
    known = inspect.signature(render).parameters
    if "now" in known:
        kwargs.setdefault("now", h.NOW)
    return render(*args, **{key: value for key, value in kwargs.items() if key in known})


# ---- screens a handler puts together from several render calls -------------------------


def decision_screen(
    s: Scene, case: Any, remedy: str, amount: str, used: str = "0", **kw: Any
) -> Any:
    """What handlers/remedy.py `_decide` shows for `amount` of `remedy`."""
    decision = h.decision(h.OLENA.role, remedy, amount, used)
    if kw.pop("nobody", False):
        decision = replace(decision, approver=None)
    return cases.decision_screen(
        case,
        s.label(remedy),
        s.money(decision.requested),
        decision,
        explain(decision, s.policy, s.locale),
        s.money(decision.now),
        s.money(decision.rest),
        **kw,
    )


def ask_amount(s: Scene, remedy: str, used: str = "0") -> Any:
    """handlers/remedy.py `chosen_remedy`: the authority line and the presets, marked."""
    from policies.presets import presets

    authority = h.decision(h.OLENA.role, remedy, "0.01", used)
    room = min((c.remaining for c in authority.checks), default=Decimal(0))
    offered = [cases.Preset(remedy, a, a <= room) for a in presets(s.policy, h.OLENA.role, remedy)]
    line = cases.authority_line(authority, s.policy, h.OLENA, s.locale)
    return cases.ask_amount(
        h.CASE_OPEN, s.label(remedy), h.CURRENCY, s.locale, line, offered, s.policy
    )


def card(s: Scene, case: Any, used: str = "0", **kw: Any) -> Any:
    """handlers/case_view.py `card_screen`: authority, quick gives, history, who waits."""
    authority = None
    quick = []
    if case.state in ("open", "reopened", "escalated"):
        authority = h.decision(h.OLENA.role, "dinner", "0.01", used)
        room = min((c.remaining for c in authority.checks), default=Decimal(0))
        quick = [
            cases.Preset("voucher", a, a <= room) for a in (Decimal(50), Decimal(150), Decimal(300))
        ]
    history = fit(
        cases.timeline, kw.pop("timeline", None) or h.timeline_of(case), s.policy, h.OLENA, s.locale
    )
    waiting = None
    if case.state == "escalated":
        waiting = f"{escape(h.DMYTRO.name)} ({role_name('supervisor', s.locale)})"
    return fit(
        cases.card,
        case,
        s.policy,
        h.OLENA,
        s.locale,
        authority,
        history=history,
        waiting=waiting,
        quick=quick,
        **kw,
    )


def given(s: Scene, given_amount: str | None, asked: str | None, **kw: Any) -> Any:
    """handlers/remedy.py `confirm`: what was recorded and who was asked."""
    approvers = kw.pop(
        "approvers", f"{escape(h.DMYTRO.name)} ({role_name('supervisor', s.locale)})"
    )
    return fit(
        cases.given_screen,
        kw.pop("case", h.CASE_OPEN),
        s.label(kw.pop("remedy", "refund")),
        s.money(given_amount) if given_amount else None,
        s.money(asked) if asked else None,
        approvers,
        kw.pop("admins", None),
        **kw,
    )


def authority(s: Scene, member: Any) -> str:
    decisions = [(r, h.decision(member.role, r, "0.01", "150")) for r in s.policy.remedies]
    return cases.authority_screen(decisions, s.policy, member, s.locale)


# Wednesday of a running week, against Monday to Wednesday of the week before.
RUNNING_WEEK = Comparison(
    "week",
    True,
    (h.WEEK_START + timedelta(days=7)).date(),
    (h.WEEK_START + timedelta(days=9)).date(),
    h.WEEK_START.date(),
    (h.WEEK_START + timedelta(days=2)).date(),
)
# The 18th of a running month, against the 1st to the 18th of the month before.
RUNNING_MONTH = Comparison(
    "month",
    True,
    h.NOW.date().replace(day=1),
    h.NOW.date(),
    h.NOW.date().replace(day=1, month=h.NOW.month - 1),
    h.NOW.date().replace(month=h.NOW.month - 1),
)


def stats(
    s: Scene,
    manager: bool,
    team_name: str | None = None,
    empty: bool = False,
    comparison: Comparison = RUNNING_WEEK,
) -> Any:
    figures = h.figures(h.WEEK_START + timedelta(days=7), h.WEEK_START + timedelta(days=10))
    if empty:
        figures = h.Figures(start=figures.start, end=figures.end)
    data = digest.DigestInput(
        org_name=h.ORG,
        team_name=team_name,
        currency=h.CURRENCY,
        timezone=h.TIMEZONE,
        figures=figures,
        previous=h.previous_figures(),
        recognition=None,
        past_sla=1,
        weekly=False,
        comparison=comparison,
    )
    teams = h.TEAMS if manager else []
    keyboard = digest.stats_keyboard("tw", 0 if manager else h.FRONT_DESK[0], teams, manager)
    return digest.digest_text(data, s.policy, s.locale), keyboard


def policy_changes(first: bool = False) -> PolicyChanges:
    """Version 4 (the proposal's), activated by Sarah yesterday; or the very first version."""
    proposed = h.proposal()
    return PolicyChanges(
        version=1 if first else proposed.version,
        policy=proposed.proposed,
        previous=None if first else proposed.current,
        previous_version=None if first else 3,
        activated_at=h.NOW - timedelta(days=1, hours=2),
        activated_by=None if first else h.SARAH.name,
    )


def weekly(s: Scene, team_name: str | None = None) -> digest.DigestInput:
    return digest.DigestInput(
        org_name=h.ORG,
        team_name=team_name,
        currency=h.CURRENCY,
        timezone=h.TIMEZONE,
        figures=h.figures(),
        previous=h.previous_figures(),
        recognition=h.recognition(),
        past_sla=2,
    )


def join_again(s: Scene) -> Out:
    """handlers/start.py: someone types while joining — the reminder above the step again."""
    text, markup = onboarding.choose_language(s.locale)
    return Out("\n\n".join((onboarding.finish_joining_first(), text)), markup)


def refusal(code: str, **params: Any) -> Callable[[Scene], Out]:
    return lambda s: Out(errors.refusal(ServiceError(code, **params)), kind="refusal")


# Every ServiceError code raised in bot/, handlers/ and policies/, with plausible params
# (a test finds codes raised but missing here).
REFUSALS: dict[str, dict[str, Any]] = {
    "already_decided": {"name": h.DMYTRO.name, "at": "10:34"},
    "already_member": {"org": h.ORG},
    "amount_absurd": {},
    "amount_currency": {"currency": "USD"},
    "amount_decimals": {"currency": "USD", "digits": 2},
    "amount_empty": {"example": "1,500.50"},
    "amount_format": {"example": "1,500.50"},
    "amount_negative": {},
    "amount_zero": {},
    "approval_no_longer_fits": {"name": h.DMYTRO.name},
    "bad_language": {},
    "bad_outcome": {},
    "bad_ttl": {},
    "bad_uses": {"limit": 100},
    "beyond_authority": {},
    "cannot_deactivate_self": {},
    "case_cancelled": {},
    "case_code_format": {},
    "case_not_open": {"state": "resolved"},
    "cause_unknown": {},
    "case_not_resolved": {},
    "case_not_resolved_for_survey": {},
    "follow_up_closed": {},
    "follow_up_not_yours": {},
    "no_such_follow_up": {},
    "customer_key_phone": {},
    "customer_key_too_long": {"limit": 64},
    "description_empty": {},
    "description_too_long": {"limit": 2000},
    "empty_name": {},
    "escalation_withdrawn": {},
    "export_backwards": {},
    "export_future": {"today": "23.11.2026"},
    "export_too_long": {"limit": 400},
    "undo_too_late": {},
    "undo_not_yours": {"name": h.DMYTRO.name},
    "invite_expired": {},
    "invite_invalid": {},
    "invite_used_up": {},
    "last_admin": {},
    "name_too_long": {"limit": 100},
    "no_case_code": {"case": "K-7Q4G"},
    "no_such_case": {},
    "no_such_category": {},
    "no_such_member": {},
    "no_such_policy": {},
    "no_such_remedy": {},
    "no_such_team": {},
    "not_allowed": {},
    "not_approved": {},
    "not_your_case": {},
    "not_your_escalation": {},
    "not_yours_to_see": {"case": "K-6VBC"},
    "sensitive_case": {"case": "K-6VBC"},
    "note_too_long": {"limit": 1000},
    "nothing_waiting": {},
    "own_request": {},
    "part_above_request": {"asked": "$2,600.00"},
    "policy_already_active": {"version": 3},
    "policy_currency": {"currency": "EUR", "expected": "USD"},
    "policy_not_utf8": {},
    "policy_timezone": {"timezone": "Europe/Kyiv", "expected": "America/New_York"},
    "policy_too_big": {"limit": 64},
    "reason_needed": {},
    "reopen_window_over": {"days": 7},
    "request_pending": {},
    "survey_already_answered": {},
    "survey_expired": {},
    "survey_invalid": {},
    "survey_used": {},
    "team_exists": {"team": "Front desk"},
    "text_too_long": {"limit": 500},
    "try_again": {},
    "unknown_currency": {"currency": "USDD"},
    "unknown_timezone": {"timezone": "Europe/Kiev"},
    "unreadable_text": {},
    "void_too_late": {"minutes": 10},
    "words_too_long": {"limit": 1000},
}

_RAISED = re.compile(r'ServiceError\(\s*"([a-z_]+)"')


def raised_codes(root: Path | None = None) -> set[str]:
    """Every code a `ServiceError("…")` in the code base raises."""
    base = root or Path(__file__).resolve().parent.parent.parent
    found: set[str] = set()
    for package in ("bot", "handlers", "policies"):
        for path in (base / package).rglob("*.py"):
            found.update(_RAISED.findall(path.read_text(encoding="utf-8")))
    return found


# ---- the catalogue ------------------------------------------------------------------------

Draw = Callable[[Scene], Any]
o, d, cs = h.OLENA, h.DMYTRO, h.CASE_OPEN

SCREENS: list[tuple[str, str, Draw]] = [
    # joining
    ("join.stranger", "A stranger writes (no invite)", lambda s: onboarding.stranger_hint()),
    (
        "join.menu_stranger",
        "Command menu of a stranger",
        lambda s: commands(common.stranger_commands()),
    ),
    (
        "join.language",
        "Invite opened: choose the language",
        lambda s: onboarding.choose_language(s.locale),
    ),
    (
        "join.confirm",
        "Confirm joining",
        lambda s: onboarding.confirm_join(
            InviteOffer(1, 1, h.ORG, "frontline", "Front desk", False)
        ),
    ),
    (
        "join.confirm_no_team",
        "Confirm joining (supervisor, no team)",
        lambda s: onboarding.confirm_join(InviteOffer(2, 1, h.ORG, "supervisor", None, False)),
    ),
    ("join.typed_meanwhile", "Typed while joining", join_again),
    (
        "join.already_member",
        "Invite opened by a member",
        lambda s: onboarding.already_member(h.ORG),
    ),
    ("join.welcome", "Joined: welcome", lambda s: onboarding.home(o, welcome=True)),
    (
        "join.floor_keyboard",
        "Joined: hint and the phone keyboard",
        lambda s: Out(onboarding.new_case_hint(), common.floor_keyboard()),
    ),
    ("join.deactivated", "A deactivated member writes", lambda s: onboarding.deactivated(h.ORG)),
    # home, help, menus
    ("home.frontline", "Home screen (/start) · frontline", lambda s: onboarding.home(o)),
    ("home.supervisor", "Home screen · supervisor", lambda s: onboarding.home(d)),
    ("home.manager", "Home screen · manager", lambda s: onboarding.home(h.SARAH)),
    (
        "home.help_admin",
        "/help · admin in several organisations",
        lambda s: onboarding.home(h.ADMIN, True),
    ),
    (
        "home.menu_frontline",
        "Command menu · frontline",
        lambda s: commands(common.commands_for("frontline")),
    ),
    (
        "home.menu_admin",
        "Command menu · admin, several orgs",
        lambda s: commands(common.commands_for("admin", True)),
    ),
    ("home.language", "/language", lambda s: onboarding.choose_language(s.locale)),
    (
        "home.language_set",
        "Language changed",
        lambda s: Out(onboarding.language_set(), common.floor_keyboard()),
    ),
    ("home.cancelled", "/cancel or Cancel", lambda s: onboarding.cancelled()),
    ("home.outdated", "An outdated button tapped", lambda s: alert(onboarding.outdated_button())),
    ("home.not_allowed", "A command above one's role", lambda s: onboarding.not_allowed()),
    ("home.too_fast", "Flood protection", lambda s: onboarding.too_fast()),
    ("home.failure", "Unexpected failure", lambda s: onboarding.unexpected_failure()),
    # /new
    (
        "new.1_category",
        "/new step 1: category",
        lambda s: cases.choose_category(s.policy, s.locale),
    ),
    (
        "new.2_description",
        "/new step 2: description",
        lambda s: cases.ask_description(s.category("room")),
    ),
    (
        "new.2_error",
        "/new step 2: empty description",
        lambda s: with_buttons(
            errors.refusal(ServiceError("description_empty")),
            cases.back_button("back"),
            common.cancel_button(),
        ),
    ),
    ("new.3_customer", "/new step 3: customer", lambda s: cases.ask_customer(s.category("room"))),
    (
        "new.4_words",
        "/new step 4: customer's words",
        lambda s: cases.ask_words(s.category("room"), None),
    ),
    (
        "new.4_returning",
        "/new step 4: returning customer with an open case",
        lambda s: cases.ask_words(
            s.category("room"), cases.returning_customer(2, s.money(150)), h.CASE_ESCALATED
        ),
    ),
    (
        "new.4_returning_one",
        "/new step 4: returning customer, one earlier case",
        lambda s: cases.ask_words(
            s.category("noise"), cases.returning_customer(1, s.money(0)), None
        ),
    ),
    ("new.photo_offer", "A photo sent outside a dialogue", lambda s: media.offer("photo")),
    ("new.voice_offer", "A voice note sent outside a dialogue", lambda s: media.offer("voice")),
    # the case card
    ("card.open", "Case card · open, quick gives", lambda s: card(s, cs)),
    (
        "card.media",
        "Case card · photo, voice note, customer's words",
        lambda s: card(s, h.CASE_MEDIA),
    ),
    (
        "card.escalated",
        "Case card · waiting for approval, a preset above authority",
        lambda s: card(s, h.CASE_ESCALATED, used="1850"),
    ),
    (
        "card.resolved_rated",
        "Case card · resolved, rated, may reopen",
        lambda s: card(s, h.CASE_RESOLVED, may_reopen=True, rating=h.SURVEY_RATED),
    ),
    (
        "card.resolved_survey_sent",
        "Case card · resolved, survey sent, no answer",
        lambda s: card(s, h.CASE_RESOLVED, rating=h.SURVEY_SENT, may_reopen=True),
    ),
    (
        "card.resolved_late",
        "Case card · resolved, reopen window over",
        lambda s: card(s, replace(h.CASE_RESOLVED, outcome="unsatisfied", first_contact=False)),
    ),
    ("card.reopened", "Case card · reopened", lambda s: card(s, h.CASE_REOPENED)),
    (
        "card.what_works",
        "Case card · what has worked for noise in 90 days, and the playbook line",
        lambda s: card(s, h.CASE_NOISE, works=h.WHAT_WORKS),
    ),
    (
        "card.playbook_only",
        "Case card · fewer than 10 noise cases resolved: the playbook line alone",
        lambda s: card(s, h.CASE_NOISE, works=replace(h.WHAT_WORKS, resolved=9, remedies=())),
    ),
    ("card.cancelled", "Case card · voided", lambda s: card(s, h.CASE_CANCELLED)),
    (
        "card.longest",
        "Case card · 3,000-character description, the last 8 events (as the card shows)",
        lambda s: card(s, h.CASE_LONGEST, timeline=h.timeline_every_kind()[-8:]),
    ),
    (
        "card.longest_added",
        "Case card · 3,000-character description, 8 problems added to it (300 characters shown)",
        lambda s: card(s, h.CASE_LONGEST, timeline=h.timeline_added(8)),
    ),
    (
        "card.timeline",
        "History with every event kind",
        lambda s: fit(cases.timeline, h.timeline_every_kind(), s.policy, o, s.locale),
    ),
    (
        "card.photo_caption",
        "The case's photo, its caption",
        lambda s: caption(media.caption(h.CASE_MEDIA.code, h.CASE_MEDIA.description)),
    ),
    (
        "card.photo_caption_longest",
        "The case's photo, caption of a 3,000-character description",
        lambda s: caption(media.caption(h.CASE_LONGEST.code, h.CASE_LONGEST.description)),
    ),
    # giving a remedy
    ("remedy.choose", "Give remedy: which", lambda s: cases.choose_remedy(cs, s.policy, s.locale)),
    ("remedy.amount_presets", "Amount · voucher presets", lambda s: ask_amount(s, "voucher")),
    (
        "remedy.amount_presets_approval",
        "Amount · refund presets, some above authority",
        lambda s: ask_amount(s, "refund", used="1850"),
    ),
    (
        "remedy.amount_error",
        "Amount · could not read it",
        lambda s: with_buttons(
            errors.refusal(ServiceError("amount_format", example="1,500.50")),
            cases.back_button("remedy", case_id=cs.id),
            common.cancel_button(),
        ),
    ),
    (
        "decision.allowed",
        "Decision · allowed ($150 voucher)",
        lambda s: decision_screen(s, cs, "voucher", "150"),
    ),
    (
        "decision.allowed_free",
        "Decision · allowed (apology, no money)",
        lambda s: decision_screen(s, cs, "apology", "0"),
    ),
    (
        "decision.quick_give",
        "Decision · from the card's quick give",
        lambda s: decision_screen(s, cs, "voucher", "150", back_to_card=True),
    ),
    (
        "decision.partial",
        "Decision · partial ($2,600 refund)",
        lambda s: decision_screen(s, cs, "refund", "2600"),
    ),
    (
        "decision.needs_approval",
        "Decision · needs approval",
        lambda s: decision_screen(s, cs, "refund", "2600", used="2000"),
    ),
    (
        "decision.nobody_can_approve",
        "Decision · needs approval, nobody up the chain can",
        lambda s: decision_screen(s, cs, "refund", "2600", used="2000", nobody=True),
    ),
    (
        "decision.forbidden",
        "Decision · forbidden (upgrade)",
        lambda s: decision_screen(s, cs, "upgrade", "400"),
    ),
    (
        "decision.partial_waiting",
        "Decision · partial while a request waits",
        lambda s: decision_screen(s, h.CASE_ESCALATED, "refund", "2600", used="150"),
    ),
    (
        "decision.needs_approval_waiting",
        "Decision · needs approval while a request waits",
        lambda s: decision_screen(s, h.CASE_ESCALATED, "refund", "2600", used="2000"),
    ),
    ("given.recorded", "Given · recorded", lambda s: given(s, "150", None, remedy="voucher")),
    ("given.split", "Given · part now, the rest asked", lambda s: given(s, "2000", "600")),
    (
        "given.asked",
        "Given · approval asked",
        lambda s: given(s, None, "2600", case=h.CASE_ESCALATED),
    ),
    (
        "given.asked_two",
        "Given · approval asked of two supervisors",
        lambda s: given(
            s,
            None,
            "2600",
            case=h.CASE_ESCALATED,
            approvers=f"{escape(h.DMYTRO.name)}, Iryna Tkachenko "
            f"({role_name('supervisor', s.locale)})",
            approver_count=2,
        ),
    ),
    (
        "given.asked_role_only",
        "Given · approval asked of a role (nobody named)",
        lambda s: given(
            s, None, "2600", case=h.CASE_ESCALATED, approvers=role_name("manager", s.locale)
        ),
    ),
    (
        "given.nobody_admins",
        "Given · nobody can approve, admins told",
        lambda s: given(s, None, "2600", approvers=None, admins=escape(h.SARAH.name)),
    ),
    (
        "given.nobody",
        "Given · nobody can approve, no admin",
        lambda s: given(s, None, "2600", approvers=None),
    ),
    (
        "given.approved_used",
        "Given · the approved amount given (Give now)",
        lambda s: cases.given_screen(
            h.CASE_ESCALATED, s.label("refund"), s.money(2600), None, None
        ),
    ),
    # resolve, reopen, void, survey link
    ("resolve.outcome", "Resolve: how did it end", lambda s: cases.ask_outcome(cs)),
    ("resolve.first_contact", "Resolve: first contact?", lambda s: cases.ask_first_contact(cs)),
    (
        "resolve.resolved",
        "Resolved: note, ask the customer, or why it keeps happening",
        lambda s: cases.resolved_screen(h.CASE_RESOLVED, s.policy, s.locale),
    ),
    (
        "resolve.cause_told",
        "Resolved: the cause told with one tap",
        lambda s: cases.resolved_screen(
            replace(h.CASE_RESOLVED, cause="housekeeping"), s.policy, s.locale
        ),
    ),
    (
        "resolve.cause_words",
        "Resolved: another reason, typed",
        lambda s: cases.ask_cause_words(h.CASE_RESOLVED),
    ),
    (
        "resolve.cause_in_words",
        "Resolved: the cause in the resolver's words",
        lambda s: cases.resolved_screen(
            replace(
                h.CASE_RESOLVED,
                cause_words="The kitchen lift is broken again; orders wait on the 2nd floor.",
            ),
            s.policy,
            s.locale,
        ),
    ),
    (
        "resolve.survey_link",
        "Survey QR code caption",
        lambda s: caption(
            survey.link_caption("https://t.me/casebot_sandbox_bot?start=s_Qm9vS3R5cGVk")
        ),
    ),
    (
        "resolve.survey_link_refreshed",
        "Survey QR code caption · a new link",
        lambda s: caption(
            survey.link_caption("https://t.me/casebot_sandbox_bot?start=s_Zk3Nq8Lw", True)
        ),
    ),
    (
        "reopen.ask_code",
        "/reopen without a code",
        lambda s: cases.ask_case_code([h.CASE_RESOLVED], True, s.policy, s.locale),
    ),
    (
        "reopen.ask_code_none",
        "/reopen, nothing to reopen",
        lambda s: cases.ask_case_code([], True, s.policy, s.locale),
    ),
    ("reopen.reason", "Reopen: why", lambda s: cases.ask_reopen_reason(h.CASE_RESOLVED)),
    ("void.confirm", "Void the case?", lambda s: cases.confirm_void(cs)),
    # lists and look-ups
    (
        "my.open_only",
        "/my · open only, page 1 of 2",
        lambda s: cases.my_cases(h.case_list(), s.policy, s.locale, h.NOW),
    ),
    (
        "my.all_page_2",
        "/my · all, page 2 of 2",
        lambda s: cases.my_cases(
            h.case_list(cases=[h.CASE_RESOLVED, h.CASE_CANCELLED], page=1, only_open=False),
            s.policy,
            s.locale,
            h.NOW,
        ),
    ),
    (
        "my.no_open",
        "/my · no open cases",
        lambda s: cases.my_cases(
            h.case_list(cases=[], pages=1, open_count=0), s.policy, s.locale, h.NOW
        ),
    ),
    (
        "my.first_day",
        "/my · no cases yet",
        lambda s: cases.my_cases(
            h.case_list(cases=[], pages=1, total=0, open_count=0), s.policy, s.locale, h.NOW
        ),
    ),
    (
        "my.customer",
        "/my 412 · a customer's cases",
        lambda s: cases.my_cases(
            h.case_list(customer_key="412", customer_of=cs.id, pages=1, only_open=False),
            s.policy,
            s.locale,
            h.NOW,
        ),
    ),
    (
        "my.customer_none",
        "/my 999 · nobody's cases",
        lambda s: cases.my_cases(
            h.case_list(cases=[], customer_key="999", pages=1, total=0, open_count=0),
            s.policy,
            s.locale,
            h.NOW,
        ),
    ),
    (
        "case.ask_code",
        "/case without a code",
        lambda s: cases.ask_case_code(h.MY_CASES, False, s.policy, s.locale),
    ),
    (
        "case.ask_code_none",
        "/case, no open cases",
        lambda s: cases.ask_case_code([], False, s.policy, s.locale),
    ),
    (
        "case.code_refused",
        "/case: a code that leads nowhere",
        lambda s: with_buttons(
            errors.refusal(ServiceError("no_case_code", case="K-7Q4G")),
            cases.back_button("find", "card"),
            common.cancel_button(),
        ),
    ),
    ("authority.frontline", "/authority · frontline", lambda s: authority(s, o)),
    ("authority.supervisor", "/authority · supervisor", lambda s: authority(s, d)),
    ("authority.manager", "/authority · manager (no limit)", lambda s: authority(s, h.SARAH)),
    # approvals
    (
        "esc.card",
        "Approver's card",
        lambda s: fit(escalations.card, h.request(), s.policy, s.locale),
    ),
    (
        "esc.card_given",
        "Approver's card · spends on the case and on the customer's other case today",
        lambda s: fit(
            escalations.card,
            h.request(
                given_on_case=(
                    Spent(Decimal(150), "dinner", h.CASE_ESCALATED.code),
                    Spent(Decimal(80), "refund", h.CASE_ESCALATED.code),
                ),
                given_to_customer=(Spent(Decimal(40), "voucher", h.CASE_OPEN.code),),
            ),
            s.policy,
            s.locale,
        ),
    ),
    (
        "esc.confirm_approve",
        "Approve above the threshold: asked once more",
        lambda s: escalations.confirm_approve(h.request(), s.policy, s.locale),
    ),
    (
        "esc.card_photo_caption",
        "Approver's card: the case's photo above it",
        lambda s: caption(media.caption(h.CASE_ESCALATED.code, h.CASE_ESCALATED.description)),
    ),
    (
        "esc.reminder",
        "Reminder · a 2-week-old request",
        lambda s: fit(
            escalations.card,
            h.request(created_at=h.ago(days=14)),
            s.policy,
            s.locale,
            reminder=True,
        ),
    ),
    (
        "esc.reminder_minutes",
        "Reminder · 20 minutes",
        lambda s: fit(
            escalations.card,
            h.request(created_at=h.ago(minutes=20)),
            s.policy,
            s.locale,
            reminder=True,
        ),
    ),
    (
        "esc.ask_part",
        "Approve part: how much",
        lambda s: escalations.ask_part(h.request(), s.locale),
    ),
    (
        "esc.confirm_part",
        "Approve part: confirm",
        lambda s: escalations.confirm_part(h.request(), Decimal(2000), s.policy, s.locale),
    ),
    (
        "esc.part_error",
        "Approve part: more than asked",
        lambda s: with_buttons(
            errors.refusal(ServiceError("part_above_request", asked=s.money(2600))),
            escalations.back_button(501),
            common.cancel_button(),
        ),
    ),
    (
        "esc.ask_reason",
        "Deny: why",
        lambda s: escalations.ask_reason(h.request(), s.policy, s.locale),
    ),
    (
        "esc.ask_reason_builtin",
        "Deny: why (policy without reasons)",
        lambda s: escalations.ask_reason(h.request(), replace(s.policy, deny_reasons={}), s.locale),
    ),
    (
        "esc.decided_approve",
        "Decided card · approved",
        lambda s: fit(
            escalations.decided_card,
            h.decided("approve", approved=Decimal(2600)),
            s.policy,
            s.locale,
        ),
    ),
    (
        "esc.decided_undo",
        "Decided card · the decider's own, with Undo",
        lambda s: fit(
            escalations.decided_card,
            h.decided("approve", approved=Decimal(2600)),
            s.policy,
            s.locale,
            undo=True,
        ),
    ),
    (
        "esc.decided_part",
        "Decided card · approved part",
        lambda s: fit(
            escalations.decided_card, h.decided("part", approved=Decimal(2000)), s.policy, s.locale
        ),
    ),
    (
        "esc.decided_deny",
        "Decided card · denied (a policy reason)",
        lambda s: fit(
            escalations.decided_card, h.decided("deny", reason="@guest_history"), s.policy, s.locale
        ),
    ),
    (
        "esc.decided_deny_typed",
        "Decided card · denied (a typed reason)",
        lambda s: fit(
            escalations.decided_card,
            h.decided("deny", reason="The spa voucher already covers it."),
            s.policy,
            s.locale,
        ),
    ),
    (
        "esc.decided_take",
        "Decided card · taken over",
        lambda s: fit(escalations.decided_card, h.decided("take"), s.policy, s.locale),
    ),
    (
        "esc.withdrawn",
        "Withdrawn card · by the requester",
        lambda s: fit(escalations.decided_card, h.withdrawn("withdrawn"), s.policy, s.locale),
    ),
    (
        "esc.withdrawn_resolved",
        "Withdrawn card · the case was resolved",
        lambda s: fit(escalations.decided_card, h.withdrawn("resolved"), s.policy, s.locale),
    ),
    (
        "esc.withdrawn_voided",
        "Withdrawn card · the case was voided",
        lambda s: fit(escalations.decided_card, h.withdrawn("void"), s.policy, s.locale),
    ),
    (
        "esc.news_approve",
        "Requester's news · approved",
        lambda s: escalations.decision_news(
            h.decided("approve", approved=Decimal(2600)), s.policy, s.locale
        ),
    ),
    (
        "esc.news_part",
        "Requester's news · approved part",
        lambda s: escalations.decision_news(
            h.decided("part", approved=Decimal(2000)), s.policy, s.locale
        ),
    ),
    (
        "esc.news_deny",
        "Requester's news · denied",
        lambda s: escalations.decision_news(
            h.decided("deny", reason="@smaller_remedy"), s.policy, s.locale
        ),
    ),
    (
        "esc.news_undone",
        "Requester's news · the decision was undone",
        lambda s: escalations.undone_news(h.request(), s.policy, s.locale, h.DMYTRO.name),
    ),
    (
        "esc.news_take",
        "Requester's news · taken over",
        lambda s: escalations.decision_news(h.decided("take"), s.policy, s.locale),
    ),
    (
        "esc.climbed",
        "Requester's news · passed up to the manager",
        lambda s: escalations.climbed_news(
            h.request(approver_role="manager"), s.policy, s.locale, [h.SARAH.name]
        ),
    ),
    (
        "esc.nobody_can_approve",
        "Admins' notice · nobody can approve",
        lambda s: escalations.nobody_can_approve(h.request(approver_role=None), s.policy, s.locale),
    ),
    (
        "esc.unreachable",
        "Admins' notice · someone blocked the bot",
        lambda s: escalations.unreachable(d.name, h.ORG),
    ),
    (
        "queue.requests",
        "/queue · counts, requests, page 2 of 2",
        lambda s: queue.requests(h.queue_requests(), s.policy, s.locale),
    ),
    (
        "queue.empty",
        "/queue · nothing waits",
        lambda s: queue.requests(
            h.queue_requests(counts=replace(h.QUEUE_COUNTS, waiting=0), items=[], page=0, pages=1),
            s.policy,
            s.locale,
        ),
    ),
    (
        "queue.team_cases",
        "/queue · team's open cases, page 1 of 4",
        lambda s: queue.team_cases(h.team_cases(), s.policy, s.locale, h.NOW),
    ),
    (
        "queue.team_cases_sensitive",
        "/queue · team's open cases, one of them sensitive (a neutral line, no button)",
        lambda s: queue.team_cases(
            h.team_cases(
                cases=[
                    h.team_case(h.CASE_OPEN),
                    replace(
                        h.team_case(h.CASE_ESCALATED),
                        description="",
                        customer_key=None,
                        veiled=True,
                    ),
                ],
                pages=1,
                shown=2,
            ),
            s.policy,
            s.locale,
            h.NOW,
        ),
    ),
    (
        "queue.team_cases_reopened",
        "/queue · team's open cases, reopened only",
        lambda s: queue.team_cases(
            h.team_cases(cases=[h.team_case(h.CASE_REOPENED)], pages=1, state="reopened", shown=1),
            s.policy,
            s.locale,
            h.NOW,
        ),
    ),
    # the guest's survey
    (
        "survey.csat",
        "Guest: how did we do (CSAT)",
        lambda s: fit(survey.ask_csat, org_name=h.ORG, language=s.locale),
    ),
    ("survey.ces", "Guest: how easy (CES)", lambda s: fit(survey.ask_ces, language=s.locale)),
    (
        "survey.nps",
        "Guest: would they recommend us (NPS, when the policy asks)",
        lambda s: fit(survey.ask_nps, language=s.locale),
    ),
    ("survey.comment", "Guest: a comment", lambda s: fit(survey.ask_comment, language=s.locale)),
    ("survey.thanks", "Guest: thanks", lambda s: survey.thanks()),
    ("survey.use_buttons", "Guest typed where a tap is due", lambda s: survey.use_the_buttons()),
    (
        "survey.type_or_finish",
        "Guest sent a command at the comment",
        lambda s: survey.type_or_finish(),
    ),
    ("survey.recorded", "Guest writes after finishing", lambda s: survey.recorded()),
    ("survey.invalid", "Guest: link not valid", lambda s: survey.problem("survey_invalid")),
    ("survey.used", "Guest: already answered", lambda s: survey.problem("survey_used")),
    ("survey.expired", "Guest: link expired", lambda s: survey.problem("survey_expired")),
    ("survey.answered", "Reporter's notice · rated 5", lambda s: survey.answered(h.answer(5))),
    (
        "survey.answered_low",
        "Reporter's notice · low score, with effort and comment",
        lambda s: survey.answered(
            h.answer(2, 3, "The new room smelled of paint and nobody called back.")
        ),
    ),
    (
        "survey.low_score",
        "Supervisors' notice · low score",
        lambda s: survey.low_score(h.answer(1, 2, "Waited an hour for a towel.")),
    ),
    # follow-ups
    (
        "follow_up.card",
        "Supervisor: a follow-up of a low score",
        lambda s: follow_ups.card(h.follow_up(1), s.policy, s.locale),
    ),
    (
        "follow_up.reminder",
        "Supervisor: a follow-up past its SLA, contact asked",
        lambda s: follow_ups.card(h.follow_up(3, contact=True), s.policy, s.locale, True),
    ),
    (
        "follow_up.note",
        "Follow-up step: a note",
        lambda s: follow_ups.ask_note(h.follow_up(), "called"),
    ),
    (
        "follow_up.remedy",
        "Follow-up step: an extra remedy",
        lambda s: follow_ups.pick_remedy(
            h.follow_up(), s.policy, s.locale, list(s.policy.remedies)
        ),
    ),
    (
        "follow_up.amount",
        "Follow-up step: its amount",
        lambda s: follow_ups.ask_amount(
            h.follow_up(), s.policy, s.locale, "voucher", Decimal("75")
        ),
    ),
    (
        "follow_up.resurvey",
        "Follow-up step: ask “Is it better now?”",
        lambda s: follow_ups.ask_resurvey(h.follow_up(), "called"),
    ),
    (
        "follow_up.closed",
        "Follow-up closed, re-survey sent",
        lambda s: follow_ups.closed(
            h.follow_up(outcome="called", note="Apologised; a fresh lunch sent up."),
            s.policy,
            s.locale,
            True,
        ),
    ),
    (
        "follow_up.guest",
        "Guest: the re-survey's link",
        lambda s: follow_ups.resurvey(h.ORG, "https://t.me/casebot_sandbox_bot?start=q_Zk3N"),
    ),
    (
        "survey.better",
        "Guest: “Is it better now?”",
        lambda s: fit(survey.ask_better, org_name=h.ORG, language=s.locale),
    ),
    (
        "follow_up.recovered",
        "Recovered: the re-survey came back 5",
        lambda s: follow_ups.recovered(h.follow_up(outcome="called", resurvey=5)),
    ),
    # invites
    ("invite.1_role", "/invite step 1: role", lambda s: invites.choose_role()),
    ("invite.2_team", "/invite step 2: team", lambda s: invites.choose_team(h.TEAMS)),
    ("invite.3_uses", "/invite step 3: how many people", lambda s: invites.choose_uses()),
    ("invite.4_ttl", "/invite step 4: how long", lambda s: invites.choose_ttl()),
    (
        "invite.ready",
        "Invite ready",
        lambda s: invites.ready(
            role="frontline",
            team_name="Front desk",
            uses=5,
            expires_at=h.NOW + timedelta(days=7),
            timezone=h.TIMEZONE,
            locale=s.locale,
        ),
    ),
    (
        "invite.ready_one",
        "Invite ready · one person, no team",
        lambda s: invites.ready(
            role="manager",
            team_name=None,
            uses=1,
            expires_at=h.NOW + timedelta(days=1),
            timezone=h.TIMEZONE,
            locale=s.locale,
        ),
    ),
    (
        "invite.link_caption",
        "Invite QR code caption",
        lambda s: caption(
            invites.link_caption("https://t.me/casebot_sandbox_bot?start=i_7hQ2xWm9")
        ),
    ),
    # /team
    ("team.roster", "/team · page 1 of 2", lambda s: team.roster(h.roster_page(0), h.ORG)),
    (
        "team.roster_last",
        "/team · page 2, a deactivated member",
        lambda s: team.roster(h.roster_page(1), h.ORG),
    ),
    ("team.card", "/team · a member", lambda s: team.card(o)),
    (
        "team.card_note",
        "/team · a member, with a notice",
        lambda s: team.card(o, errors.refusal(ServiceError("last_admin"))),
    ),
    ("team.card_inactive", "/team · a deactivated member", lambda s: team.card(h.TARAS)),
    ("team.role", "/team · choose the role", lambda s: team.choose_role(o)),
    ("team.team", "/team · choose the team", lambda s: team.choose_team(o, h.TEAMS)),
    ("team.deactivate", "/team · deactivate?", lambda s: team.confirm_deactivation(o)),
    ("team.farewell", "To the deactivated member", lambda s: team.farewell(h.ORG)),
    (
        "team.role_changed",
        "To a member whose role changed",
        lambda s: team.role_changed(h.ORG, "supervisor"),
    ),
    ("team.closed", "/team closed", lambda s: team.closed()),
    # policy
    (
        "policy.rules_frontline",
        "/policy · frontline",
        lambda s: policy_screens.rules(h.policy_in_force(), "frontline", s.locale, False),
    ),
    (
        "policy.rules_supervisor",
        "/policy · supervisor",
        lambda s: policy_screens.rules(h.policy_in_force(), "supervisor", s.locale, False),
    ),
    (
        "policy.rules_admin",
        "/policy · admin",
        lambda s: policy_screens.rules(h.policy_in_force(), "admin", s.locale, True, True),
    ),
    (
        "policy.rules_manager",
        "/policy · manager, with every role's page",
        lambda s: policy_screens.rules(h.policy_in_force(), "manager", s.locale, False, True),
    ),
    (
        "policy.role_frontline",
        "/policy · a manager reads the frontline page",
        lambda s: policy_screens.role_page(h.policy_in_force(), "frontline", s.locale),
    ),
    (
        "policy.role_supervisor",
        "/policy · a manager reads the supervisor page",
        lambda s: policy_screens.role_page(h.policy_in_force(), "supervisor", s.locale),
    ),
    (
        "policy.changes",
        "/policy · Changes: what the version in force changed, who activated it",
        lambda s: policy_screens.changes_page(policy_changes(), h.NOW, h.TIMEZONE, s.locale),
    ),
    (
        "policy.changes_first",
        "/policy · Changes of the first version",
        lambda s: policy_screens.changes_page(
            policy_changes(first=True), h.NOW, h.TIMEZONE, s.locale
        ),
    ),
    (
        "policy.refused",
        "Policy file with mistakes",
        lambda s: policy_screens.refused(h.broken_policy_problems(s.locale)),
    ),
    (
        "policy.refused_many",
        "Policy file with 15 mistakes",
        lambda s: policy_screens.refused((h.broken_policy_problems(s.locale) * 5)[:15]),
    ),
    (
        "policy.refused_currency",
        "Policy file in another currency",
        lambda s: policy_screens.refused(
            [errors.refusal(ServiceError("policy_currency", currency="EUR", expected="USD"))]
        ),
    ),
    (
        "policy.proposal",
        "New policy: what changes",
        lambda s: policy_screens.proposal(h.proposal(), s.locale),
    ),
    (
        "policy.proposal_same",
        "New policy: no changes",
        lambda s: policy_screens.proposal(h.proposal(changed=False), s.locale),
    ),
    ("policy.activated", "New policy in force", lambda s: policy_screens.activated(4)),
    ("policy.only_admins", "A file from a non-admin", lambda s: policy_screens.only_admins()),
    ("policy.not_a_file", "Not a .toml file", lambda s: policy_screens.not_a_policy_file()),
    # figures
    ("stats.manager", "/stats · manager, this week", lambda s: stats(s, manager=True)),
    (
        "stats.supervisor",
        "/stats · supervisor, their team",
        lambda s: stats(s, manager=False, team_name="Front desk"),
    ),
    ("stats.empty", "/stats · nothing yet", lambda s: stats(s, manager=True, empty=True)),
    (
        "stats.month",
        "/stats · this month, against the same days of the last",
        lambda s: stats(s, manager=True, comparison=RUNNING_MONTH),
    ),
    (
        "stats.last_week",
        "/stats · a finished week",
        lambda s: stats(s, manager=True, comparison=replace(RUNNING_WEEK, running=False)),
    ),
    ("stats.range_help", "/stats with a wrong period", lambda s: digest.range_help()),
    (
        "stats.chart_caption",
        "/stats chart caption",
        lambda s: caption(digest.chart_caption(weekly(s), s.locale)),
    ),
    ("digest.weekly", "Weekly digest", lambda s: digest.digest_text(weekly(s), s.policy, s.locale)),
    (
        "digest.weekly_team",
        "Weekly digest · a team's",
        lambda s: digest.digest_text(weekly(s, "Front desk"), s.policy, s.locale),
    ),
    (
        "digest.chart_caption",
        "Weekly digest chart caption",
        lambda s: caption(digest.chart_caption(weekly(s), s.locale)),
    ),
    ("export.choose", "/export: which period", lambda s: digest.export_screen(locale=s.locale)),
    (
        "export.csv",
        "/export: which period, as CSV files",
        lambda s: digest.export_screen(as_csv=True, locale=s.locale),
    ),
    (
        "export.sent",
        "/export: sent",
        lambda s: digest.export_sent(
            digest.period_text(h.WEEK_START.date(), h.WEEK_END.date(), s.locale)
        ),
    ),
    # every refusal
    *[
        (f"err.{code}", f"refusal({code})", refusal(code, **params))
        for code, params in REFUSALS.items()
    ],
]


def _normalise(screen_id: str, title: str, drawn: Any) -> Shot:
    if isinstance(drawn, str):
        drawn = Out(drawn)
    elif isinstance(drawn, tuple):
        drawn = Out(drawn[0], drawn[1])
    rows: tuple[tuple[Button, ...], ...] = ()
    reply = isinstance(drawn.markup, ReplyKeyboardMarkup)
    if isinstance(drawn.markup, InlineKeyboardMarkup):
        rows = tuple(
            tuple((b.text, b.callback_data or b.url or "") for b in row)
            for row in drawn.markup.inline_keyboard
        )
    elif isinstance(drawn.markup, ReplyKeyboardMarkup):
        rows = tuple(tuple((b.text, "") for b in row) for row in drawn.markup.keyboard)
    return Shot(screen_id, title, drawn.kind, drawn.text, rows, reply)


def render_all(locale: str) -> list[Shot]:
    """Every screen of the catalogue in `locale`."""
    i18n = make_i18n()
    scene = Scene(locale)
    shots = []
    with i18n.context(), i18n.use_locale(locale):
        for screen_id, title, draw in SCREENS:
            shots.append(_normalise(screen_id, title, draw(scene)))
    return shots


def ids() -> Iterator[str]:
    return (screen_id for screen_id, _title, _draw in SCREENS)
