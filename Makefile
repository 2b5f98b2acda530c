# drpause: stop a GaussDB(DWS) disaster-recovery pair from Slack, alerts or one call.
# `make demo` shows the whole job; `make test` runs every test. See README.md.

GO ?= go

.PHONY: test vet
test: vet
	$(GO) test -race ./...

vet:
	$(GO) vet ./...
