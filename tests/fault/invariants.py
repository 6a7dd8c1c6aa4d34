"""What must hold after the faults, read from the database and from what the sandbox saw:
every case there once, no spend above a limit or twice, every update answered, every
notification delivered once and in order per chat; and the figures table of the run."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import Case, Member, Organisation, OutboxMessage, PolicyVersion, Spend
from bot.money import from_minor
from policies.engine import window
from policies.loader import load_policy
from policies.model import Limit
from tests.fault.staff import GIFT, REFUND, FaultSandbox, Sent, Tally


@dataclass
class Recovery:
    """One kill -9 and what followed, in seconds from the kill."""

    instance: str
    healthy: float | None = None  # the restarted process answers (/healthz, or polls again)
    taken_over: float | None = None  # every update sent before the kill has been answered


@dataclass
class Answers:
    answered: list[Sent] = field(default_factory=list)  # before the person's next update
    late: list[Sent] = field(default_factory=list)  # after the person had tried again
    lost: list[Sent] = field(default_factory=list)  # never

    @property
    def lost_ids(self) -> list[int]:
        return [s.update_id for s in self.lost]


def answers(sandbox: FaultSandbox) -> Answers:
    """An update is answered by the bot's next message or edit in its chat, or (a tap) by the
    answer to its callback query. Answered in time: before the person sent anything more in
    that chat; late: only after it (the person had repeated it); lost: never."""
    result = Answers()
    by_chat: dict[int, list[Sent]] = defaultdict(list)
    for sent in sandbox.sent:
        by_chat[sent.chat_id].append(sent)
    for chat, sent_list in by_chat.items():
        reactions = sandbox.reactions.get(chat, [])
        for index, sent in enumerate(sent_list):
            after = sent_list[index + 1].at if index + 1 < len(sent_list) else float("inf")
            times = [t for t in reactions if t >= sent.at]
            if sent.query_id is not None and sent.query_id in sandbox.callback_answered_at:
                times.append(sandbox.callback_answered_at[sent.query_id])
            if any(t <= after for t in times):
                result.answered.append(sent)
            elif times:
                result.late.append(sent)
            else:
                result.lost.append(sent)
    return result


@dataclass
class Notifications:
    sent: int = 0  # outbox rows delivered
    not_sent: list[tuple[int, str, str | None]] = field(default_factory=list)  # id, status, error
    duplicated: int = 0  # extra deliveries of an outbox message's text to its chat
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (outbox id, times)
    out_of_order: list[tuple[int, list[int]]] = field(default_factory=list)  # chat, outbox ids


async def notifications(db: Database, sandbox: FaultSandbox) -> Notifications:
    """Outbox rows: all sent; each sent message's text reached its chat once (a repeat after a
    crash is counted); one chat's messages reached it in the order of their outbox ids."""
    result = Notifications()
    async with db.reading() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        outbox = list(rows)
    delivered = Counter((d.chat_id, d.html) for d in sandbox.delivered)
    per_chat: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in outbox:
        if row.status != "sent":
            result.not_sent.append((row.id, row.status, row.last_error))
            continue
        result.sent += 1
        if row.method not in ("sendMessage", "sendPhoto"):
            continue  # edits: a repeated edit changes nothing the person sees
        payload = json.loads(row.payload)
        text = str(payload.get("text") or payload.get("caption") or "")
        times = delivered[(row.chat_id, text)]
        if times > 1:
            result.duplicated += times - 1
            result.duplicates.append((row.id, times))
        if row.telegram_message_id is not None:
            per_chat[row.chat_id].append((row.id, row.telegram_message_id))
    for chat, pairs in per_chat.items():
        message_ids = [message_id for _, message_id in pairs]  # in outbox id order
        if message_ids != sorted(message_ids):
            result.out_of_order.append((chat, [outbox_id for outbox_id, _ in pairs]))
    return result


@dataclass
class Ledger:
    cases: int = 0
    missing: list[str] = field(default_factory=list)  # flows whose case is not there
    doubled: list[tuple[str, int]] = field(default_factory=list)  # flows with several cases
    strays: int = 0  # cases no flow started
    unresolved: list[str] = field(default_factory=list)  # finished flows whose case is open
    spends: int = 0
    wrong_spends: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)
    repeated_keys: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)


