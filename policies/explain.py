"""Decisions and rules said in words, in uk/ru/en, short enough for a phone (HTML)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from html import escape

from babel.dates import get_day_names
from babel.lists import format_list

from bot.i18n import babel_locale, format_money, translations
from policies.engine import Decision, Outcome
from policies.model import ROLES, Budget, Labels, Limit, Policy
from policies.presets import presets


def role_name(role: str, locale: str, form: str = "") -> str:
    """A role's name in the form its sentence needs: "" as a name or a subject ("Dmytro
    (supervisor)", "a supervisor must approve"); "a" after a verb in English ("ask a
    supervisor", "an admin"); "to" after "до" in Ukrainian (genitive) and as the addressee
    in Russian (dative: "обращайтесь к руководителю смены"). Context-marked messages in the
    catalogs carry each form, so translators see which one a sentence takes."""
    t = translations(locale)
    if form == "a":
        names = {
            "frontline": t.pgettext("a", "frontline staff"),
            "supervisor": t.pgettext("a", "supervisor"),
            "manager": t.pgettext("a", "manager"),
            "admin": t.pgettext("a", "admin"),
        }
    elif form == "to":
        names = {
            "frontline": t.pgettext("to", "frontline staff"),
            "supervisor": t.pgettext("to", "supervisor"),
            "manager": t.pgettext("to", "manager"),
            "admin": t.pgettext("to", "admin"),
        }
    else:
        names = {
            "frontline": t.gettext("frontline staff"),
            "supervisor": t.gettext("supervisor"),
            "manager": t.gettext("manager"),
            "admin": t.gettext("admin"),
        }
    return names.get(role, role)


def any_of_roles(roles: Iterable[str], locale: str, form: str = "") -> str:
    """ "a supervisor, a manager or an admin": a list joined as the language joins it."""
    return format_list([role_name(r, locale, form) for r in roles], "or", babel_locale(locale))


def _interval_words(locale: str) -> dict[str, str]:
    t = translations(locale)
    return {
        "per_case": t.gettext("per case"),
        "day": t.gettext("per day"),
        "week": t.gettext("per week"),
        "month": t.gettext("per month"),
        "year": t.gettext("per year"),
        "all_time": t.gettext("in total"),
    }


def per(limit: Limit, policy: Policy, locale: str, *, own: bool = True) -> str:
    """ "per customer per day", "for you per week (Refund)" … said to the limit's holder, or
    to someone else when not `own` ("per employee per week")."""
    t = translations(locale)
    scopes = {
        "case": t.gettext("per case"),
        "customer": t.gettext("per customer"),
        "employee": t.gettext("for you") if own else t.gettext("per employee"),
        "team": t.gettext("for your team") if own else t.gettext("per team"),
        "org": t.gettext("for the organisation"),
    }
    intervals = _interval_words(locale)
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
        return t.gettext("Your role may not give {remedy}. Ask {roles}.").format(
            remedy=remedy, roles=any_of_roles(decision.who_could, locale, "to")
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
        second = t.gettext("The rest must be approved by {role}.").format(
            role=role_name(decision.approver, locale, "a")
        )
    else:
        second = t.gettext("It must be approved by {role}.").format(
            role=role_name(decision.approver, locale, "a")
        )
    return f"{first} {second}"


def describe_rules(policy: Policy, role: str, locale: str) -> str:
    """The rules that apply to a role, for /policy: each limit, what the role may not give,
    whom to ask above the limits, how fast an answer comes."""
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
        lines.append(
            t.gettext("Not for your role: {remedies}.").format(
                remedies=_names(policy, rules.forbidden, locale)
            )
        )
    if rules.approver:
        lines.append(
            t.gettext("Above your limits, ask {role}.").format(
                role=role_name(rules.approver, locale, "to")
            )
        )
        minutes = policy.escalation_sla_minutes
        lines.append(
            t.ngettext(
                "An answer is due within {minutes} minute.",
                "An answer is due within {minutes} minutes.",
                minutes,
            ).format(minutes=minutes)
        )
    return "\n".join(lines)


def describe_role(policy: Policy, role: str, locale: str) -> str:
    """A role's rules as a manager reads them in /policy, without the file: each limit in
    words, who approves above it, what the role may not give, the one-tap amounts of each
    remedy (and which sit on the case card), and how fast approvals are answered."""
    t = translations(locale)
    rules = policy.rules(role)
    lines = []
    if rules.unlimited:
        lines.append(t.gettext("No spending limit."))
    elif not rules.limits:
        lines.append(t.gettext("May not spend money without approval."))
    else:
        lines.append(t.gettext("Without approval:"))
    for limit in () if rules.unlimited else rules.limits:
        amount = _money(limit.amount, policy, locale)
        if limit.remedies:
            lines.append(
                "• "
                + t.gettext("only {remedies}: {amount} {per}").format(
                    remedies=_names(policy, limit.remedies, locale),
                    amount=amount,
                    per=per(replace(limit, remedies=()), policy, locale, own=False),
                )
            )
        else:
            lines.append(f"• {amount} {per(limit, policy, locale, own=False)}")
    if rules.approver:
        lines.append(
            t.gettext("Above these limits, {role} must approve.").format(
                role=role_name(rules.approver, locale, "a")
            )
        )
    elif not rules.unlimited:
        lines.append(t.gettext("Nobody approves more than these limits."))
    if rules.forbidden:
        lines.append(
            t.gettext("May not give: {remedies}.").format(
                remedies=_names(policy, rules.forbidden, locale)
            )
        )
    given = [key for key in policy.remedies if key not in rules.forbidden]
    if given:
        lines += ["", t.gettext("<b>Remedies and one-tap amounts</b>")]
    for key in given:
        name = escape(policy.remedies[key].labels.get(locale))
        lines.append(f"• {name}: {_offer(policy, role, key, locale)}")
    minutes, every = policy.escalation_sla_minutes, policy.reminder_every_minutes
    lines += [
        "",
        t.ngettext(
            "An answer to an approval request is due within {minutes} minute.",
            "An answer to an approval request is due within {minutes} minutes.",
            minutes,
        ).format(minutes=minutes)
        + " "
        + t.ngettext(
            "Reminders every {minutes} minute until it comes.",
            "Reminders every {minutes} minutes until it comes.",
            every,
        ).format(minutes=every),
    ]
    return "\n".join(lines)


def _offer(policy: Policy, role: str, key: str, locale: str) -> str:
    """What a remedy's buttons offer this role: "$50.00 · $150.00, on the case card"."""
    t = translations(locale)
    remedy = policy.remedies[key]
    if not remedy.money:
        return t.gettext("costs nothing")
    amounts = presets(policy, role, key)
    if not amounts:
        return t.gettext("the amount is typed")
    text = " · ".join(escape(format_money(a, policy.currency, locale)) for a in amounts)
    if not remedy.presets:
        text += " " + t.gettext("(from the limits)")
    if remedy.quick:
        text += ", " + t.gettext("also on the case card")
    return text


