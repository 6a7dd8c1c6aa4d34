"""`casebot policy check` and `casebot policy explain`."""

from __future__ import annotations

import argparse
import re
import sys
from decimal import Decimal, InvalidOperation
from html import unescape
from pathlib import Path
from typing import Any

from babel.numbers import get_currency_precision

from bot.i18n import LOCALES, format_money, translations
from policies.engine import decide, usage_needed
from policies.explain import explain, per, role_name
from policies.loader import PolicyError, load_policy
from policies.model import INTERVALS, ROLES, SCOPES, Policy


def add_policy_commands(subparsers: Any) -> None:
    check = subparsers.add_parser("check", help="validate a policy file")
    check.add_argument("file", type=Path)
    check.add_argument("--lang", choices=LOCALES, default="en")
    check.set_defaults(func=run_check)

    what = subparsers.add_parser("explain", help="decide one spend request and say why")
    what.add_argument("file", type=Path)
    what.add_argument("--role", required=True, choices=ROLES)
    what.add_argument("--remedy", required=True)
    what.add_argument("--amount", required=True, help="e.g. 1500.50")
    what.add_argument(
        "--used",
        action="append",
        default=[],
        metavar="SCOPE:INTERVAL[:REMEDIES]=N",
        help="what is already used in a limit's window (repeatable)",
    )
    what.add_argument("--lang", choices=LOCALES, default="en")
    what.set_defaults(func=run_explain)


def _load(path: Path, locale: str) -> Policy | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return None
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8 text", file=sys.stderr)
        return None
    try:
        return load_policy(text)
    except PolicyError as error:
        for line in error.render(locale):
            print(f"{path}: {line}", file=sys.stderr)
        return None


def run_check(args: argparse.Namespace) -> int:
    policy = _load(args.file, args.lang)
    if policy is None:
        return 1
    limits = sum(len(rules.limits) for rules in policy.roles.values())
    print(
        f"OK: {args.file} — {policy.currency}, {policy.timezone}, "
        f"{len(policy.categories)} categories, {len(policy.remedies)} remedies, "
        f"{len(policy.roles)} roles, {limits} limits"
    )
    return 0


def run_explain(args: argparse.Namespace) -> int:
    policy = _load(args.file, args.lang)
    if policy is None:
        return 1
    if args.remedy not in policy.remedies:
        print(
            f"unknown remedy {args.remedy!r}; the policy has: {', '.join(policy.remedies)}",
            file=sys.stderr,
        )
        return 2
    try:
        amount = _amount(args.amount, policy.currency)
        usage = dict(_usage(item) for item in args.used)
        decision = decide(policy, args.role, args.remedy, amount, usage)
    except ValueError as error:
        print(f"casebot: {error}", file=sys.stderr)
        return 2
    lang = args.lang
    t = translations(lang)
    print(
        f"{decision.outcome.value}: {format_money(decision.now, policy.currency, lang)}"
        f" / {format_money(amount, policy.currency, lang)}"
        f" · {role_name(args.role, lang)}"
    )
    print(_plain(explain(decision, policy, lang)))
    for check in decision.checks:
        line = t.gettext("{per}: used {used}, left {left} of {total}").format(
            per=per(check.limit, policy, lang),
            used=format_money(check.used, policy.currency, lang),
            left=format_money(check.remaining, policy.currency, lang),
            total=format_money(check.limit.amount, policy.currency, lang),
        )
        print(_plain(f"  {'▶' if check.bound else '•'} {line}"))
    needed = {q.key for q in usage_needed(policy, args.role, args.remedy)}
    missing = sorted(needed - set(usage))
    if missing:
        print(f"(counted as unused: {', '.join(missing)})", file=sys.stderr)
    ignored = sorted(set(usage) - needed)
    if ignored:
        print(
            f"(no limit of {args.role} for {args.remedy} counts: {', '.join(ignored)})",
            file=sys.stderr,
        )
    return 0


def _amount(text: str, currency: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"--amount {text!r}: write it like 1500.50") from None
    exponent = amount.as_tuple().exponent
    digits = get_currency_precision(currency)
    if not amount.is_finite() or (isinstance(exponent, int) and -exponent > digits):
        raise ValueError(f"--amount {text!r}: {currency} has {digits} decimal places at most")
    return amount


def _usage(item: str) -> tuple[str, Decimal]:
    key, _, value = item.partition("=")
    parts = key.split(":")
    if len(parts) < 2 or parts[0] not in SCOPES or parts[1] not in INTERVALS or not value:
        raise ValueError(f"--used {item!r}: write scope:interval=amount, e.g. customer:day=150")
    if len(parts) > 2:  # remedies in any order name the same limit: "customer:day:gift+refund"
        key = ":".join([*parts[:2], "+".join(sorted(":".join(parts[2:]).split("+")))])
    try:
        return key, Decimal(value)
    except InvalidOperation:
        raise ValueError(f"--used {item!r}: {value!r} is not an amount") from None


def _plain(html_text: str) -> str:
    """The explanations are Telegram HTML; a terminal gets their text."""
    return unescape(re.sub(r"</?[a-z]+>", "", html_text))
