"""A case's photo or voice note: the card's line and button, the caption, and the offer to
log a case with one sent outside any dialogue."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.render.callbacks import CaseStep
from bot.render.common import cancel_button, shortened

Screen = tuple[str, InlineKeyboardMarkup]
# Leaves room in Telegram's 1024-character caption for the title, in any language.
CAPTION_SNIPPET = 900
PHOTO, VOICE = "📷", "🎤"


def attached_lines(photo_file_id: str | None, voice_file_id: str | None) -> list[str]:
    """The card says what is attached; the media itself is one tap away (the card stays text,
    edited in place through every flow)."""
    lines = []
    if photo_file_id:
        lines.append(f"{PHOTO} " + _("Photo attached"))
    if voice_file_id:
        lines.append(f"{VOICE} " + _("Voice note attached"))
    return lines


def media_buttons(
    case_id: int, photo_file_id: str | None, voice_file_id: str | None
) -> list[InlineKeyboardButton]:
    buttons = []
    if photo_file_id:
        data = CaseStep(action="media", value="photo", case_id=case_id).pack()
        buttons.append(InlineKeyboardButton(text=f"{PHOTO} " + _("Photo"), callback_data=data))
    if voice_file_id:
        data = CaseStep(action="media", value="voice", case_id=case_id).pack()
        buttons.append(InlineKeyboardButton(text=f"{VOICE} " + _("Voice note"), callback_data=data))
    return buttons


def caption(code: str, description: str) -> str:
    """The case's code and its description, shortened to fit a caption's 1024 characters."""
    lines = [_("<b>Case {code}</b>").format(code=code)]
    text = shortened(description.strip(), CAPTION_SNIPPET)
    if text:
        lines.append(escape(text))
    return "\n".join(lines)


def offer(kind: str) -> Screen:
    """A photo or a voice note sent outside any dialogue: log a case with it?"""
    if kind == "voice":
        text = _("New case with this voice note?")
    else:
        text = _("New case with this photo?")
    start = CaseStep(action="withmedia").pack()
    rows = [[InlineKeyboardButton(text=_("New case"), callback_data=start), cancel_button()]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