def _names(policy: Policy, keys: tuple[str, ...] | list[str], locale: str) -> str:
    return ", ".join(
        escape(policy.remedies[key].labels.get(locale)) if key in policy.remedies else key
        for key in keys
    )


def _weekday(day: int, locale: str) -> str:
    return get_day_names("wide", locale=babel_locale(locale))[day]


def diff_policies(
    old: Policy, new: Policy, locale: str, *, sensitive_categories: bool = True
) -> list[str]:
    """What an uploaded policy changes, one short HTML line each, most consequential first:
    remedies, then each role's authority, then categories and the timings. Without
    `sensitive_categories` the categories that become sensitive (or stop being so) are left
    to the caller, who says how many earlier cases follow."""
    t = translations(locale)
    changes: list[str] = []
    changes += _labelled_changes(
        {k: r.labels for k, r in old.remedies.items()},
        {k: r.labels for k, r in new.remedies.items()},
        locale,
        added=t.gettext("New remedy: {name}."),
        removed=t.gettext("Remedy removed: {name}."),
        renamed=t.gettext("Remedy renamed: {old} → {new}."),
    )
    for key in sorted(set(old.remedies) & set(new.remedies)):
        if old.remedies[key].money != new.remedies[key].money:
            name = escape(new.remedies[key].labels.get(locale))
            changes.append(
                (
                    t.gettext("{name} now costs money.")
                    if new.remedies[key].money
                    else t.gettext("{name} now costs nothing.")
                ).format(name=name)
            )
    for role in ROLES:
        if role == "admin" and "admin" not in old.roles and "admin" not in new.roles:
            continue  # the admin spends as the manager: said once, under the manager
        changes += _role_changes(old, new, role, locale)
    changes += _labelled_changes(
        old.categories,
        new.categories,
        locale,
        added=t.gettext("New category: {name}."),
        removed=t.gettext("Category removed: {name}."),
        renamed=t.gettext("Category renamed: {old} → {new}."),
    )
    if sensitive_categories:
        for key in sorted((new.sensitive ^ old.sensitive) & set(new.categories)):
            name = escape(new.category_label(key, locale))
            changes.append(
                (
                    t.gettext("{name} is now sensitive.")
                    if key in new.sensitive
                    else t.gettext("{name} is no longer sensitive.")
                ).format(name=name)
            )
    if old.sensitive_roles != new.sensitive_roles:
        changes.append(
            t.gettext(
                "Sensitive cases are read, besides their reporters, approvers and admins, by: "
                "{old} → {new}."
            ).format(
                old=_roles_or_nobody(old.sensitive_roles, locale),
                new=_roles_or_nobody(new.sensitive_roles, locale),
            )
        )
    changes += _labelled_changes(
        old.causes,
        new.causes,
        locale,
        added=t.gettext("New cause: {name}."),
        removed=t.gettext("Cause removed: {name}."),
        renamed=t.gettext("Cause renamed: {old} → {new}."),
    )
    changes += _playbook_changes(old, new, locale)
    changes += _setting_changes(old, new, locale)
    changes += _budget_changes(old, new, locale)
    return changes


