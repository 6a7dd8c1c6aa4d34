"""Lines of keys in a TOML text, for error messages that point at the right line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.positions import key_lines, line_of

TEXT = '''\
# comment with = and [brackets]
currency = "UAH"  # trailing [comment]
motto = """many
lines ] } with brackets
"""
digest = { weekday = "monday", time = "09:00" }

[roles.frontline]
limits = [
  { amount = "1", scope = "case", interval = "per_case" },   # first
  # a comment between elements, { amount = "x" }
  { amount = "2", scope = "employee",
    interval = "week", remedies = ["gift", 'refund'] },
]
"quoted.key" = 1

[[budgets]]
amount = "5"

[[budgets]]
scope = 'team'
'''


def test_every_key_gets_its_line() -> None:
    lines = key_lines(TEXT)
    assert lines["currency"] == 2
    assert lines["motto"] == 3
    assert (lines["digest"], lines["digest.time"]) == (6, 6)
    assert lines["roles"] == lines["roles.frontline"] == 8
    assert lines["roles.frontline.limits"] == 9
    assert lines["roles.frontline.limits[0].interval"] == 10
    assert lines["roles.frontline.limits[1]"] == 12
    assert lines["roles.frontline.limits[1].scope"] == 12
    assert lines["roles.frontline.limits[1].interval"] == 13
    assert lines["roles.frontline.limits[1].remedies[1]"] == 13
    assert lines["roles.frontline.quoted.key"] == 15
    assert (lines["budgets[0]"], lines["budgets[0].amount"]) == (17, 18)
    assert (lines["budgets[1]"], lines["budgets[1].scope"]) == (20, 21)
    assert "roles.frontline.limits[2]" not in lines


def test_a_missing_key_falls_back_to_its_nearest_parent() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, "roles.frontline.limits[0].remedies") == 10
    assert line_of(lines, "roles.frontline.approver") == 8
    assert line_of(lines, "budgets[1].amount") == 20
    assert line_of(lines, "timezone") is None


def test_odd_text_gives_what_it_can() -> None:
    assert key_lines('a = "unterminated\nb = [1, 2') == {"a": 1, "b": 2, "b[0]": 2, "b[1]": 2}
    assert key_lines("") == {}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab =[]{},.\"'#\n\\0", max_size=80))
def test_any_text_ends_without_error(text: str) -> None:
    lines = key_lines(text)
    assert all(1 <= line <= text.count("\n") + 1 for line in lines.values())
