# The two commands: `make run` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format bench services browser venv messages check-deploy clean backup restore

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(STAMP)

venv: $(STAMP)

## make run: venv, install, migrate, demo data, serve on http://127.0.0.1:$(PORT)
run: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(PY) manage.py migrate --no-input
	DJANGO_SETTINGS_MODULE=portal.settings.dev PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py seed_demo
	DJANGO_SETTINGS_MODULE=portal.settings.dev PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: services, browser, lint, migrations check, deploy check, the whole suite
test: $(STAMP) services browser lint check-deploy
	DJANGO_SETTINGS_MODULE=portal.settings.test DATABASE_URL=$(PG_URL)/postgres $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Production settings must pass the deploy checks with every warning treated as an error.
check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.prod \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DATABASE_URL=$(PG_URL)/portal CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	ALLOWED_HOSTS=kjj.example.cn \
	$(PY) manage.py check --deploy --fail-level WARNING

# PostgreSQL and Redis: start them when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

# Debian's Chromium (never `playwright install`), CJK fonts for screenshots, gettext for the
# catalog checks, and docker-compose to validate docker-compose.yml (no engine is needed).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
		|| ! command -v msgattrib >/dev/null || ! command -v docker-compose >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-cjk gettext docker-compose >/dev/null; \
	fi

messages: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=bench --ignore=tests
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

## make backup: a dated folder under BACKUP_DIR (default ./backups) holding a dump of the database
## that DATABASE_URL names, the private media and a manifest (README: Backups).
backup: $(STAMP)
	$(PY) manage.py backup

## make restore BACKUP=<folder>: that backup into an EMPTY database (DATABASE_URL) and media folder.
restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "Usage: make restore BACKUP=backups/<YYYYMMDD-HHMMSS>" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)"

bench: $(STAMP) services
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) bench/import_enterprises.py
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) bench/monthly_summary.py
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) bench/pages.py

clean:
	rm -rf $(VENV) staticfiles
