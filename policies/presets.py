"""Amounts offered as one-tap buttons: the policy's own, or round numbers under the role's
tightest limit for the remedy. Pure: no I/O."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from policies.model import Policy

_NICE = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
_SHARES = (Decimal("0.1"), Decimal("0.25"), Decimal("0.5"))


def nice_floor(value: Decimal) -> Decimal:
    """The largest 1, 2, 2.5 or 5 × 10^k not above `value` (0 for values below 0.01)."""
    if value < Decimal("0.01"):
        return Decimal(0)
    power = Decimal(10) ** value.adjusted()
    best = max(step * power for step in _NICE if step * power <= value)
    if best == best.to_integral_value():
        return best.quantize(Decimal(1))
    return best.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def presets(policy: Policy, role: str, remedy: str) -> tuple[Decimal, ...]:
    found = policy.remedies.get(remedy)
    if found is None or not found.money:
        return ()
    if found.presets:
        return found.presets
    rules = policy.rules(role)
    limits = rules.limits_for(remedy)
    if rules.unlimited or not limits:
        return ()
    tightest = min(limit.amount for limit in limits)
    derived = sorted({nice_floor(tightest * share) for share in _SHARES} - {Decimal(0)})
    return tuple(derived)


def quick_gives(policy: Policy, role: str, limit: int = 3) -> list[tuple[str, Decimal]]:
    """The (remedy, amount) pairs a case card offers, from remedies marked `quick`."""
    gives = [
        (key, amount)
        for key, remedy in policy.remedies.items()
        if remedy.quick and key not in policy.rules(role).forbidden
        for amount in presets(policy, role, key)
    ]
    return gives[:limit]
