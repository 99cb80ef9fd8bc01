# The two commands: `make run` (the portal with demo data on http://127.0.0.1:8000)
# and `make test` (the whole test suite on real PostgreSQL, Redis, Celery, SMTP, Chromium).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=
MAKEMESSAGES_ARGS ?= --add-location=file --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=wsis_portal.egg-info

.PHONY: run test test-fast test-slow bench lint format messages install install-dev system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install whenever the dependency declarations change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-packages:
	scripts/install-system-packages.sh

# Translations: collect the marked strings into locale/<language>/LC_MESSAGES/django.po (new ones
# arrive untranslated: tests/test_i18n.py fails until they are translated), then compile the .mo
# files, which are committed so that `make run` needs no gettext.
LANGUAGES_PO := fr es ar zh_Hans ru
messages: install
	$(BIN)/python manage.py makemessages $(foreach l,$(LANGUAGES_PO),-l $(l)) $(MAKEMESSAGES_ARGS)
	for l in $(LANGUAGES_PO); do msgfmt --check -o locale/$$l/LC_MESSAGES/django.mo locale/$$l/LC_MESSAGES/django.po || exit 1; done

run: install
	scripts/install-system-packages.sh runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runserver $(HOST)

test: system-packages install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser and fault-injection tests; and those alone.
test-fast: install-dev
	$(BIN)/python -m pytest -m "not browser and not fault" $(PYTEST_ARGS)
test-slow: system-packages install-dev
	$(BIN)/python -m pytest -m "browser or fault" $(PYTEST_ARGS)

bench: system-packages install-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
