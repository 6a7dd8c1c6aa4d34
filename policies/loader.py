"""Reading a policy file: TOML in, a Policy out, or every problem with its key and line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import format_decimal, get_currency_precision, list_currencies

from bot.i18n import translations
from policies.model import (
    INTERVALS,
    ROLES,
    SCOPES,
    WEEKDAYS,
    Budget,
    Labels,
    Limit,
    Policy,
    Remedy,
    RoleRules,
)
from policies.positions import key_lines, line_of

_SLUG = re.compile(r"^[a-z0-9_]{1,20}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

# What a hand-written policy never needs, and a crafted one must not get through: the deepest
# nesting of arrays and inline tables (a real file needs three), the largest amount and the
# longest one as written, the longest labels (a category or remedy is a button; a deny reason
# is a button and a line of a card), and how many entries a section or a role may list.
MAX_NESTING = 16
MAX_AMOUNT = Decimal(10) ** 12
MAX_AMOUNT_CHARS = 24
MAX_LABEL = 64
MAX_REASON_LABEL = 200
MAX_PLAYBOOK = 120  # one line of the case card, under what works: short enough to read at once
MAX_TEAM_NAME = 64
MAX_ENTRIES = 30
MAX_LIMITS = 12
MAX_BUDGETS = 12
SHOWN = 60  # characters of a key or a value quoted in a problem


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when rendered."""
    return message


@dataclass(frozen=True)
class PolicyIssue:
    path: str
    message: str  # an English msgid, translated when rendered
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    def render(self, locale: str = "en") -> str:
        """ "roles.frontline.limits[0].amount (line 16): must be more than zero" in `locale`."""
        t = translations(locale)
        # What the file says is quoted back cut short; what the loader says (choices) is not.
        params = dict(self.params)
        if "value" in params:
            params["value"] = _quoted(params["value"])
        if "amount" in params:
            params["amount"] = format_decimal(params["amount"], locale=locale)
        text = t.gettext(self.message).format(**params)
        if not self.path:  # a syntax error names its line and column in the text itself
            return text
        where = _quoted(self.path)
        if self.line is not None:
            where = t.gettext("{path} (line {line})").format(path=where, line=self.line)
        return f"{where}: {text}"


def _quoted(value: Any) -> Any:
    """A key or a value as a problem quotes it: a crafted 60,000-character one is cut."""
    if isinstance(value, str) and len(value) > SHOWN:
        return value[: SHOWN - 1] + "…"
    return value


class PolicyError(Exception):
    def __init__(self, issues: list[PolicyIssue]) -> None:
        super().__init__("; ".join(issue.render() for issue in issues))
        self.issues = issues

    def render(self, locale: str = "en") -> list[str]:
        return [issue.render(locale) for issue in self.issues]


