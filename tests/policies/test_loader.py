"""Policy files: the examples load; every kind of mistake is named with its key and line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

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
        (
            ('en = "Noise"\n', ""),
            "categories.noise.en (line 4): a label in this language is required",
        ),
        (
            ("[roles.frontline]", "[roles.cashier]"),
            "roles (line 14): the frontline role is required",
        ),
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


def test_a_role_without_the_optional_keys_gets_the_defaults() -> None:
    policy = load_policy(MINIMAL)
    assert (policy.week_start, policy.reopen_window_days, policy.escalation_sla_minutes) == (
        0,
        7,
        15,
    )
    assert (policy.reminder_every_minutes, policy.on_the_spot_minutes) == (15, 5)
    assert (policy.digest_weekday, policy.digest_time) == (0, "09:00")
    assert policy.customer_key_may_be_phone is False
    assert policy.budgets == ()
    assert policy.remedies["gift"].money is True


def test_reminders_follow_the_sla_unless_set() -> None:
    policy = load_policy("escalation_sla_minutes = 30\n" + MINIMAL)
    assert policy.reminder_every_minutes == 30
    policy = load_policy("escalation_sla_minutes = 30\nreminder_every_minutes = 10\n" + MINIMAL)
    assert policy.reminder_every_minutes == 10


def test_amounts_may_be_integers_or_strings_and_become_decimals() -> None:
    policy = load_policy(MINIMAL.replace('amount = "100"', "amount = 100"))
    assert policy.roles["frontline"].limits[0].amount == Decimal(100)
    policy = load_policy(MINIMAL.replace('amount = "100"', 'amount = "99.95"'))
    assert policy.roles["frontline"].limits[0].amount == Decimal("99.95")


def test_decimals_follow_the_currency() -> None:
    yen = MINIMAL.replace('"UAH"', '"JPY"')
    assert load_policy(yen.replace('"100"', '"100"')).currency == "JPY"
    assert "roles.frontline.limits[0].amount (line 16): JPY allows 0 decimal places at most" in (
        errors_of(yen.replace('"100"', '"100.5"'))
    )
    dinar = MINIMAL.replace('"UAH"', '"KWD"').replace('"100"', '"1.125"')
    assert load_policy(dinar).roles["frontline"].limits[0].amount == Decimal("1.125")


def test_line_of_the_second_limit_in_a_long_array() -> None:
    text = MINIMAL.replace(
        'limits = [{ amount = "100", scope = "case", interval = "per_case" }]',
        "limits = [\n"
        '  { amount = "100", scope = "case", interval = "per_case" },\n'
        "  # the weekly envelope\n"
        '  { amount = "900", scope = "employee", interval = "fortnight" },\n'
        "]",
    )
    assert errors_of(text) == [
        'roles.frontline.limits[1].interval (line 19): "fortnight" is not one of: '
        "per_case, day, week, month, year, all_time"
    ]


def test_a_missing_key_points_at_its_table() -> None:
    text = MINIMAL.replace('limits = [{ amount = "100", ', "limits = [{ ")
    assert errors_of(text) == ["roles.frontline.limits[0].amount (line 16): is required"]


def test_budgets_are_checked_and_named_by_index() -> None:
    budgets = (
        '\n[[budgets]]\nscope = "org"\namount = "5000"\ninterval = "month"\n'
        '\n[[budgets]]\nscope = "team"\namount = 12.5\ninterval = "week"\n'
        '\n[[budgets]]\nscope = "org"\nteam = "Bar"\namount = "10"\ninterval = "day"\n'
    )
    found = errors_of(MINIMAL + budgets)
    assert found == [
        'budgets[1].amount (line 25): write amounts in quotes, like "1500.50"',
        "budgets[1].team (line 23): a team budget needs the team's name",
        "budgets[2].team (line 30): only a team budget names a team",
    ]
    good = load_policy(MINIMAL + budgets.split('\n[[budgets]]\nscope = "team"')[0])
    assert [(b.scope, b.amount, b.interval) for b in good.budgets] == [
        ("org", Decimal(5000), "month")
    ]


def test_limits_that_name_remedies() -> None:
    text = MINIMAL.replace(
        'interval = "per_case" }]',
        'interval = "per_case", remedies = ["gift", "apology"] }]',
    ) + (
        '\n[remedies.apology]\nuk = "Вибачення"\nru = "Извинение"\nen = "Apology"\nmoney = false\n'
    )
    assert errors_of(text) == [
        'roles.frontline.limits[0].remedies (line 16): "apology" costs nothing, so no limit '
        "counts it"
    ]
    empty = MINIMAL.replace('interval = "per_case" }]', 'interval = "per_case", remedies = [] }]')
    assert errors_of(empty) == [
        "roles.frontline.limits[0].remedies (line 16): list at least one remedy, or leave the "
        "key out to count them all"
    ]
    unknown = MINIMAL.replace(
        'interval = "per_case" }]', 'interval = "per_case", remedies = ["spa"] }]'
    )
    assert errors_of(unknown) == [
        'roles.frontline.limits[0].remedies (line 16): no remedy "spa" in [remedies]'
    ]


def test_two_limits_of_the_same_window_are_one_too_many() -> None:
    text = MINIMAL.replace(
        'interval = "per_case" }]',
        'interval = "per_case" }, { amount = "5", scope = "case", interval = "per_case" }]',
    )
    assert errors_of(text) == [
        "roles.frontline.limits (line 16): two limits have the same scope and interval: "
        "case:per_case"
    ]


def test_unlimited_and_limits_together_are_refused() -> None:
    text = MINIMAL.replace('approver = "none"', 'approver = "none"\nunlimited = true')
    assert errors_of(text) == [
        "roles.frontline.limits (line 17): unlimited = true and limits exclude each other: keep one"
    ]


def test_an_undefined_approver_is_named_once() -> None:
    assert errors_of(MINIMAL.replace('approver = "none"', 'approver = "boss"')) == [
        'roles.frontline.approver (line 15): "boss" is not one of: '
        "frontline, supervisor, manager, admin, none"
    ]


def test_an_approver_of_oneself_is_a_circle() -> None:
    assert errors_of(MINIMAL.replace('approver = "none"', 'approver = "frontline"')) == [
        "roles.frontline.approver (line 15): the approver chain goes round in a circle: "
        "frontline → frontline"
    ]


def test_admin_may_approve_when_only_a_manager_is_written() -> None:
    text = MINIMAL.replace('approver = "none"', 'approver = "manager"') + (
        '\n[roles.manager]\napprover = "admin"\nunlimited = true\n'
    )
    policy = load_policy(text)
    assert policy.rules("admin").unlimited and policy.rules("admin").approver is None


def test_a_label_missing_in_one_language_does_not_make_its_remedy_unknown() -> None:
    text = MINIMAL.replace('en = "Gift"\n', "").replace(
        "limits = [{", 'forbidden = ["gift"]\nlimits = [{'
    )
    assert errors_of(text) == ["remedies.gift.en (line 9): a label in this language is required"]


def test_timings_and_digest_are_checked() -> None:
    text = (
        'week_start = "sun"\nreopen_window_days = 7.5\nescalation_sla_minutes = 0\n'
        'customer_key_may_be_phone = "no"\ndigest = { weekday = "monday", time = "9am" }\n'
    ) + MINIMAL
    assert errors_of(text) == [
        'week_start (line 1): "sun" is not one of: '
        "monday, tuesday, wednesday, thursday, friday, saturday, sunday",
        "reopen_window_days (line 2): must be a whole number",
        "escalation_sla_minutes (line 3): must be between 1 and 10080",
        "customer_key_may_be_phone (line 4): must be true or false",
        "digest.time (line 5): write the time as HH:MM, e.g. 09:00",
    ]
    sunday = load_policy(
        'week_start = "sunday"\ndigest = { weekday = "friday", time = "16:30" }\n' + MINIMAL
    )
    assert (sunday.week_start, sunday.digest_weekday, sunday.digest_time) == (6, 4, "16:30")


def test_a_syntax_error_is_data_with_its_line() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(MINIMAL.replace('en = "Noise"', 'en = "Noise'))
    (issue,) = caught.value.issues
    assert (issue.path, issue.line, issue.params["line"], issue.params["column"]) == ("", 7, 7, 12)
    assert issue.render("uk").startswith("помилка TOML у рядку 7, стовпчику 12")
    assert issue.render("ru").startswith("ошибка TOML в строке 7, столбце 12")


def test_issues_are_data_rendered_in_each_language() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(MINIMAL.replace('scope = "case"', 'scope = "guest"'))
    (issue,) = caught.value.issues
    assert (issue.path, issue.line, issue.message) == (
        "roles.frontline.limits[0].scope",
        16,
        '"{value}" is not one of: {choices}',
    )
    assert issue.params["value"] == "guest"
    assert issue.render("uk").startswith("roles.frontline.limits[0].scope (рядок 16): «guest» —")
    assert issue.render("ru").startswith("roles.frontline.limits[0].scope (строка 16): «guest» —")
    assert "guest" in str(caught.value)  # the exception's own text is the English rendering


def test_every_currency_babel_knows_gets_a_default_policy_that_loads() -> None:
    from babel.numbers import list_currencies

    for currency in sorted(list_currencies()):
        policy = load_policy(default_policy_text(currency, "UTC"))
        assert policy.currency == currency


def test_default_limits_are_scaled_for_the_currency() -> None:
    hryvnia = load_policy(default_policy_text("UAH", "Europe/Kyiv")).roles["frontline"]
    dollar = load_policy(default_policy_text("USD", "America/New_York")).roles["frontline"]
    assert [lim.amount for lim in dollar.limits] == [Decimal(50), Decimal(200)]
    assert [lim.amount for lim in hryvnia.limits] == [Decimal(2000), Decimal(8000)]


# Crafted files: each is a list of problems, never a crash and never a policy.
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('amount = "100"', 'amount = "1E+1000000"'),
            "roles.frontline.limits[0].amount (line 16): "
            'write an amount in plain digits, like "1500.50"',
        ),
        (
            ('amount = "100"', 'amount = "Infinity"'),
            'roles.frontline.limits[0].amount (line 16): "Infinity" is not an amount',
        ),
        (
            ('amount = "100"', 'amount = "1000000000000.01"'),
            "roles.frontline.limits[0].amount (line 16): must be 1,000,000,000,000 at most",
        ),
        (
            ('amount = "100"', "amount = 10000000000000"),
            "roles.frontline.limits[0].amount (line 16): must be 1,000,000,000,000 at most",
        ),
        (
            ('amount = "100"', f'amount = "0.{"0" * 40}1"'),
            "roles.frontline.limits[0].amount (line 16): "
            'write an amount in plain digits, like "1500.50"',
        ),
        (
            ('en = "Noise"', f'en = "{"N" * 60000}"'),
            "categories.noise.en (line 7): a label is 64 characters at most; this one has 60000",
        ),
    ],
)
def test_crafted_values_are_named(change: tuple[str, str], expected: str) -> None:
    assert errors_of(MINIMAL.replace(*change, 1)) == [expected]


def test_nesting_past_the_limit_is_named_with_its_line() -> None:
    deep = MINIMAL + "\nx = " + "[" * 30000 + "]" * 30000 + "\n"
    assert errors_of(deep) == [
        "nested deeper than 16 levels at line 18: a policy needs three at most"
    ]
    (uk,) = errors_of(deep, "uk")
    assert "18" in uk and "16" in uk
    # Brackets in strings and comments are text, not nesting.
    quoted = MINIMAL.replace('en = "Noise"', f'en = "{"[" * 40}" # {"{" * 40}')
    assert load_policy(quoted).categories["noise"].en == "[" * 40


def test_a_number_of_thousands_of_digits_is_named() -> None:
    text = MINIMAL.replace('amount = "100"', "amount = 1" + "0" * 5000)
    assert errors_of(text) == ["a number in the file is longer than any policy needs"]


def test_a_huge_key_or_value_is_quoted_cut_short() -> None:
    (problem,) = errors_of(MINIMAL.replace('"UAH"', f'"{"U" * 60000}"'))
    assert len(problem) < 120 and problem.endswith('…"')
    (unknown,) = errors_of(MINIMAL + f'\n"{"k" * 60000}" = 1\n')
    assert len(unknown) < 120 and unknown.endswith("unknown key")


def test_a_deny_reason_may_be_longer_than_a_button_but_not_than_a_screen() -> None:
    reason = '\n[deny_reasons.late]\nuk = "{0}"\nru = "{0}"\nen = "{0}"\n'
    load_policy(MINIMAL + reason.format("r" * 200))
    assert errors_of(MINIMAL + reason.format("r" * 201))[0].startswith(
        "deny_reasons.late.uk (line 19): a label is 200 characters at most"
    )


def test_too_many_entries_are_named_once() -> None:
    many = "".join(
        f'\n[categories.c{n}]\nuk = "К{n}"\nru = "К{n}"\nen = "C{n}"\n' for n in range(31)
    )
    assert errors_of(MINIMAL + many) == ["categories (line 4): 30 entries at most; there are 32"]
    limits = ", ".join(
        f'{{ amount = "{n}", scope = "case", interval = "per_case" }}' for n in range(1, 14)
    )
    text = MINIMAL.replace(
        'limits = [{ amount = "100", scope = "case", interval = "per_case" }]',
        f"limits = [{limits}]",
    )
    assert errors_of(text) == ["roles.frontline.limits (line 16): 12 entries at most; there are 13"]


def test_the_survey_asks_nps_only_where_the_policy_says_so() -> None:
    assert load_policy(MINIMAL).survey_nps is False
    assert load_policy(default_policy_text("USD", "Europe/Kyiv")).survey_nps is False
    examples = {
        name: load_policy((EXAMPLES / f"{name}.toml").read_text())
        for name in ("hotel", "bank", "retail")
    }
    assert {name: p.survey_nps for name, p in examples.items()} == {
        "hotel": True,
        "bank": True,
        "retail": False,
    }
    inline = MINIMAL.replace("\n[categories", "\nsurvey = { nps = true }\n\n[categories", 1)
    assert load_policy(inline).survey_nps is True
    assert load_policy(MINIMAL + "\n[survey]\nnps = true\n").survey_nps is True
    assert errors_of(MINIMAL + "\n[survey]\nnps = 1\nstars = 5\n") == [
        "survey.stars (line 20): unknown key",
        "survey.nps (line 19): must be true or false",
    ]


CAUSES = """
[causes.housekeeping]
uk = "Прибирання"
ru = "Уборка"
en = "Housekeeping"