def _playbook_changes(old: Policy, new: Policy, locale: str) -> list[str]:
    """A category's playbook line new, changed or gone, in the reader's language."""
    t = translations(locale)
    lines = []
    for key in [*new.categories, *(k for k in old.categories if k not in new.categories)]:
        was, now = old.playbook(key, locale), new.playbook(key, locale)
        named = new if key in new.categories else old
        category = escape(named.category_label(key, locale))
        if now is not None and now != was:
            lines.append(
                t.gettext("New advice for {category}: {advice}").format(
                    category=category, advice=escape(now)
                )
            )
        elif now is None and was is not None:
            lines.append(t.gettext("Advice for {category} removed.").format(category=category))
    return lines


def _roles_or_nobody(roles: tuple[str, ...], locale: str) -> str:
    if not roles:
        return translations(locale).gettext("nobody else")
    return ", ".join(role_name(role, locale) for role in roles)


def _labelled_changes(
    old: Mapping[str, Labels],
    new: Mapping[str, Labels],
    locale: str,
    *,
    added: str,
    removed: str,
    renamed: str,
) -> list[str]:
    lines = [added.format(name=escape(new[k].get(locale))) for k in new if k not in old]
    lines += [removed.format(name=escape(old[k].get(locale))) for k in old if k not in new]
    for key in new:
        # Only the reader's language: a mended translation elsewhere is no news to them.
        if key in old and old[key].get(locale) != new[key].get(locale):
            lines.append(
                renamed.format(old=escape(old[key].get(locale)), new=escape(new[key].get(locale)))
            )
    return lines


