# The two commands a fresh machine needs: `make demo` and `make test`.
# Both create the locked environment first (uv is installed with pip when missing).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$$HOME/.local/bin/uv")
export UV_COMPILE_BYTECODE := 1
PLAN ?= examples/lesson.toml
MOVIE ?= out/demo-movie
LIVE_MOVIE ?= out/demo-live-movie
FAL_MOVIE ?= out/demo-fal-movie
FAILOVER_MOVIE ?= out/demo-failover-movie

.PHONY: env demo demo-live demo-fal demo-failover test lint typecheck pytest bench bench-smoke nox redis clean

env: .venv/.synced

.venv/.synced: uv.lock pyproject.toml $(wildcard packages/*/pyproject.toml)
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen --compile-bytecode
	@touch $@

demo: env
	$(UV) run --frozen tutopanda-providers run $(PLAN) --movie $(MOVIE)

# The same lesson live, through the official openai and replicate SDKs, against the fake
# servers on 127.0.0.1 (started and stopped here, also on failure or Ctrl-C): fake keys, $0.
demo-live: env
	rm -rf $(LIVE_MOVIE)
	$(UV) run --frozen python -m tutopanda_providers_testing.demo_live --plan $(PLAN) --movie $(LIVE_MOVIE)

# The same lesson live with every media producer on FAL (examples/settings-fal.toml), against
# the fake FAL queue API; scripts and prompts stay on the fake OpenAI server.
demo-fal: env
	rm -rf $(FAL_MOVIE)
	$(UV) run --frozen python -m tutopanda_providers_testing.demo_live --plan $(PLAN) --movie $(FAL_MOVIE) --settings examples/settings-fal.toml

# The shipped defaults (Replicate, then FAL) while the fake Replicate answers every create with
# a 503: nothing is created on Replicate, so every media job fails over to FAL (docs/failover.md).
demo-failover: env
	rm -rf $(FAILOVER_MOVIE)
	$(UV) run --frozen python -m tutopanda_providers_testing.demo_live --plan $(PLAN) --movie $(FAILOVER_MOVIE) --fail replicate:create:503

redis:
	@bash scripts/ensure-redis.sh

lint: env
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

typecheck: env
	$(UV) run --frozen mypy packages/*/src

pytest: env redis
	$(UV) run --frozen pytest -q

test: lint typecheck pytest

nox: env
	$(UV) run --frozen nox

bench: env redis
	$(UV) run --frozen python benchmarks/run_all.py

bench-smoke: env redis
	$(UV) run --frozen python benchmarks/run_all.py --smoke

clean:
	rm -rf .venv .nox out .tutopanda