class _Reader:
    """Walks the parsed TOML, collecting every problem instead of stopping at the first."""

    def __init__(self, text: str) -> None:
        self.lines = key_lines(text)
        self.issues: list[PolicyIssue] = []

    def problem(self, path: str, message: str, **params: Any) -> None:
        self.issues.append(PolicyIssue(path, message, params, self.line_of(path)))

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)

    def table(self, data: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.problem(path, N_("must be a table"))
            return None
        return data

    def known(self, data: dict[str, Any], path: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(f"{path}.{key}" if path else key, N_("unknown key"))

    def integer(
        self, data: dict[str, Any], key: str, path: str, default: int, low: int, high: int
    ) -> int:
        value = data.get(key, default)
        where = f"{path}.{key}" if path else key
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, N_("must be a whole number"))
            return default
        if not low <= value <= high:
            self.problem(where, N_("must be between {low} and {high}"), low=low, high=high)
            return default
        return value

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str | None:
        if not isinstance(value, str) or value not in choices:
            self.problem(
                where,
                N_('"{value}" is not one of: {choices}'),
                value=value,
                choices=", ".join(choices),
            )
            return None
        return value

    def labels(
        self,
        data: Any,
        path: str,
        extra: frozenset[str] = frozenset(),
        longest: int = MAX_LABEL,
    ) -> Labels | None:
        table = self.table(data, path)
        if table is None:
            return None
        self.known(table, path, {"uk", "ru", "en", "money"} | extra)
        texts = {}
        for locale in ("uk", "ru", "en"):
            text = table.get(locale)
            if not isinstance(text, str) or not text.strip():
                self.problem(f"{path}.{locale}", N_("a label in this language is required"))
                return None
            if len(text.strip()) > longest:
                self.problem(
                    f"{path}.{locale}",
                    N_("a label is {limit} characters at most; this one has {count}"),
                    limit=longest,
                    count=len(text.strip()),
                )
                return None
            texts[locale] = text.strip()
        return Labels(**texts)

    def amount(self, value: Any, where: str, currency: str | None) -> Decimal | None:
        if isinstance(value, float):
            self.problem(where, N_('write amounts in quotes, like "1500.50"'))
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.problem(where, N_('write amounts in quotes, like "1500.50"'))
            return None
        if isinstance(value, int):
            if abs(value) > MAX_AMOUNT:  # before str(): Python refuses ints of 4,300 digits
                self._too_large(where)
                return None
            value = str(value)
        written = value.strip()
        if len(written) > MAX_AMOUNT_CHARS or "e" in written.lower():
            # "1E+1000000" is a number to Decimal, and an overflow in every sum after it.
            self.problem(where, N_('write an amount in plain digits, like "1500.50"'))
            return None
        try:
            amount = Decimal(written)
        except InvalidOperation:
            self.problem(where, N_('"{value}" is not an amount'), value=value)
            return None
        if not amount.is_finite():
            self.problem(where, N_('"{value}" is not an amount'), value=value)
            return None
        if amount <= 0:
            self.problem(where, N_("must be more than zero"))
            return None
        if amount > MAX_AMOUNT:
            self._too_large(where)
            return None
        if currency:
            digits = get_currency_precision(currency)
            exponent = amount.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > digits:
                self.problem(
                    where,
                    N_("{currency} allows {digits} decimal places at most"),
                    currency=currency,
                    digits=digits,
                )
                return None
        return amount

    def _too_large(self, where: str) -> None:
        self.problem(where, N_("must be {amount} at most"), amount=MAX_AMOUNT)

    def entries(self, items: list[Any] | dict[str, Any], where: str, most: int) -> bool:
        """Not more entries than `most`: a longer list is named once and read no further."""
        if len(items) <= most:
            return True
        self.problem(
            where, N_("{count} entries at most; there are {found}"), count=most, found=len(items)
        )
        return False


def too_deep(text: str, deepest: int = MAX_NESTING) -> int | None:
    """The line where arrays and inline tables nest deeper than `deepest`, or None. Read before
    the parser, which recurses once a level and would run out of stack on a crafted file."""
    depth, line, at, size = 0, 1, 0, len(text)
    while at < size:
        char = text[at]
        if char == "\n":
            line += 1
        elif char == "#":
            end = text.find("\n", at)
            at = size if end < 0 else end
            continue
        elif char in "\"'":
            quote = text[at : at + 3] if text[at : at + 3] in ('"""', "'''") else char
            at += len(quote)
            while at < size and not text.startswith(quote, at):
                if text[at] == "\\" and char == '"':
                    at += 1
                elif text[at] == "\n":
                    line += 1
                    if len(quote) == 1:
                        break  # an unclosed string: the parser names it
                at += 1
            at += len(quote)
            continue
        elif char in "[{":
            depth += 1
            if depth > deepest:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
        at += 1
    return None


@cache
def _zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk; once per process is enough.
    return frozenset(available_timezones())


def load_policy(text: str) -> Policy:
    """Parse and validate; raises PolicyError listing every problem found."""
    deep = too_deep(text)
    if deep is not None:
        raise PolicyError([_nested(deep)])
    try:
        data = tomllib.loads(text)
    except RecursionError:  # not reached after too_deep, but never "something went wrong"
        raise PolicyError([_nested(None)]) from None
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        detail = re.sub(r"\s*\(at line.*\)$", "", str(error))
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else 0
        raise PolicyError(
            [
                PolicyIssue(
                    "",
                    N_("not valid TOML at line {line}, column {column}: {detail}"),
                    {"line": line, "column": column, "detail": detail},
                    line,
                )
            ]
        ) from None
    except ValueError:  # an integer of thousands of digits, which Python will not convert
        raise PolicyError(
            [PolicyIssue("", N_("a number in the file is longer than any policy needs"))]
        ) from None
    reader = _Reader(text)
    policy = _policy(reader, data)
    if reader.issues or policy is None:
        raise PolicyError(reader.issues)
    return policy


def _nested(line: int | None) -> PolicyIssue:
    return PolicyIssue(
        "",
        N_("nested deeper than {depth} levels at line {line}: a policy needs three at most"),
        {"depth": MAX_NESTING, "line": line if line is not None else "?"},
        line,
    )


_TOP = {
    "currency",
    "timezone",
    "week_start",
    "reopen_window_days",
    "escalation_sla_minutes",
    "reminder_every_minutes",
    "on_the_spot_minutes",
    "digest",
    "customer_key_may_be_phone",
    "categories",
    "sensitive_roles",
    "remedies",
    "roles",
    "budgets",
    "deny_reasons",
    "confirm_above",
    "survey",
    "causes",
}


def _policy(r: _Reader, data: dict[str, Any]) -> Policy | None:
    r.known(data, "", _TOP)
    currency = data.get("currency")
    if currency is None:
        r.problem("currency", N_("is required"))
    elif not isinstance(currency, str) or currency.upper() not in list_currencies():
        r.problem("currency", N_('unknown currency "{value}"'), value=currency)
    if not isinstance(currency, str) or currency.upper() not in list_currencies():
        currency = None
    else:
        currency = currency.upper()
    timezone = data.get("timezone")
    if timezone is None:
        r.problem("timezone", N_("is required"))
    elif not isinstance(timezone, str) or timezone not in _zones():
        r.problem("timezone", N_('unknown time zone "{value}"'), value=timezone)
    if not isinstance(timezone, str) or timezone not in _zones():
        timezone = None
    else:
        try:
            ZoneInfo(timezone)
        except ZoneInfoNotFoundError:
            r.problem("timezone", N_('unknown time zone "{value}"'), value=timezone)
            timezone = None
    week_start = r.choice(data.get("week_start", "monday"), "week_start", WEEKDAYS)
    reopen = r.integer(data, "reopen_window_days", "", 7, 0, 365)
    sla = r.integer(data, "escalation_sla_minutes", "", 15, 1, 7 * 24 * 60)
    reminder = r.integer(data, "reminder_every_minutes", "", sla, 1, 7 * 24 * 60)
    on_the_spot = r.integer(data, "on_the_spot_minutes", "", 5, 1, 24 * 60)
    phone = data.get("customer_key_may_be_phone", False)
    if not isinstance(phone, bool):
        r.problem("customer_key_may_be_phone", N_("must be true or false"))
        phone = False

    digest_weekday, digest_time = 0, "09:00"
    if "digest" in data:
        digest = r.table(data["digest"], "digest")
        if digest is not None:
            r.known(digest, "digest", {"weekday", "time"})
            day = r.choice(digest.get("weekday", "monday"), "digest.weekday", WEEKDAYS)
            digest_weekday = WEEKDAYS.index(day) if day else 0
            when = digest.get("time", "09:00")
            if not isinstance(when, str) or not _TIME.match(when):
                r.problem("digest.time", N_("write the time as HH:MM, e.g. 09:00"))
            else:
                digest_time = when

    nps = False
    follow_up_below, follow_up_minutes = 3, 60
    if "survey" in data:
        survey = r.table(data["survey"], "survey")
        if survey is not None:
            r.known(survey, "survey", {"nps", "follow_up_below", "follow_up_minutes"})
            nps = survey.get("nps", False)
            if not isinstance(nps, bool):
                r.problem("survey.nps", N_("must be true or false"))
                nps = False
            follow_up_below = r.integer(survey, "follow_up_below", "survey", 3, 1, 5)
            follow_up_minutes = r.integer(survey, "follow_up_minutes", "survey", 60, 1, 7 * 24 * 60)

    causes = _labelled(r, data, "causes") if "causes" in data else {}
    categories = _labelled(
        r, data, "categories", extra=frozenset({"causes", "playbook", "sensitive"})
    )
    sensitive = _sensitive(r, data)
    sensitive_roles = _sensitive_roles(r, data)
    category_causes = _category_causes(r, data, set(_keyed_quietly(data, "causes")))
    playbooks = _playbooks(r, data)
    remedies: dict[str, Remedy] = {}
    written = _keyed(r, data, "remedies")
    for key, value in written.items():
        labels = r.labels(value, f"remedies.{key}", _REMEDY_KEYS)
        table = value if isinstance(value, dict) else {}
        money = table.get("money", True)
        if not isinstance(money, bool):
            r.problem(f"remedies.{key}.money", N_("must be true or false"))
            money = True
        presets = _presets(r, table, f"remedies.{key}", currency, money)
        quick = table.get("quick", False)
        if not isinstance(quick, bool):
            r.problem(f"remedies.{key}.quick", N_("must be true or false"))
            quick = False
        if labels:
            remedies[key] = Remedy(key, labels, money, presets, quick)

    free = frozenset(key for key, remedy in remedies.items() if not remedy.money)
    # Keys whose labels are faulty still count as defined: one mistake, one message.
    roles = _roles(r, data, currency, set(written) if "remedies" in data else None, free)
    budgets = _budgets(r, data, currency)
    deny_reasons = (
        _labelled(r, data, "deny_reasons", MAX_REASON_LABEL) if "deny_reasons" in data else {}
    )
    confirm_above = (
        r.amount(data["confirm_above"], "confirm_above", currency)
        if "confirm_above" in data
        else None
    )
    if not r.issues and currency and timezone and week_start:
        return Policy(
            currency=currency,
            timezone=timezone,
            categories=categories,
            remedies=remedies,
            roles=roles,
            week_start=WEEKDAYS.index(week_start),
            reopen_window_days=reopen,
            escalation_sla_minutes=sla,
            reminder_every_minutes=reminder,
            on_the_spot_minutes=on_the_spot,
            digest_weekday=digest_weekday,
            digest_time=digest_time,
            customer_key_may_be_phone=phone,
            budgets=budgets,
            deny_reasons=deny_reasons,
            confirm_above=confirm_above,
            survey_nps=nps,
            follow_up_below=follow_up_below,
            follow_up_minutes=follow_up_minutes,
            causes=causes,
            category_causes=category_causes,
            playbooks=playbooks,
            sensitive=sensitive,
            sensitive_roles=sensitive_roles,
        )
    return None


def _sensitive(r: _Reader, data: dict[str, Any]) -> frozenset[str]:
    """The categories marked `sensitive = true`."""
    found = set()
    for key, value in _keyed_quietly(data, "categories").items():
        if not isinstance(value, dict) or "sensitive" not in value:
            continue
        if not isinstance(value["sensitive"], bool):
            r.problem(f"categories.{key}.sensitive", N_("must be true or false"))
        elif value["sensitive"]:
            found.add(key)
    return frozenset(found)


def _sensitive_roles(r: _Reader, data: dict[str, Any]) -> tuple[str, ...]:
    """`sensitive_roles = [...]`: who sees every sensitive case besides its reporter and the
    admins (default: managers)."""
    if "sensitive_roles" not in data:
        return ("manager",)
    listed = data["sensitive_roles"]
    if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
        r.problem("sensitive_roles", N_("must be a list of roles"))
        return ("manager",)
    for role in listed:
        r.choice(role, "sensitive_roles", ROLES)
    return tuple(dict.fromkeys(role for role in listed if role in ROLES))


def _keyed(r: _Reader, data: dict[str, Any], section: str) -> dict[str, Any]:
    table = r.table(data.get(section, {}), section)
    if not table:
        r.problem(section, N_("at least one entry is needed"))
        return {}
    if not r.entries(table, section, MAX_ENTRIES):
        return {}
    good = {}
    for key, value in table.items():
        if not _SLUG.match(key):
            r.problem(
                f"{section}.{key}", N_("keys are lowercase letters, digits and _ (20 at most)")
            )
        else:
            good[key] = value
    return good


def _keyed_quietly(data: dict[str, Any], section: str) -> dict[str, Any]:
    """The entries of a section as written, for references to it (its faults are named once,
    where it is read)."""
    table = data.get(section)
    return table if isinstance(table, dict) else {}


def _category_causes(
    r: _Reader, data: dict[str, Any], causes: set[str]
) -> dict[str, tuple[str, ...]]:
    """`causes = [...]` of each category that narrows what it is offered; every key named
    must be one of [causes]."""
    result: dict[str, tuple[str, ...]] = {}
    for key, value in _keyed_quietly(data, "categories").items():
        if not isinstance(value, dict) or "causes" not in value:
            continue
        where = f"categories.{key}.causes"
        listed = value["causes"]
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(v, str) for v in listed)
        ):
            r.problem(where, N_("must be a list of cause keys"))
            continue
        for item in listed:
            if item not in causes:
                r.problem(where, N_('no cause "{value}" in [causes]'), value=item)
        result[key] = tuple(dict.fromkeys(listed))
    return result


