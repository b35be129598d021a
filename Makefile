# lambdagrpc: run `make help` for the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TMP := $(CURDIR)/.tmp
BIN := $(TMP)/bin
export PATH := $(BIN):$(PATH)

GOLANGCI_LINT_VERSION := v2.15.0
GRPCURL_VERSION := v1.9.4
CONFORMANCE := go tool -modfile=conformance/go.mod connectconformance

.PHONY: help
help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
		'{ n[NR] = $$1; d[NR] = $$2; if (length($$1) > w) w = length($$1) } END { for (i = 1; i <= NR; i++) printf "  %-" w "s  %s\n", n[i], d[i] }'

.PHONY: run
run: ## Run the example greeter on the local Lambda emulator
	# -v: on a cold cache, go lists the packages of the CLI as it compiles them.
	go run -v ./cmd/lambdagrpc emulate ./examples/greeter

.PHONY: test
test: lint unit conformance check-generated grpc-drift web cdk ## Run every check CI runs

# Each tool is installed once per version: the stamp names the version, so
# changing a pin above reinstalls it, and later runs reuse .tmp/bin.
GOLANGCI_LINT := $(TMP)/stamp/golangci-lint-$(GOLANGCI_LINT_VERSION)
GRPCURL := $(TMP)/stamp/grpcurl-$(GRPCURL_VERSION)

.PHONY: tools
tools: $(GOLANGCI_LINT) $(GRPCURL) ## Install the pinned tools into .tmp/bin

.PHONY: unit
unit: $(GRPCURL) ## Run the Go tests of every module with the race detector
	go test -race -count=1 ./...
	# The root package again with every call through grpc.Server.ServeHTTP.
	go test -race -count=1 -skip TestDirect . -servehttp
	cd conformance && go test -race -count=1 ./...
	cd test/awssdk && go test -race -count=1 ./...
	# Each benchmark checks its path's answer first: run them once.
	cd bench && go test -run '^$$' -bench . -benchtime 1x ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt, go vet and golangci-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	go vet ./...
	cd conformance && go vet ./...
	cd test/awssdk && go vet ./...
	cd bench && go vet ./...
	# Other checkouts may lint at the same time (make test beside make test).
	golangci-lint run --allow-parallel-runners ./...

.PHONY: cdk
cdk: ## Synthesize the CDK construct (deploy/cdk) in its tests, and a new service's CDK app: needs Node, for the jsii runtime
	@command -v node >/dev/null || { echo "node is not installed: the CDK's jsii runtime needs it (apt-get install nodejs)"; exit 1; }
	cd deploy/cdk && go vet ./... && go test -count=1 ./...
	# The CDK app of a new service (lambdagrpc new), built against this checkout.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		go run ./cmd/lambdagrpc new --replace $(CURDIR) --module example.com/svc "$$tmp/svc" >/dev/null && \
		cd "$$tmp/svc/cdk" && go mod tidy && go vet ./... && go test -count=1 ./...

.PHONY: conformance
conformance: ## Run the Connect conformance suite: the client, the handler, and through the emulator
	cd conformance && go build -o $(BIN)/lambdaserver ./cmd/lambdaserver && go build -o $(BIN)/lambdaclient ./cmd/lambdaclient
	$(CONFORMANCE) --mode client --conf conformance/config-client.yaml -- $(BIN)/lambdaclient
	$(CONFORMANCE) --mode server --conf conformance/config-server.yaml \
		--known-failing @conformance/known-failing.txt -- $(BIN)/lambdaserver -via handler
	$(CONFORMANCE) --mode server --conf conformance/config-server.yaml \
		--known-failing @conformance/known-failing.txt -- $(BIN)/lambdaserver -via emulator -invoke-mode BUFFERED
	$(CONFORMANCE) --mode server --conf conformance/config-server.yaml \
		--known-failing @conformance/known-failing.txt -- $(BIN)/lambdaserver -via emulator -invoke-mode RESPONSE_STREAM
	$(CONFORMANCE) --mode server --conf conformance/config-bridge.yaml \
		--known-failing @conformance/known-failing.txt -- $(BIN)/lambdaserver -via bridge -invoke-mode RESPONSE_STREAM

