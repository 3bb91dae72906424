# Everything a fresh machine needs: `make run` and `make test` set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: install translations run test test-fast lint catalogs catalogs-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP)

# Compiled catalogs (.mo) are build products: made here, never committed.
locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -D messages -i $< -o $@

translations: $(STAMP) $(MO)

run: translations
	$(BIN)/python -m bot.launcher

test: translations
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot messages workers tests bench
	$(BIN)/mypy

# After changing an English string: extract, then merge into every language's catalog.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -c NOTE: --no-location --sort-output \
	  --project=ms-stemcell-bot -o locales/messages.pot .
	@if [ -n "$(PO)" ]; then $(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching; fi

clean:
	rm -rf $(VENV) var locales/*/LC_MESSAGES/*.mo
