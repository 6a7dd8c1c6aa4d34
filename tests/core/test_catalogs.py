"""Every catalog is complete: uk, ru and en for every message, plurals, same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, LOCALES_DIR, translations

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")
PLURAL_FORMS = {"uk": 3, "ru": 3, "en": 2}


def templates() -> list[Path]:
    return sorted(LOCALES_DIR.glob("*.pot"))


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def test_there_are_templates() -> None:
    assert {p.stem for p in templates()} >= {"casebot"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", templates(), ids=lambda p: p.stem)
def test_every_message_is_translated(template: Path, locale: str) -> None:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{template.stem}.po"
    assert po_path.exists(), f"{po_path} is missing"
    translated = catalog(po_path, locale)
    assert translated.num_plurals == PLURAL_FORMS[locale]
    problems = []
    for message in catalog(template):
        if not message.id:
            continue
        entry = translated.get(message.id)
        if entry is None:
            problems.append(f"missing: {message.id!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message.id, tuple) and len(strings) != PLURAL_FORMS[locale]:
            problems.append(f"plural forms: {message.id!r}")
        for string in strings:
            if not string:
                problems.append(f"empty: {message.id!r}")
                continue
            if set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(ids[-1])):
                problems.append(f"placeholders differ: {message.id!r} -> {string!r}")
            if sorted(TAG.findall(string)) != sorted(TAG.findall(ids[0])):
                problems.append(f"HTML tags differ: {message.id!r} -> {string!r}")
    assert problems == []


def test_translations_compile_in_memory_with_plurals() -> None:
    uk = translations("uk")
    assert uk.ngettext("{count} member", "{count} members", 1) == "{count} учасник"
    assert uk.ngettext("{count} member", "{count} members", 3) == "{count} учасники"
    assert uk.ngettext("{count} member", "{count} members", 5) == "{count} учасників"
    ru = translations("ru")
    assert ru.ngettext("{count} day", "{count} days", 21) == "{count} день"
    assert ru.ngettext("{count} day", "{count} days", 22) == "{count} дня"
    assert ru.ngettext("{count} day", "{count} days", 11) == "{count} дней"


def test_no_gettext_call_hides_inside_an_f_string() -> None:
    """Babel cannot see `_()` inside an f-string: such text would never be translated."""
    import re

    root = LOCALES_DIR.parent
    hidden = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("bot", "handlers", "policies")
        for path in (root / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""f["'][^"']*\{\s*(_|gettext|ngettext)\(""", line)
    ]
    assert hidden == []
