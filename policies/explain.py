"""Decisions and rules said in words, in uk/ru/en, short enough for a phone (HTML)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.i18n import format_money, translations
from policies.engine import Decision, Outcome
from policies.model import Limit, Policy


def role_name(role: str, locale: str) -> str:
    t = translations(locale)
    names = {
        "frontline": t.gettext("frontline staff"),
        "supervisor": t.gettext("supervisor"),
        "manager": t.gettext("manager"),
        "admin": t.gettext("admin"),
    }
    return names.get(role, role)


def per(limit: Limit, policy: Policy, locale: str) -> str:
    """ "per customer per day", "for you per week (refund)" …"""
    t = translations(locale)
    scopes = {
        "case": t.gettext("per case"),
        "customer": t.gettext("per customer"),
        "employee": t.gettext("for you"),
        "team": t.gettext("for your team"),
        "org": t.gettext("for the organisation"),
    }
    intervals = {
        "per_case": t.gettext("per case"),
        "day": t.gettext("per day"),
        "week": t.gettext("per week"),
        "month": t.gettext("per month"),
        "year": t.gettext("per year"),
        "all_time": t.gettext("in total"),
    }
    parts = [scopes[limit.scope]]
    if not (limit.scope == "case" and limit.interval == "per_case"):
        parts.append(intervals[limit.interval])
    text = " ".join(dict.fromkeys(parts))
    if limit.remedies:
        names = ", ".join(escape(policy.remedies[r].labels.get(locale)) for r in limit.remedies)
        text += f" ({names})"
    return text


def _money(amount: Decimal, policy: Policy, locale: str) -> str:
    return f"<b>{escape(format_money(amount, policy.currency, locale))}</b>"


def explain(decision: Decision, policy: Policy, locale: str) -> str:
    """One or two sentences: what may be given now, which limit decides, who to ask."""
    t = translations(locale)
    remedy = escape(policy.remedies[decision.remedy].labels.get(locale))
    if decision.outcome == Outcome.FORBIDDEN:
        if not decision.who_could:
            return t.gettext("Nobody here may give {remedy}.").format(remedy=remedy)
        return t.gettext("Your role may not give {remedy}. It can be given by: {roles}.").format(
            remedy=remedy, roles=", ".join(role_name(r, locale) for r in decision.who_could)
        )
    if decision.outcome == Outcome.ALLOWED and not policy.remedies[decision.remedy].money:
        return t.gettext("You can give {remedy} now: it costs nothing.").format(remedy=remedy)
    if decision.outcome == Outcome.ALLOWED and decision.unlimited:
        return t.gettext("You can give {amount} now: your role has no limit.").format(
            amount=_money(decision.requested, policy, locale)
        )
    tightest = min(decision.checks, key=lambda c: c.remaining, default=None)
    if tightest is None:
        first = t.gettext("Your role cannot spend money on its own.")
    elif decision.outcome in (Outcome.ALLOWED, Outcome.PARTIAL):
        template = (
            t.gettext("You can give {amount} now: the limit {per} has {left} left of {total}.")
            if decision.outcome == Outcome.ALLOWED
            else t.gettext(
                "You can give up to {amount} now: the limit {per} has {left} left of {total}."
            )
        )
        first = template.format(
            amount=_money(decision.now, policy, locale),
            per=per(tightest.limit, policy, locale),
            left=_money(tightest.remaining, policy, locale),
            total=_money(tightest.limit.amount, policy, locale),
        )
        if decision.outcome == Outcome.ALLOWED:
            return first
    else:
        first = t.gettext("The limit {per} is used up: {used} of {total}.").format(
            per=per(tightest.limit, policy, locale),
            used=_money(tightest.used, policy, locale),
            total=_money(tightest.limit.amount, policy, locale),
        )
    if decision.approver is None:
        second = t.gettext("Nobody up the chain can approve {amount}; call your admin.").format(
            amount=_money(decision.rest, policy, locale)
        )
    elif decision.outcome == Outcome.PARTIAL:
        second = t.gettext("The rest needs approval from: {role}.").format(
            role=role_name(decision.approver, locale)
        )
    else:
        second = t.gettext("It needs approval from: {role}.").format(
            role=role_name(decision.approver, locale)
        )
    return f"{first} {second}"


def describe_rules(policy: Policy, role: str, locale: str) -> str:
    """The rules that apply to a role, for /policy."""
    t = translations(locale)
    rules = policy.rules(role)
    lines = [t.gettext("<b>Your authority · {role}</b>").format(role=role_name(role, locale))]
    if rules.unlimited:
        lines.append(t.gettext("No spending limit."))
    elif not rules.limits:
        lines.append(t.gettext("You may not spend money without approval."))
    for limit in rules.limits:
        lines.append(f"• {_money(limit.amount, policy, locale)} {per(limit, policy, locale)}")
    if rules.forbidden:
        names = ", ".join(escape(policy.remedies[r].labels.get(locale)) for r in rules.forbidden)
        lines.append(t.gettext("Not for your role: {remedies}.").format(remedies=names))
    if rules.approver:
        lines.append(
            t.gettext("Above your limits, ask: {role}.").format(
                role=role_name(rules.approver, locale)
            )
        )
    lines.append(
        t.gettext("A request waits at most {minutes} min before a reminder.").format(
            minutes=policy.escalation_sla_minutes
        )
    )
    return "\n".join(lines)


def diff_policies(old: Policy, new: Policy, locale: str) -> list[str]:
    """What an uploaded policy changes, one short line each."""
    t = translations(locale)
    changes: list[str] = []
    for key in sorted(set(new.categories) - set(old.categories)):
        changes.append(
            t.gettext("New category: {name}.").format(name=escape(new.categories[key].get(locale)))
        )
    for key in sorted(set(old.categories) - set(new.categories)):
        changes.append(
            t.gettext("Category removed: {name}.").format(
                name=escape(old.categories[key].get(locale))
            )
        )
    for key in sorted(set(new.remedies) - set(old.remedies)):
        changes.append(
            t.gettext("New remedy: {name}.").format(
                name=escape(new.remedies[key].labels.get(locale))
            )
        )
    for key in sorted(set(old.remedies) - set(new.remedies)):
        changes.append(
            t.gettext("Remedy removed: {name}.").format(
                name=escape(old.remedies[key].labels.get(locale))
            )
        )
    for role in ("frontline", "supervisor", "manager", "admin"):
        before, after = old.rules(role), new.rules(role)
        who = role_name(role, locale)
        old_limits = {limit.key: limit for limit in before.limits}
        new_limits = {limit.key: limit for limit in after.limits}
        for key in sorted(set(old_limits) | set(new_limits)):
            was, now = old_limits.get(key), new_limits.get(key)
            if was and now and was.amount != now.amount:
                changes.append(
                    t.gettext("{role}: {per} {old} → {new}.").format(
                        role=who,
                        per=per(now, new, locale),
                        old=_money(was.amount, old, locale),
                        new=_money(now.amount, new, locale),
                    )
                )
            elif now and not was:
                changes.append(
                    t.gettext("{role}: new limit {amount} {per}.").format(
                        role=who, amount=_money(now.amount, new, locale), per=per(now, new, locale)
                    )
                )
            elif was and not now:
                changes.append(
                    t.gettext("{role}: limit {amount} {per} removed.").format(
                        role=who, amount=_money(was.amount, old, locale), per=per(was, old, locale)
                    )
                )
        if before.approver != after.approver:
            changes.append(
                t.gettext("{role}: approver is now {approver}.").format(
                    role=who,
                    approver=role_name(after.approver, locale)
                    if after.approver
                    else t.gettext("nobody"),
                )
            )
        if set(before.forbidden) != set(after.forbidden):
            names = (
                ", ".join(escape(new.remedies[r].labels.get(locale)) for r in after.forbidden)
                or "—"
            )
            changes.append(
                t.gettext("{role}: not allowed now: {remedies}.").format(role=who, remedies=names)
            )
        if before.unlimited != after.unlimited:
            changes.append(
                t.gettext("{role}: unlimited is now {value}.").format(
                    role=who, value=t.gettext("on") if after.unlimited else t.gettext("off")
                )
            )
    if old.escalation_sla_minutes != new.escalation_sla_minutes:
        changes.append(
            t.gettext("Escalation SLA: {old} → {new} min.").format(
                old=old.escalation_sla_minutes, new=new.escalation_sla_minutes
            )
        )
    if old.reopen_window_days != new.reopen_window_days:
        changes.append(
            t.gettext("Reopen window: {old} → {new} days.").format(
                old=old.reopen_window_days, new=new.reopen_window_days
            )
        )
    return changes
