# The two commands of the README, plus bench. Everything runs inside .venv,
# created and filled from the pinned requirements on first use: `make run` needs
# only the runtime tree, tests and benchmarks add the development one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed

.PHONY: run test lint bench clean browser agui-client

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

# The offline model paces itself for people watching (0 is full speed).
OFFLINE_THINK_SECONDS ?= 0.6
OFFLINE_WORDS_PER_SECOND ?= 12

run: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin
	@echo "agentsite is starting: open http://127.0.0.1:8000/ (Ctrl+C stops it)"
	OFFLINE_THINK_SECONDS=$(OFFLINE_THINK_SECONDS) OFFLINE_WORDS_PER_SECOND=$(OFFLINE_WORDS_PER_SECOND) \
		$(BIN)/python -m daphne -b 127.0.0.1 -p 8000 agentsite.asgi:application

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Browser tests drive Debian's chromium (never a downloaded browser build).
browser:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq chromium; \
		else \
			echo "chromium missing: run 'sudo apt-get install chromium' for the browser tests"; \
		fi; }

# The AG-UI tests drive the official client from npm, at the versions its
# lockfile pins; reinstalled when the lockfile is newer than the install.
AGUI_CLIENT := tests/agui/client

$(AGUI_CLIENT)/node_modules: $(AGUI_CLIENT)/package-lock.json
	@command -v npm >/dev/null || { \
		echo "npm is missing: install Node.js (node and npm) for the AG-UI client tests"; \
		exit 1; }
	cd $(AGUI_CLIENT) && npm ci --no-audit --no-fund
	touch $@

agui-client: $(AGUI_CLIENT)/node_modules

test: lint browser agui-client
	mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(if $(FULL),--full,)

clean:
	rm -rf $(VENV) var staticfiles $(AGUI_CLIENT)/node_modules
