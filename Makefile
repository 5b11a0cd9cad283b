# The single entry point for humans and CI.  `make run` | `make serve` | `make test`
# Everything is configured by environment variables (defaults below; see README and coach/config.py).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY310 := $(shell scripts/find_python310.sh)
APP := .venv/bin/python
RASA := .venv-rasa/bin/rasa
MODEL := models/coach.tar.gz
TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(wildcard data/*/*.yml)

export COACH_HOME ?= $(CURDIR)
export PYTHONPATH := $(CURDIR)
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/coach.db
export MEDIA_DIR ?= $(CURDIR)/var/media
export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export TRACKER_DB_URL ?= sqlite:///$(CURDIR)/var/rasa_tracker.db
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
# make run delivers email to a local sink (var/mail); a clinic sets SMTP_HOST/SMTP_PORT instead.
export SMTP_PORT ?= 8025
# Links in alerts point at the portal; red flags with no therapist go to the duty inbox.
export PORTAL_PORT ?= 8000
export PORTAL_BASE_URL ?= http://127.0.0.1:$(PORTAL_PORT)
export CLINIC_DUTY_EMAIL ?= duty@clinic.example
export TF_CPP_MIN_LOG_LEVEL := 3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install train db run serve test lint format validate nlu-eval bench clean

help:
	@echo "make run    - install, train if needed, start every service, chat as the demo patient"
	@echo "make serve  - the same services without the terminal chat"
	@echo "make test   - lint, data validation, unit/action/e2e tests, conversation tests, NLU eval"
	@echo "make bench  - benchmarks (results in bench/results/)"

.venv-rasa/.installed: requirements/rasa.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (python3.10 on PATH or pyenv 3.10.x)"; exit 1; }
	test -x .venv-rasa/bin/python || $(PY310) -m venv .venv-rasa
	flock .venv-rasa/.lock .venv-rasa/bin/pip install -q -r requirements/rasa.txt
	touch $@

.venv/.installed: requirements/app.txt requirements/dev.txt pyproject.toml
	@test -n "$(PY310)" || { echo "Python 3.10 not found (python3.10 on PATH or pyenv 3.10.x)"; exit 1; }
	test -x .venv/bin/python || $(PY310) -m venv .venv
	flock .venv/.lock .venv/bin/pip install -q -r requirements/app.txt -r requirements/dev.txt
	.venv/bin/pip install -q --no-deps --no-build-isolation -e .  # the `coach` command
	touch $@

install: .venv-rasa/.installed .venv/.installed

$(MODEL): .venv-rasa/.installed $(TRAINING_INPUTS) $(wildcard coach/rasa_components/*.py)
	$(RASA) train --data data --domain domain --config config.yml --out models \
		--fixed-model-name coach
	touch $@

train: $(MODEL)

db: .venv/.installed
	@mkdir -p var && test -n "$$COACH_SECRET_KEY" -o -s var/secret_key || \
		{ $(APP) -c "import secrets; print(secrets.token_urlsafe(32))" > var/secret_key; \
		  chmod 600 var/secret_key; echo "created a development signing key in var/secret_key"; }
	$(APP) -m coach.cli db upgrade
	$(APP) -m coach.cli seed-demo

run: install train db
	scripts/run_services.sh --chat

serve: install train db
	scripts/run_services.sh

lint: .venv/.installed
	.venv/bin/ruff check coach actions tests bench scripts
	.venv/bin/ruff format --check coach actions tests bench scripts

format: .venv/.installed
	.venv/bin/ruff format coach actions tests bench scripts
	.venv/bin/ruff check --fix coach actions tests bench scripts

validate: .venv-rasa/.installed
	$(APP) scripts/validate_data.py

# Each step prints its start time, so a slow step shows in the CI log.
test: install train lint validate
	@echo "[$$(date +%T)] conversation tests"; scripts/conversation_tests.sh
	@echo "[$$(date +%T)] NLU split evaluation"; scripts/nlu_eval.sh
	@echo "[$$(date +%T)] patient-voice evaluation"; scripts/patient_eval.sh
	@echo "[$$(date +%T)] unseen-phrasing evaluation"; \
		scripts/patient_eval.sh tests/evaluation/patient_sentences_unseen.yml results/patient_eval_unseen
	@echo "[$$(date +%T)] pytest"; $(APP) -m pytest -q tests
	@echo "[$$(date +%T)] make test done"

bench: install train
	$(APP) bench/chat_latency.py
	$(APP) bench/checkin_sweep.py
	$(APP) bench/escalation_latency.py
	$(APP) bench/outbox_throughput.py
	$(APP) bench/clip_throughput.py
	$(APP) bench/portal_pages.py
	$(APP) bench/messy_turns.py
	$(APP) bench/red_flag_rules.py
	$(APP) bench/channel_latency.py
	$(APP) bench/whatsapp_clip_latency.py

clean:
	rm -rf models results var/test-*
