# Pressroom — make targets. `make help` lists them.
# Every target that needs the virtual environment creates it first, so `make sample` and
# `make test` each work on a fresh machine by themselves.

PYTHON   ?= python3
VENV     ?= .venv
BUILD    ?= build
BIN      := $(VENV)/bin
PRESSROOM := $(BIN)/pressroom
STAMP    := $(VENV)/.installed
ACE_DIR  := tools/ace
ACE      := $(ACE_DIR)/node_modules/.bin/ace-cli
ARTICLES := $(sort $(wildcard content/articles/*.md))
BOOKS    := $(sort $(wildcard content/books/*/book.toml))
BOOK_NAMES := $(notdir $(patsubst %/book.toml,%,$(BOOKS)))
SAMPLE_BOOK ?= field-guide

.DEFAULT_GOAL := help
.PHONY: help setup system-deps sample book books test test-fast lint format clean bench messages

help: ## list the targets
	@grep -E '^[a-zA-Z_%/.-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

system-deps: ## install the system packages (apt-get as root; else prints the command)
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml scripts/system-deps.sh $(ACE_DIR)/package-lock.json
	@bash scripts/system-deps.sh
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,celery]'
	@# DAISY Ace for the accessibility tests, into tools/ace/node_modules (not global),
	@# pinned by its lock file; it drives the system Chromium, so Puppeteer downloads none.
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix $(ACE_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP) ## create .venv with Python and system dependencies

sample: $(STAMP) ## convert the sample articles in content/articles into build/
	$(PRESSROOM) convert $(ARTICLES) -o $(BUILD)/articles --format pdf,epub,html --root content

book: $(BUILD)/$(SAMPLE_BOOK).pdf ## build the sample book (PDF and EPUB) into build/

books: $(foreach name,$(BOOK_NAMES),$(BUILD)/$(name).pdf) ## build every content/books/*/book.toml

book-%: $(BUILD)/%.pdf ## build one book: make book-NAME (content/books/NAME/book.toml)
	@:

# One recipe makes both files (a grouped pattern rule). The depfile written by
# `pressroom book --depfile` lists chapters, images and theme files, so an unchanged book
# is not rebuilt and an edited chapter is.
$(BUILD)/%.pdf $(BUILD)/%.epub: content/books/%/book.toml | $(STAMP)
	$(PRESSROOM) book $< -o $(BUILD) --format pdf,epub --depfile $(BUILD)/$*.d

-include $(wildcard $(BUILD)/*.d)

test: $(STAMP) ## run the whole test suite (unit, rules, end-to-end with EPUBCheck)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## unit and rule tests only
	$(BIN)/python -m pytest tests/unit tests/rules

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check convert tests
	$(BIN)/ruff format --check convert tests

format: $(STAMP) ## apply ruff formatting
	$(BIN)/ruff format convert tests

clean: ## remove build output and caches (keeps .venv and tools/ace/node_modules)
	rm -rf $(BUILD) .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

messages: $(STAMP) ## re-extract generated strings into convert/locale/pressroom.pot, merge into the catalogs
	$(BIN)/pybabel extract -F convert/locale/babel.cfg -k text --no-location --omit-header \
	  --sort-output -o convert/locale/pressroom.pot .
	@# The catalogs keep their headers (language, plural forms) and their dates, so an
	@# unchanged template changes no catalog; they get no locations, as the template has
	@# none (`pybabel update` has no --no-location, and --omit-header strips the headers).
	for po in convert/locale/*.po; do \
	  $(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date \
	    -i convert/locale/pressroom.pot -o $$po -l $$(basename $$po .po) || exit 1; \
	done

bench: $(STAMP) ## benchmarks: figures and ratios against WeasyPrint alone (and Pandoc)
	@bash scripts/system-deps.sh --bench
	$(BIN)/python scripts/bench.py
