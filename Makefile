# hubreport. DuckDB is linked through cgo, so CGO_ENABLED must be 1 (gcc is required).
GO        ?= go
BIN       := bin/reporter
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: all build demo test lint bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/reporter

# The main job on the built-in demo organization: 50 accounts, 90 daily snapshots, every report format.
demo: build
	./$(BIN) demo

# Packages that run goroutines (collection workers, the run and its scheduler, the emulator, the
# servers tests start); their tests run under the race detector. In cmd/reporter and the demo
# generator the whole suite under -race is too slow for 2 cores (the demo's takes 6x as long; the
# full run with delivery alone over 9 minutes), so there only the tests that drive goroutines do
# (the SIGTERM'd schedule, collection from the emulator; concurrent and cancelled demo snapshots). Every test of those two packages still runs without -race with the others.
RACE_PKGS := ./internal/collect ./internal/run ./internal/fakeaws/... ./cmd/fakeaws ./internal/deliver/... ./internal/e2e
RACE_SOME_PKGS := ./cmd/reporter ./internal/collect/demo
RACE_SOME_TESTS := ^(TestScheduleSIGTERMExitsZeroWithoutPartialSnapshot|TestCollectFromAWS|TestConcurrentSnapshots|TestCancel)$$

# Lint, then every test: the concurrent code with -race, then the other packages. Long benchmarks
# are in `make bench`.
test: lint
	$(GO) test -race -count=1 -timeout 9m $(RACE_PKGS)
	$(GO) test -race -count=1 -timeout 9m -run '$(RACE_SOME_TESTS)' $(RACE_SOME_PKGS)
	$(GO) test -count=1 -timeout 9m $$($(GO) list ./... | grep -v -x -F "$$($(GO) list $(RACE_PKGS))")

# Linters at pinned versions, installed by this Makefile into bin/tools (a CI machine has only Go,
# gcc and Debian's archive). Bump a version here; the next `make lint` installs it.
STATICCHECK_VERSION := v0.8.2
ERRCHECK_VERSION    := v1.30.0
TOOLS       := $(CURDIR)/bin/tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
ERRCHECK    := $(TOOLS)/errcheck-$(ERRCHECK_VERSION)/errcheck

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(ERRCHECK):
	GOBIN=$(dir $@) $(GO) install github.com/kisielk/errcheck@$(ERRCHECK_VERSION)

# go vet, gofmt, staticcheck (its default checks; a deliberate exception carries a
# //lint:ignore comment saying why) and errcheck on non-test code (exceptions with reasons in
# .ci/errcheck-excludes).
lint: $(STATICCHECK) $(ERRCHECK)
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(STATICCHECK) ./...
	$(ERRCHECK) -ignoretests -exclude .ci/errcheck-excludes ./...

# Benchmarks print figures (findings/s, peak RSS, bytes) with their targets; they assert nothing
# about time. BenchmarkReportAtScale builds 1,000 accounts x 2 days (about a million findings, a
# few minutes) unless HUBREPORT_SCALE_DB names such a database, then runs `report` on it for each
# format and for all together; BENCH_IMPORT_1M=1 adds the 1M-finding import.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m ./...

# Fuzz the ASFF decoder, then its fast path, for FUZZTIME each (default 60s). go test fuzzes one
# target a run, so each pattern must match one name only.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/collect/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFast$$' -fuzztime $(FUZZTIME) ./internal/collect/

clean:
	rm -rf bin out
