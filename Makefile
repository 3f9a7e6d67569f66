# valora-k6: `make` lists the targets.

MODULE      := github.com/valora-k6/valora-k6
K6_VERSION  := v2.2.0
XK6_VERSION := v1.4.13

BIN        := .bin
XK6        := $(BIN)/xk6
STANDIN    := $(BIN)/valora-standin
REPORT_DIR ?= reports

GO_SOURCES  := go.mod go.sum register.go $(shell find extension -name '*.go' -not -name '*_test.go' 2>/dev/null)
TS_SOURCES  := $(shell find scenarios -name '*.ts' 2>/dev/null) index.d.ts
SA_SOURCES  := $(shell find standin cmd -name '*.go' -not -name '*_test.go' 2>/dev/null) $(GO_SOURCES)

.DEFAULT_GOAL := help
.PHONY: help build bundle typecheck vet test test-unit test-e2e standin demo tools deps clean

help: ## Show this help
	@echo "valora-k6: load and invariant tests for the Valora billing engine"
	@echo
	@echo "Usage: make <target>"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

demo: build $(STANDIN) ## Start the stand-in Valora, run the smoke scenario and a short ingest_load, keep reports in reports/
	REPORT_DIR=$(REPORT_DIR) ./scripts/demo.sh

build: k6 bundle ## Build ./k6 (the pinned k6 v2 with k6/x/valora) and bundle the scenarios into dist/

k6: $(GO_SOURCES) | $(XK6)
	$(XK6) build $(K6_VERSION) --with $(MODULE)=. -o k6

tools: $(XK6) $(GOSEC) ## Install the pinned build tools (xk6, gosec) into .bin/

$(XK6): tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	cd tools && go build -o ../$(XK6) go.k6.io/xk6/cmd/xk6

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

bundle: dist/.stamp ## Bundle scenarios/*.ts into dist/*.js (esbuild, ESM, source maps)

dist/.stamp: $(TS_SOURCES) build/bundle.mjs node_modules/.stamp
	@rm -rf dist
	node build/bundle.mjs
	@touch $@

typecheck: node_modules/.stamp ## Type-check the scenarios (tsc --noEmit, strict) against @types/k6 and index.d.ts
	npx --no-install tsc --noEmit -p tsconfig.json

vet: ## gofmt and go vet every package
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...

standin: $(STANDIN) ## Build the stand-in Valora server into .bin/

$(STANDIN): $(SA_SOURCES)
	@mkdir -p $(BIN)
	go build -o $(STANDIN) ./cmd/valora-standin

deps: ## Install the Debian packages the tests need (PostgreSQL, wrk, Chromium) if missing
	./scripts/install-deps.sh

test-unit: deps ## Go unit and module tests with the race detector
	go test -race -count=1 ./...

test-e2e: deps build $(STANDIN) ## Run the built ./k6 and dist/ scenarios against the stand-in, healthy and under every fault
	go test -count=1 -tags e2e -timeout 40m -v ./test/...

test: vet typecheck lint test-unit test-e2e examples test-image bench-quick ## The whole test suite (what CI runs)

clean: ## Remove build outputs
	rm -rf k6 dist $(BIN) $(REPORT_DIR)

# ---------------------------------------------------------------------------------------------------------------
# Lint (docs/lint.md) and the examples (examples/README.md). xk6 lint's vulnerability checker needs an online
# database, and its versions checker a release tag (docs/releasing.md): on a tagged commit, LINT_DISABLE=vulnerability.

GOSEC        := $(BIN)/gosec
GOSECAUDIT   := $(BIN)/gosecaudit
LINT_DISABLE ?= vulnerability,versions

.PHONY: lint examples source-archive

$(GOSEC): tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	cd tools && go build -ldflags "-X main.Version=$$(go list -m -f '{{.Version}}' github.com/securego/gosec/v2)" \
	  -o ../$(GOSEC) github.com/securego/gosec/v2/cmd/gosec

