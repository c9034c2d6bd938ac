# CSO Grants. Two commands on a fresh machine with python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install messages migrate seed clean axe

# Translation catalogues: the .po files are the source, the .mo files are compiled here with Babel (no GNU gettext).
PO := $(wildcard locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

# The virtual environment is rebuilt whenever the pinned requirements change.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# This checkout's own settings (git-ignored, config/settings.py reads them; environment variables win): written once,
# so `.venv/bin/python manage.py ...` works as the README writes it. Production sets real environment variables instead.
.env:
	$(PYTHON) -c "import secrets; open('.env', 'x').write('# Development settings of this checkout, written by make install. Environment variables override them.\nDEBUG=1\nSECRET_KEY=' + secrets.token_urlsafe(50) + '\n')"

install: $(STAMP) .env

$(MO) &: $(PO) $(STAMP)
	DEBUG=1 $(BIN)/python manage.py catalogues compile

messages: $(MO)

migrate: export DEBUG ?= 1
migrate: install messages
	$(BIN)/python manage.py migrate --noinput

seed: export DEBUG ?= 1
seed: migrate
	$(BIN)/python manage.py seed_demo

run: export DEBUG ?= 1
run: seed
	@echo "CSO Grants on http://127.0.0.1:$(PORT)/  (health: http://127.0.0.1:$(PORT)/healthz)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# axe-core, the accessibility checks the page catalogue's browser test runs in each page: pinned in
# package-lock.json, installed by npm into node_modules/ (gitignored) when the lock file changes.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

axe: $(AXE)

# The whole suite, browser tests included (they skip, saying why, where Chromium is missing).
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/csogrants runs it on PostgreSQL.
test: lint messages $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check --quiet .

test-fast: install messages
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis staticfiles test-artifacts db.sqlite3 node_modules

# Deadline surge (docs/DEPLOY.md): 500 CSOs sign in, save three drafts with attachments and submit through nginx to
# two gunicorn nodes (one killed mid-surge) on PostgreSQL, Redis, an S3 server and a Celery worker, then a verifier
# checks nothing was lost. Needs PostgreSQL and Redis on 127.0.0.1; installs nginx if missing. `make surge NODES=1`
# compares with one node. Summary in surge-results/. Not part of `make test`.
.PHONY: surge
SURGE_STAMP := $(VENV)/.surge-installed
$(SURGE_STAMP): requirements-surge.txt $(STAMP)
	sed -E 's/\[[^]]*\]//' requirements.txt > $(VENV)/surge-constraints.txt
	$(BIN)/python -m pip install --quiet -r requirements-surge.txt -c $(VENV)/surge-constraints.txt
	touch $(SURGE_STAMP)

surge: install messages $(SURGE_STAMP)
	$(BIN)/python surge/run.py $(if $(NODES),--nodes $(NODES)) $(if $(USERS),--users $(USERS))
