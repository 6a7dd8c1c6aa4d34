"""Simulated staff for the fault test: a hotel seeded through the services, and frontline
people and supervisors who tap through the bot in their own languages (labels read from the
bot's catalogs and the policy, so they follow the texts), repeating an action a person would
repeat when the bot stays silent. The sandbox they use records what the bot answered."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.i18n import translations
from bot.sandbox import Sandbox, SandboxMessage, SandboxUser
from policies.defaults import default_policy_text
from policies.loader import load_policy

BOT_USERNAME = "casebot_sandbox_bot"
CURRENCY, TIMEZONE = "USD", "Europe/Kyiv"
OWNER_ID, SUPERVISOR_IDS, STAFF_IDS = 30001, 20001, 10001
TEAMS = (("Front desk", "ru"), ("Restaurant", "en"))  # and each team's supervisor's language
LANGUAGES = ("uk", "ru", "en")
GIFT, REFUND = Decimal(20), Decimal(100)  # within a frontline's $50 a case; beyond it


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    language: str
    role: str  # frontline | supervisor | owner
    team: str | None


@dataclass(frozen=True)
class Hotel:
    org_id: int
    people: tuple[Person, ...]

    def of_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]


async def seed_hotel(database_url: str, staff: int) -> Hotel:
    """An organisation with the default policy, two teams, a supervisor each and `staff`
    frontline members spread over the teams in uk, ru and en; migrations already run."""
    from bot.app import make_services
    from bot.db.engine import Database
    from bot.db.models import Role
    from bot.services.context import TelegramUser

    db = Database(database_url)
    try:
        services = make_services(db)
        created = await services.organisations.create(
            "Fault Hotel", CURRENCY, TIMEZONE, [name for name, _ in TEAMS]
        )

        async def join(code: str, person: Person) -> None:
            offer = await services.invites.inspect(code, person.user_id)
            user = TelegramUser(person.user_id, person.name, person.language)
            await services.invites.redeem(offer.invite_id, user, person.language)

        owner = Person(OWNER_ID, "Sarah", "en", "owner", None)
        await join(created.owner_invite_code, owner)
        admin = (await services.context.load_by_id(OWNER_ID)).member
        assert admin is not None
        people = [owner]
        teams = await services.organisations.teams(created.id)
        languages = itertools.cycle(LANGUAGES)
        for index, ((team_id, team), (_, sup_language)) in enumerate(
            zip(teams, TEAMS, strict=True)
        ):
            async with db.transaction() as session:
                codes = {
                    role: await services.invites.issue(
                        session,
                        org_id=created.id,
                        role=role,
                        team_id=team_id,
                        max_uses=staff + 1,
                        ttl=timedelta(days=1),
                        created_by_id=admin.id,
                    )
                    for role in (Role.FRONTLINE, Role.SUPERVISOR)
                }
            supervisor = Person(
                SUPERVISOR_IDS + index, f"Lead{index + 1}", sup_language, "supervisor", team
            )
            await join(codes[Role.SUPERVISOR], supervisor)
            people.append(supervisor)
            for number in range(index, staff, len(TEAMS)):
                member = Person(
                    STAFF_IDS + number, f"Staff{number + 1}", next(languages), "frontline", team
                )
                await join(codes[Role.FRONTLINE], member)
                people.append(member)
        return Hotel(created.id, tuple(people))
    finally:
        await db.dispose()


# ---------------------------------------------------------------------------------------------
# The sandbox, listening: when each update was sent, what the bot did in each chat.


@dataclass
class Sent:
    """An update a person sent."""

    update_id: int
    chat_id: int
    at: float  # loop time
    kind: str  # message | callback_query
    query_id: str | None


@dataclass(frozen=True)
class Delivered:
    """A message the bot sent (sendMessage / sendPhoto), with the HTML it was sent with."""

    chat_id: int
    message_id: int
    html: str
    at: float


class FaultSandbox(Sandbox):
    def __init__(self) -> None:
        super().__init__(bot_username=BOT_USERNAME)
        self.sent: list[Sent] = []
        self.reactions: dict[int, list[float]] = {}  # chat → times of bot messages and edits
        self.callback_answered_at: dict[str, float] = {}
        self.delivered: list[Delivered] = []
        self.polls: list[float] = []  # times of getUpdates calls
        # When updates were handed to the bot: a getUpdates answer with updates, or a webhook
        # post answered 2xx. A kill just after one hits a tap in flight.
        self.handovers: list[float] = []
        self.wakeups: dict[int, asyncio.Event] = {}  # chat → set on any bot reaction there

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _queue(self, kind: str, body: dict[str, Any]) -> int:
        update_id = super()._queue(kind, body)
        chat = int(body["from"]["id"]) if kind == "callback_query" else int(body["chat"]["id"])
        query = str(body["id"]) if kind == "callback_query" else None
        self.sent.append(Sent(update_id, chat, self._now(), kind, query))
        return update_id

    def _touch(self, message: SandboxMessage | None = None) -> None:
        super()._touch(message)
        if message is not None and message.from_bot:
            self.reactions.setdefault(message.chat_id, []).append(self._now())
            self.wakeups.setdefault(message.chat_id, asyncio.Event()).set()

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        result = await super()._api_answercallbackquery(params)
        query = str(params.get("callback_query_id") or "")
        self.callback_answered_at.setdefault(query, self._now())
        user_id = self._callbacks[query][0]
        self.wakeups.setdefault(user_id, asyncio.Event()).set()
        return result

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await super()._api_sendmessage(params)
        self._delivered(result, str(params.get("text") or ""))
        return result

    async def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await super()._api_sendphoto(params)
        self._delivered(result, str(params.get("caption") or ""))
        return result

    def _delivered(self, result: dict[str, Any], html: str) -> None:
        chat = int(result["chat"]["id"])
        self.delivered.append(Delivered(chat, int(result["message_id"]), html, self._now()))

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polls.append(self._now())
        batch = await super()._api_getupdates(params)
        if batch:
            self.handovers.append(self._now())
        return batch

    async def _push(self, *args: Any) -> None:
        await super()._push(*args)
        if self.webhook_posts[-1].ok:  # appended by this post: nothing awaited since
            self.handovers.append(self._now())
            self._notify_soon()


# ---------------------------------------------------------------------------------------------
# People.


class Stuck(Exception):
    """The bot did not show what a step waits for, even after the person tried again."""


@dataclass
class Words:
    """What a person reads and taps, in their language."""

    language: str
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, language: str) -> Words:
        t = translations(language).gettext
        policy = load_policy(default_policy_text(CURRENCY, TIMEZONE))

        def head(msgid: str) -> str:  # the words before the first placeholder
            return t(msgid).split("{", 1)[0].strip()

        return cls(
            language,
            {
                "category": policy.category_label("waiting", language),
                "describe": head(
                    "Describe the problem in one message: text, or a photo or voice note."
                )[:12],
                "create": t("Create case"),
                "give": t("Give remedy"),
                "gift": policy.remedy_label("gift", language),
                "refund": policy.remedy_label("refund", language),
                "how much": head("How much, in {currency}? For example: {example}"),
                "confirm": t("Confirm"),
                "request": t("Request approval"),
                "requested": head("Approval of {amount} requested; {names} will decide."),
                "give now": t("Give now"),
                "close": t("Close the case"),
                "with remedy": t("With remedy"),
                "yes": t("Yes"),
                "note": t("A note? Type it in one message — or skip.").split("?", 1)[0],
                "approve": t("Approve"),
                "approve part": t("Approve part"),
                "back": t("Back"),
            },
        )

    def __getitem__(self, key: str) -> str:
        return self.labels[key]


def offers(label: str) -> Callable[[SandboxMessage], bool]:
    return lambda m: label in m.button_labels


def shows(text: str) -> Callable[[SandboxMessage], bool]:
    return lambda m: text in m.body


@dataclass
class Tally:
    """What the people did, for the figures."""

    flows_started: int = 0
    flows_done: int = 0
    escalations: int = 0
    repeats: int = 0  # actions repeated because the bot stayed silent
    stuck: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)  # description → gift | refund
    created: set[str] = field(default_factory=set)  # flows whose case card was shown
    done: set[str] = field(default_factory=set)  # descriptions of the flows that ended
    updates: int = 0


class Actor:
    def __init__(
        self,
        sandbox: FaultSandbox,
        person: Person,
        tally: Tally,
        rng: random.Random,
        *,
        step_timeout: float,
        tries: int,
        think: tuple[float, float],
    ) -> None:
        self.sandbox = sandbox
        self.person = person
        self.user: SandboxUser = sandbox.user(
            person.user_id, person.name, language_code=person.language
        )
        self.w = Words.of(person.language)
        self.tally = tally
        self.rng = rng
        self.step_timeout = step_timeout
        self.tries = tries
        self.think = think

    def find(self, since: int, pred: Callable[[SandboxMessage], bool]) -> SandboxMessage | None:
        for message in self.sandbox.chats.get(self.user.id, ()):
            if message.from_bot and message.version > since and pred(message):
                return message
        return None

    async def wait(
        self,
        since: int,
        pred: Callable[[SandboxMessage], bool],
        timeout: float,
        alerted: int | None = None,
    ) -> SandboxMessage | None:
        """The first bot message changed since `since` that matches; with `alerted`, also
        done (returning None) once more than that many alerts answered this person's taps."""
        wakeup = self.sandbox.wakeups.setdefault(self.user.id, asyncio.Event())
        try:
            async with asyncio.timeout(timeout):
                while (found := self.find(since, pred)) is None:
                    if alerted is not None and self.alerts() > alerted:
                        return None
                    wakeup.clear()
                    await wakeup.wait()
                return found
        except TimeoutError:
            return None

    def alerts(self) -> int:
        return sum(1 for answer in self.user.callback_answers if answer.show_alert)

    async def act(
        self,
        send: Callable[[], Awaitable[int]],
        pred: Callable[[SandboxMessage], bool],
        *,
        tries: int | None = None,
        timeout: float | None = None,
    ) -> SandboxMessage:
        """Send, and wait for the screen it leads to; a person repeats a tap or a message
        the bot did not answer (a screen that comes late, for an earlier try, counts)."""
        await asyncio.sleep(self.rng.uniform(*self.think))
        mark = self.sandbox.version
        for attempt in range(tries or self.tries):
            if attempt:
                self.tally.repeats += 1
            try:
                await send()
            except AssertionError as gone:  # the button is no longer on the screen
                raise Stuck(f"{self.person.name}: {gone}\n{self.user.transcript()}") from None
            self.tally.updates += 1
            screen = await self.wait(mark, pred, timeout or self.step_timeout)
            if screen is not None:
                return screen
        raise Stuck(f"{self.person.name} ({self.person.language}):\n{self.user.transcript()}")

    async def hello(self) -> None:
        """/start once: the chat is open, so the bot may write first (cards, news)."""
        await self.act(self.say("/start"), lambda m: True)

    def say(self, text: str) -> Callable[[], Awaitable[int]]:
        return lambda: self.user.send(text)

    def press(self, label: str, message: SandboxMessage) -> Callable[[], Awaitable[int]]:
        """Tap `label` on `message`; when a repeated message of this person moved the dialogue
        on meanwhile (the bot took the repeat as the next step's words) and the button left
        that screen, the person taps it where it is now: on the newest screen showing it."""

        async def tap() -> int:
            if label not in message.button_labels:
                newest = self.newest(offers(label))
                if newest is not None:
                    return await self.user.press(label, newest)
            return await self.user.press(label, message)

        return tap

    def newest(self, pred: Callable[[SandboxMessage], bool]) -> SandboxMessage | None:
        for message in reversed(self.sandbox.chats.get(self.user.id, ())):
            if message.from_bot and pred(message):
                return message
        return None


