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

# Lint, then every test. Runs in a few minutes on 2 cores; long benchmarks are in `make bench`.
test: lint
	$(GO) test -count=1 -timeout 9m ./...

lint:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

# Benchmarks print figures (findings/s, peak RSS, bytes) with their targets; they assert nothing
# about time. BenchmarkReportAtScale builds 1,000 accounts x 90 days first (about 40 minutes)
# unless HUBREPORT_SCALE_DB names such a database; BENCH_IMPORT_1M=1 adds the 1M-finding import.
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
