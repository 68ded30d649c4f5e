# sfmcp — `make test` runs every test there is; `make build` makes bin/sfmcp.

GO       ?= go
# The approved toolchain (go.mod's toolchain line): this year's net/http,
# crypto/x509 and html/template fixes. A machine starts on its own Go, so say it.
export GOTOOLCHAIN ?= go1.27.3
BIN      := bin/sfmcp
PKG      := github.com/sfmcp/sfmcp
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's time, not the clock's, as goreleaser stamps it: same commit, same binary.
DATE     ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
LDFLAGS  := -s -w \
	-X $(PKG)/internal/build.Version=$(VERSION) \
	-X $(PKG)/internal/build.Commit=$(COMMIT) \
	-X $(PKG)/internal/build.Date=$(DATE)

.PHONY: all build test test-deps validate-deploy bench bench-serve bench-proxy-floor bench-slowloris fmt vet clean docs cross release-check release-lint vulncheck mutation

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sfmcp

# The one command that runs everything: system packages the tests need, vet,
# govulncheck, actionlint and goreleaser check, and the race-enabled test suite.
# -timeout 30m: go test's default alarm (10 minutes a package) fired for
# internal/e2e and internal/build on a loaded 2-core machine while no test
# hung; a hang still ends the run, well inside CI's limit.
test: test-deps vet vulncheck release-lint validate-deploy
	$(GO) test -race -timeout 30m ./...

# The deployment examples (deploy/kubernetes, deploy/compose.yaml) decoded
# strictly with the Kubernetes API types and compose-go, and checked against
# the binary: a module of its own (deploy/validate), so that k8s.io/api and
# compose-go stay out of go.mod.
validate-deploy:
	cd deploy/validate && $(GO) vet ./... && $(GO) test -count=1 ./...

# The release configuration and workflows, checked without building anything:
# actionlint and goreleaser check. `make release-check` also builds them.
release-lint:
	$(GO) tool -modfile=tools/actionlint/go.mod actionlint -color=false
	$(GO) tool -modfile=tools/go.mod goreleaser check

test-deps:
	./.ci/test-deps.sh

# Regenerate man/, completions/ and the README's tool table from the code;
# internal/docs's tests fail until the result is committed.
docs:
	$(GO) run ./cmd/gen-docs

# Build the binary for all six release platforms (linux, darwin, windows ×
# amd64, arm64), cgo off; `make test` runs the same test.
cross:
	$(GO) test -count=1 -run '^TestCrossCompile$$' -v ./internal/build

# The release, offline: actionlint, goreleaser check, a snapshot and a tagged
# build into dist/, each checked by internal/build's TestDist (.ci/release-check.sh).
release-check:
	./.ci/release-check.sh

# govulncheck over every package, with the vulnerability database read from
# the Go module proxy (golang.org/x/vulndb): no network beyond it.
vulncheck:
	./.ci/vulncheck.sh

# Mutation testing of the security and accounting packages (gremlins): slow,
# so outside `make test`; scores in TESTING.md.
mutation: test-deps
	./.ci/mutation.sh

bench: bench-slowloris bench-serve bench-proxy-floor
	$(GO) test -run '^$$' -bench . -benchmem ./...

# serve's CPU per call, calls/s at 1, 8 and 50 connections, added p50/p99
# latency and RSS, beside .ci/bench-serve.baseline (issue 16; BENCHMARKS.md).
bench-serve:
	GO=$(GO) .ci/bench-serve.sh

# What HTTP alone costs a proxied call: a do-nothing proxy on net/http's
# server and client against one on internal/h1's, CPU per call at 8
# connections (issue 16; BENCHMARKS.md).
bench-proxy-floor:
	$(GO) run ./scripts/proxy-floor -conns 8 -calls 40000 -rounds 2

# Memory under 3,000 slow-body connections (issue 17; BENCHMARKS.md). About
# two minutes; part of make bench, not of make test.
bench-slowloris:
	GO=$(GO) .ci/bench-slowloris.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf bin dist
