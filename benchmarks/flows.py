"""Full case flows through the local Telegram sandbox over HTTP, as an operator would measure
them: casebot (`casebot run` in its own process) against a bare aiogram echo bot (its own
process too), the same phases, the same sandbox code, one after the other in one run.

    python benchmarks/flows.py                      # SQLite in a temp dir, 60 members, 20 s phases
    python benchmarks/flows.py --db postgres --seconds 10
    python benchmarks/flows.py --db postgres --postgres-url postgresql+asyncpg://u:p@host/db

Members are frontline staff doing New case → category → description → Create case → Give
remedy → Gift → amount → Confirm → Close the case → first contact "Yes" (10 updates; with a
remedy given the bot knows the outcome, and the outcome step is answered if it is asked); a
share (--escalate, 10 %) ask a $100 refund, above their $50 a case, their team's supervisor (one
per 10 members) approves it on the card, and they Give now before closing. The daily and weekly
limits of the default policy are raised so that only those refunds need approval. Phases:
saturated (each actor sends its next step as soon as the screen it waits for is there), then
paced at 30 and 100 updates/s (one global clock hands out sends to ready actors in turn; a tick
with nobody ready is lost, not banked, and counted). Actors go on through all phases: a flow cut
by a phase's end goes on in the next. Echo members send a text (answered by send_message with one
button), then press that button twice (answered by answerCallbackQuery): a third messages, like
the case flow.

Printed per phase: updates/s handled, p50/p99 latency (update queued in the sandbox → the bot's
first message or edit in that chat, or for the echo bot's buttons its callback answer), p99 of
the whole step (→ the screen the actor waits for), bot CPU per update (/proc/<pid>/stat of the
bot's process, from the phase's start until everything sent was answered and the bot was quiet),
RSS at the phase's start and end, SQL statements and transactions per update (counted by
SQLAlchemy engine events installed by a launcher around `bot.cli.main(["run"])`, no bot code
changed; --no-count runs plain `python -m bot run`), PostgreSQL's pg_stat_database commits per
update, the sandbox's own CPU (it runs in this process, with the simulated members) and the
machine's (2 cores: the bot, the sandbox and PostgreSQL share them).

Targets (issue 14): one process, SQLite and PostgreSQL: ≥ 250 updates/s saturated and ≥ 20 % of
the echo bot in the same run; p99 < 50 ms at 100 updates/s; ≤ 4 ms of bot CPU per update.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox import Sandbox, SandboxMessage, SandboxUser  # noqa: E402

BOT_USERNAME = "casebot_sandbox_bot"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_flows"
TEAM_SIZE = 10
MEMBER_IDS, SUPERVISOR_IDS, ADMIN_ID, ECHO_IDS = 10001, 20001, 30001, 40001
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------------------------------
# Child processes: the bots.


def child_casebot(counts_path: str) -> int:
    """`casebot run`, with SQLAlchemy engine events counting statements and transactions."""
    if counts_path:
        _install_counters(Path(counts_path))
    from bot.cli import main as cli_main

    return cli_main(["run"])


def _install_counters(path: Path) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"statements": 0, "transactions": 0, "writing": 0}

    def begin(conn: Any) -> None:
        counts["transactions"] += 1
        conn.info["bench_wrote"] = False

    def statement(conn: Any, cursor: Any, text: str, *_: Any) -> None:
        head = text.lstrip()[:8].upper()
        if head.startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK", "SAVEPOIN", "RELEASE")):
            return
        counts["statements"] += 1
        if head.startswith(("INSERT", "UPDATE", "DELETE")):
            conn.info["bench_wrote"] = True

    def end(conn: Any) -> None:
        if conn.info.pop("bench_wrote", False):
            counts["writing"] += 1

    event.listen(Engine, "begin", begin)
    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", end)
    event.listen(Engine, "rollback", end)

    def writer() -> None:
        last: dict[str, int] = {}
        while True:
            now = dict(counts)
            if now != last:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(now))
                tmp.replace(path)
                last = now
            time.sleep(0.2)

    threading.Thread(target=writer, daemon=True, name="bench-counts").start()


def child_echo() -> int:
    """The bare aiogram bot: every message answered by one send_message, every button press
    by one answerCallbackQuery."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    url, token = os.environ["BENCH_API_URL"], os.environ["BENCH_TOKEN"]
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    dp = Dispatcher()
    again = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Again", callback_data="again")]]
    )

    @dp.message()
    async def echo(message: Message) -> None:
        await bot.send_message(message.chat.id, message.text or "…", reply_markup=again)

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    asyncio.run(
        dp.start_polling(bot, polling_timeout=30, allowed_updates=["message", "callback_query"])
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Measuring a process from outside.


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# ---------------------------------------------------------------------------------------------
# The sandbox, with per-chat wake-ups, answer timing and the phases' turns (the sandbox's own
# code is unchanged; this subclass only listens).


@dataclass
class Watch:
    user: SandboxUser
    sent_at: float | None = None
    callback_answers: int = 0
    event: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Phase:
    name: str
    rate: float | None  # None: saturated
    seconds: float
    started: float = 0.0
    deadline: float = math.inf
    open: bool = False
    sent: int = 0
    answered_in_window: int = 0
    latencies: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    flows: int = 0
    escalated: int = 0
    stuck: int = 0
    missed_ticks: int = 0
    first_stuck: str = ""
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)

    def answer(self, latency: float, now: float) -> None:
        self.latencies.append(latency)
        if now <= self.deadline:
            self.answered_in_window += 1

    async def pace(self) -> None:
        """One send every 1/rate s, to the actor that has waited longest; a tick with nobody
        ready is lost."""
        assert self.rate is not None
        interval, tick = 1 / self.rate, 0
        while self.open:
            tick += 1
            delay = self.started + tick * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            while self.waiting and self.waiting[0].done():
                self.waiting.popleft()
            if self.waiting:
                self.waiting.popleft().set_result(None)
            else:
                self.missed_ticks += 1

    def release_all(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)