def _role_changes(old: Policy, new: Policy, role: str, locale: str) -> list[str]:
    t = translations(locale)
    before, after = old.rules(role), new.rules(role)
    who = role_name(role, locale)
    who = who[:1].upper() + who[1:]
    changes = []
    old_limits = {limit.key: limit for limit in before.limits}
    new_limits = {limit.key: limit for limit in after.limits}
    for key in [*new_limits, *(k for k in old_limits if k not in new_limits)]:
        was, now = old_limits.get(key), new_limits.get(key)
        if was and now and was.amount != now.amount:
            changes.append(
                t.gettext("{role}: {per} {old} → {new}.").format(
                    role=who,
                    per=per(now, new, locale, own=False),
                    old=_money(was.amount, old, locale),
                    new=_money(now.amount, new, locale),
                )
            )
        elif now and not was:
            changes.append(
                t.gettext("{role}: new limit {amount} {per}.").format(
                    role=who,
                    amount=_money(now.amount, new, locale),
                    per=per(now, new, locale, own=False),
                )
            )
        elif was and not now:
            changes.append(
                t.gettext("{role}: limit {amount} {per} removed.").format(
                    role=who,
                    amount=_money(was.amount, old, locale),
                    per=per(was, old, locale, own=False),
                )
            )
    if before.unlimited != after.unlimited:
        changes.append(
            (
                t.gettext("{role}: no spending limit now.")
                if after.unlimited
                else t.gettext("{role}: spending is limited now.")
            ).format(role=who)
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
        changes.append(
            t.gettext("{role}: not allowed now: {remedies}.").format(
                role=who, remedies=_names(new, after.forbidden, locale) or "—"
            )
        )
    return changes


def _setting_changes(old: Policy, new: Policy, locale: str) -> list[str]:
    t = translations(locale)
    changes = []
    if old.currency != new.currency:
        changes.append(
            t.gettext("Currency: {old} → {new}.").format(old=old.currency, new=new.currency)
        )
    if old.timezone != new.timezone:
        changes.append(
            t.gettext("Time zone: {old} → {new}.").format(
                old=escape(old.timezone), new=escape(new.timezone)
            )
        )
    minutes = (
        (
            old.escalation_sla_minutes,
            new.escalation_sla_minutes,
            t.ngettext(
                "Escalation SLA: {old} → {new} minute.",
                "Escalation SLA: {old} → {new} minutes.",
                new.escalation_sla_minutes,
            ),
        ),
        (
            old.reminder_every_minutes,
            new.reminder_every_minutes,
            t.ngettext(
                "Reminders: every {old} → every {new} minute.",
                "Reminders: every {old} → every {new} minutes.",
                new.reminder_every_minutes,
            ),
        ),
        (
            old.on_the_spot_minutes,
            new.on_the_spot_minutes,
            t.ngettext(
                "On the spot: within {old} → {new} minute.",
                "On the spot: within {old} → {new} minutes.",
                new.on_the_spot_minutes,
            ),
        ),
        (
            old.reopen_window_days,
            new.reopen_window_days,
            t.ngettext(
                "Reopen window: {old} → {new} day.",
                "Reopen window: {old} → {new} days.",
                new.reopen_window_days,
            ),
        ),
    )
    for before, after, template in minutes:
        if before != after:
            changes.append(template.format(old=before, new=after))
    if old.week_start != new.week_start:
        changes.append(
            t.gettext("The week starts on {day}.").format(day=_weekday(new.week_start, locale))
        )
    if (old.digest_weekday, old.digest_time) != (new.digest_weekday, new.digest_time):
        changes.append(
            t.gettext("Weekly digest: {day}, {time}.").format(
                day=_weekday(new.digest_weekday, locale), time=new.digest_time
            )
        )
    if old.customer_key_may_be_phone != new.customer_key_may_be_phone:
        changes.append(
            t.gettext("A phone number may be the customer key now.")
            if new.customer_key_may_be_phone
            else t.gettext("A phone number may not be the customer key now.")
        )
    if old.follow_up_below != new.follow_up_below:
        changes.append(
            t.gettext("A survey answer of {score} or less opens a follow-up.").format(
                score=new.follow_up_below
            )
        )
    if old.follow_up_minutes != new.follow_up_minutes:
        changes.append(
            t.ngettext(
                "Follow-up SLA: {old} → {new} minute.",
                "Follow-up SLA: {old} → {new} minutes.",
                new.follow_up_minutes,
            ).format(old=old.follow_up_minutes, new=new.follow_up_minutes)
        )
    if old.survey_nps != new.survey_nps:
        changes.append(
            t.gettext("The survey asks how likely the customer is to recommend us (NPS).")
            if new.survey_nps
            else t.gettext("The survey no longer asks how likely the customer is to recommend us.")
        )
    return changes


def _budget_changes(old: Policy, new: Policy, locale: str) -> list[str]:
    t = translations(locale)
    if set(old.budgets) == set(new.budgets):
        return []
    lines = []
    for budget in new.budgets:
        if budget not in old.budgets:
            lines.append(
                t.gettext("Budget {amount} {per}.").format(
                    amount=_money(budget.amount, new, locale), per=_budget_per(budget, locale)
                )
            )
    for budget in old.budgets:
        if budget not in new.budgets:
            lines.append(
                t.gettext("Budget {amount} {per} removed.").format(
                    amount=_money(budget.amount, old, locale), per=_budget_per(budget, locale)
                )
            )
    return lines


def _budget_per(budget: Budget, locale: str) -> str:
    t = translations(locale)
    whose = (
        t.gettext("for team {team}").format(team=escape(budget.team or ""))
        if budget.scope == "team"
        else t.gettext("for the organisation")
    )
    return f"{whose} {_interval_words(locale)[budget.interval]}"


def interval_words(locale: str) -> dict[str, str]:
    """ "per day", "per month"… in the reader's language."""
    return _interval_words(locale)
