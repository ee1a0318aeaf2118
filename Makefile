# Two commands on a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE_BIN := .cache/bin/localstore
STORE_SRC := $(wildcard tools/localstore/*.go) tools/localstore/go.mod tools/localstore/go.sum
export GOFLAGS := -buildvcs=false

.PHONY: setup store demo test serve seed bench schema clean

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

demo: setup
	$(BIN)/hub store start
	$(BIN)/hub seed --if-empty
	$(BIN)/hub serve

test: setup
	$(BIN)/pytest

schema: $(VENV)/.installed
	$(BIN)/hub schema > schema/schema.graphql

clean:
	-$(BIN)/hub store stop
	rm -rf .cache $(VENV) var