class BenchSandbox(Sandbox):
    def __init__(self, callbacks_answer: bool) -> None:
        super().__init__(bot_username=BOT_USERNAME)
        self.callbacks_answer = callbacks_answer
        self.watches: dict[int, Watch] = {}
        # The phase whose figures answers count to: the open one, or the last until the next.
        self.phase: Phase | None = None
        self.opened = asyncio.Event()

    def watch(self, user_id: int, name: str) -> Watch:
        user = self.user(user_id, name, language_code="en")
        return self.watches.setdefault(user_id, Watch(user))

    def open(self, phase: Phase) -> None:
        phase.started = time.perf_counter()
        phase.deadline = phase.started + phase.seconds if phase.seconds else math.inf
        phase.open = True
        self.phase = phase
        self.opened.set()

    def close(self) -> None:
        assert self.phase is not None
        self.phase.open = False
        self.opened.clear()
        self.phase.release_all()

    async def turn(self) -> Phase:
        """Wait until this actor may send its next update; the phase it is sent in."""
        while True:
            phase = self.phase
            if phase is None or not phase.open:
                await self.opened.wait()
                continue
            if phase.rate is None:
                return phase
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            phase.waiting.append(turn)
            await turn
            if phase.open:
                return phase

    def _touch(self, message: SandboxMessage | None = None) -> None:
        super()._touch(message)
        if message is not None and message.from_bot:
            self._answered(message.chat_id)

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        result = await super()._api_answercallbackquery(params)
        known = self._callbacks.get(str(params.get("callback_query_id") or ""))
        if known is not None and known[0] in self.watches:
            self.watches[known[0]].callback_answers += 1
            if self.callbacks_answer:
                self._answered(known[0])
            else:
                self.watches[known[0]].event.set()
        return result

    def _answered(self, chat_id: int) -> None:
        watch = self.watches.get(chat_id)
        if watch is None:
            return
        if watch.sent_at is not None and self.phase is not None:
            now = time.perf_counter()
            self.phase.answer(now - watch.sent_at, now)
        watch.sent_at = None
        watch.event.set()

    def outstanding(self) -> int:
        return sum(1 for w in self.watches.values() if w.sent_at is not None)

    def trim(self) -> None:
        """Between phases: keep what the next phase can need, so nothing grows."""
        self.requests.clear()
        self.deliveries.clear()
        self._all_updates.clear()
        self._callbacks = {k: v for k, v in self._callbacks.items() if not v[1]}
        for chat in self.chats.values():
            del chat[:-30]


