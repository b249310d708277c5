# Bürgerbot — the one entry point. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
# Rasa sends telemetry and error reports unless told not to: never (no network, DSGVO).
export RASA_TELEMETRY_ENABLED := false
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Python 3.10 (Rasa 3.6 needs < 3.11): pyenv's newest 3.10 first, then a python3.10 on PATH
# that really runs; otherwise stop with a clear message.
define find_python310
for candidate in "$$(pyenv root 2>/dev/null)/versions/$$(pyenv latest 3.10 2>/dev/null)/bin/python" python3.10; do \
  if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then \
    echo "$$candidate"; exit 0; fi; \
done; exit 1
endef

.PHONY: help setup train run chat lint test test-unit audit bench bench-handoff bench-appointments tune-resolver bench-nlu bench-xsid clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@py=$$($(find_python310)) || { echo "Python 3.10 wird benötigt (Rasa 3.6 läuft nicht auf neueren Versionen). Installieren Sie es, z. B. mit: pyenv install 3.10" >&2; exit 1; }; \
	echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade "pip<25"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv (Python 3.10) and install everything
	@$(PY) -c 'from bot.training.spacy_pipeline import ensure; from bot.infra.paths import SPACY_PIPELINE_DIR; ensure(SPACY_PIPELINE_DIR)'

train: setup ## Train a model if data/, config.yml or domain.yml changed
	$(VENV)/bin/buergerbot train

run: train ## Start gateway (8000), backend (8001), action server (5055) and Rasa (5005); Ctrl-C stops all
	$(VENV)/bin/buergerbot run

chat: setup ## Talk to the running bot in the terminal (needs `make run` in another terminal)
	@$(VENV)/bin/buergerbot chat

AXE := tests/web/node_modules/axe-core/axe.min.js
$(AXE): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --loglevel=error

# The browser tests drive Debian's Chromium (never a downloaded browser): installed here when
# missing and we are root; otherwise stop at once with the one command to run.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" -eq 0 ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Die Browser-Tests brauchen Chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	fi

lint: setup ## Quality gate: ruff (lint + format), mypy, import contracts
	$(VENV)/bin/ruff check --output-format concise .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# Two tiers: fast unit tests (no server process), then the real-process tests (servers on free
# loopback ports, Chromium, Rasa training once). `time` prints each tier's duration.
UNIT := not slow and not e2e
test: $(CHROMIUM) setup $(AXE) lint ## Quality gate, then unit tests, then real-process tests
	time $(PY) -m pytest -m "$(UNIT)" $(PYTEST_ARGS)
	time $(PY) -m pytest -m "not ($(UNIT))" $(PYTEST_ARGS)

test-unit: setup ## Only the fast tier (no servers, no browser): seconds, for the edit-test loop
	$(PY) -m pytest -m "$(UNIT)" $(PYTEST_ARGS)

# pip-audit in a venv of its own: its dependencies (packaging, pip's) clash with Rasa's pins. It
# audits constraints.txt, every package pinned, as it stands (--no-deps --disable-pip: nothing is
# resolved or installed), against PyPI's vulnerability data (AUDIT_SERVICE=osv for OSV's); --strict:
# a package that could not be looked up fails the audit instead of counting as clean.
# Outside `make test`: it needs the network. Findings and what was done about them: docs/security.md.
AUDIT_VENV := .venv-audit
AUDIT_SERVICE ?= pypi
$(AUDIT_VENV)/bin/pip-audit:
	@py=$$($(find_python310)) || exit 1; "$$py" -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet "pip-audit==2.10.1"

audit: $(AUDIT_VENV)/bin/pip-audit ## Known vulnerabilities in the pinned set (pip-audit; needs PyPI)
	$(AUDIT_VENV)/bin/pip-audit -r constraints.txt --no-deps --disable-pip --strict -s $(AUDIT_SERVICE) --desc on --progress-spinner off

# Ours vs Rasa's stock pipeline: 5-fold CV (stock: 2 folds, DIET is slow), the final held-out file,
# training time, parse latency; about 50 minutes on 2 cores. BENCH_ARGS="--stock-k 5" for full CV.
# Then the handoff and appointment benches below (a few minutes).
bench: setup ## CV + held-out NLU benchmark against Rasa's stock pipeline, then bench-handoff and bench-appointments; into docs/benchmarks.md
	$(PY) -m bot.bench.citizen $(BENCH_ARGS)
	$(PY) -m bot.bench.handoff $(HANDOFF_ARGS)
	$(PY) -m bot.bench.appointments $(APPOINTMENTS_ARGS)

# The real gateway on a free loopback port, no Rasa: 20 citizens' WebSockets, 20 agents' consoles,
# each agent takes one conversation and sends 25 replies (HANDOFF_ARGS="--handoffs 20 --replies 25").
bench-handoff: setup ## Staff reply → citizen's page latency (p50/p95/p99), 20 simultaneous handoffs, into docs/benchmarks.md
	$(PY) -m bot.bench.handoff $(HANDOFF_ARGS)

# The real backend on a free loopback port, on SQLite and on a throw-away PostgreSQL database (loopback,
# user postgres): free-slot search p95 with 10,000 bookings, bookings/s of 20 concurrent clients, and
# a check for double bookings (APPOINTMENTS_ARGS="--databases sqlite --bookings 400"). About 2 minutes.
bench-appointments: setup ## Free-slot search p95 (10,000 bookings) and bookings/s (20 clients), into docs/benchmarks.md
	$(PY) -m bot.bench.appointments $(APPOINTMENTS_ARGS)

tune-resolver: setup ## Service resolver weights by 5-fold CV on its dev set (tests/nlu/resolver_dev.yml); a few minutes
	$(PY) -m bot.bench.tune_resolver $(TUNE_ARGS)

MASSIVE ?= ../shared/benchmarks/massive-de/de-DE.jsonl
bench-nlu: setup ## NLU pipeline on MASSIVE de-DE (MASSIVE=path): accuracy, slot F1, time, latency vs a baseline
	$(PY) -m bot.bench.massive $(MASSIVE)

bench-xsid: setup ## The MASSIVE-trained model on xSID de (shared intents)
	$(PY) -m bot.bench.massive $(MASSIVE) --xsid --xsid-only

clean: ## Remove runtime files (databases, logs); keeps .venv and models
	rm -rf var/
