"""What a policy says, as frozen values: limits per role, remedies, categories, timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ROLES: tuple[str, ...] = ("frontline", "supervisor", "manager", "admin")
SCOPES: tuple[str, ...] = ("case", "customer", "employee", "team", "org")
INTERVALS: tuple[str, ...] = ("per_case", "day", "week", "month", "year", "all_time")
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


@dataclass(frozen=True)
class Labels:
    uk: str
    ru: str
    en: str

    def get(self, locale: str) -> str:
        return str(getattr(self, locale, self.en))


@dataclass(frozen=True)
class Remedy:
    key: str
    labels: Labels
    money: bool = True
    # Amounts offered as one-tap buttons (at most three); empty: derived from the limits.
    presets: tuple[Decimal, ...] = ()
    # Its presets also sit on the case card, for the fastest path of all.
    quick: bool = False


@dataclass(frozen=True)
class Limit:
    """Up to `amount` in each `interval` window, counted over `scope` (Stripe-style)."""

    amount: Decimal
    scope: str
    interval: str
    remedies: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable name of the usage figure this limit needs, e.g. "customer:day"."""
        base = f"{self.scope}:{self.interval}"
        return f"{base}:{'+'.join(sorted(self.remedies))}" if self.remedies else base

    def applies_to(self, remedy: str) -> bool:
        return not self.remedies or remedy in self.remedies


@dataclass(frozen=True)
class RoleRules:
    role: str
    approver: str | None
    limits: tuple[Limit, ...] = ()
    forbidden: tuple[str, ...] = ()
    unlimited: bool = False

    def limits_for(self, remedy: str) -> tuple[Limit, ...]:
        return tuple(limit for limit in self.limits if limit.applies_to(remedy))


@dataclass(frozen=True)
class Budget:
    scope: str  # org | team
    amount: Decimal
    interval: str
    team: str | None = None


@dataclass(frozen=True)
class Policy:
    currency: str
    timezone: str
    categories: dict[str, Labels]
    remedies: dict[str, Remedy]
    roles: dict[str, RoleRules]
    week_start: int = 0  # Monday
    reopen_window_days: int = 7
    escalation_sla_minutes: int = 15
    reminder_every_minutes: int = 15
    on_the_spot_minutes: int = 5
    digest_weekday: int = 0
    digest_time: str = "09:00"
    customer_key_may_be_phone: bool = False
    budgets: tuple[Budget, ...] = field(default=())
    # Reasons an approver picks with one tap when denying (the bot has its own when empty).
    deny_reasons: dict[str, Labels] = field(default_factory=dict)
    # Approvals above this ask the approver once more; None: half their own per-case limit.
    confirm_above: Decimal | None = None
    # The customer survey also asks "How likely are you to recommend us?" 0–10 (NPS).
    survey_nps: bool = False
    # A survey answer at or below this (1–5) opens a follow-up for the reporter's
    # supervisors, as does a customer's "please contact me"; closed within this many minutes.
    follow_up_below: int = 3
    follow_up_minutes: int = 60
    # Why a problem keeps happening, as staff see it: offered with one tap on resolving.
    causes: dict[str, Labels] = field(default_factory=dict)
    # The causes offered for a category; a category not listed here is offered them all.
    category_causes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The manager's one line of advice per category, shown on its case card ("what works").
    playbooks: dict[str, Labels] = field(default_factory=dict)
    # Categories whose cases only their reporter (and owner), `sensitive_roles` and admins see.
    sensitive: frozenset[str] = frozenset()
    # Who sees every sensitive case besides its reporter and the admins.
    sensitive_roles: tuple[str, ...] = ("manager",)

    def is_sensitive(self, category: str) -> bool:
        """Whether cases of `category` are sensitive under this policy: read from the policy
        in force, so a category marked sensitive later covers its earlier cases too."""
        return category in self.sensitive

    def sees_sensitive(self, role: str) -> bool:
        """Whether `role` sees every sensitive case (an admin always does)."""
        return role == "admin" or role in self.sensitive_roles

    def category_label(self, key: str, locale: str) -> str:
        """A category's name in `locale`; the key itself once the policy no longer has it."""
        labels = self.categories.get(key)
        return labels.get(locale) if labels else key

    def remedy_label(self, key: str, locale: str) -> str:
        """A remedy's name in `locale`; the key itself once the policy no longer has it."""
        remedy = self.remedies.get(key)
        return remedy.labels.get(locale) if remedy else key

    def cause_label(self, key: str, locale: str) -> str:
        """A cause's name in `locale`; the key itself once the policy no longer has it."""
        labels = self.causes.get(key)
        return labels.get(locale) if labels else key

    def playbook(self, category: str, locale: str) -> str | None:
        """The playbook line of a category in `locale`, or None when the policy has none."""
        labels = self.playbooks.get(category)
        return labels.get(locale) if labels else None

    def causes_for(self, category: str) -> tuple[str, ...]:
        """The cause keys a case of `category` is offered on resolving, in the policy's order."""
        return self.category_causes.get(category, tuple(self.causes))

    def confirm_threshold(self, role: str, remedy: str) -> Decimal | None:
        """Above what an approval of `remedy` by `role` is asked once more: the policy's
        `confirm_above`, else half the role's own per-case limit (None: never asked)."""
        if self.confirm_above is not None:
            return self.confirm_above
        per_case = [
            limit.amount
            for limit in self.rules(role).limits_for(remedy)
            if limit.interval == "per_case"
        ]
        return min(per_case) / 2 if per_case else None

    def rules(self, role: str) -> RoleRules:
        """The rules of a role; an admin without rules of their own spends as a manager."""
        if role in self.roles:
            return self.roles[role]
        if role == "admin" and "manager" in self.roles:
            manager = self.roles["manager"]
            return RoleRules(
                role="admin",
                approver=None,
                limits=manager.limits,
                forbidden=manager.forbidden,
                unlimited=manager.unlimited,
            )
        return RoleRules(role=role, approver=None)