class Frontline(Actor):
    """Logs a case, then either gives a gift within authority, or asks a refund beyond it,
    waits for the supervisor's approval and gives it; then resolves at first contact."""

    async def flow(self, number: int, refund: bool) -> None:
        w = self.w
        description = f"Fault {self.person.user_id}-{number}: guest waited 40 min at check-in"
        self.tally.flows_started += 1
        screen = await self.act(self.say("/new"), offers(w["category"]))
        await self.act(self.press(w["category"], screen), shows(w["describe"]))
        self.tally.descriptions[description] = "refund" if refund else "gift"
        screen = await self.act(self.say(description), offers(w["create"]))
        card = await self.act(self.press(w["create"], screen), offers(w["give"]))
        self.tally.created.add(description)
        screen = await self.act(self.press(w["give"], card), offers(w["refund"]))
        if refund:
            self.tally.escalations += 1
            asked = await self.act(self.press(w["refund"], screen), shows(w["how much"]))
            screen = await self.act(self.say(str(REFUND)), offers(w["request"]))
            mark = self.sandbox.version
            await self.act(self.press(w["request"], screen), shows(w["requested"]))
            # The supervisor's card and the news go through the outbox: after a crash they
            # may wait out its lease.
            news = await self.wait(mark, offers(w["give now"]), timeout=120)
            if news is None:
                raise Stuck(f"no approval news for {self.person.name}:\n{self.user.transcript()}")
            done = await self.act(self.press(w["give now"], news), offers(w["close"]))
            del asked
        else:
            await self.act(self.press(w["gift"], screen), shows(w["how much"]))
            screen = await self.act(self.say(str(GIFT)), offers(w["confirm"]))
            done = await self.act(self.press(w["confirm"], screen), offers(w["close"]))
        screen = await self.act(
            self.press(w["close"], done),
            lambda m: w["with remedy"] in m.button_labels or w["yes"] in m.button_labels,
        )
        if w["with remedy"] in screen.button_labels:
            screen = await self.act(self.press(w["with remedy"], screen), offers(w["yes"]))
        await self.act(self.press(w["yes"], screen), shows(w["note"]))
        self.tally.flows_done += 1
        self.tally.done.add(description)

    async def run(self, flows: int) -> None:
        for number in range(flows):
            try:
                await self.flow(number, refund=number % 2 == 1)
            except Stuck as stuck:
                self.tally.stuck.append(str(stuck)[-2500:])


