"""Words people type, as they may be kept: each field's cap, unreadable text refused, and
payment-card numbers masked before anything is stored or shown."""

from __future__ import annotations

import re

from bot.services.errors import ServiceError

# Each typed field's cap, in characters as Telegram counts them (UTF-16 code units: an emoji
# is two). Together they keep every screen that shows them
# under Telegram's 4096 characters: the case card holds a description, a customer key and the
# customer's words at their longest with its other lines (tests/e2e/test_hard_inputs.py).
DESCRIPTION_LIMIT = 2000
CUSTOMER_KEY_LIMIT = 64
CUSTOMER_WORDS_LIMIT = 1000
NOTE_LIMIT = 1000  # a resolution note, a note added to a resolved case
REASON_LIMIT = 500  # why a request was denied, why a case is reopened
CAUSE_LIMIT = 200  # why a problem keeps happening, in the resolver's words: one line
COMMENT_LIMIT = 1000  # a customer's comment in a survey
AMOUNT_LIMIT = 40  # an amount as typed ("1 500,50 грн"); longer is not an amount
CODE_LIMIT = 40  # a case code as typed ("K-7Q4F"); longer is not a code

CARD_MASK = "•••• "

# 13 to 19 digits, in groups split by single spaces or dashes ("4111 1111 1111 1111").
_DIGIT_RUN = re.compile(r"(?<![\d])\d+(?:[ -]\d+)*(?![\d])")
_SEPARATOR = re.compile(r"[ -]")


def luhn(digits: str) -> bool:
    """The check digit of payment-card numbers (ISO/IEC 7812)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and luhn(digits)


def _masked_run(run: str) -> str:
    """A run of digit groups with every card number in it masked. The number may be the
    whole run, or some whole groups of it ("4111 1111 1111 1111 2026")."""
    groups = _SEPARATOR.split(run)
    seps = _SEPARATOR.findall(run)
    if _is_card("".join(groups)):
        return CARD_MASK + "".join(groups)[-4:]
    out: list[str] = []
    start = 0
    while start < len(groups):
        # The longest card made of whole groups from `start`, if any.
        found = None
        for end in range(len(groups), start, -1):
            if _is_card("".join(groups[start:end])):
                found = end
                break
        if found is None:
            out.append(groups[start])
            if start < len(seps):
                out.append(seps[start])
            start += 1
            continue
        out.append(CARD_MASK + "".join(groups[start:found])[-4:])
        if found - 1 < len(seps):
            out.append(seps[found - 1])
        start = found
    return "".join(out)


def mask_card_numbers(text: str) -> str:
    """Every payment-card number in `text` (13–19 digits, spaces or dashes between groups,
    passing the Luhn check) as "•••• 1234"; every other digit, phone or amount as it was."""
    return _DIGIT_RUN.sub(lambda match: _masked_run(match.group()), text)


def readable(text: str) -> bool:
    """Text that can be stored and sent: no lone surrogate (half of an emoji, which UTF-8 and
    the databases refuse) and no NUL (which PostgreSQL refuses)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def units(text: str) -> int:
    """The length of `text` as Telegram measures its limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def cleaned(text: str) -> str:
    """`text` with what cannot be stored replaced: a lone surrogate by "�", NUL left out. For
    words nobody can be asked to type again (a customer's survey comment)."""
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", "")


def typed(text: str | None, limit: int, code: str = "text_too_long") -> str:
    """What was typed for a field, as it may be kept: stripped, card numbers masked.
    Raises ServiceError("unreadable_text") or `code` (with the limit) when it cannot be."""
    text = (text or "").strip()
    if not readable(text):
        raise ServiceError("unreadable_text")
    if units(text) > limit:
        raise ServiceError(code, limit=limit)
    return mask_card_numbers(text)
