"""The gallery as static HTML (one page a language, and the three side by side), and the
check of every screen against Telegram's limits as the sandbox enforces them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from bot.gallery.catalogue import REFUSALS, SCREENS, Shot, raised_codes, render_all
from bot.i18n import LANGUAGE_NAMES, LOCALES
from bot.sandbox.html import EntityError, parse_html, slice_utf16, utf16_len

TEXT_LIMIT = 4096  # a message, in UTF-16 code units after entities are parsed
CAPTION_LIMIT = 1024
ALERT_LIMIT = 200  # answerCallbackQuery's text: a refusal may be shown as an alert
CALLBACK_DATA_LIMIT = 64  # bytes
ROW_LIMIT = 8  # Telegram's own; the house keeps to 3 (a hint, not a failure)
HOUSE_ROW = 3
LABEL_WORDS = 3


@dataclass(frozen=True)
class Finding:
    locale: str
    screen_id: str
    message: str
    hard: bool  # Telegram refuses the screen; else a hint for reviewers


def check(shot: Shot, locale: str) -> list[Finding]:
    """What Telegram would refuse (hard) and what reviewers should look at (hints)."""
    found: list[Finding] = []

    def say(message: str, hard: bool) -> None:
        found.append(Finding(locale, shot.id, message, hard))

    try:
        plain, _entities = parse_html(shot.text)
    except EntityError as error:
        say(f"HTML does not parse: {error}", True)
        plain = shot.text
    if not plain.strip():
        say("empty text", True)
    size = utf16_len(plain)
    limits = {"caption": CAPTION_LIMIT, "alert": ALERT_LIMIT}
    limit = limits.get(shot.kind, TEXT_LIMIT)
    if size > limit:
        say(f"{size} characters (UTF-16 units), more than the {shot.kind}'s {limit}", True)
    if shot.kind == "refusal" and size > ALERT_LIMIT:
        # Refusals go to alerts as well as messages; an alert holds 200 characters.
        say(f"{size} characters: too long for an alert (limit {ALERT_LIMIT})", True)
    buttons = [button for row in shot.rows for button in row]
    if len(buttons) > 100:
        say(f"{len(buttons)} buttons; Telegram allows 100", True)
    for number, row in enumerate(shot.rows, 1):
        if len(row) > ROW_LIMIT:
            say(f"row {number} has {len(row)} buttons; Telegram allows {ROW_LIMIT}", True)
        elif len(row) > HOUSE_ROW:
            labels = " | ".join(label for label, _data in row)
            say(f"row {number} has {len(row)} buttons (house rule: {HOUSE_ROW}): {labels}", False)
    for label, data in buttons:
        if not label.strip():
            say("a button without a label", True)
        if not shot.reply_keyboard and not data.startswith(("http://", "https://", "tg://")):
            size = len(data.encode("utf-8"))
            if not 1 <= size <= CALLBACK_DATA_LIMIT:
                say(f"callback_data {data!r} is {size} bytes (limit {CALLBACK_DATA_LIMIT})", True)
        words = label_words(label)
        if len(words) > LABEL_WORDS:
            say(f"button label of {len(words)} words: «{label}»", False)
    return found


def label_words(label: str) -> list[str]:
    # Babel joins amounts with no-break spaces ("2 000,00 $"): an amount stays one word.
    return [part for part in label.split(" ") if any(char.isalnum() for char in part)]


def gallery_findings(shots: dict[str, list[Shot]]) -> list[Finding]:
    """Each screen's findings, then what concerns the catalogue as a whole."""
    found = [f for locale, taken in shots.items() for shot in taken for f in check(shot, locale)]
    reference = [shot.id for shot in next(iter(shots.values()))]
    for locale, taken in shots.items():
        if [shot.id for shot in taken] != reference:
            found.append(Finding(locale, "*", "screen ids differ from the other languages", True))
    missing = sorted(raised_codes() - set(REFUSALS))
    if missing:
        found.append(
            Finding("*", "err.*", f"codes raised but not in the gallery: {missing}", False)
        )
    by_id = {locale: {shot.id: shot for shot in taken} for locale, taken in shots.items()}
    for locale, screens in by_id.items():
        fallback = screens.get("err.try_again")
        for screen_id, shot in screens.items():
            if (
                fallback is not None
                and screen_id.startswith("err.")
                and screen_id != "err.try_again"
                and shot.text == fallback.text
            ):
                found.append(
                    Finding(
                        locale,
                        screen_id,
                        "refusal() has no words for this code: the generic «try again» shows",
                        False,
                    )
                )
            english = by_id.get("en", {}).get(screen_id)
            if (
                locale != "en"
                and english is not None
                and _wordy(shot.text) == _wordy(english.text)
                and re.search(r"[A-Za-z]{4,}", _wordy(shot.text))
            ):
                found.append(Finding(locale, screen_id, "text is the same as in English", False))
    return found


def _wordy(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


# ---- HTML --------------------------------------------------------------------------------

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "custom_emoji": ("<span>", "</span>"),
}


