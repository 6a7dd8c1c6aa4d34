"""The texts of sensitive cases in each language: the upload screen's line with the plural of
the earlier cases, and the neutral line of a list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.render.cases import case_line
from bot.render.catalog import make_i18n
from bot.render.policy import proposal
from bot.services.policies import Proposal
from bot.services.queue import TeamCase
from policies.loader import load_policy

HOTEL = (Path(__file__).resolve().parents[2] / "policies" / "hotel.toml").read_text()
SENSITIVE = load_policy(HOTEL)
ORDINARY = load_policy(HOTEL.replace("sensitive = true\n", ""))


def screen(count: int, locale: str) -> str:
    found = Proposal(7, 3, ORDINARY, SENSITIVE, newly_sensitive=(("safety", count),))
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(locale):
        return proposal(found, locale)[0]


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        (
            "uk",
            1,
            "🔒 «Безпека» тепер конфіденційна категорія: 1 попереднє звернення відтепер "
            "бачать лише ті, хто його зафіксував або погоджував, а також: менеджер, адміністратор.",
        ),
        ("uk", 3, "3 попередні звернення відтепер бачать лише ті, хто їх зафіксував"),
        ("uk", 12, "12 попередніх звернень відтепер"),
        (
            "ru",
            1,
            "🔒 «Безопасность» теперь конфиденциальная категория: 1 прежнее обращение "
            "отныне видят только те, кто его зафиксировал или одобрял, а также: менеджер, "
            "администратор.",
        ),
        ("ru", 3, "3 прежних обращения отныне"),
        ("ru", 12, "12 прежних обращений отныне"),
        (
            "en",
            1,
            "🔒 Safety is now sensitive: its 1 earlier case becomes visible only to its "
            "reporter and approvers, and to: manager, admin.",
        ),
        ("en", 12, "its 12 earlier cases become visible only to their reporters"),
        (
            "en",
            0,
            "🔒 Safety is now sensitive: its cases will be visible only to their "
            "reporters and approvers, and to: manager, admin.",
        ),
    ],
)
def test_the_upload_screen_says_how_many_earlier_cases_become_sensitive(
    locale: str, count: int, expected: str
) -> None:
    assert expected in screen(count, locale)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("uk", "• K-7Q4F · 🔒 Конфіденційне звернення · 2 год"),
        ("ru", "• K-7Q4F · 🔒 Конфиденциальное обращение · 2 ч"),
        ("en", "• K-7Q4F · 🔒 Sensitive case · 2 hr"),
    ],
)
def test_the_neutral_line_says_only_that_the_case_exists(locale: str, expected: str) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    veiled = TeamCase(1, "K-7Q4F", "safety", "", None, "open", now - timedelta(hours=2), True)
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(locale):
        assert case_line(veiled, SENSITIVE, locale, now) == expected
