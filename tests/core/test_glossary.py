"""The glossary holds: each of its terms is used in each language, and no retired word is
left in any translation (locales/GLOSSARY.md is the list; this test reads it)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, LOCALES_DIR

GLOSSARY = LOCALES_DIR / "GLOSSARY.md"


def _table(heading: str) -> list[list[str]]:
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [
        [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        for row in rows[2:]  # the header and its rule
    ]
    return cells


def translations(locale: str) -> list[str]:
    """Every translated string of the language, both domains, plural forms included."""
    found = []
    for path in sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            for message in read_po(fp, locale=locale):
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                found += [s for s in strings if s]
    return found


def test_the_glossary_has_both_tables() -> None:
    assert len(_table("Terms")) >= 30
    assert len(_table("Retired")) >= 10


@pytest.mark.parametrize("locale", LOCALES)
def test_every_term_is_used(locale: str) -> None:
    column = {"uk": 1, "ru": 2, "en": 3}[locale]
    text = "\n".join(translations(locale)).lower()
    missing = [row[column] for row in _table("Terms") if row[column].lower() not in text]
    assert missing == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_retired_word_is_left(locale: str) -> None:
    retired = [(row[1].strip("`"), row[2]) for row in _table("Retired") if row[0] == locale]
    found = [
        f"{pattern!r} (use {instead}) in {string!r}"
        for pattern, instead in retired
        for string in translations(locale)
        if re.search(pattern, string)
    ]
    assert found == []


def test_the_retired_patterns_do_catch_what_they_retire() -> None:
    """A pattern that can never match would let the old word back in unnoticed."""
    examples = {
        "uk": ["Новий випадок", "Стан: відкритий", "Погодити все", "Постійний клієнт"],
        "ru": ["Новый случай", "Состояние: открыт", "Одобрить всё", "Постоянный клиент"],
        "en": ["State: open", "«words»"],
    }
    for locale, texts in examples.items():
        patterns = [row[1].strip("`") for row in _table("Retired") if row[0] == locale]
        for text in texts:
            assert any(re.search(p, text) for p in patterns), (locale, text)
