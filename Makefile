# The README's two commands: `make run` (demo site on SQLite) and `make test` (whole suite on PostgreSQL).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 needs Python >= 3.12; the machine's default python3 may be older, so pick one explicitly.
PYTHON ?= $(shell for p in python3.12 python3.13; do \
	  v=$$(command -v $$p 2>/dev/null) && $$v -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { echo $$v; exit; }; \
	  for d in $$HOME/.pyenv/versions/$${p#python}*/bin/$$p; do [ -x "$$d" ] && { echo $$d; exit; }; done; \
	done; echo python3)

.PHONY: install browser-deps run serve test lint bench soak clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# axe-core for the accessibility tests, pinned in tests/browser/package-lock.json (npm ci; Node from Debian if missing).
browser-deps:
	scripts/install-browser-deps

run: export DJANGO_DEBUG = 1
run: install
	$(PY) manage.py migrate --noinput
	# sample_data/ as a trusted restore, with its stories' times moved to the present (the files stay as they are).
	$(PY) manage.py load_demo
	$(PY) manage.py create_admin
	@echo "Serving on http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)"
	@echo "Background image fetching, in another terminal: DJANGO_DEBUG=1 $(PY) manage.py db_worker"
	@echo "  (then: manage.py cache_images --enqueue, or import_articles --cache-images)"
	$(PY) manage.py runserver 127.0.0.1:8000

# Production, one app server: migrate, collectstatic, check --deploy, then gunicorn + the task worker, all with
# the settings in the environment (README, "Deployment"). WEB_CONCURRENCY and TASK_WORKERS set the counts.
serve: install
	$(PY) manage.py serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The system packages the suite needs (PostgreSQL, Redis, Chromium; Node.js for axe-core) are installed when
# missing; the suite runs against a private PostgreSQL and a private Redis, both thrown away at the end.
test: install browser-deps
	scripts/install-system-packages
	scripts/with-postgres scripts/with-redis $(MAKE) --no-print-directory _test

# Tests talk plain HTTP to live servers on 127.0.0.1: no HTTPS redirect, no HSTS.
TEST_ENV := DJANGO_SECRET_KEY=test-only-not-secret DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_HSTS_SECONDS=0

_test: lint
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(TEST_ENV) $(VENV)/bin/pytest

bench: install
	scripts/with-postgres bench/import_speed

soak: install
	bench/soak

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