$(GOSECAUDIT): tools/go.mod tools/gosecaudit/main.go
	@mkdir -p $(BIN)
	cd tools && go build -o ../$(GOSECAUDIT) ./gosecaudit

lint: $(XK6) $(GOSEC) $(GOSECAUDIT) ## xk6 lint --preset strict (but vulnerability, versions); gosec findings held against tools/gosec.json
	$(GOSECAUDIT) -gosec $(GOSEC) -conf tools/gosec.json -dir .
	PATH="$$(pwd)/tools/lint-path:$$PATH" $(XK6) lint --preset strict --disable $(LINT_DISABLE) .

SOURCE_ARCHIVE ?= .cache/valora-k6-source.tar.gz

source-archive: k6 ## The corresponding source of ./k6 and the stand-in, one archive (SOURCE_ARCHIVE; docs/releasing.md)
	tools/source-archive.sh $(SOURCE_ARCHIVE) $(K6_VERSION) ./k6

examples: deps build ## Type-check examples/ against index.d.ts, run each with ./k6 against the stand-in (and PostgreSQL)
	npx --no-install tsc --noEmit -p examples/tsconfig.json
	go test -count=1 -tags examples -v ./test/examples/

# ---------------------------------------------------------------------------------------------------------------
# The CI image (Dockerfile; docker/README.md). Built with podman or docker, whichever is installed.

IMAGE             ?= valora-k6:dev
CONTAINER_ENGINE  ?= $(shell command -v podman 2>/dev/null || command -v docker 2>/dev/null)
IMAGE_BUILD_FLAGS ?=
# The commit the image is built from, "-dirty" when tracked files differ from it (the image then holds those).
VCS_REF           ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)$(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty)

.PHONY: image test-image

image: ## Build the CI image (IMAGE=valora-k6:dev): k6 with k6/x/valora, dist/ scenarios, the stand-in (podman or docker)
	@test -n "$(CONTAINER_ENGINE)" || { echo "image: neither podman nor docker is installed" >&2; exit 1; }
	$(CONTAINER_ENGINE) build --build-arg K6_VERSION=$(K6_VERSION) --build-arg VCS_REF=$(VCS_REF) $(IMAGE_BUILD_FLAGS) -t $(IMAGE) -f Dockerfile .

test-image: ## Build the image from local bases (no registry needed) and run its k6 and smoke scenario (root, podman)
	./docker/verify.sh

# ---------------------------------------------------------------------------------------------------------------
# Benchmarks (bench/, results in BENCHMARKS.md). The full run is no test: it is slow, and its figures are noisy
# on a shared machine. bench-quick runs every measurement for a second or two, so the harness cannot rot.

BENCH_TS := $(shell find bench/js -name '*.ts' 2>/dev/null)

.PHONY: bench bench-quick bench-deps

bench-deps: ## Install wrk and gnuplot (Debian) if missing: the benchmarks need them
	./bench/install-deps.sh

bench/dist/.stamp: $(BENCH_TS) $(TS_SOURCES) build/bundle.mjs node_modules/.stamp
	@rm -rf bench/dist
	node build/bundle.mjs bench
	@touch $@

bench: bench-deps build $(STANDIN) bench/dist/.stamp ## Benchmarks side by side (~30 min, best on an idle machine): BENCHMARKS.md, bench/scaling.png
	go run ./bench/cmd/bench -mode full -doc BENCHMARKS.md -plot bench/scaling.png -raw bench/results.json

bench-quick: bench-deps build $(STANDIN) bench/dist/.stamp ## Every benchmark for a second or two, into a temp dir: checks the harness (CI)
	npx --no-install tsc --noEmit -p bench/tsconfig.json
	@out=$$(mktemp -d /tmp/valora-bench-quick.XXXXXX) && \
	  go run ./bench/cmd/bench -mode quick -out "$$out" && echo "bench-quick: results in $$out"

clean: clean-bench
.PHONY: clean-bench
clean-bench:
	rm -rf bench/dist
