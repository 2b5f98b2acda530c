# drpause: stop a GaussDB(DWS) disaster-recovery pair from Slack, alerts or one call.
# `make demo` shows the whole job; `make test` runs every test. See README.md.

GO      ?= go
PKG     := ./functions/pause
BIN     := bin
# The version `-version`, the start-up log line and GET /healthz report; "dev" outside a git
# checkout (e.g. where `sam build` copied the sources). Override with `make build VERSION=...`.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/dws-dr/drpause/functions/pause/internal/version.value=$(VERSION)
# Static, stripped, without the net/rpc server of the retired go1.x runtime.
BUILD   := CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="$(LDFLAGS)"
# Size budget of the stripped linux-arm64 bootstrap, in bytes (12 MB).
MAX_SIZE := 12000000
# The documented local signing secret of events/ and `make run`; it opens nothing real.
LOCAL_SIGNING_SECRET := local-signing-secret

.PHONY: build build-PauseFunction zip functiongraph run demo test vet lint events deploy clean

## build: static bootstrap for linux arm64 and amd64 in bin/
build:
	GOOS=linux GOARCH=arm64 $(BUILD) -o $(BIN)/linux-arm64/bootstrap $(PKG)
	GOOS=linux GOARCH=amd64 $(BUILD) -o $(BIN)/linux-amd64/bootstrap $(PKG)
	@ls -l $(BIN)/linux-arm64/bootstrap $(BIN)/linux-amd64/bootstrap
	@size=$$(wc -c < $(BIN)/linux-arm64/bootstrap); [ $$size -le $(MAX_SIZE) ] || \
		{ echo "build: linux-arm64 bootstrap is $$size bytes; the budget is $(MAX_SIZE)" >&2; exit 1; }

## build-PauseFunction: what `sam build` runs (BuildMethod: makefile)
build-PauseFunction:
	GOOS=linux GOARCH=arm64 $(BUILD) -o $(ARTIFACTS_DIR)/bootstrap $(PKG)

## zip: bin/pause-arm64.zip for `aws lambda update-function-code --zip-file`
zip: build
	cd $(BIN)/linux-arm64 && rm -f ../pause-arm64.zip && zip -q -X ../pause-arm64.zip bootstrap
	@ls -l $(BIN)/pause-arm64.zip

## functiongraph: bin/pause-functiongraph.zip, an HTTP function (start script + linux/amd64 binary)
functiongraph: build
	rm -rf $(BIN)/functiongraph && mkdir -p $(BIN)/functiongraph
	cp functions/pause/deploy/functiongraph/bootstrap $(BIN)/functiongraph/bootstrap
	cp $(BIN)/linux-amd64/bootstrap $(BIN)/functiongraph/drpause
	cd $(BIN)/functiongraph && rm -f ../pause-functiongraph.zip && zip -q -X ../pause-functiongraph.zip bootstrap drpause
	@ls -l $(BIN)/pause-functiongraph.zip

## azure: bin/pause-azure.zip, an Azure Functions custom handler app (host.json, one folder per
## route, the linux/amd64 binary as bootstrap); see functions/pause/deploy/azure/README.md
.PHONY: azure
azure: build
	rm -rf $(BIN)/azure && mkdir -p $(BIN)/azure
	cp -R functions/pause/deploy/azure/. $(BIN)/azure/
	rm -f $(BIN)/azure/README.md
	cp $(BIN)/linux-amd64/bootstrap $(BIN)/azure/bootstrap
	cd $(BIN)/azure && rm -f ../pause-azure.zip && zip -q -r -X ../pause-azure.zip .
	@ls -l $(BIN)/pause-azure.zip

## image: the linux/amd64 container image for Cloud Run and Knative, or for OpenFaaS with
## DOCKERFILE=functions/pause/deploy/openfaas/Dockerfile, built with podman or docker and named
## IMAGE. Pulls its base images, so it is not part of `make test`.
CONTAINER  ?= $(shell command -v podman 2>/dev/null || command -v docker 2>/dev/null)
DOCKERFILE ?= functions/pause/deploy/cloudrun/Dockerfile
IMAGE      ?= drpause:$(VERSION)
.PHONY: image
image:
	@[ -n "$(CONTAINER)" ] || { echo "image: neither podman nor docker found" >&2; exit 1; }
	$(CONTAINER) build --platform linux/amd64 -f $(DOCKERFILE) --build-arg VERSION=$(VERSION) -t $(IMAGE) .

## run: HTTP mode on 127.0.0.1:8080 against the built-in DR simulator
run:
	@echo "local Slack signing secret: $(LOCAL_SIGNING_SECRET)  (sign requests with it; see README)"
	DR_SIMULATE=true DR_LISTEN_HOST=127.0.0.1 PORT=$${PORT:-8080} \
	SLACK_SIGNING_SECRET=$(LOCAL_SIGNING_SECRET) DR_ALLOWED_USERS='*' \
	LOG_LEVEL=$${LOG_LEVEL:-info} $(GO) run $(PKG)

## check: the self-check of an HTTP deployment, run in the current environment (export the
## deployment's variables first): builds the binary for this machine and runs it with -check,
## which prints a JSON report and fails unless every check is OK. Pauses nothing.
.PHONY: check
check:
	$(BUILD) -o $(BIN)/drpause $(PKG)
	$(BIN)/drpause -check

