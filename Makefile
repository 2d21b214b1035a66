# The README's two commands: `make loadtest` (the product's main job) and
# `make test` (the test suite). Both bring up Postgres and Redis first.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/hbharness
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: all build test test-short lint lint-ci bench bench-load loadtest loadtest-full services fuzz clean

# make loadtest|loadtest-full [OUT=DIR] [BASELINE=PATH]: OUT is the suite's
# folder (default out/loadtest/<time>); BASELINE, a past summary.json or
# suite folder to hold the runs against (--baseline).
BASELINE_FLAGS = $(if $(BASELINE),--baseline $(BASELINE))
# make loadtest TARGET=URL TOKEN=T OBSERVE_DB=DSN [SLUGS=a,b | JOBS=1,2]
# [STRATEGY=S] [ALLOW_REMOTE=1]: a deployment instead of the in-process
# reference (suite --target: the pre-deploy subset, in real time).
TARGET_PICK = $(if $(SLUGS),--slugs '$(SLUGS)') $(if $(JOBS),--jobs '$(JOBS)') \
	$(if $(STRATEGY),--strategy '$(STRATEGY)') $(if $(ALLOW_REMOTE),--allow-remote)

all: build

services:
	@bash scripts/services.sh

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/hbharness

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The race detector over the libraries, then the end-to-end packages
# without it, then the fleet once more at its normal time scale, which it
# stretches under -race (harness/fleet/race_on_test.go). The end-to-end
# packages run Antenna's whole request path (a NATS connection and five
# JetStream calls per /tasks, about 11 ms of CPU over all processes, 4 ms of
# it ours); -race multiplies our share several times over, and their
# compressed-time runs then measure the race detector, not the target. The
# concurrency they exercise (fleet, attack, observe, gate, broker,
# taskqueue, webtier) is raced in those packages' own tests. The timeouts
# guard against a hang, not a slow machine: harness/runner takes about 5 min
# on a quiet 2-core runner and took 11m41s beside two CPU hogs.
E2E := ./cmd/hbharness ./harness/runner ./reference
test: services lint
	$(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v -x -e '.*/cmd/hbharness' -e '.*/harness/runner' -e '.*/hbharness/reference')
	$(GO) test -count=1 -timeout 25m $(E2E)
	$(GO) test -count=1 -timeout 5m ./harness/fleet/

# The fast tier for the edit-test loop: the pure packages, under a minute
# on 2 cores, no services needed. Tests that need the shared servers, a
# browser or seconds of paced load skip under -short, saying so
# (testenv.NeedsServices, testenv.Slow); `make test` runs them all.
test-short:
	$(GO) test -short -count=1 ./...

# The pull-request subset (built-ins marked quick: every fault built-in and
# the core ones), under 5 minutes on 2 cores; one table at the end. With
# TARGET, the pre-deploy subset against that deployment (about 10 minutes);
# the local services are not needed then, and the token and DSN are not echoed.
loadtest: $(if $(TARGET),,services) build
ifdef TARGET
	@echo "$(BIN) suite --target '$(TARGET)' --token … --observe-db … $(strip $(TARGET_PICK) $(BASELINE_FLAGS))"
	@$(BIN) suite --target '$(TARGET)' --token '$(TOKEN)' --observe-db '$(OBSERVE_DB)' $(TARGET_PICK) $(BASELINE_FLAGS) --out $(or $(OUT),out/loadtest/$$(date +%Y%m%d-%H%M%S)-predeploy)
else
	$(BIN) suite --quick $(BASELINE_FLAGS) --out $(or $(OUT),out/loadtest/$$(date +%Y%m%d-%H%M%S))
endif

# Every built-in scenario, every run of each (nightly; about 10 minutes).
loadtest-full: services build
	$(BIN) suite $(BASELINE_FLAGS) --out $(or $(OUT),out/loadtest/$$(date +%Y%m%d-%H%M%S)-full)

# The CI workflow to copy, checked with actionlint (and shellcheck for its
# scripts, when installed: apt-get install shellcheck).
lint-ci:
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 .github/workflows/loadtest.yml

# Throughput of /tasks per strategy against a bare handler, over loopback HTTP.
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 3 ./reference/bench/
	$(GO) test -run '^$$' -bench SimulatedTenMinutes -benchtime 1x ./harness/sim/

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
