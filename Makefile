# Everything a fresh machine needs: `make run` and `make test` set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: install browser translations run test test-fast lint evaluate catalogs catalogs-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's chromium (Playwright's own browser download needs the internet).
# CHROMIUM_PATH names another binary; as root on Debian a missing one is installed with apt.
browser:
	@if [ -n "$$CHROMIUM_PATH" ]; then \
	  [ -x "$$CHROMIUM_PATH" ] || { echo "CHROMIUM_PATH=$$CHROMIUM_PATH is not an executable file" >&2; exit 1; }; \
	elif [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends chromium \
	      || { apt-get update -q && apt-get install -y -q --no-install-recommends chromium; } \
	      || { echo "could not install chromium with apt-get" >&2; exit 1; }; \
	  else \
	    echo "The browser tests need Chromium at /usr/bin/chromium. Install it as root:" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2; \
	    echo "or point CHROMIUM_PATH at a Chromium or Chrome binary, then run make again." >&2; \
	    exit 1; \
	  fi; \
	fi


# Compiled catalogs (.mo) are build products: made here, never committed.
locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -D messages -i $< -o $@

translations: $(STAMP) $(MO)

run: translations
	$(BIN)/python -m bot.launcher

test: translations browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot messages workers tests bench
	$(BIN)/mypy

# Router accuracy per language and per intent on tests/data/evaluation.tsv, and its misses.
evaluate: $(STAMP)
	$(BIN)/python -m bot.evaluation

# Webhook throughput next to a bare Twilio quickstart (issue #10); see BENCHMARKS.md.
# Override with e.g. `make bench BENCH_ARGS="--runs 3 --seconds 5"`.
.PHONY: bench
BENCH_ARGS ?= --runs 5 --seconds 10 --connections 16
# Broadcast drain at 10/100/1,000/s and the highest rate, with worker/web memory; Redis bytes per
# subscriber and conversation (benchmarks 3 and 4). DRAIN_ARGS="--scenarios 1000 --full-runs 1" for one.
DRAIN_ARGS ?= --runs 3 --full-runs 3
MEMORY_ARGS ?= --runs 3
# End-to-end reply latency at 50 and 200 inbound messages a second (benchmark 2).
LATENCY_ARGS ?= --rates 50 200 --seconds 60 --runs 3
bench: $(STAMP)
	$(BIN)/python -m bench.webhook $(BENCH_ARGS)
	$(BIN)/python -m bench.reply_latency $(LATENCY_ARGS)
	$(BIN)/python -m bench.broadcast_drain $(DRAIN_ARGS)
	$(BIN)/python -m bench.memory $(MEMORY_ARGS)

# After changing an English string: extract, then merge into every language's catalog.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -c NOTE: --no-location --sort-output \
	  --project=ms-stemcell-bot -o locales/messages.pot .
	@if [ -n "$(PO)" ]; then $(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching; fi

clean:
	rm -rf $(VENV) var locales/*/LC_MESSAGES/*.mo
