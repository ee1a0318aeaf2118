# Two commands on a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The local store: mongo-java-server behind our launcher, built by Maven with the machine's Java 17.
STORE_JAR := tools/localstore/target/localstore.jar
STORE_SRC := tools/localstore/pom.xml $(shell find tools/localstore/src -type f)
MVN ?= mvn
# The console: Vue + Vite, built by npm into console/dist, which the hub serves (nothing built is committed).
NPM ?= npm
CONSOLE_DIST := console/dist/index.html
CONSOLE_SRC := console/package.json console/package-lock.json console/vite.config.ts console/codegen.ts \
	console/tsconfig.json console/index.html console/graphiql.html schema/schema.graphql \
	$(shell find console/src console/scripts -type f ! -name '*.generated.ts' ! -name generated.ts 2>/dev/null)
# Report tests render pages in Debian's Chromium; a CJK font makes their screenshots legible.
BROWSER := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup store console browser demo test serve seed bench schema clean

setup: $(VENV)/.installed $(STORE_JAR) $(CONSOLE_DIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

store: $(STORE_JAR)

# Rebuilt only when the launcher or its pom change; the jars come from Maven Central.
$(STORE_JAR): $(STORE_SRC)
	cd tools/localstore && $(MVN) -q -B package
	touch $@

console: $(CONSOLE_DIST)

console/node_modules/.package-lock.json: console/package-lock.json
	cd console && $(NPM) ci --no-audit --no-fund --loglevel=error

# Rebuilt when a source, the lock or the GraphQL schema changes (the console's types come from the schema).
$(CONSOLE_DIST): console/node_modules/.package-lock.json $(CONSOLE_SRC)
	cd console && $(NPM) run --silent build
	touch $@

browser: $(BROWSER) $(CJK_FONT)

$(BROWSER) $(CJK_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei

demo: setup
	$(BIN)/hub store start
	$(BIN)/hub seed --if-empty
	$(BIN)/hub serve

test: setup browser
	cd console && $(NPM) test --silent
	$(BIN)/pytest

# The benchmarks' extra tools (py-spy, locust); the benchmarks themselves are run by hand, see docs/benchmarks.md.
bench: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'

schema: $(VENV)/.installed
	$(BIN)/hub schema > schema/schema.graphql

clean:
	-$(BIN)/hub store stop
	rm -rf .cache $(VENV) var tools/localstore/target console/node_modules console/dist
