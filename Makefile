# The README's two commands: `make loadtest` (the product's main job) and
# `make test` (the test suite). Both bring up Postgres and Redis first.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/hbharness
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: all build test lint bench bench-load loadtest loadtest-full services fuzz clean

all: build

services:
	@bash scripts/services.sh

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/hbharness

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The race detector over everything (it costs little here: the tests mostly
# wait on model time), then the fleet once more at its normal time scale,
# which it stretches under -race (harness/fleet/race_on_test.go).
test: services lint
	$(GO) test -race -count=1 -timeout 12m ./...
	$(GO) test -count=1 -timeout 5m ./harness/fleet/

# The pull-request subset (built-ins marked quick: every fault built-in and
# the core ones), under 5 minutes on 2 cores; one table at the end.
loadtest: services build
	$(BIN) suite --quick --out out/loadtest/$$(date +%Y%m%d-%H%M%S)

# Every built-in scenario, every run of each (nightly; about 10 minutes).
loadtest-full: services build
	$(BIN) suite --out out/loadtest/$$(date +%Y%m%d-%H%M%S)-full

# Throughput of /tasks per strategy against a bare handler, over loopback HTTP.
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 3 ./reference/bench/

# Load-generator figures: fleet capacity (2 min), attack overhead vs plain
# vegeta, and the cost of streaming results.bin as a ratio (30 s).
bench-load:
	bash scripts/bench-attack.sh
	bash scripts/bench-fleet.sh
	bash scripts/bench-results.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./reference/api/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./scenarios/

clean:
	rm -rf bin out
