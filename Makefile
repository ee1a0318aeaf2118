# Two commands on a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The local store: mongo-java-server behind our launcher, built by Maven with the machine's Java 17.
STORE_JAR := tools/localstore/target/localstore.jar
STORE_SRC := tools/localstore/pom.xml $(shell find tools/localstore/src -type f)
MVN ?= mvn
# Report tests render pages in Debian's Chromium; a CJK font makes their screenshots legible.
BROWSER := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup store browser demo test serve seed bench schema clean

setup: $(VENV)/.installed $(STORE_JAR)

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

browser: $(BROWSER) $(CJK_FONT)

$(BROWSER) $(CJK_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei

demo: setup
	$(BIN)/hub store start
	$(BIN)/hub seed --if-empty
	$(BIN)/hub serve

test: setup browser
	$(BIN)/pytest

# The benchmarks' extra tools (py-spy); the benchmarks themselves are run by hand, see docs/benchmarks.md.
bench: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'

schema: $(VENV)/.installed
	$(BIN)/hub schema > schema/schema.graphql

clean:
	-$(BIN)/hub store stop
	rm -rf .cache $(VENV) var tools/localstore/target
