# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
# links in the demo's mails and printed logins point at the server `make demo` starts
BASE_URL ?= http://$(HOST):$(PORT)
export BASE_URL

.PHONY: install translations extract demo test test-fast lint bench

install: $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

# Installs, brings the database to the latest schema, builds the demo panel and serves it.
# The app refuses to start without SECRET_KEY: the demo makes a random one once and keeps
# it in instance/ (so its sessions and answer links survive a restart), unless one is set.
DEMO_SECRET_FILE := instance/demo-secret-key
demo: install
	@test -n "$$SECRET_KEY" -o -s $(DEMO_SECRET_FILE) || { mkdir -p instance && \
		$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $(DEMO_SECRET_FILE); }
	export SECRET_KEY="$${SECRET_KEY:-$$(cat $(DEMO_SECRET_FILE))}" && \
	$(FLASK) db upgrade && \
	$(FLASK) demo && \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Installs and runs the whole suite on SQLite and, at the same time, on PostgreSQL
# (TEST_DATABASE_URL, default the local server; skipped with a message where none answers).
# ARGS go to pytest, e.g. make test ARGS="-k weighting".
test: install
	$(BIN)/python tests/run_both.py $(ARGS)

# The quick loop while working: SQLite only, without the browser and subprocess tests.
test-fast: install
	$(BIN)/pytest -q -m "not slow" $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core stats panel surveys api initiatives

# Benchmarks print their figures; the peers of the raking benchmark come from the "bench" extra.
bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.run_all

# Extract new user-facing text and merge it into the catalogs; then translate da/messages.po.
extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