def telegram_html(source: str) -> str:
    """Telegram HTML as a browser should show it: the entities Telegram would make, all else
    escaped. Text that Telegram would refuse is shown as it is, marked."""
    try:
        plain, entities = parse_html(source)
    except EntityError as error:
        return f'<span class="broken">{escape(str(error))}</span>\n{escape(source)}'
    return _close_tags(
        plain, sorted(entities, key=lambda e: (int(str(e["offset"])), -int(str(e["length"]))))
    )


def _opening(entity: dict[str, object]) -> str:
    if entity["type"] == "text_link":
        url = str(entity.get("url", ""))
        href = url if url.startswith(("http://", "https://", "tg://")) else "#"
        return f'<a href="{escape(href)}">'
    return _TAGS.get(str(entity["type"]), ("<span>", ""))[0]


def _closing(entity: dict[str, object]) -> str:
    if entity["type"] == "text_link":
        return "</a>"
    return _TAGS.get(str(entity["type"]), ("", "</span>"))[1]


def _close_tags(plain: str, entities: Sequence[dict[str, object]]) -> str:
    """Walk the text once: at each boundary close what ends there (innermost first), then
    open what starts there (outermost first)."""
    ends: dict[int, list[dict[str, object]]] = {}
    starts: dict[int, list[dict[str, object]]] = {}
    for entity in entities:
        start = int(str(entity["offset"]))
        starts.setdefault(start, []).append(entity)
        ends.setdefault(start + int(str(entity["length"])), []).append(entity)
    cuts = sorted({0, utf16_len(plain), *starts, *ends})
    out: list[str] = []
    open_now: list[dict[str, object]] = []
    for index, at in enumerate(cuts):
        closing = [e for e in open_now if id(e) in {id(x) for x in ends.get(at, [])}]
        for entity in reversed(open_now):
            if entity in closing:
                out.append(_closing(entity))
        open_now = [e for e in open_now if e not in closing]
        for entity in starts.get(at, []):  # outermost (longest) first: parse order
            out.append(_opening(entity))
            open_now.append(entity)
        if index + 1 < len(cuts):
            out.append(escape(slice_utf16(plain, at, cuts[index + 1] - at)))
    return "".join(out)


_CSS = """
body { font: 15px/1.4 -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #dfe7ee;
  color: #000; }
header { background: #517da2; color: #fff; padding: 12px 20px; }
header a { color: #fff; }
main { padding: 16px 20px; }
h2 { margin: 28px 0 8px; font-size: 18px; }
.notes { background: #fff; border-radius: 8px; padding: 8px 16px; max-width: 1150px; }
.notes li { margin: 2px 0; }
.hard { color: #b00020; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(var(--cols), 360px); gap: 6px 18px; }
.head { grid-column: 1 / -1; margin-top: 14px; font-size: 13px; color: #333; }
.head code { background: #fff; padding: 1px 5px; border-radius: 4px; }
.kind { color: #777; }
.lang { font-weight: 600; color: #517da2; }
.screen { width: 360px; }
.bubble { background: #fff; border-radius: 12px 12px 12px 4px; padding: 7px 10px;
  white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px 1px rgba(0,0,0,.12); }
.caption .bubble::before { content: "🖼 photo"; display: block; background: #c7d3dd; color: #555;
  height: 90px; border-radius: 8px; margin: -3px -6px 6px; text-align: center; line-height: 90px; }
.alert .bubble { background: #333; color: #fff; border-radius: 10px; text-align: center; }
.menu .bubble { background: #f4f6f8; font-family: ui-monospace, monospace; font-size: 13px; }
.bubble code, .bubble pre { font-family: ui-monospace, monospace; color: #c7254e; }
.bubble a { color: #2a7ab0; }
.bubble blockquote { border-left: 3px solid #517da2; margin: 2px 0; padding-left: 8px; }
.spoiler { background: #bbb; }
.broken { color: #b00020; font-weight: 600; display: block; }
.rows { margin-top: 3px; }
.row { display: flex; gap: 3px; margin-top: 3px; }
.button { flex: 1; background: rgba(81,125,162,.55); color: #fff; border-radius: 6px;
  padding: 7px 4px; text-align: center; font-size: 13px; font-weight: 500;
  overflow-wrap: anywhere; }
.reply .button { background: #fff; color: #000; border: 1px solid #b9c6d1; }
.flag { outline: 2px solid #b00020; }
.toc { columns: 4 220px; font-size: 13px; }
"""

SECTIONS = {
    "join": "Joining",
    "home": "Home, help, menus",
    "new": "/new — logging a case",
    "card": "The case card",
    "remedy": "Giving a remedy",
    "decision": "The policy's decision",
    "given": "After giving",
    "resolve": "Resolving",
    "reopen": "Reopening",
    "void": "Voiding",
    "my": "/my",
    "case": "/case",
    "authority": "/authority",
    "esc": "Approvals",
    "survey": "The guest's survey and its notices",
    "invite": "/invite",
    "team": "/team",
    "policy": "/policy",
    "stats": "/stats",
    "digest": "The weekly digest",
    "export": "/export",
    "err": "Refusals (every ServiceError code)",
}


