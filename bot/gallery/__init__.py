"""Every screen of the bot, rendered from fabricated data in uk, ru and en, for review."""

from bot.gallery.catalogue import SCREENS, Shot, render_all
from bot.gallery.pages import write_gallery

__all__ = ["SCREENS", "Shot", "render_all", "write_gallery"]