# ---------------------------------------------------------------------------------------------
# Actors: members, supervisors and echo users. They run through all phases: a flow cut by the
# end of a phase goes on in the next one.


class Stuck(Exception):
    pass


class Actor:
    def __init__(self, sandbox: BenchSandbox, watch: Watch, step_timeout: float) -> None:
        self.sandbox = sandbox
        self.watch = watch
        self.user = watch.user
        self.step_timeout = step_timeout
        self.fresh = True  # start the next flow with /new (the first one, or after a stuck one)

    def find(self, since: int, pred: Callable[[SandboxMessage], bool]) -> SandboxMessage | None:
        for message in self.sandbox.chats.get(self.user.id, ()):
            if message.from_bot and message.version > since and pred(message):
                return message
        return None

    async def wait(
        self, since: int, pred: Callable[[SandboxMessage], bool], timeout: float | None = None
    ) -> SandboxMessage:
        try:
            limit = self.step_timeout if timeout is None else timeout
            async with asyncio.timeout(None if math.isinf(limit) else limit):
                while True:
                    found = self.find(since, pred)
                    if found is not None:
                        return found
                    self.watch.event.clear()
                    await self.watch.event.wait()
        except TimeoutError:
            raise Stuck(self.user.transcript()) from None

    async def act(
        self, send: Callable[[], Awaitable[int]], pred: Callable[[SandboxMessage], bool]
    ) -> SandboxMessage:
        """One update: wait for a turn, send it, wait for the screen it leads to."""
        phase = await self.sandbox.turn()
        mark = self.sandbox.version
        started = time.perf_counter()
        self.watch.sent_at = started
        await send()
        phase.sent += 1
        screen = await self.wait(mark, pred)
        phase.steps.append(time.perf_counter() - started)
        return screen

    async def act_on_callback(self, send: Callable[[], Awaitable[int]]) -> None:
        phase = await self.sandbox.turn()
        answers = self.watch.callback_answers
        started = time.perf_counter()
        self.watch.sent_at = started
        await send()
        phase.sent += 1
        try:
            async with asyncio.timeout(self.step_timeout):
                while self.watch.callback_answers == answers:
                    self.watch.event.clear()
                    await self.watch.event.wait()
        except TimeoutError:
            raise Stuck(self.user.transcript()) from None
        phase.steps.append(time.perf_counter() - started)

    def say(self, text: str) -> Callable[[], Awaitable[int]]:
        return lambda: self.user.send(text)

    def press(
        self, label: str, message: SandboxMessage | None = None
    ) -> Callable[[], Awaitable[int]]:
        return lambda: self.user.press(label, message)

    async def flow(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        """Flows until cancelled; a flow that got stuck is counted and started again."""
        while True:
            try:
                await self.flow()
            except Stuck as stuck:
                phase = self.sandbox.phase
                self.watch.sent_at = None
                self.fresh = True
                if phase is not None:
                    phase.stuck += 1
                    if not phase.first_stuck:
                        phase.first_stuck = f"{self.user.first_name}:\n{stuck.args[0]}"


def shows(text: str) -> Callable[[SandboxMessage], bool]:
    return lambda m: text in m.body


def offers(label: str) -> Callable[[SandboxMessage], bool]:
    return lambda m: label in m.button_labels


class Frontline(Actor):
    def __init__(self, *args: Any, rng: random.Random, escalate: float) -> None:
        super().__init__(*args)
        self.rng = rng
        self.escalate = escalate

    async def flow(self) -> None:
        keyboard = [label for row in self.user.reply_keyboard or [] for label in row]
        begin = "/new" if self.fresh or "New case" not in keyboard else "New case"
        self.fresh = False
        screen = await self.act(self.say(begin), offers("Waiting"))
        screen = await self.act(self.press("Waiting", screen), shows("Describe the problem"))
        await self.act(self.say("Guest waited 40 minutes at check-in"), offers("Create case"))
        card = await self.act(self.press("Create case"), offers("Give remedy"))
        screen = await self.act(self.press("Give remedy", card), offers("Refund"))
        escalated = self.rng.random() < self.escalate
        if escalated:
            await self.act(self.press("Refund", screen), shows("How much, in USD?"))
            screen = await self.act(self.say("100"), offers("Request approval"))
            mark = self.sandbox.version
            await self.act(self.press("Request approval", screen), shows("Approval of"))
            # The supervisor's card and the news go through the outbox (paced per chat).
            news = await self.wait(mark, offers("Give now"), timeout=3 * self.step_timeout)
            done = await self.act(self.press("Give now", news), offers("Close the case"))
        else:
            await self.act(self.press("Gift", screen), shows("How much, in USD?"))
            screen = await self.act(self.say("20"), offers("Confirm"))
            done = await self.act(self.press("Confirm", screen), offers("Close the case"))
        # With a remedy given the outcome is known: "Close the case" asks the first contact at
        # once; the outcome step is answered if it is asked.
        screen = await self.act(
            self.press("Close the case", done),
            lambda m: "With remedy" in m.button_labels or "Yes" in m.button_labels,
        )
        if "With remedy" in screen.button_labels:
            screen = await self.act(self.press("With remedy", screen), offers("Yes"))
        await self.act(self.press("Yes", screen), shows("A note?"))
        if self.sandbox.phase is not None:
            self.sandbox.phase.flows += 1
            self.sandbox.phase.escalated += escalated


class Supervisor(Actor):
    """Approves each request card of their team as it comes (one tap; twice if asked)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.handled: set[int] = set()

    async def flow(self) -> None:
        card = await self.wait(
            0,
            lambda m: "Approve part" in m.button_labels and m.message_id not in self.handled,
            timeout=math.inf,
        )
        self.handled.add(card.message_id)
        after = await self.act(
            self.press("Approve", card),
            lambda m: m.message_id == card.message_id and "Approve part" not in m.button_labels,
        )
        if "Approve" in after.button_labels and "Back" in after.button_labels:  # "sure?"
            await self.act(
                self.press("Approve", after),
                lambda m: m.message_id == card.message_id and "Back" not in m.button_labels,
            )


class EchoUser(Actor):
    async def flow(self) -> None:
        mark = self.sandbox.version
        reply = await self.act(
            self.say(f"hello {self.user.id}"), lambda m: m.version > mark and bool(m.buttons)
        )
        for _ in range(2):
            await self.act_on_callback(self.press("Again", reply))


# ---------------------------------------------------------------------------------------------
# Seeding casebot's database (in this process, before the bot starts).


async def seed(url: str, members: int) -> None:
    from datetime import timedelta

    from bot.app import make_services
    from bot.db import migrate
    from bot.db.engine import Database
    from bot.db.models import Role
    from bot.services.context import TelegramUser
    from policies.defaults import default_policy_text

    db = Database(url)
    try:
        await migrate.upgrade(db.engine)
        services = make_services(db)
        teams = math.ceil(members / TEAM_SIZE)
        created = await services.organisations.create(
            "Bench Hotel", "USD", "Europe/Kyiv", [f"Team {i + 1:02d}" for i in range(teams)]
        )

        async def join(code: str, user_id: int, name: str) -> None:
            offer = await services.invites.inspect(code, user_id)
            await services.invites.redeem(offer.invite_id, TelegramUser(user_id, name, "en"), "en")

        await join(created.owner_invite_code, ADMIN_ID, "Admin")
        admin = (await services.context.load_by_id(ADMIN_ID)).member
        assert admin is not None
        # The default policy, with the daily and weekly limits out of reach: every flow needs
        # no approval except the refunds above $50 a case the benchmark asks for on purpose.
        text, replaced = re.subn(
            r'amount = "\d+", scope = "employee", interval = "(day|week)"',
            r'amount = "1000000000", scope = "employee", interval = "\1"',
            default_policy_text("USD", "Europe/Kyiv"),
        )
        assert replaced == 2, "the default policy changed shape; update the benchmark"
        draft = await services.policies.propose(admin, text.encode())
        await services.policies.activate(admin, draft.draft_id)
        for index, (team_id, _) in enumerate(await services.organisations.teams(created.id)):
            async with db.transaction() as session:
                codes = [
                    await services.invites.issue(
                        session,
                        org_id=created.id,
                        role=role,
                        team_id=team_id,
                        max_uses=TEAM_SIZE,
                        ttl=timedelta(days=1),
                        created_by_id=admin.id,
                    )
                    for role in (Role.FRONTLINE, Role.SUPERVISOR)
                ]
            await join(codes[1], SUPERVISOR_IDS + index, f"Super{index + 1}")
            for member in range(index * TEAM_SIZE, min(members, (index + 1) * TEAM_SIZE)):
                await join(codes[0], MEMBER_IDS + member, f"Member{member + 1}")
    finally:
        await db.dispose()


class Postgres:
    """The benchmark's own database on the server, and its statistics."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.database in (None, "", "test", "postgres"):
            raise SystemExit(f"flows.py: refusing to use the database {parsed.database!r}")
        self.url = url
        self.name = parsed.database
        self.admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
        self.conn: Any = None
        self.statements = False

    async def create(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{self.name}"')
            preload = await conn.fetchval("SHOW shared_preload_libraries")
        finally:
            await conn.close()
        if "pg_stat_statements" in (preload or ""):
            bench = await asyncpg.connect(self.admin_dsn.rsplit("/", 1)[0] + f"/{self.name}")
            try:
                await bench.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                self.statements = True
            finally:
                await bench.close()
        self.conn = await asyncpg.connect(self.admin_dsn)

    async def counters(self) -> tuple[int, int | None]:
        """(commits + rollbacks, pg_stat_statements calls or None) of the benchmark database."""
        xacts = await self.conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
            self.name,
        )
        calls = None
        if self.statements:
            calls = await self.conn.fetchval(
                "SELECT sum(calls)::bigint FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1",
                self.name,
            )
        return int(xacts or 0), calls

    async def drop(self) -> None:
        if self.conn is not None:
            await self.conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            await self.conn.close()


# ---------------------------------------------------------------------------------------------
# One bot through the three phases.


@dataclass
class Row:
    bot: str
    phase: str
    offered: str
    sent: int
    per_second: float
    p50_ms: float
    p99_ms: float
    step_p99_ms: float
    cpu_ms: float
    cpu_core: float
    rss: tuple[float, float]
    statements: float | None
    transactions: float | None
    writing: float | None
    pg_xacts: float | None
    pg_statements: float | None
    sandbox_core: float
    machine: float
    flows: int
    escalated: int
    stuck: int
    missed: int
    first_stuck: str
    errors: int
    locked: int


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def run_bot(kind: str, args: argparse.Namespace, workdir: Path, db_url: str) -> list[Row]:
    sandbox = BenchSandbox(callbacks_answer=kind == "echo")
    await sandbox.start(port=0)
    counts = workdir / f"{kind}-counts.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    if kind == "casebot":
        env.update(
            CASEBOT_BOT_TOKEN=sandbox.token,
            CASEBOT_TELEGRAM_API_URL=sandbox.url,
            CASEBOT_BOT_USERNAME=BOT_USERNAME,
            CASEBOT_DATABASE_URL=db_url,
            # A saturated member outruns any human: the bot's per-user flood limit (20 per
            # 10 s) is raised for the whole run; the middleware still does all its work.
            CASEBOT_FLOOD_RATE="1000000",
        )
        command = (
            [sys.executable, "-m", "bot", "run"]
            if args.no_count
            else [sys.executable, __file__, "_casebot", str(counts)]
        )
    else:
        env.update(BENCH_API_URL=sandbox.url, BENCH_TOKEN=sandbox.token)
        command = [sys.executable, __file__, "_echo"]
    log_path = workdir / f"{kind}.log"
    log = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    rng = random.Random(args.seed)
    pg = args.pg if kind == "casebot" else None
    tasks: list[asyncio.Task[None]] = []
    try:
        await _until(lambda: sandbox._waiting_polls > 0, 90, proc, f"{kind} to start polling")
        if kind == "casebot":
            people = [(ADMIN_ID, "Admin")]
            people += [(SUPERVISOR_IDS + i, f"Super{i + 1}") for i in range(_teams(args))]
            people += [(MEMBER_IDS + i, f"Member{i + 1}") for i in range(args.members)]
        else:
            people = [(ECHO_IDS + i, f"Echo{i + 1}") for i in range(args.members)]
        actors: list[Actor] = []
        for user_id, name in people:
            watch = sandbox.watch(user_id, name)
            if kind == "echo":
                actors.append(EchoUser(sandbox, watch, args.step_timeout))
            elif user_id == ADMIN_ID or user_id >= SUPERVISOR_IDS:
                actors.append(Supervisor(sandbox, watch, args.step_timeout))
            else:
                member_rng = random.Random(rng.random())
                actors.append(
                    Frontline(
                        sandbox, watch, args.step_timeout, rng=member_rng, escalate=args.escalate
                    )
                )
        if kind == "casebot":  # everyone opens the bot once: the chat and the phone keyboard
            sandbox.open(Phase("warm-up", None, 0))
            await asyncio.gather(*(a.act(a.say("/start"), lambda m: True) for a in actors))
            sandbox.close()
            await _quiet(sandbox)
        tasks = [asyncio.create_task(actor.run()) for actor in actors if actor.user.id != ADMIN_ID]
        phases = [Phase("saturated", None, args.seconds)]
        phases += [Phase(f"{rate:g}/s", rate, args.seconds) for rate in args.rates]
        rows = []
        for phase in phases:
            sandbox.trim()
            rows.append(await _phase(kind, phase, sandbox, proc, counts, log_path, pg))
            print(f"  {kind} {phase.name}: {rows[-1].per_second:.1f} updates/s", flush=True)
        return rows
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()
        await sandbox.stop()


def _teams(args: argparse.Namespace) -> int:
    return math.ceil(args.members / TEAM_SIZE)


async def _until(check: Callable[[], bool], timeout: float, proc: Any, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if proc.returncode is not None:
            raise SystemExit(f"flows.py: the bot exited ({proc.returncode}) waiting for {what}")
        if time.perf_counter() > deadline:
            raise SystemExit(f"flows.py: timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _quiet(sandbox: BenchSandbox, still: float = 0.5, timeout: float = 30) -> None:
    """Until everything sent was answered and the sandbox saw nothing for `still` seconds."""
    deadline = time.perf_counter() + timeout
    version, since = sandbox.version, time.perf_counter()
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        if sandbox.version != version or sandbox.outstanding() or sandbox._updates:
            version, since = sandbox.version, time.perf_counter()
        elif time.perf_counter() - since >= still:
            return


def _size(path: Path) -> int:
    return path.stat().st_size


def _tail(path: Path, start: int) -> str:
    with path.open("rb") as log:
        log.seek(start)
        return log.read().decode(errors="replace")


def _read_counts(path: Path) -> dict[str, int] | None:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


async def _phase(
    kind: str,
    phase: Phase,
    sandbox: BenchSandbox,
    proc: Any,
    counts_path: Path,
    log_path: Path,
    pg: Postgres | None,
) -> Row:
    log_start = _size(log_path)
    await asyncio.sleep(0.3)  # the counts file catches up with the warm-up or last phase
    counts0 = _read_counts(counts_path)
    pg0 = await pg.counters() if pg else None
    cpu0, rss0, own0 = proc_cpu(proc.pid), proc_rss_mb(proc.pid), time.process_time()
    busy0, total0 = machine_busy()
    wall0 = time.perf_counter()
    sandbox.open(phase)
    pacer = asyncio.create_task(phase.pace()) if phase.rate is not None else None
    await asyncio.sleep(phase.deadline - time.perf_counter())
    sandbox.close()
    if pacer is not None:
        pacer.cancel()
        await asyncio.gather(pacer, return_exceptions=True)
    # What was sent is answered; the bot is let finish (outbox, news) and is read then.
    await _quiet(sandbox)
    busy1, total1 = machine_busy()
    cpu1, rss1, own1 = proc_cpu(proc.pid), proc_rss_mb(proc.pid), time.process_time()
    wall = time.perf_counter() - wall0
    if pg is not None:
        await asyncio.sleep(1.5)  # backends flush their statistics within a second of idling
    await asyncio.sleep(0.3)
    counts1 = _read_counts(counts_path)
    pg1 = await pg.counters() if pg else None
    sent = max(phase.sent, 1)
    logged = _tail(log_path, log_start)
    errors = sum(1 for line in logged.splitlines() if " ERROR " in line)
    locked = logged.count("OperationalError: database is locked")

    def per(key: str) -> float | None:
        if counts0 is None or counts1 is None:
            return None
        return (counts1[key] - counts0[key]) / sent

    return Row(
        bot=kind,
        phase=phase.name,
        offered="as fast as answered" if phase.rate is None else f"{phase.rate:g}/s",
        sent=phase.sent,
        per_second=phase.answered_in_window / phase.seconds,
        p50_ms=statistics.median(phase.latencies) * 1000 if phase.latencies else math.nan,
        p99_ms=percentile(phase.latencies, 0.99) * 1000,
        step_p99_ms=percentile(phase.steps, 0.99) * 1000,
        cpu_ms=(cpu1 - cpu0) * 1000 / sent,
        cpu_core=(cpu1 - cpu0) / wall,
        rss=(rss0, rss1),
        statements=per("statements"),
        transactions=per("transactions"),
        writing=per("writing"),
        pg_xacts=(pg1[0] - pg0[0]) / sent if pg0 and pg1 else None,
        pg_statements=(
            (pg1[1] - pg0[1]) / sent
            if pg0 and pg1 and pg0[1] is not None and pg1[1] is not None
            else None
        ),
        sandbox_core=(own1 - own0) / wall,
        machine=(busy1 - busy0) / max(total1 - total0, 1),
        flows=phase.flows,
        escalated=phase.escalated,
        stuck=phase.stuck,
        missed=phase.missed_ticks,
        first_stuck=phase.first_stuck,
        errors=errors,
        locked=locked,
    )


# ---------------------------------------------------------------------------------------------
# The report.


def _f(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def report(rows: list[Row], args: argparse.Namespace, db_name: str) -> None:
    print()
    print(
        f"casebot ({db_name}) and a bare aiogram echo bot, {args.members} members "
        f"({args.escalate:.0%} escalated), {args.seconds:g} s a phase, "
        f"{os.cpu_count()} cores ({args.background:.0%} busy with other work just before)"
    )
    print()
    header = (
        "| bot | phase | upd/s | p50 ms | p99 ms | step p99 ms | bot CPU ms/upd | bot CPU "
        "| RSS MB start→end | stmts/upd | txns/upd (writing) | pg xacts/upd "
        "| sandbox CPU | machine CPU | flows (esc.) | stuck | bot errors (locked) | missed ticks |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in rows:
        txns = (
            "n/a"
            if r.transactions is None
            else f"{r.transactions:.1f} ({_f(r.writing)})"
            if r.bot == "casebot"
            else "0"
        )
        stmts = _f(r.statements) if r.bot == "casebot" else "0"
        pg = _f(r.pg_xacts) if r.bot == "casebot" else "–"
        print(
            f"| {r.bot} | {r.phase} | {r.per_second:,.1f} | {_f(r.p50_ms)} | {_f(r.p99_ms)} "
            f"| {_f(r.step_p99_ms)} | {_f(r.cpu_ms, 2)} | {r.cpu_core:.0%} "
            f"| {r.rss[0]:.0f}→{r.rss[1]:.0f} | {stmts} | {txns} | {pg} "
            f"| {r.sandbox_core:.0%} | {r.machine:.0%} | "
            f"{r.flows if r.bot == 'casebot' else '–'}"
            f"{f' ({r.escalated})' if r.bot == 'casebot' else ''} | {r.stuck} "
            f"| {r.errors} ({r.locked}) "
            f"| {r.missed if r.phase != 'saturated' else '–'} |"
        )
    print()
    echo = {r.phase: r for r in rows if r.bot == "echo"}
    case = {r.phase: r for r in rows if r.bot == "casebot"}
    for name, c in case.items():
        e = echo.get(name)
        if e is None:
            continue
        print(
            f"casebot/echo {name}: updates/s {c.per_second / max(e.per_second, 1e-9):.1%}, "
            f"CPU per update ×{c.cpu_ms / max(e.cpu_ms, 1e-9):.1f}, "
            f"p99 ×{c.p99_ms / max(e.p99_ms, 1e-9):.1f}"
        )
    sat = case.get("saturated")
    fast = case.get(f"{args.rates[-1]:g}/s") if args.rates else None
    if sat is not None and "saturated" in echo:
        share = sat.per_second / max(echo["saturated"].per_second, 1e-9)
        print()
        print("targets (issue 14), one process:")
        print(f"  saturated ≥ 250 updates/s: {sat.per_second:.1f} {_ok(sat.per_second >= 250)}")
        print(f"  ≥ 20 % of the echo bot: {share:.1%} {_ok(share >= 0.2)}")
        if fast is not None:
            print(f"  p99 < 50 ms at {fast.phase}: {fast.p99_ms:.0f} ms {_ok(fast.p99_ms < 50)}")
        worst = max(r.cpu_ms for r in case.values())
        print(f"  ≤ 4 ms bot CPU per update: up to {worst:.1f} ms {_ok(worst <= 4)}")
    print()
    print(
        "latency: update queued in the sandbox → the bot's first sendMessage/edit in that chat "
        "(echo buttons: its answerCallbackQuery); step: → the screen the member waits for.\n"
        "bot CPU: /proc/<pid>/stat of the bot's own process over the phase and its drain; "
        "stmts/txns: SQLAlchemy engine events in the bot's process (BEGIN/PRAGMA not counted; "
        "'writing' = with an INSERT/UPDATE/DELETE); pg xacts: pg_stat_database commits + "
        "rollbacks of the benchmark database (with the pool's pre-ping, a transaction of its "
        "own on each checkout); pg_stat_statements: "
        + (
            "per update " + ", ".join(_f(r.pg_statements) for r in case.values())
            if any(r.pg_statements is not None for r in case.values())
            else "n/a (not in shared_preload_libraries, or SQLite)"
        )
        + ".\nsandbox CPU: this process (the sandbox's HTTP server and the simulated members), "
        "as a share of one core; machine CPU: all cores busy.\n"
        "pacing: the sandbox enforces no per-chat pacing (it only records deliveries), so "
        "nothing is relaxed; the bot's per-user flood limit is raised for the whole run.\n"
        "stuck: a screen not shown within --step-timeout (the flow starts again with /new); "
        "bot errors: ERROR lines in the bot's log (those with 'database is locked')."
    )
    for r in rows:
        if r.first_stuck:
            print(f"\nfirst stuck flow ({r.bot}, {r.phase}):\n{r.first_stuck[-1500:]}")


def _ok(met: bool) -> str:
    return "(met)" if met else "(not met)"


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-flows-"))
    args.pg = None
    try:
        if args.db == "postgres":
            args.pg = Postgres(args.postgres_url)
            await args.pg.create()
            db_url, db_name = args.postgres_url, "PostgreSQL"
        else:
            db_url, db_name = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", "SQLite"
        busy0, total0 = machine_busy()
        await asyncio.sleep(1)
        busy1, total1 = machine_busy()
        args.background = (busy1 - busy0) / max(total1 - total0, 1)
        started = time.perf_counter()
        await seed(db_url, args.members)
        print(f"seeded {args.members} members in {time.perf_counter() - started:.1f} s", flush=True)
        rows: list[Row] = []
        for kind in ("echo", "casebot"):
            if args.only in (None, kind):
                rows += await run_bot(kind, args, workdir, db_url)
        report(rows, args, db_name)
        print(f"\nlogs: {workdir if args.keep else '(removed; --keep keeps them)'}")
    finally:
        if args.pg is not None and not args.keep:
            await args.pg.drop()
        elif args.pg is not None:
            await args.pg.conn.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_casebot":
        raise SystemExit(child_casebot(sys.argv[2] if len(sys.argv) > 2 else ""))
    if len(sys.argv) > 1 and sys.argv[1] == "_echo":
        raise SystemExit(child_echo())
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--escalate", type=float, default=0.1, help="share of flows escalated")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[30.0, 100.0],
        help="paced phases, updates/s (comma-separated)",
    )
    parser.add_argument("--only", choices=("echo", "casebot"))
    parser.add_argument("--no-count", action="store_true", help="plain `python -m bot run`")
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=10,
        help="a screen not there after this many seconds: the flow is stuck and starts again",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and database")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
