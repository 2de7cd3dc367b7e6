# Two commands: `make run` serves the API on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

LOCALSTRIPE_PORT ?= 8420
APP_BIND ?= 127.0.0.1:8000

.PHONY: run test install install-dev migrate seed localstripe worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files make installs happen again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

# With no STRIPE_SECRET_KEY the app pays through localstripe, started here in the background.
# The demo counts brands' hold periods in minutes, so a sale goes pending -> approved while you watch.
run: export HOLD_PERIOD_UNIT ?= minutes
ifeq ($(STRIPE_SECRET_KEY),)
run: export STRIPE_API_BASE ?= http://127.0.0.1:$(LOCALSTRIPE_PORT)
endif
run: seed
	@if [ -z "$$STRIPE_SECRET_KEY" ]; then $(MAKE) --no-print-directory localstripe; fi
	GUNICORN_BIND=$(APP_BIND) $(BIN)/gunicorn -c python:marketplace.gunicorn_conf wsgi:app

# localstripe is a development dependency (the dev extra), like the tests.
localstripe: install-dev
	@mkdir -p instance
	$(BIN)/python -m tests.localstripe_server $(LOCALSTRIPE_PORT) --background \
		--webhook http://$(APP_BIND)/webhooks/stripe --log instance/localstripe.log

worker: install
	$(BIN)/python -m workers

test: install-dev
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache
