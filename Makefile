# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run lint test bench clean browser console

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
# Speaker-encoder weights; --no-deps because resemblyzer declares torch and webrtcvad, which we never use.
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4
	touch $(STAMP)

run: install
	mkdir -p var
	$(BIN)/opengram serve --host 127.0.0.1 --port 8080 --database-url sqlite:///./var/opengram.db

# Lint, format and types: ruff over src/ and tests/, mypy over src/opengram (settings in pyproject.toml).
lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The web console's tests drive Debian's Chromium through Playwright (which downloads no browser of its own).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The console's built files (src/opengram/console_dist/) are committed, so `make run` needs no Node; after
# changing console/, rebuild them from the lock file and commit them (tests/console/test_build.py checks).
console:
	cd console && npm ci --no-audit --no-fund && npm run build

bench: install
	$(BIN)/python bench/batch.py

clean:
	rm -rf $(VENV) var build src/*.egg-info console/node_modules
