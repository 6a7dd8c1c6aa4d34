# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test lint install locales clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## The whole product in the browser at http://127.0.0.1:8080: sandbox, bot, web chat, demo hotel.
demo: $(STAMP)
	$(BIN)/casebot demo

## Run the bot: SQLite in ./data, and the local Telegram sandbox when no CASEBOT_BOT_TOKEN is set.
run: $(STAMP)
	$(BIN)/casebot run

## Every test, then ruff and mypy. pytest's "no tests collected" (exit 5) fails like any failure.
test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Re-extract messages and merge them into the uk/ru/en catalogs (then translate what is new).
locales: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k __ -k ngettext:1,2 --no-wrap --sort-by-file \
		--project=casebot --copyright-holder=casebot -o locales/casebot.pot bot handlers
	$(BIN)/pybabel update -D casebot -i locales/casebot.pot -d locales --no-wrap --ignore-obsolete
	$(BIN)/pybabel extract -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k N_ --no-wrap --sort-by-file \
		--project=casebot --copyright-holder=casebot -o locales/policies.pot policies
	$(BIN)/pybabel update -D policies -i locales/policies.pot -d locales --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
