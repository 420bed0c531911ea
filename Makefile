# gluekit — `make help` lists the targets. Everything runs inside .venv and node_modules.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV ?= dev
VENV := .venv
BIN := $(VENV)/bin
# Node 22 from node_modules goes first: jsii warns loudly on the machine's Node 20.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
CDK := npx --no-install cdk

.PHONY: help setup demo test lint synth diff deploy destroy bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed node_modules/.installed ## create .venv, install pinned Python and npm dependencies

$(VENV)/.installed: pyproject.toml requirements.lock
	@PY=$$(scripts/check-prereqs) && { [ -x $(BIN)/python ] || $$PY -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@scripts/check-prereqs >/dev/null
	npm ci --no-fund --no-audit --loglevel=error
	@touch $@

demo: setup ## run the example pipelines end to end on this machine (no AWS account needed)
	$(BIN)/python -m gluekit.demo

test: setup ## run every test (unit, functional, infra, glue, e2e)
	$(BIN)/python -m pytest

lint: setup ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gluekit infra lambdas glue_scripts app.py bench

synth: setup ## synthesize ENV's stacks with cdk-nag (ENV=dev)
	$(CDK) synth -c env=$(ENV) --quiet

diff: setup ## show what a deploy of ENV would change
	$(CDK) diff -c env=$(ENV)

deploy: setup ## deploy ENV to the account of your AWS credentials (ENV=prod ...)
	$(CDK) deploy -c env=$(ENV) --all

destroy: setup ## delete ENV's stacks (the raw bucket and retained data stay)
	$(CDK) destroy -c env=$(ENV) --all

bench: setup ## run the benchmarks in bench/ and print their figures
	$(BIN)/python bench/bridge_throughput.py
	$(BIN)/python bench/glue_throughput.py

clean: ## remove generated files (keeps .venv and node_modules)
	rm -rf cdk.out .local dist .pytest_cache .mypy_cache .ruff_cache
