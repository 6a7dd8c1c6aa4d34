"""Telegram's HTML parse mode: the supported tags, entities in UTF-16 offsets, and its errors."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

_ATTR = re.compile(r'([a-zA-Z_-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+))')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


class EntityError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's own wording."""


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the plain text
    kind: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _kind(tag: str, attrs: dict[str, str], offset: int) -> tuple[str | None, dict[str, Any]]:
    if tag in _SIMPLE:
        if tag == "code" and attrs.get("class", "").startswith("language-"):
            return "code", {"language": attrs["class"].removeprefix("language-")}
        return _SIMPLE[tag], {}
    if tag == "span" and attrs.get("class") == "tg-spoiler":
        return "spoiler", {}
    if tag == "a":
        href = attrs.get("href", "")
        return ("text_link", {"url": href}) if href else (None, {})
    if tag == "blockquote":
        return ("expandable_blockquote" if "expandable" in attrs else "blockquote"), {}
    if tag == "tg-emoji":
        return "custom_emoji", {"custom_emoji_id": attrs.get("emoji-id", "")}
    raise EntityError(f'Unsupported start tag "{tag}" at byte offset {offset}')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities, as Telegram returns them for parse_mode=HTML."""
    out: list[str] = []
    length = 0  # UTF-16 length of the text so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        offset = len(source[:i].encode("utf-8"))
        if char == "<":
            end = source.find(">", i)
            if end == -1:
                raise EntityError(f"Unclosed start tag at byte offset {offset}")
            inner = source[i + 1 : end].strip()
            i = end + 1
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityError(f"Unexpected end tag at byte offset {offset}")
                if stack[-1].tag != name:
                    raise EntityError(
                        f"Unmatched end tag at byte offset {offset}, expected "
                        f'"</{stack[-1].tag}>", found "</{name}>"'
                    )
                opened = stack.pop()
                if opened.kind and length > opened.start:
                    entities.append(
                        {
                            "type": opened.kind,
                            "offset": opened.start,
                            "length": length - opened.start,
                            **opened.extra,
                        }
                    )
                continue
            parts = inner.split(None, 1)
            if not parts:
                raise EntityError(f'Unsupported start tag "" at byte offset {offset}')
            tag = parts[0].lower().rstrip("/")
            attrs = {
                m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                for m in _ATTR.finditer(parts[1] if len(parts) > 1 else "")
            }
            if len(parts) > 1 and "expandable" in parts[1].split():
                attrs["expandable"] = ""
            kind, extra = _kind(tag, attrs, offset)
            stack.append(_Open(tag, length, kind, extra))
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if match:
                name = match.group(1)
                if name.startswith("#x"):
                    decoded = chr(int(name[2:], 16))
                elif name.startswith("#"):
                    decoded = chr(int(name[1:]))
                else:
                    decoded = _NAMED.get(name, match.group(0))
                out.append(decoded)
                length += utf16_len(decoded)
                i = match.end()
                continue
        out.append(char)
        length += utf16_len(char)
        i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    _merge_pre_code(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _merge_pre_code(entities: list[dict[str, Any]]) -> None:
    """<pre><code class="language-x"> is one pre entity with a language, as in Telegram."""
    for pre in [e for e in entities if e["type"] == "pre"]:
        for code in [e for e in entities if e["type"] == "code"]:
            if (code["offset"], code["length"]) == (pre["offset"], pre["length"]):
                if "language" in code:
                    pre["language"] = code["language"]
                entities.remove(code)


def slice_utf16(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")
