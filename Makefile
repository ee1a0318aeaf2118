# Two commands on a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE_BIN := .cache/bin/localstore
STORE_SRC := $(wildcard tools/localstore/*.go) tools/localstore/go.mod tools/localstore/go.sum
export GOFLAGS := -buildvcs=false
# Report tests render pages in Debian's Chromium; a CJK font makes their screenshots legible.
BROWSER := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup store browser demo test serve seed bench schema clean

setup: $(VENV)/.installed $(STORE_BIN)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

store: $(STORE_BIN)

# Rebuilt only when our Go sources change; FerretDB comes through the Go module proxy.
$(STORE_BIN): $(STORE_SRC)
	@mkdir -p $(dir $@)
	cd tools/localstore && go build -trimpath -o ../../$(STORE_BIN) .

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

schema: $(VENV)/.installed
	$(BIN)/hub schema > schema/schema.graphql

clean:
	-$(BIN)/hub store stop
	rm -rf .cache $(VENV) var