## demo: the whole job, from /dr pause to stopped, against the simulator
demo:
	$(GO) run ./functions/pause/internal/tools/demo

## test: vet, lint the template, install dynalite, every test with the race detector
test: vet lint dynalite
	$(GO) test -race ./...

## dynalite: the DynamoDB-compatible server of the ledger's tests, pinned by its package-lock.json;
## npm ci runs again only when the lock file changed. --ignore-scripts: nothing is built; the one
## native module (classic-level's, loaded but unused since the tests keep tables in memory) ships
## prebuilt for linux-x64 and linux-arm64 inside its npm package.
DYNALITE := pkg/ledger/testdata/dynalite
.PHONY: dynalite
dynalite: $(DYNALITE)/node_modules/.package-lock.json
$(DYNALITE)/node_modules/.package-lock.json: $(DYNALITE)/package-lock.json $(DYNALITE)/package.json
	@command -v npm >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || { \
		echo "dynalite: npm not found: installing Debian's nodejs and npm" >&2; \
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@command -v npm >/dev/null 2>&1 || { \
		echo "dynalite: npm not found: install Node.js >= 20 (the ledger's tests run dynalite on it)" >&2; exit 1; }
	npm ci --prefix $(DYNALITE) --no-audit --no-fund --ignore-scripts
	@touch $@

vet:
	$(GO) vet ./...

## loadtest: 2,000 signed Slack requests from 50 clients against the HTTP mode, DR API answering
## in 200ms; prints requests, errors, ack latencies, goroutines and heap before and after
.PHONY: loadtest
loadtest:
	$(GO) test -run '^TestLoad$$' -count=1 -v $(PKG) -load.full

## bench: whole-process benchmarks (ack latency, throughput, CPU, cold start, connection reuse,
## size, memory), each next to its reference from the same run, plus the Go micro-benchmarks;
## writes BENCHMARKS.md in about 4 minutes
.PHONY: bench
bench: dynalite
	$(GO) run ./functions/pause/internal/tools/bench/cmd/harness -out BENCHMARKS.md

## lint: cfn-lint template.yaml (cfn-lint 1.51.0 is on the project's machines)
lint:
	@command -v cfn-lint >/dev/null 2>&1 || { \
		echo "lint: cfn-lint not found: install cfn-lint 1.51.0 (pip install cfn-lint==1.51.0)" >&2; exit 1; }
	cfn-lint template.yaml

## events: every event of events/ into bin/events, the Slack and Grafana ones signed with the
## current time, for `sam local invoke -e bin/events/<name>.json` (the tracked files stay as recorded)
events:
	$(GO) run ./functions/pause/internal/tools/signevents -secret $(LOCAL_SIGNING_SECRET) -out $(BIN)/events events/*.json

## local-invoke: what `sam local invoke -e $(EVENT) --env-vars env.json` does, without the SAM CLI:
## sign EVENT into bin/events and run it through the pinned Runtime Interface Emulator with
## env.json's settings; Slack and the self-invocation are caught on loopback and printed
EVENT ?= events/slash-command.json
.PHONY: local-invoke
local-invoke:
	$(BUILD) -o $(BIN)/local/bootstrap $(PKG)
	$(GO) build -o $(BIN)/local/aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
	$(GO) run ./functions/pause/internal/tools/localinvoke -env env.json -bootstrap $(BIN)/local/bootstrap \
		-rie $(BIN)/local/aws-lambda-rie -out $(BIN)/events $(EVENT)

## deploy: sam build && sam deploy --guided (needs the SAM CLI and AWS credentials)
deploy:
	sam build
	sam deploy --guided

clean:
	rm -rf $(BIN) .aws-sam

## fuzz: run every fuzz target in turn for FUZZTIME (default 30s); `make test` runs only their seeds
FUZZTIME ?= 30s
# Go minimises each new input for up to 60s by default, which eats most of a short run.
FUZZMINIMIZETIME ?= 10s
FUZZ_TARGETS ?= ./pkg/drapi:FuzzNewError \
	./bot:FuzzCommands ./bot:FuzzInteractions ./bot:FuzzCommandText ./bot:FuzzInteractionPayload ./bot:FuzzAlertCard \
	./bot/alerts:FuzzAlertmanager ./bot/alerts:FuzzGrafana ./bot/alerts:FuzzSMN ./bot/alerts:FuzzSMNNotification ./bot/alerts:FuzzSMNURL \
	./functions/pause/internal/lambdaentry:FuzzHandle
.PHONY: fuzz
fuzz:
	@failed=; log=$$(mktemp); \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; corpus=$$pkg/testdata/fuzz/$$name; \
		before=$$(ls $$corpus 2>/dev/null | wc -l); \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		if $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $$pkg >$$log 2>&1; then \
			grep 'execs:' $$log | tail -n 1; continue; \
		fi; \
		after=$$(ls $$corpus 2>/dev/null | wc -l); \
		if [ $$after -eq $$before ] && tail -n 5 $$log | grep -q 'context deadline exceeded'; then \
			echo "   ignored: Go 1.26 fuzz coordinator shutdown race (golang/go#75804), no failing input written"; continue; \
		fi; \
		cat $$log; failed="$$failed $$t"; \
	done; rm -f $$log; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (new failing inputs are in testdata/fuzz: keep them as regression seeds)" >&2; exit 1; fi; \
	echo "fuzz: every target passed"
