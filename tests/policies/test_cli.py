"""`casebot policy check` and `casebot policy explain`, called as the lead's CLI calls them:
through the registered subparsers and each command's func."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from policies.cli import add_policy_commands

EXAMPLES = Path(__file__).resolve().parents[2] / "policies"
RETAIL = str(EXAMPLES / "retail.toml")
BANK = str(EXAMPLES / "bank.toml")


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="casebot policy")
    add_policy_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def spaces(text: str) -> str:
    """Babel groups thousands with (narrow) no-break spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("name", ["hotel", "retail", "bank"])
def test_check_says_ok_with_a_summary(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", str(EXAMPLES / f"{name}.toml")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("OK: ") and "roles" in out and "limits" in out
    assert err == ""


def test_check_lists_every_error_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    text = (EXAMPLES / "retail.toml").read_text()
    broken.write_text(
        text.replace('currency = "UAH"', 'currency = "XYZ"')
        .replace('interval = "month" },', 'interval = "monthly" },')
        .replace("[categories.queue]", "[categories.Queue]")
    )
    assert run(["check", str(broken), "--lang", "uk"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 4
    assert all(line.startswith(f"{broken}: ") for line in lines)
    assert "currency (рядок 6): невідома валюта «XYZ»" in lines[0]
    assert "categories.Queue (рядок 28)" in lines[1]
    assert "roles.supervisor.limits[2].interval (рядок 91): «monthly»" in lines[2]
    assert "roles.manager.limits[1].interval (рядок 100): «monthly»" in lines[3]


def test_check_of_a_missing_or_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["check", str(tmp_path / "nowhere.toml")]) == 1
    assert "nowhere.toml" in capsys.readouterr().err
    garbled = tmp_path / "garbled.toml"
    garbled.write_text('currency = "UAH\n')
    assert run(["check", str(garbled), "--lang", "ru"]) == 1
    assert "ошибка TOML в строке 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lang", "start", "limit_line"),
    [
        (
            "en",
            "You can give up to 500,00 ₴ now",
            "▶ per case: used 0,00 ₴, left 500,00 ₴ of 500,00 ₴",
        ),
        (
            "uk",
            "Зараз ви можете надати до 500,00 ₴",
            "▶ на звернення: використано 0,00 ₴, залишилось 500,00 ₴ з 500,00 ₴",
        ),
        (
            "ru",
            "Сейчас вы можете предоставить до 500,00 ₴",
            "▶ на обращение: использовано 0,00 ₴, осталось 500,00 ₴ из 500,00 ₴",
        ),
    ],
)
def test_explain_prints_the_decision_in_the_chosen_language(
    lang: str, start: str, limit_line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["explain", RETAIL, "--role", "frontline", "--remedy", "discount", "--amount", "2000"]
    assert run([*argv, "--used", "employee:week=1500", "--lang", lang]) == 0
    out = spaces(capsys.readouterr().out)
    first, explanation, *limits = out.splitlines()
    assert first.startswith("partial: 500,00 ₴ / 2 000,00 ₴")
    assert explanation.startswith(start)
    assert "<b>" not in explanation
    assert limit_line in [line.strip() for line in limits]
    assert any("1 500,00 ₴" in line and "3 000,00 ₴" in line for line in limits)


def test_explain_counts_remedy_limits_whatever_order_they_are_typed_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["explain", BANK, "--role", "frontline", "--remedy", "fee_waiver", "--amount", "40"]
    assert run([*argv, "--used", "customer:year:fee_waiver=120"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("partial: €30.00 / €40.00")
    assert "The rest must be approved by a supervisor." in out


def test_explain_says_which_figures_it_took_as_unused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", BANK, "--role", "frontline", "--remedy", "fee_waiver", "--amount", "10"]
    assert run([*argv, "--used", "team:month=5"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("allowed: €10.00 / €10.00")
    assert "counted as unused: case:per_case, customer:year:fee_waiver" in err
    assert "team:month" in err


def test_explain_forbidden_and_nobody_above(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", BANK, "--role", "frontline", "--remedy", "goodwill", "--amount", "10"]
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("forbidden: €0.00 / €10.00")
    assert "Ask a supervisor, a manager, or an admin." in out
    argv = ["explain", BANK, "--role", "admin", "--remedy", "goodwill", "--amount", "6000"]
    assert run(argv) == 0
    assert "Nobody up the chain can approve €1,000.00" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--remedy", "caviar", "--amount", "1"], "unknown remedy 'caviar'"),
        (["--remedy", "discount", "--amount", "1,5"], "write it like 1500.50"),
        (["--remedy", "discount", "--amount", "1.555"], "UAH has 2 decimal places at most"),
        (["--remedy", "discount", "--amount", "0"], "above zero"),
        (["--remedy", "apology", "--amount", "5"], "costs nothing"),
        (["--remedy", "discount", "--amount", "5", "--used", "weekly=5"], "scope:interval"),
        (["--remedy", "discount", "--amount", "5", "--used", "case:per_case=x"], "not an amount"),
    ],
)
def test_explain_refuses_bad_input_with_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["explain", RETAIL, "--role", "frontline", *extra]) == 2
    assert message in capsys.readouterr().err


def test_unknown_role_is_refused_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["explain", RETAIL, "--role", "owner", "--remedy", "gift", "--amount", "1"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("craft", "expected"),
    [
        (lambda t: t + "\nx = " + "[" * 30000 + "]" * 30000 + "\n", "nested deeper than 16"),
        (
            lambda t: t.replace('amount = "50"', 'amount = "1E+1000000"', 1),
            "write an amount in plain digits",
        ),
        (lambda t: t.replace('en = "Card"', f'en = "{"C" * 60000}"', 1), "64 characters at most"),
    ],
)
def test_check_names_crafted_files_problems(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    craft: Callable[[str], str],
    expected: str,
) -> None:
    text = Path(BANK).read_text()
    crafted = craft(text)
    assert crafted != text
    path = tmp_path / "crafted.toml"
    path.write_text(crafted)
    assert run(["check", str(path)]) != 0
    _, err = capsys.readouterr()
    assert expected in err and len(err) < 1000
