"""`casebot policy check` and `casebot policy explain`."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.i18n import LOCALES, format_money
from policies.engine import decide, usage_needed
from policies.explain import explain, role_name
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
        amount = Decimal(args.amount)
        usage = dict(_usage(item) for item in args.used)
        decision = decide(policy, args.role, args.remedy, amount, usage)
    except (InvalidOperation, ValueError) as error:
        print(f"casebot: {error}", file=sys.stderr)
        return 2
    print(
        f"{decision.outcome.value}: {format_money(decision.now, policy.currency, args.lang)}"
        f" / {format_money(amount, policy.currency, args.lang)}"
        f" · {role_name(args.role, args.lang)}"
    )
    print(_plain(explain(decision, policy, args.lang)))
    needed = {q.key for q in usage_needed(policy, args.role, args.remedy)}
    missing = sorted(needed - set(usage))
    if missing:
        print(f"(counted as unused: {', '.join(missing)})", file=sys.stderr)
    return 0


def _usage(item: str) -> tuple[str, Decimal]:
    key, _, value = item.partition("=")
    parts = key.split(":")
    if len(parts) < 2 or parts[0] not in SCOPES or parts[1] not in INTERVALS or not value:
        raise ValueError(f"--used {item!r}: write scope:interval=amount, e.g. customer:day=150")
    try:
        return key, Decimal(value)
    except InvalidOperation:
        raise ValueError(f"--used {item!r}: {value!r} is not an amount") from None


def _plain(html_text: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"</?b>", "", html_text))
