# The two quick-start commands are `make run` and `make test`; each sets everything up first.
# Needs only Python 3.11+, pip, git and make: uv itself is installed from PyPI, pinned.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run sandbox test lint format bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment is created from the committed lock file exactly; `--locked` fails if
# pyproject.toml and uv.lock disagree instead of silently re-resolving.
$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

install: $(STAMP)

# ARTICLES=PATH (files or a directory) adds a person's own articles to the sandbox.
SANDBOX_ARTICLES = $(if $(ARTICLES),--articles $(ARTICLES))

run: $(STAMP)
	$(VENV)/bin/digestbot start $(SANDBOX_ARTICLES)

sandbox: $(STAMP)
	$(VENV)/bin/digestbot sandbox $(SANDBOX_ARTICLES)

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(VENV)/bin/digestbot bench ingest --count 100000

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