async def ledger(db: Database, org_id: int, tally: Tally) -> Ledger:
    """One case per flow that showed its card (none for a flow stuck before that), never two;
    a finished flow's case resolved, with exactly the spend it
    gave; spend request keys unique; no limit of the authoriser's role exceeded."""
    result = Ledger()
    async with db.reading() as session:
        cases = list(await session.scalars(select(Case).where(Case.org_id == org_id)))
        spends = list(
            await session.scalars(select(Spend).where(Spend.org_id == org_id).order_by(Spend.id))
        )
        members = select(Member.id, Member.role).where(Member.org_id == org_id)
        roles = {row.id: str(row.role) for row in await session.execute(members)}
        versions = select(PolicyVersion.id, PolicyVersion.source)
        sources = {row.id: row.source for row in await session.execute(versions)}
        currency = await session.scalar(
            select(Organisation.currency).where(Organisation.id == org_id)
        )
        repeated = await session.execute(
            select(Spend.request_key).group_by(Spend.request_key).having(func.count() > 1)
        )
        result.repeated_keys = [str(key) for key in repeated.scalars()]
    assert currency is not None
    result.cases, result.spends = len(cases), len(spends)
    by_description: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_description[case.description].append(case)
    result.strays = sum(len(v) for k, v in by_description.items() if k not in tally.descriptions)
    spends_of: dict[int, list[Spend]] = defaultdict(list)
    for spend in spends:
        spends_of[spend.case_id].append(spend)
    expected = {"gift": ("gift", GIFT), "refund": ("refund", REFUND)}
    for description, kind in tally.descriptions.items():
        found = by_description.get(description, [])
        if not found:
            if description in tally.created:  # its card was shown: the case was there
                result.missing.append(description)
            continue
        if len(found) > 1:
            result.doubled.append((description, len(found)))
        if description not in tally.done:
            continue
        (case,) = found[:1]
        if case.state != "resolved":
            result.unresolved.append(f"{case.code} {case.state}: {description}")
        given = [(s.remedy, s.amount_minor) for s in spends_of[case.id]]
        remedy, amount = expected[kind]
        if given != [(remedy, int(amount * 100))]:
            result.wrong_spends.append((f"{case.code}: {description}", given))
    customers = {case.id: case.customer_key for case in cases}
    policies = {version: load_policy(source) for version, source in sources.items()}
    for spend in spends:
        policy = policies[spend.policy_version_id]
        rules = policy.rules(str(roles[spend.authorised_by_id]))
        if rules.unlimited:
            continue
        for limit in rules.limits_for(spend.remedy):
            used = sum(
                other.amount_minor
                for other in spends
                if other.id <= spend.id
                and limit.applies_to(other.remedy)
                and _same_scope(limit, spend, other, customers)
                and _same_window(limit, spend, other, policy.timezone, policy.week_start)
            )
            if from_minor(used, currency) > limit.amount:
                result.over_limit.append(
                    f"spend {spend.id} ({spend.remedy} {from_minor(spend.amount_minor, currency)}"
                    f" by member {spend.authorised_by_id}): {limit.key} holds "
                    f"{from_minor(used, currency)} > {limit.amount}"
                )
    return result


def _same_scope(limit: Limit, spend: Spend, other: Spend, customers: dict[int, Any]) -> bool:
    """Counted together, as bot/services/case_queries.count_usage counts a limit's usage."""
    per_case = limit.scope == "case" or limit.interval == "per_case"
    if per_case and other.case_id != spend.case_id:
        return False
    if limit.scope == "customer":
        key = customers.get(spend.case_id)
        return other.customer_key == key if key else other.case_id == spend.case_id
    if limit.scope == "employee":
        return other.authorised_by_id == spend.authorised_by_id
    if limit.scope == "team":
        return other.team_id == spend.team_id
    return True


def _same_window(limit: Limit, spend: Spend, other: Spend, timezone: str, week: int) -> bool:
    bounds = window(limit.interval, spend.created_at, timezone, week)
    return bounds is None or bounds[0] <= other.created_at < bounds[1]


@dataclass
class Figures:
    mode: str
    instances: int
    updates_sent: int = 0
    answered: int = 0
    late: int = 0
    lost: int = 0
    flows_started: int = 0
    flows_done: int = 0
    escalations: int = 0
    repeats: int = 0
    cases: int = 0
    spends: int = 0
    notifications_sent: int = 0
    notifications_duplicated: int = 0
    webhook_failures: int = 0
    errors_logged: int = 0
    recoveries: list[Recovery] = field(default_factory=list)
    redis_down: float | None = None
    wall: float = 0.0

    def table(self) -> str:
        def seconds(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f} s"

        rows = [
            ("mode", f"{self.mode}, {self.instances} instance(s), wall {self.wall:.0f} s"),
            ("flows started / finished", f"{self.flows_started} / {self.flows_done}"),
            ("escalations approved", str(self.escalations)),
            ("updates sent", str(self.updates_sent)),
            ("answered (in time / late)", f"{self.answered} / {self.late}"),
            ("lost (never answered)", str(self.lost)),
            ("taps repeated by people", str(self.repeats)),
            ("cases / spends", f"{self.cases} / {self.spends}"),
            ("notifications sent", str(self.notifications_sent)),
            (
                "notifications duplicated",
                f"{self.notifications_duplicated} (allowed: 1 per crash = {len(self.recoveries)})",
            ),
            ("webhook posts failed (retried)", str(self.webhook_failures)),
            ("ERROR lines in the bots' logs", str(self.errors_logged)),
            ("redis restart, unreachable for", seconds(self.redis_down)),
        ]
        for number, recovery in enumerate(self.recoveries, 1):
            rows.append(
                (
                    f"kill {number} ({recovery.instance}): up again / taken over",
                    f"{seconds(recovery.healthy)} / {seconds(recovery.taken_over)}",
                )
            )
        width = max(len(name) for name, _ in rows)
        lines = ["| figure | value |", "|---|---|"]
        lines += [f"| {name.ljust(width)} | {value} |" for name, value in rows]
        return "\n".join(lines)
