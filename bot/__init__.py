"""casebot: authority-aware case handling for frontline staff, in Telegram."""

__version__ = "0.1.0"