.PHONY: web
web: ## Test examples/web in headless Chromium (npm ci there; chromium from apt only when CI=true as root)
	@command -v node >/dev/null || { echo "make web needs Node 20 or later and npm" >&2; exit 1; }
	cd examples/web && npm ci --no-audit --no-fund
	@if [ -z "$${CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then \
		if [ "$${CI:-}" = true ] && [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium with apt-get"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "make web needs Chromium: apt-get install chromium (Debian), or set CHROMIUM to a Chromium binary" >&2; exit 1; \
		fi; \
	fi
	# The committed connect-es code must be what protoc-gen-es writes now.
	cd examples/web && npm run --silent generate
	@git diff --exit-code -- examples/web/gen || { echo "examples/web/gen is stale: commit what npm run generate wrote" >&2; exit 1; }
	go vet -tags browser ./examples/web
	go test -tags browser -count=1 ./examples/web

.PHONY: bench
bench: ## Run every benchmark and redraw the charts (figures in docs/benchmarks.md); outputs in .tmp/bench
	mkdir -p $(TMP)/bench
	go test -run '^$$' -bench . -benchmem -count 3 . ./client ./bridge | tee $(TMP)/bench/root.txt
	cd bench && go test -run '^$$' -bench '^BenchmarkInvoke' -benchmem -benchtime 500ms -count 3 . | tee $(TMP)/bench/invoke.txt
	cd bench && go test -run '^$$' -bench 'ClientUnary' -benchmem -count 3 . | tee $(TMP)/bench/client.txt
	cd bench && go test -run '^$$' -bench 'ColdStart' -benchtime 1x . | tee $(TMP)/bench/process.txt
	cd bench && go test -run '^$$' -bench 'PeakRSS' -benchtime 1x -count 3 . | tee -a $(TMP)/bench/process.txt
	cd bench && go run ./cmd/plot -bench Invoke -group bytes -series path -relative-to 'improbable+api-proxy,vanguard+algnhsa' \
		-title 'Time per invocation relative to the best peer (lower is better)' < $(TMP)/bench/invoke.txt > ../docs/img/invoke.svg
	cd bench && go run ./cmd/plot -bench Invoke -metric B/op -group bytes -series path -relative-to 'improbable+api-proxy,vanguard+algnhsa' \
		-title 'Bytes allocated per invocation relative to the best peer (lower is better)' < $(TMP)/bench/invoke.txt > ../docs/img/invoke-bytes.svg
	cd bench && go run ./cmd/plot -bench InvokeStream -group messages -series path -relative-to 'improbable+api-proxy,vanguard+algnhsa' \
		-title 'Server stream, time per invocation relative to the best peer' < $(TMP)/bench/invoke.txt > ../docs/img/stream.svg
	cd bench && go run ./cmd/plot -bench ColdStart -metric next-p50-ms -group fn -unit ms \
		-title 'Cold start: process start to first /next, median of 20 (lower is better)' < $(TMP)/bench/process.txt > ../docs/img/coldstart.svg
	cd bench && go run ./cmd/plot -bench PeakRSS -metric peak-RSS-MB -group bytes -series fn -unit MB \
		-title 'Peak RSS after five echo calls (lower is better)' < $(TMP)/bench/process.txt > ../docs/img/rss.svg
	cd bench && go run ./cmd/plot -bench FunctionURL -metric inv/s -group callers -series mode \
		-title 'Invocations per second through the Function URL front door (higher is better)' < $(TMP)/bench/root.txt > ../docs/img/throughput.svg

.PHONY: generate
generate: ## Regenerate the protobuf code
	scripts/generate.sh
	conformance/generate.sh

.PHONY: check-generated
check-generated: ## Fail when committed generated code is stale
	scripts/check-generated.sh

.PHONY: soak
soak: ## Run the emulator's soak test: mixed calls from 32, then 64 callers, SOAK (60s) each; the unit tests run it for 2s
	go test -count=1 -run '^TestSoak$$' -v -timeout 10m ./emulator/ -soak $(or $(SOAK),60s)

.PHONY: stress
.PHONY: grpc-drift
grpc-drift: ## Run the tests that read grpc-go's internals against grpc-go's latest release; print the dispatch path
	scripts/grpc-drift.sh

.PHONY: compare
compare: ## Measure the working tree against BASE (a revision, default main) in one run: benchmark ratios, cold start, binary size
	scripts/compare.sh $(or $(BASE),main)

stress: ## Run each package's tests COUNT times (20), two binaries at once, to find flaky tests
	scripts/stress.sh

.PHONY: fuzz
fuzz: fuzz-rest ## Run every fuzz test for FUZZTIME each (default 10s)
	@for pkg in . ./internal/wire ./internal/events ./internal/eventsource ./emulator ./client; do \
		for f in $$(go test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
			go test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} $$pkg; \
		done; \
	done

.PHONY: fuzz-rest
fuzz-rest: ## Fuzz lambdagrpc's REST path against grpc-gateway's mux for FUZZTIME (default 10s)
	go test -run '^$$' -fuzz '^FuzzRESTMatchesGateway$$' -fuzztime $${FUZZTIME:-10s} ./internal/resttest

$(GRPCURL):
	@echo "installing grpcurl $(GRPCURL_VERSION) into .tmp/bin"
	GOBIN=$(BIN) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	@mkdir -p $(@D) && touch $@

$(GOLANGCI_LINT):
	@echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into .tmp/bin (compiling it takes several minutes the first time)"
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@mkdir -p $(@D) && touch $@