[causes.event_noise]
uk = "Шум від заходу"
ru = "Шум от мероприятия"
en = "Noise from an event"
"""


def test_causes_are_optional_labelled_and_narrowed_per_category() -> None:
    assert load_policy(MINIMAL).causes == {}
    assert load_policy(MINIMAL).causes_for("noise") == ()
    policy = load_policy(MINIMAL + CAUSES)
    assert list(policy.causes) == ["housekeeping", "event_noise"]
    assert policy.cause_label("event_noise", "ru") == "Шум от мероприятия"
    assert policy.cause_label("gone", "en") == "gone"  # a cause of an older policy
    assert policy.causes_for("noise") == ("housekeeping", "event_noise")
    narrowed = MINIMAL.replace('en = "Noise"', 'en = "Noise"\ncauses = ["event_noise"]', 1)
    assert load_policy(narrowed + CAUSES).causes_for("noise") == ("event_noise",)
    hotel = load_policy((EXAMPLES / "hotel.toml").read_text())
    assert hotel.causes_for("noise") == ("event_noise", "maintenance")
    assert "booking_error" in hotel.causes_for("billing")


def test_an_unknown_or_badly_labelled_cause_is_named() -> None:
    unknown = MINIMAL.replace('en = "Noise"', 'en = "Noise"\ncauses = ["party"]', 1)
    assert errors_of(unknown + CAUSES) == [
        'categories.noise.causes (line 8): no cause "party" in [causes]'
    ]
    # Without any [causes], every key a category names is unknown.
    assert errors_of(unknown) == ['categories.noise.causes (line 8): no cause "party" in [causes]']
    assert errors_of(MINIMAL.replace('en = "Noise"', 'en = "Noise"\ncauses = "x"', 1)) == [
        "categories.noise.causes (line 8): must be a list of cause keys"
    ]
    assert errors_of(MINIMAL + CAUSES.replace('en = "Housekeeping"\n', "")) == [
        "causes.housekeeping.en (line 18): a label in this language is required"
    ]
    long = CAUSES.replace("Housekeeping", "H" * 65)
    assert errors_of(MINIMAL + long) == [
        "causes.housekeeping.en (line 21): a label is 64 characters at most; this one has 65"
    ]
    assert errors_of(MINIMAL + CAUSES + "money = false\n") == [
        "causes.event_noise.money (line 27): unknown key"
    ]
    assert errors_of(MINIMAL + "\n[causes.Bad-Key]\nuk = 'a'\nru = 'a'\nen = 'a'\n") == [
        "causes.Bad-Key (line 18): keys are lowercase letters, digits and _ (20 at most)"
    ]
    # The problem list renders in the admin's language like every other.
    assert errors_of(unknown + CAUSES, "uk") != errors_of(unknown + CAUSES, "en")


def test_a_follow_up_threshold_is_one_to_five_and_its_sla_in_minutes() -> None:
    assert (load_policy(MINIMAL).follow_up_below, load_policy(MINIMAL).follow_up_minutes) == (3, 60)
    hotel = load_policy((EXAMPLES / "hotel.toml").read_text())
    assert (hotel.follow_up_below, hotel.follow_up_minutes) == (3, 60)
    text = MINIMAL + "\n[survey]\nfollow_up_below = 4\nfollow_up_minutes = 30\n"
    assert (load_policy(text).follow_up_below, load_policy(text).follow_up_minutes) == (4, 30)
    assert errors_of(MINIMAL + "\n[survey]\nfollow_up_below = 0\nfollow_up_minutes = 0\n") == [
        "survey.follow_up_below (line 19): must be between 1 and 5",
        "survey.follow_up_minutes (line 20): must be between 1 and 10080",
    ]
    assert errors_of(MINIMAL + "\n[survey]\nfollow_up_below = 6\n") == [
        "survey.follow_up_below (line 19): must be between 1 and 5"
    ]


PLAYBOOK = """
[categories.noise.playbook]
uk = "Спершу запропонуйте тихіший номер"
ru = "Сначала предложите более тихий номер"
en = "Offer a quieter room first"
"""


def test_a_playbook_line_per_category_in_every_language() -> None:
    assert load_policy(MINIMAL).playbooks == {}
    assert load_policy(MINIMAL).playbook("noise", "en") is None
    with_playbook = MINIMAL.replace("\n[remedies.gift]", PLAYBOOK + "\n[remedies.gift]", 1)
    policy = load_policy(with_playbook)
    assert policy.playbook("noise", "ru") == "Сначала предложите более тихий номер"
    assert policy.playbook("gone", "en") is None  # a category of an older policy
    # The inline form is the same table.
    inline = MINIMAL.replace(
        'en = "Noise"', 'en = "Noise"\nplaybook = { uk = "А", ru = "Б", en = " C " }', 1
    )
    assert load_policy(inline).playbook("noise", "en") == "C"
    for example, categories in (
        ("hotel.toml", {"noise", "food", "billing"}),
        ("retail.toml", {"defect", "price"}),
        ("bank.toml", {"fees", "waiting"}),
    ):
        assert set(load_policy((EXAMPLES / example).read_text()).playbooks) == categories


def test_a_playbook_without_a_language_or_too_long_is_named() -> None:
    def with_playbook(text: str) -> str:
        return MINIMAL.replace("\n[remedies.gift]", text + "\n[remedies.gift]", 1)

    assert errors_of(
        with_playbook(PLAYBOOK.replace('ru = "Сначала предложите более тихий номер"\n', ""))
    ) == ["categories.noise.playbook.ru (line 9): a label in this language is required"]
    long = PLAYBOOK.replace("Offer a quieter room first", "O" * 121)
    assert errors_of(with_playbook(long)) == [
        "categories.noise.playbook.en (line 12): "
        "a label is 120 characters at most; this one has 121"
    ]
    assert (
        len(
            load_policy(
                with_playbook(PLAYBOOK.replace("Offer a quieter room first", "O" * 120))
            ).playbook("noise", "en")
            or ""
        )
        == 120
    )
    assert errors_of(with_playbook(PLAYBOOK + "money = false\n")) == [
        "categories.noise.playbook.money (line 13): unknown key"
    ]
    assert errors_of(with_playbook(PLAYBOOK + "de = 'Ruhiges Zimmer'\n")) == [
        "categories.noise.playbook.de (line 13): unknown key"
    ]
    assert errors_of(
        MINIMAL.replace('en = "Noise"', 'en = "Noise"\nplaybook = "Move them"', 1)
    ) == ["categories.noise.playbook (line 8): must be a table"]


def test_a_sensitive_category_and_who_sees_it() -> None:
    policy = load_policy(
        MINIMAL.replace('en = "Noise"', 'en = "Noise"\nsensitive = true').replace(
            'timezone = "Europe/Kyiv"\n',
            'timezone = "Europe/Kyiv"\nsensitive_roles = ["supervisor", "manager"]\n',
        )
    )
    assert policy.sensitive == frozenset({"noise"}) and policy.is_sensitive("noise")
    assert policy.sensitive_roles == ("supervisor", "manager")
    assert policy.sees_sensitive("supervisor") and policy.sees_sensitive("admin")
    assert not policy.sees_sensitive("frontline")


def test_without_the_keys_nothing_is_sensitive_and_managers_would_see_it() -> None:
    policy = load_policy(MINIMAL)
    assert policy.sensitive == frozenset() and not policy.is_sensitive("noise")
    assert policy.sensitive_roles == ("manager",)
    # No role at all: the reporter, the approvers and the admins only.
    alone = load_policy(MINIMAL.replace("[categories", "sensitive_roles = []\n\n[categories", 1))
    assert alone.sensitive_roles == () and alone.sees_sensitive("admin")
    assert not alone.sees_sensitive("manager")


@pytest.mark.parametrize("name", ["hotel", "retail", "bank"])
def test_each_example_has_a_sensitive_category(name: str) -> None:
    policy = load_policy((EXAMPLES / f"{name}.toml").read_text())
    (key,) = policy.sensitive
    assert {"hotel": "safety", "retail": "theft", "bank": "fraud"}[name] == key
    assert policy.category_label(key, "en") in ("Safety", "Theft", "Fraud")
    assert policy.sensitive_roles == ("manager",)


def test_unknown_sensitive_roles_and_a_wrong_flag_are_named_in_each_language() -> None:
    text = MINIMAL.replace(
        'timezone = "Europe/Kyiv"\n', 'timezone = "Europe/Kyiv"\nsensitive_roles = ["guard"]\n'
    ).replace('en = "Noise"', 'en = "Noise"\nsensitive = "yes"')
    assert errors_of(text) == [
        "categories.noise.sensitive (line 9): must be true or false",
        'sensitive_roles (line 3): "guard" is not one of: frontline, supervisor, manager, admin',
    ]
    assert errors_of(text, "uk") == [
        "categories.noise.sensitive (рядок 9): має бути true або false",
        "sensitive_roles (рядок 3): «guard» — не одне з: frontline, supervisor, manager, admin",
    ]
    assert errors_of(text, "ru")[1] == (
        "sensitive_roles (строка 3): «guard» — не одно из: frontline, supervisor, manager, admin"
    )
    (listed,) = errors_of(
        MINIMAL.replace("[categories", 'sensitive_roles = "manager"\n[categories')
    )
    assert listed == "sensitive_roles (line 4): must be a list of roles"
    (listed_uk,) = errors_of(
        MINIMAL.replace("[categories", 'sensitive_roles = "manager"\n[categories'), "uk"
    )
    assert listed_uk == "sensitive_roles (рядок 4): має бути списком ролей"
