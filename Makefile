# Two commands for a fresh clone: `make run` and `make test` (see README.md).
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
SCALEOUT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
SCALEOUT_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run dev test lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	bash scripts/run.sh

# As `make run`, with DEBUG on: Django's debug pages, static files read from static/.
dev: $(VENV)/.installed
	bash scripts/run.sh --dev

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# The whole suite on the embedded default (SQLite, in-memory layer), then everything that
# is not a browser or simulator test again on the scale-out path: PostgreSQL and Redis.
test: lint
	$(VENV)/bin/pytest
	DATABASE_URL=$(SCALEOUT_DATABASE_URL) REDIS_URL=$(SCALEOUT_REDIS_URL) \
		$(VENV)/bin/pytest -m "not browser" --ignore=tests/simulator -p no:cacheprovider

bench: $(VENV)/.installed-dev
	$(PY) bench/simulator.py
	$(PY) bench/upstream.py
	$(PY) bench/pages.py
	$(PY) bench/live.py
	$(PY) bench/browser_live.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
