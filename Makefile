# Yiwang: `make demo` runs the platform with demo data; `make test` runs the tests.
SHELL := /bin/bash
# Debian's own interpreter where there is one: it is built with profile-guided
# and link-time optimisation, and runs the platform ~15 % faster than a Python
# compiled without them (pyenv's default build, say). Elsewhere, python3.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the platform needs: Chinese fonts (pages, PDFs, screenshots),
# WeasyPrint's Pango, Chromium for browser tests, poppler for PDF checks, gettext,
# oathtool for the demo staff's TOTP codes, python3-venv for Debian's Python.
DEBIAN_PACKAGES := python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium poppler-utils gettext oathtool
# The benchmarks' HTTP load generator (they also need PostgreSQL with pgbench).
BENCH_PACKAGES := wrk

.PHONY: demo test test-sqlite test-postgres deps venv-interpreter system-deps assets lint format bench lock clean-demo messages

demo: deps ## Run the platform with the demo county on 127.0.0.1:8000
	$(BIN)/yiwang migrate --no-input -v 0
	$(BIN)/yiwang collectstatic --no-input -v 0
	$(BIN)/yiwang demo load
	$(BIN)/yiwang serve --host $(HOST) --port $(PORT)

test: deps ## Run the whole suite on SQLite, then on PostgreSQL when YIWANG_TEST_POSTGRES_URL is set
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$YIWANG_TEST_POSTGRES_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "YIWANG_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

test-sqlite:
	$(BIN)/ruff check src tests bench
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q

test-postgres:
	DATABASE_URL="$$YIWANG_TEST_POSTGRES_URL" $(BIN)/pytest -q -m "not browser"

deps: system-deps
	@$(MAKE) --no-print-directory venv-interpreter
	@$(MAKE) --no-print-directory $(STAMP) node_modules/.installed

# A venv made by another interpreter than $(PYTHON) is made again (a sub-make
# then sees it gone).
venv-interpreter:
	@home=$$($(PYTHON) -c 'import os, sys; print(os.path.dirname(sys.executable))'); \
	if [ -f $(VENV)/pyvenv.cfg ] && ! grep -qx "home = $$home" $(VENV)/pyvenv.cfg; then \
	  echo "$(VENV) was made by another Python: making it again with $(PYTHON)"; rm -rf $(VENV); fi

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | grep -v -i warn || true
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "缺少系统软件包 Missing Debian packages:$$missing"; \
	       echo "请以 root 运行 Run as root: apt-get install -y$$missing"; exit 1; fi; fi

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format:
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: deps ## Benchmarks: print figures, never run by `make test`
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="$(BENCH_PACKAGES)"
	@for f in bench/bench_*.py; do [ -e "$$f" ] && $(BIN)/python "$$f"; done; true

messages: ## Recompile translations after editing locale/*.po
	cd src/yiwang && ../../$(BIN)/yiwang compilemessages -v 0

lock: ## Re-pin requirements.txt from the current environment
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.txt.new && mv requirements.txt.new requirements.txt

clean-demo: ## Remove the demo database and queue (var/)
	rm -rf var
