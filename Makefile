# The two commands: `make run` (the portal with demo data on http://127.0.0.1:8000)
# and `make test` (the whole test suite on real PostgreSQL, Redis, Celery, SMTP, Chromium).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=
MAKEMESSAGES_ARGS ?= --add-location=file --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=wsis_portal.egg-info

.PHONY: run test test-fast test-slow test-deployed bench lint format messages install install-dev system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the locked versions, every file checked against its hash (requirements/*.txt, which also
# lock pip and setuptools); then the project itself, built by that setuptools (no isolated build
# environment fetching an unhashed one). Re-installs whenever the lock or pyproject.toml changes.
PIP_INSTALL := $(BIN)/python -m pip install -q
$(VENV)/.installed: requirements/base.txt pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) --require-hashes -r requirements/base.txt
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) --require-hashes -r requirements/dev.txt
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed

# Recompile the lock files after changing the dependencies in pyproject.toml: for Python 3.11 on
# Linux x86_64 (the image and CI) whatever machine runs it, keeping every pinned version that still
# fits; `make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed versions.
.PHONY: lock
LOCK_ARGS ?=
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 $(LOCK_ARGS) \
	--custom-compile-command "make lock   (Python 3.11, Linux x86_64; docs/decisions/0001-locked-installs.md)"
lock: install-dev
	$(UV_COMPILE) pyproject.toml requirements/build.in -o requirements/base.txt
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra dev -c requirements/base.txt -o requirements/dev.txt

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
	VENV=$(VENV) scripts/run-embedded.sh $(HOST)

test: system-packages install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser, fault-injection and deployed tiers; those alone; the deployed tier alone.
test-fast: install-dev
	$(BIN)/python -m pytest -m "not browser and not fault and not deployed" $(PYTEST_ARGS)
test-slow: system-packages install-dev
	$(BIN)/python -m pytest -m "browser or fault or deployed" $(PYTEST_ARGS)
test-deployed: system-packages install-dev
	$(BIN)/python -m pytest -m deployed $(PYTEST_ARGS)

bench: system-packages install-dev
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# ruff (lint and format), mypy with django-stubs, and import-linter's layer contracts (pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