def _bubble(shot: Shot, flagged: bool) -> str:
    rows = "".join(
        '<div class="row">'
        + "".join(
            f'<div class="button" title="{escape(data)}">{escape(label)}</div>'
            for label, data in row
        )
        + "</div>"
        for row in shot.rows
    )
    classes = " ".join(
        c for c in ("screen", shot.kind, "reply" if shot.reply_keyboard else "") if c
    )
    flag = " flag" if flagged else ""
    keyboard = f'<div class="rows">{rows}</div>' if rows else ""
    return (
        f'<div class="{classes}"><div class="bubble{flag}">{telegram_html(shot.text)}</div>'
        f"{keyboard}</div>"
    )


def _notes(findings: Sequence[Finding]) -> str:
    hard = [f for f in findings if f.hard]
    hints = [f for f in findings if not f.hard]

    def items(chosen: Sequence[Finding]) -> str:
        return "".join(
            f'<li><a href="#{escape(f.screen_id)}"><code>{escape(f.screen_id)}</code></a> '
            f"[{escape(f.locale)}] {escape(f.message)}</li>"
            for f in chosen
        )

    parts = ['<section class="notes">', "<h2>Issues</h2>"]
    if hard:
        parts.append(
            f'<p class="hard">Telegram would refuse {len(hard)}:</p><ul>{items(hard)}</ul>'
        )
    else:
        parts.append("<p>No screen breaks Telegram's limits (HTML, lengths, callback data).</p>")
    parts.append(
        f"<h2>For review ({len(hints)})</h2><p>Rows of more than {HOUSE_ROW} buttons, button "
        f"labels of more than {LABEL_WORDS} words, refusals without words of their own, texts "
        f"left in English.</p><ul>{items(hints)}</ul></section>"
    )
    return "".join(parts)


def _toc(shots: Sequence[Shot]) -> str:
    links = "".join(f'<li><a href="#{escape(s.id)}">{escape(s.id)}</a></li>' for s in shots)
    return f'<ul class="toc">{links}</ul>'


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def _header(title: str, count: int) -> str:
    languages = " · ".join(
        f'<a href="{code}.html">{escape(name)}</a>' for code, name in LANGUAGE_NAMES.items()
    )
    return (
        f"<header><b>{escape(title)}</b> — {count} screens · "
        f'<a href="index.html">side by side</a> · {languages}</header>'
    )


def _grid(columns: dict[str, list[Shot]], findings: Sequence[Finding]) -> str:
    flagged = {(f.locale, f.screen_id) for f in findings if f.hard}
    first = next(iter(columns.values()))
    parts = [f'<div class="grid" style="--cols: {len(columns)}">']
    section = None
    for index, shot in enumerate(first):
        prefix = shot.id.split(".")[0]
        if prefix != section:
            section = prefix
            parts.append(f'<h2 class="head">{escape(SECTIONS.get(prefix, prefix))}</h2>')
        parts.append(
            f'<div class="head" id="{escape(shot.id)}"><code>{escape(shot.id)}</code> '
            f'{escape(shot.title)} <span class="kind">· {escape(shot.kind)}</span></div>'
        )
        for locale, shots in columns.items():
            parts.append(_bubble(shots[index], (locale, shot.id) in flagged))
    parts.append("</div>")
    return "".join(parts)


@dataclass(frozen=True)
class Gallery:
    shots: dict[str, list[Shot]]
    findings: list[Finding]
    files: list[Path]

    @property
    def hard(self) -> list[Finding]:
        return [f for f in self.findings if f.hard]


def write_gallery(out: Path, locales: Sequence[str] = LOCALES) -> Gallery:
    """Render every screen in every language; write uk.html, ru.html, en.html, index.html."""
    shots = {locale: render_all(locale) for locale in locales}
    findings = gallery_findings(shots)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for locale, taken in shots.items():
        mine = [f for f in findings if f.locale in (locale, "*")]
        title = f"casebot screens · {LANGUAGE_NAMES[locale]}"
        body = (
            _header(title, len(taken))
            + f"<main>{_notes(mine)}{_toc(taken)}{_grid({locale: taken}, mine)}</main>"
        )
        path = out / f"{locale}.html"
        path.write_text(_page(title, body), encoding="utf-8")
        files.append(path)
    title = "casebot screens · " + " | ".join(LANGUAGE_NAMES[code] for code in shots)
    columns = "".join(
        f'<span class="lang" style="display:inline-block;width:378px">{escape(LANGUAGE_NAMES[c])}'
        "</span>"
        for c in shots
    )
    body = (
        _header(title, len(SCREENS))
        + f"<main>{_notes(findings)}{_toc(next(iter(shots.values())))}"
        + f"<p>{columns}</p>{_grid(shots, findings)}</main>"
    )
    index = out / "index.html"
    index.write_text(_page(title, body), encoding="utf-8")
    files.append(index)
    return Gallery(shots, findings, files)
