# Dash Engine: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The services CI must test against (running on every project machine).
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/15

# Settings for the test runs: production-like (debug off), no TLS redirect.
TEST_ENV := DJANGO_ENV_FILE=/nonexistent DJANGO_DEBUG=0 DJANGO_SECRET_KEY=test-only-secret-key-not-for-production-0123456789 DATABASE_CONN_MAX_AGE=0 \
	DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0 DJANGO_HSTS_SECONDS=0

.PHONY: run worker demo-password test test-sqlite test-services lint format check requirements test-packages clean bench

# The project goes on the venv's path, so `python dashboards/catalogue/<name>.py` finds dashkit.
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c 'import site, pathlib; pathlib.Path(site.getsitepackages()[0], "dashengine.pth").write_text("$(CURDIR)\n")'

$(VENV)/.installed: $(PY) requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# A developer's settings (debug on), so that `.venv/bin/python manage.py ...` works as written.
.env:
	cp .env.example .env

run: $(VENV)/.installed .env
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	@echo
	@echo "Dash Engine: http://127.0.0.1:$(PORT)/"
	@echo "Log in as admin, analyst, sales, marketing or viewer, with DEMO_PASSWORD or the password"
	@echo "printed when the users were first made (a new one for all of them: make demo-password)."
	@echo
	@# Scheduled reports are sent every minute beside the site, their e-mails printed here.
	DJANGO_DEBUG=1 $(PY) manage.py send_due_reports --every 60 & trap "kill $$!" EXIT; \
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Background jobs on Celery, for a developer who sets REDIS_URL in .env (without it,
# `make run` runs them itself, as child processes).
worker: $(VENV)/.installed .env
	DJANGO_DEBUG=1 $(VENV)/bin/celery -A dashboards.worker worker --concurrency 1 -l INFO

# A new password for every demo user: DEMO_PASSWORD, or a generated one, printed.
demo-password: $(VENV)/.installed .env
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo --reset-passwords

# Debian's packages the tests drive: Chromium for the browser tests, haproxy for
# the team tests (docs/deploy/haproxy.cfg). The machines run as root.
# npm's axe-core is what the accessibility tests inject into pages.
test-packages: tests/browser/node_modules/.package-lock.json
	@command -v chromium >/dev/null && command -v haproxy >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium haproxy >/dev/null; }

tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.installed-dev
	$(TEST_ENV) $(PY) manage.py check --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

# Unset rather than empty: an app may test for REDIS_URL's presence (Dash's docs pick Celery).
test-sqlite: $(VENV)/.installed-dev test-packages
	env -u DATABASE_URL -u REDIS_URL $(TEST_ENV) $(PY) -m pytest

test-services: $(VENV)/.installed-dev test-packages
	$(TEST_ENV) DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) \
		REQUIRE_SERVICES=1 $(PY) -m pytest

# Everything, in order, stopping at the first failure. The PostgreSQL + Redis
# run is part of it in CI, or anywhere with TEST_SERVICES=1.
test: lint check test-sqlite
	@if [ -n "$$CI" ] || [ -n "$$TEST_SERVICES" ]; then $(MAKE) --no-print-directory test-services; \
	else echo "PostgreSQL + Redis run skipped here: set TEST_SERVICES=1 (CI always runs it)."; fi

# Benchmarks (not tests): numbers for docs/BENCHMARKS.md.
# Playwright (dev requirements) and Chromium drive the first-chart benchmark.
bench: $(VENV)/.installed-dev test-packages
	@command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/export.py --repeat 3
	$(PY) bench/side_by_side.py --duration 5 --repeat 3
	$(PY) bench/first_chart.py --rounds 6
	$(PY) bench/scale.py --counts 5 50 200

requirements: $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache tests/browser/node_modules