def _playbooks(r: _Reader, data: dict[str, Any]) -> dict[str, Labels]:
    """`playbook = { uk = "…", ru = "…", en = "…" }` of each category that has one: a line in
    every language, like the category's own name (no language falls back to another)."""
    result: dict[str, Labels] = {}
    for key, value in _keyed_quietly(data, "categories").items():
        if not isinstance(value, dict) or "playbook" not in value:
            continue
        where = f"categories.{key}.playbook"
        labels = r.labels(value["playbook"], where, longest=MAX_PLAYBOOK)
        if isinstance(value["playbook"], dict) and "money" in value["playbook"]:
            r.problem(f"{where}.money", N_("unknown key"))
        if labels:
            result[key] = labels
    return result


_REMEDY_KEYS = frozenset({"presets", "quick"})
MAX_PRESETS = 3


def _presets(
    r: _Reader, table: dict[str, Any], path: str, currency: str | None, money: bool
) -> tuple[Decimal, ...]:
    if "presets" not in table:
        return ()
    where = f"{path}.presets"
    value = table["presets"]
    if not money:
        r.problem(where, N_("a remedy without money has no amounts"))
        return ()
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PRESETS:
        r.problem(where, N_('list one to {count} amounts, like ["50", "150"]'), count=MAX_PRESETS)
        return ()
    amounts = [r.amount(item, where, currency) for item in value]
    if any(amount is None for amount in amounts):
        return ()
    return tuple(sorted({a for a in amounts if a is not None}))


