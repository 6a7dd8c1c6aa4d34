"""Preset amounts: the policy's own (checked on load), else round numbers under the role's
tightest limit; and the quick gives a case card offers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from policies.loader import PolicyError, load_policy
from policies.presets import nice_floor, presets, quick_gives
from tests.policies.test_loader import MINIMAL, errors_of

EXAMPLES = Path(__file__).resolve().parents[2] / "policies"


def test_the_hotel_voucher_is_one_tap_from_the_card() -> None:
    policy = load_policy((EXAMPLES / "hotel.toml").read_text())
    assert presets(policy, "frontline", "voucher") == (Decimal(50), Decimal(150), Decimal(300))
    assert quick_gives(policy, "frontline") == [
        ("voucher", Decimal(50)),
        ("voucher", Decimal(150)),
        ("voucher", Decimal(300)),
    ]
    # Without presets of its own, a remedy offers round shares of the tightest limit.
    assert presets(policy, "frontline", "refund") == (Decimal(200), Decimal(500), Decimal(1000))
    assert presets(policy, "manager", "refund") == ()  # no limit: nothing to derive from
    assert presets(policy, "frontline", "apology") == ()  # no money


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", "5"), ("12.5", "10"), ("37.5", "25"), ("75", "50"), ("0.3", "0.25"), ("0.001", "0")],
)
def test_round_numbers_are_one_two_two_and_a_half_or_five(value: str, expected: str) -> None:
    assert nice_floor(Decimal(value)) == Decimal(expected)


def test_presets_are_checked_on_load() -> None:
    good = MINIMAL.replace('en = "Gift"\n', 'en = "Gift"\npresets = ["20", "50"]\nquick = true\n')
    policy = load_policy(good)
    assert policy.remedies["gift"].presets == (Decimal(20), Decimal(50))
    assert policy.remedies["gift"].quick

    for presets_line, expected in [
        ('presets = ["1", "2", "3", "4"]', "list one to 3 amounts"),
        ("presets = []", "list one to 3 amounts"),
        ('presets = ["12.345"]', "UAH allows 2 decimal places at most"),
        ('presets = ["-5"]', "must be more than zero"),
        ("presets = [1.5]", "write amounts in quotes"),
        ('quick = "yes"', "must be true or false"),
    ]:
        text = MINIMAL.replace('en = "Gift"\n', f'en = "Gift"\n{presets_line}\n')
        assert any(expected in line for line in errors_of(text)), presets_line

    free = MINIMAL.replace('en = "Gift"\n', 'en = "Gift"\nmoney = false\npresets = ["5"]\n')
    with pytest.raises(PolicyError, match="a remedy without money has no amounts"):
        load_policy(free)
    with pytest.raises(PolicyError, match="unknown key"):
        load_policy(MINIMAL.replace('en = "Noise"\n', 'en = "Noise"\npresets = ["5"]\n'))
