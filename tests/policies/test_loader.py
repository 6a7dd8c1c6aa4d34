"""Policy files: the examples load; every kind of mistake is named with its key and line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from policies.cli import add_policy_commands
from policies.defaults import default_policy_text
from policies.loader import PolicyError, load_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "policies"

MINIMAL = """\
currency = "UAH"
timezone = "Europe/Kyiv"

[categories.noise]
uk = "Шум"
ru = "Шум"
en = "Noise"

[remedies.gift]
uk = "Подарунок"
ru = "Подарок"
en = "Gift"

[roles.frontline]
approver = "none"
limits = [{ amount = "100", scope = "case", interval = "per_case" }]
"""


def errors_of(text: str, locale: str = "en") -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(text)
    return caught.value.render(locale)


@pytest.mark.parametrize("name", ["hotel", "retail", "bank"])
def test_examples_load(name: str) -> None:
    policy = load_policy((EXAMPLES / f"{name}.toml").read_text())
    assert "frontline" in policy.roles and policy.categories and policy.remedies


def test_the_ritz_rule_is_three_lines() -> None:
    hotel = (EXAMPLES / "hotel.toml").read_text()
    block = hotel.split("[roles.frontline]")[1].split("\n\n")[0].strip().splitlines()
    assert len(block) == 2  # header + approver + limits = three lines with the header
    frontline = load_policy(hotel).roles["frontline"]
    assert [(lim.amount, lim.scope, lim.interval) for lim in frontline.limits] == [
        (Decimal("2000"), "customer", "day")
    ]


@pytest.mark.parametrize(
    ("currency", "timezone"),
    [
        ("UAH", "Europe/Kyiv"),
        ("USD", "America/New_York"),
        ("JPY", "Asia/Tokyo"),
        ("EUR", "Europe/Berlin"),
    ],
)
def test_default_policy_loads_in_every_currency(currency: str, timezone: str) -> None:
    policy = load_policy(default_policy_text(currency, timezone))
    assert (policy.currency, policy.timezone) == (currency, timezone)
    assert policy.roles["manager"].unlimited


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("limits = [{", "bonus = 1\nlimits = [{"), "roles.frontline.bonus (line 16): unknown key"),
        (
            ('amount = "100"', "amount = 100.5"),
            'roles.frontline.limits[0].amount (line 16): write amounts in quotes, like "1500.50"',
        ),
        (
            ('amount = "100"', 'amount = "100.555"'),
            "roles.frontline.limits[0].amount (line 16): UAH allows 2 decimal places at most",
        ),
        (
            ('amount = "100"', 'amount = "-5"'),
            "roles.frontline.limits[0].amount (line 16): must be more than zero",
        ),
        (
            ('amount = "100"', 'amount = "lots"'),
            'roles.frontline.limits[0].amount (line 16): "lots" is not an amount',
        ),
        (('currency = "UAH"', 'currency = "XYZ"'), 'currency (line 1): unknown currency "XYZ"'),
        (
            ('timezone = "Europe/Kyiv"', 'timezone = "Kyiv"'),
            'timezone (line 2): unknown time zone "Kyiv"',
        ),
        (
            ('scope = "case"', 'scope = "guest"'),
            'roles.frontline.limits[0].scope (line 16): "guest" is not one of: '
            "case, customer, employee, team, org",
        ),
        (
            ('interval = "per_case"', 'interval = "shift"'),
            'roles.frontline.limits[0].interval (line 16): "shift" is not one of: '
            "per_case, day, week, month, year, all_time",
        ),
        (
            ('approver = "none"', 'approver = "supervisor"'),
            'roles.frontline.approver (line 15): role "supervisor" is not defined here',
        ),
        (
            ("limits = [{", 'forbidden = ["refund"]\nlimits = [{'),
            'roles.frontline.forbidden (line 16): no remedy "refund" in [remedies]',
        ),
        (
            ("[categories.noise]", "[categories.Noise]"),
            "categories.Noise (line 4): keys are lowercase letters, digits and _ (20 at most)",
        ),
        (('en = "Noise"\n', ""), "categories.noise.en: a label in this language is required"),
        (("[roles.frontline]", "[roles.cashier]"), "roles: the frontline role is required"),
    ],
)
def test_each_mistake_is_named(change: tuple[str, str], expected: str) -> None:
    text = MINIMAL.replace(*change, 1)
    assert text != MINIMAL
    assert expected in errors_of(text)


def test_every_problem_is_listed_at_once() -> None:
    text = MINIMAL.replace('currency = "UAH"', 'currency = "XYZ"\nsurprise = true').replace(
        'scope = "case"', 'scope = "guest"'
    )
    found = errors_of(text)
    assert len(found) == 3
    assert any(line.startswith("surprise") for line in found)


def test_approver_cycle_is_an_error() -> None:
    text = MINIMAL.replace('approver = "none"', 'approver = "supervisor"') + (
        '\n[roles.supervisor]\napprover = "frontline"\n'
        'limits = [{ amount = "500", scope = "case", interval = "per_case" }]\n'
    )
    assert any(
        "the approver chain goes round in a circle: frontline → supervisor → frontline" in e
        for e in errors_of(text)
    )


def test_toml_syntax_error_has_line_and_column() -> None:
    (problem,) = errors_of(MINIMAL.replace('en = "Noise"', "en = Noise"))
    assert problem.startswith("not valid TOML at line 7, column 6")


def test_errors_render_in_the_admins_language() -> None:
    text = MINIMAL.replace('amount = "100"', "amount = 100.5")
    (uk,) = errors_of(text, "uk")
    assert uk == (
        'roles.frontline.limits[0].amount (рядок 16): пишіть суми в лапках, наприклад "1500.50"'
    )
    (ru,) = errors_of(text, "ru")
    assert ru.endswith('пишите суммы в кавычках, например "1500.50"')


def run_cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    add_policy_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["check", str(EXAMPLES / "hotel.toml")]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    broken = tmp_path / "broken.toml"
    broken.write_text(MINIMAL.replace('scope = "case"', 'scope = "guest"').replace("UAH", "XYZ"))
    assert run_cli(["check", str(broken), "--lang", "uk"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "невідома валюта «XYZ»" in err[0]


def test_cli_explain_in_three_languages(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "explain",
        str(EXAMPLES / "retail.toml"),
        "--role",
        "frontline",
        "--remedy",
        "discount",
        "--amount",
        "2000",
        "--used",
        "employee:week=1500",
    ]
    expected = {
        "en": "You can give up to 500,00 ₴ now",
        "uk": "Зараз ви можете надати до 500,00 ₴",
        "ru": "Сейчас вы можете предоставить до 500,00 ₴",
    }
    for lang, start in expected.items():
        assert run_cli([*argv, "--lang", lang]) == 0
        out = capsys.readouterr().out
        assert out.startswith("partial:") and start in out.replace("\xa0", " ").replace(
            "\u202f", " "
        ), out
    assert run_cli([*argv[:-2], "--used", "weekly=5"]) == 2
    assert (
        run_cli(
            [
                "explain",
                str(EXAMPLES / "retail.toml"),
                "--role",
                "frontline",
                "--remedy",
                "caviar",
                "--amount",
                "1",
            ]
        )
        == 2
    )