def _labelled(
    r: _Reader,
    data: dict[str, Any],
    section: str,
    longest: int = MAX_LABEL,
    extra: frozenset[str] = frozenset(),
) -> dict[str, Labels]:
    result = {}
    for key, value in _keyed(r, data, section).items():
        labels = r.labels(value, f"{section}.{key}", extra, longest=longest)
        if isinstance(value, dict) and "money" in value:
            r.problem(f"{section}.{key}.money", N_("unknown key"))
        if labels:
            result[key] = labels
    return result


def _remedy_list(r: _Reader, value: Any, where: str, remedies: set[str] | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.problem(where, N_("must be a list of remedy keys"))
        return ()
    for item in value:
        if remedies is not None and item not in remedies:
            r.problem(where, N_('no remedy "{value}" in [remedies]'), value=item)
    return tuple(value)


def _roles(
    r: _Reader,
    data: dict[str, Any],
    currency: str | None,
    remedies: set[str] | None,
    free: frozenset[str] = frozenset(),
) -> dict[str, RoleRules]:
    table = r.table(data.get("roles", {}), "roles") or {}
    if "frontline" not in table:
        r.problem("roles", N_("the frontline role is required"))
    roles: dict[str, RoleRules] = {}
    for role, value in table.items():
        path = f"roles.{role}"
        if role not in ROLES:
            r.problem(
                path, N_('"{value}" is not one of: {choices}'), value=role, choices=", ".join(ROLES)
            )
            continue
        rules = r.table(value, path)
        if rules is None:
            continue
        r.known(rules, path, {"approver", "limits", "forbidden", "unlimited"})
        approver = rules.get("approver", "none")
        if approver != "none" and approver not in ROLES:
            r.problem(
                f"{path}.approver",
                N_('"{value}" is not one of: {choices}'),
                value=approver,
                choices=", ".join((*ROLES, "none")),
            )
            approver = "none"  # named once, not again as an undefined role
        unlimited = rules.get("unlimited", False)
        if not isinstance(unlimited, bool):
            r.problem(f"{path}.unlimited", N_("must be true or false"))
            unlimited = False
        if unlimited and rules.get("limits"):
            # Which would win is anybody's guess: say it instead of picking one.
            r.problem(
                f"{path}.limits", N_("unlimited = true and limits exclude each other: keep one")
            )
        forbidden = _remedy_list(r, rules.get("forbidden", []), f"{path}.forbidden", remedies)
        limits = []
        raw_limits = rules.get("limits", [])
        if not isinstance(raw_limits, list):
            r.problem(f"{path}.limits", N_("must be a list of tables"))
            raw_limits = []
        if not r.entries(raw_limits, f"{path}.limits", MAX_LIMITS):
            raw_limits = []
        for index, raw in enumerate(raw_limits):
            where = f"{path}.limits[{index}]"
            item = r.table(raw, where)
            if item is None:
                continue
            r.known(item, where, {"amount", "scope", "interval", "remedies"})
            for required in ("amount", "scope", "interval"):
                if required not in item:
                    r.problem(f"{where}.{required}", N_("is required"))
            if not {"amount", "scope", "interval"} <= set(item):
                continue
            amount = r.amount(item["amount"], f"{where}.amount", currency)
            scope = r.choice(item["scope"], f"{where}.scope", SCOPES)
            interval = r.choice(item["interval"], f"{where}.interval", INTERVALS)
            only = _remedy_list(r, item.get("remedies", []), f"{where}.remedies", remedies)
            if "remedies" in item and isinstance(item["remedies"], list) and not only:
                r.problem(
                    f"{where}.remedies",
                    N_("list at least one remedy, or leave the key out to count them all"),
                )
            for key in only:
                if key in free:
                    r.problem(
                        f"{where}.remedies",
                        N_('"{value}" costs nothing, so no limit counts it'),
                        value=key,
                    )
            if amount and scope and interval:
                limits.append(Limit(amount, scope, interval, only))
        keys = [limit.key for limit in limits]
        for key in {k for k in keys if keys.count(k) > 1}:
            r.problem(
                f"{path}.limits", N_("two limits have the same scope and interval: {key}"), key=key
            )
        roles[role] = RoleRules(
            role=role,
            approver=None if approver == "none" else str(approver),
            limits=tuple(limits),
            forbidden=forbidden,
            unlimited=unlimited,
        )
    for role, defined in roles.items():
        if (
            defined.approver is not None
            and defined.approver not in roles
            and not (defined.approver == "admin" and "manager" in roles)
        ):
            r.problem(
                f"roles.{role}.approver",
                N_('role "{value}" is not defined here'),
                value=defined.approver,
            )
    _check_chains(r, roles)
    return roles


def _check_chains(r: _Reader, roles: dict[str, RoleRules]) -> None:
    for start in roles:
        chain = [start]
        current = roles[start].approver
        while current is not None and current in roles:
            if current in chain:
                r.problem(
                    f"roles.{start}.approver",
                    N_("the approver chain goes round in a circle: {chain}"),
                    chain=" → ".join([*chain, current]),
                )
                break
            chain.append(current)
            current = roles[current].approver


def _budgets(r: _Reader, data: dict[str, Any], currency: str | None) -> tuple[Budget, ...]:
    raw = data.get("budgets", [])
    if not isinstance(raw, list):
        r.problem("budgets", N_("must be a list of tables"))
        return ()
    if not r.entries(raw, "budgets", MAX_BUDGETS):
        return ()
    budgets = []
    for index, item in enumerate(raw):
        where = f"budgets[{index}]"
        table = r.table(item, where)
        if table is None:
            continue
        r.known(table, where, {"scope", "team", "amount", "interval"})
        scope = r.choice(table.get("scope"), f"{where}.scope", ("org", "team"))
        interval = r.choice(table.get("interval"), f"{where}.interval", INTERVALS[1:])
        amount = r.amount(table.get("amount"), f"{where}.amount", currency)
        team = table.get("team")
        if scope == "team" and (not isinstance(team, str) or not team.strip()):
            r.problem(f"{where}.team", N_("a team budget needs the team's name"))
        elif isinstance(team, str) and len(team) > MAX_TEAM_NAME:
            r.problem(
                f"{where}.team",
                N_("a team's name is {limit} characters at most"),
                limit=MAX_TEAM_NAME,
            )
            team = None
        if scope == "org" and team is not None:
            r.problem(f"{where}.team", N_("only a team budget names a team"))
        if scope and interval and amount:
            budgets.append(Budget(scope, amount, interval, team if scope == "team" else None))
    return tuple(budgets)
