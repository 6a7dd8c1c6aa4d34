"""Typed words: payment-card numbers masked wherever they stand, other digits left alone;
unreadable text and over-long text refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.services.errors import ServiceError
from bot.services.typed import luhn, mask_card_numbers, readable, typed


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn(body + d))


def grouped(digits: str, sizes: list[int], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        if at >= len(digits):
            break
        parts.append(digits[at : at + size])
        at += size
    if at < len(digits):
        parts.append(digits[at:])
    return separator.join(parts)


bodies = st.text(alphabet="0123456789", min_size=12, max_size=18)
cards = bodies.map(with_check_digit)
separators = st.sampled_from(["", " ", "-"])
group_sizes = st.lists(st.integers(1, 6), min_size=1, max_size=6)
# Words around the number that end and begin with no digit.
words = st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cs"]), max_size=20)


def not_a_digit_next(before: str, after: str) -> bool:
    return not (before[-1:].isdigit() or after[:1].isdigit())


@given(cards, separators, group_sizes, words, words)
def test_a_card_number_anywhere_is_masked_to_its_last_four(
    card: str, separator: str, sizes: list[int], before: str, after: str
) -> None:
    written = grouped(card, sizes, separator)
    masked = mask_card_numbers(f"{before} {written} {after}")
    assert masked == f"{before} •••• {card[-4:]} {after}"
    assert card not in re.sub(r"[ -]", "", masked)


@given(bodies, separators, group_sizes)
def test_digits_failing_the_check_are_kept(body: str, separator: str, sizes: list[int]) -> None:
    number = next(body + d for d in "0123456789" if not luhn(body + d))
    written = grouped(number, sizes, separator)
    groups = re.split(r"[ -]", written)
    # Whole groups of it may still be a card on their own ("12 4111111111111111"): those are
    # masked, rightly; here none is.
    assume(
        not any(
            13 <= len("".join(groups[i:j])) <= 19 and luhn("".join(groups[i:j]))
            for i in range(len(groups))
            for j in range(i + 1, len(groups) + 1)
        )
    )
    assert mask_card_numbers(f"Order {written} today") == f"Order {written} today"


@given(st.text(alphabet="0123456789", min_size=1, max_size=12), separators, group_sizes)
def test_shorter_runs_are_never_cards(digits: str, separator: str, sizes: list[int]) -> None:
    written = grouped(digits, sizes, separator)
    assert mask_card_numbers(f"room {written}") == f"room {written}"


@pytest.mark.parametrize(
    "text",
    [
        "+380 67 123 45 67",
        "call 067-123-4567 after 18:00",
        "refund 1 500,00 грн for order 4412",
        "$1,500.00 on 2026-12-04",
        "loyalty 12345678",
    ],
)
def test_phones_amounts_and_dates_stay_as_they_are(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_a_card_followed_by_more_groups_is_still_found() -> None:
    assert mask_card_numbers("card 4111 1111 1111 1111 2026") == "card •••• 1111 2026"
    assert mask_card_numbers("4111-1111-1111-1111") == "•••• 1111"
    assert mask_card_numbers("5500005555555559, 378282246310005") == "•••• 5559, •••• 0005"


def test_unreadable_and_over_long_text_is_refused() -> None:
    assert not readable("broken \ud800 emoji") and not readable("nul\x00")
    assert readable("ok 🙂")
    with pytest.raises(ServiceError) as caught:
        typed("\ud800", 10)
    assert caught.value.code == "unreadable_text"
    with pytest.raises(ServiceError) as caught:
        typed("x" * 11, 10)
    assert caught.value.code == "text_too_long" and caught.value.params == {"limit": 10}
    assert typed("  4111 1111 1111 1111  ", 30) == "•••• 1111"