class Supervisor(Actor):
    """Approves every request card that comes, once (and once more when asked "sure?"); a
    card already decided (a repeat after a crash) is answered with an alert and left."""

    async def run(self) -> None:
        w = self.w
        handled: set[int] = set()
        while True:
            card = await self.wait(
                0,
                lambda m: w["approve part"] in m.button_labels and m.message_id not in handled,
                timeout=3600,
            )
            if card is None:
                continue
            handled.add(card.message_id)
            try:
                after = await self.decide(card, w["approve part"])
                if after is not None and w["back"] in after.button_labels:  # "sure?"
                    await self.decide(after, w["back"])
            except Stuck as stuck:
                self.tally.stuck.append(str(stuck)[-2500:])

    async def decide(self, card: SandboxMessage, gone: str) -> SandboxMessage | None:
        """Tap Approve on the card until it changes (no `gone` button left) or an alert
        says it was decided already."""
        await asyncio.sleep(self.rng.uniform(*self.think))
        mark, alerts = self.sandbox.version, self.alerts()
        for attempt in range(self.tries):
            if attempt:
                self.tally.repeats += 1
            try:
                await self.user.press(self.w["approve"], card)
            except AssertionError as gone:  # the card changed meanwhile
                raise Stuck(f"{self.person.name}: {gone}\n{self.user.transcript()}") from None
            self.tally.updates += 1
            after = await self.wait(
                mark,
                lambda m: m.message_id == card.message_id and gone not in m.button_labels,
                self.step_timeout,
                alerted=alerts,
            )
            if after is not None or self.alerts() > alerts:
                return after
        raise Stuck(f"{self.person.name} ({self.person.language}):\n{self.user.transcript()}")
