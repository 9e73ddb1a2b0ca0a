# The two commands: `make run` and `make test`. Everything else is a step they depend on.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)
# No model weights from a hub at run time: the encoders load from their packages (a deployment with a hub sets 0).
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

RASA := .venv-rasa/bin/rasa
PY := .venv/bin/python
MODEL := bot/models/current.tar.gz
BOT_SOURCES := bot/config.yml $(shell find bot/domain bot/data -name '*.yml' 2>/dev/null) $(shell find bot/components -name '*.py' 2>/dev/null)
# Start the embedded Redis only when no REDIS_URL is given.
PROCESSES := $(if $(REDIS_URL),,redis) core actions rasa hub announce
# `make run REPLICAS=2`: two of each serving process (README "Running more than one of each").
REPLICAS ?= 1
export REPLICAS
comma := ,
empty :=
space := $(empty) $(empty)
RASA_LOCAL_URLS := $(subst $(space),$(comma),$(foreach port,$(shell seq 5005 $$((5004 + $(REPLICAS)))),http://127.0.0.1:$(port)))

.PHONY: help install run test train index migrate seed-demo demo-data lint typecheck pytest rasa-test eval-nlu bench soak lock clean

help:
	@echo "make run    install what is missing, train if bot/ changed, start everything (Ctrl-C stops it)"
	@echo "make test   install what is missing, lint, type-check, run every test"
	@echo "make train | migrate | lint | typecheck | pytest | bench | soak | lock | clean"

install:
	@scripts/install.sh main rasa

$(MODEL): $(BOT_SOURCES) | install
	@echo "==> training the assistant (bot/ changed)"
	cd bot && ../$(RASA) train --domain domain --fixed-model-name current --out models --quiet

train: install $(MODEL)

# The FAQ index (knowledge/): rebuilt when the corpus or the build changes; the action server picks up a new
# build by itself.
INDEX := var/knowledge/index/CURRENT
$(INDEX): $(shell find knowledge/faq -name '*.yaml') knowledge/out_of_scope.yaml knowledge/calibration.json \
		knowledge/index.py knowledge/classifier.py | install
	@echo "==> building the FAQ index (knowledge/ changed)"
	$(PY) -m knowledge build

index: install $(INDEX)

# The hub's schema, and the reference lending core's schema with its demo customers (idempotent).
migrate: install
	@$(PY) -m handoff migrate
	@$(PY) -m lending_core seed

# The demo's staff (agents, a supervisor, an administrator, an account manager) and canned replies; skipped
# outside ENVIRONMENT=development.
seed-demo: migrate
	@$(PY) -m handoff seed-demo --only-in-development

# A month of conversations through the hub's own code (scripted assistant, manual clock) for the analytics
# dashboard (/console/analytics/); development only. DAYS and PER_DAY change its size.
demo-data: migrate
	@$(PY) -m handoff seed-demo --month --days $(or $(DAYS),30) --per-day $(or $(PER_DAY),40)

run: install train index migrate seed-demo
	@BUSINESS_HOURS_FILE=$${BUSINESS_HOURS_FILE:-businesshours/around_the_clock.yaml} \
	  ACTION_ENDPOINT_URL=$${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook} \
	  ACTION_SERVER_TOKEN=$${ACTION_SERVER_TOKEN:-dev-action-server-token} \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6390/0} \
	  RASA_URL=$${RASA_URL:-$(RASA_LOCAL_URLS)} \
	  .venv/bin/honcho start -f Procfile $(PROCESSES)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	.venv/bin/mypy

pytest: install train index
	@scripts/install.sh browser deploy
	.venv/bin/pytest

# The test stories of bot/tests/ against the trained model (dialogue and NLU of every journey, both languages).
rasa-test: install train
	cd bot && ACTION_ENDPOINT_URL=http://127.0.0.1:9/webhook ACTION_SERVER_TOKEN=unused \
	  ../$(RASA) test core --model models/current.tar.gz --stories tests/test_stories.yml --out results/core \
	  --fail-on-prediction-errors

# The held-out NLU test set (intent macro-F1 per language, out-of-scope recall, entity F1) and the blind groups
# through the model (bot/eval/nlu_eval.json), then the blind groups end to end through a system of its own
# (bot/eval/dialogue_eval.json; PostgreSQL databases sme_eval_hub and sme_eval_core, recreated).
eval-nlu: install train index
	$(PY) scripts/eval_nlu.py
	$(PY) scripts/eval_dialogue.py

test: lint typecheck rasa-test pytest

# Benchmarks against a running system (`make run` in another terminal); each prints what it measured.
bench: install train
	$(PY) bench/e2e_latency.py
	$(PY) bench/bot_latency.py
	$(PY) bench/knowledge.py

# The soak and fault run (bench/soak.py, about 13 minutes): 50 customers for 10 minutes through 2 hubs, 2 Rasa
# processes and 2 action servers on PostgreSQL and a Redis of its own, while one of each and Redis are killed and
# started again; prints the counts and fails when a message is lost, unanswered or doubled, or money moves twice.
soak: install train index
	$(PY) bench/soak.py

# Re-pin the environments after changing pyproject.toml or bot/requirements.txt.
lock:
	.venv/bin/pip freeze --exclude-editable | grep -v '^torch==' > requirements.lock
	.venv-rasa/bin/pip freeze > bot/requirements.lock

clean:
	rm -rf var bot/models bot/results .pytest_cache .mypy_cache .ruff_cache
