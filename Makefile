# Two commands do all the set-up: `make chat` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint format install build eval check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	# torch first and pinned, so nothing else can pull a CUDA build (see pyproject.toml)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[telegram,discord,dev]'
	@touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/outsourcebot chat

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# ruff (lint, then formatting) and mypy; any finding fails. `make format` applies ruff's fixes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy bot adapters

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)
	$(BIN)/outsourcebot kb check

build: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/outsourcebot kb build

eval: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/outsourcebot eval

clean:
	rm -rf $(VENV)
