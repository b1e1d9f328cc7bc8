package layers

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/hubreport/hubreport/"

// wall says that the packages under one of from may not depend, directly or through others, on
// any package under one of forbidden. Paths are relative to the module; a path names the package
// and every package below it. Only non-test code counts: a test may cross a wall to build its
// fixtures.
type wall struct {
	from, forbidden []string
	why             string
}

const duckdb = "github.com/duckdb/"

var walls = []wall{
	{from: []string{"internal/model"}, forbidden: []string{module, duckdb},
		why: "model is the leaf every stage shares: it imports nothing of ours and no driver"},
	{from: []string{"internal/ocsf"}, forbidden: []string{"internal/report", "internal/store", "internal/collect", "internal/catalog",
		"internal/analyze", "internal/render", "internal/deliver", "internal/config", "internal/run", "internal/fakeaws", duckdb, "github.com/aws/"},
		why: "the OCSF mapping is shared by the collector (import) and the exporter: it imports only model and the standard library"},
	{from: []string{"internal/report"}, forbidden: []string{
		"internal/store", "internal/collect", "internal/analyze", "internal/render", "internal/deliver", "internal/config", duckdb},
		why: "the Report is plain data: a renderer that imports it gets no store, collector or driver"},
	{from: []string{"internal/render", "internal/catalog", "internal/collect", "internal/config", "internal/deliver", "internal/fakeaws", "cmd/fakeaws"},
		forbidden: []string{duckdb, "internal/store"},
		why:       "only the store (and what queries it: analyze, the run, cmd/reporter) links DuckDB"},
	{from: []string{"internal/fakeaws"}, forbidden: []string{"internal/model", "internal/report", "internal/store", "internal/collect",
		"internal/catalog", "internal/analyze", "internal/render", "internal/deliver", "internal/config", "internal/run"},
		why: "the emulator stands apart: a bug in the product's encoder must not hide in both (internal/fakeaws/deps_test.go has the details)"},
	{from: []string{"internal/collect"}, forbidden: []string{"internal/analyze", "internal/render", "internal/deliver", "internal/run"},
		why: "data flows one way: collect -> store -> analyze -> render -> deliver"},
	{from: []string{"internal/store"}, forbidden: []string{"internal/collect", "internal/analyze", "internal/render", "internal/deliver", "internal/run"},
		why: "data flows one way: the store knows nothing of the collectors before it or the stages after it"},
	{from: []string{"internal/analyze"}, forbidden: []string{"internal/collect", "internal/render", "internal/deliver", "internal/run"},
		why: "data flows one way: analyze reads the store and builds a Report"},
	{from: []string{"internal/render"}, forbidden: []string{"internal/collect", "internal/analyze", "internal/deliver", "internal/run", "github.com/aws/"},
		why: "a renderer reads a Report and writes a file: no store, no AWS SDK, no delivery"},
	{from: []string{"internal/deliver"}, forbidden: []string{"internal/collect", "internal/analyze", "internal/render", "internal/run"},
		why: "delivery sends files; it does not make them"},
}

// deps lists every package of the module with its non-test dependencies, transitively.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", module+"...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return m
}

// under reports whether pkg (relative to the module, or a full path outside it) is prefix or
// below it.
func under(pkg, prefix string) bool {
	if strings.HasSuffix(prefix, "/") { // a full-path prefix, e.g. the module or a vendor
		return strings.HasPrefix(pkg, prefix)
	}
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func TestWalls(t *testing.T) {
	all := deps(t)
	for _, w := range walls {
		for pkg, ds := range all {
			if !anyUnder(pkg, w.from) {
				continue
			}
			var crossed []string
			for _, d := range ds {
				for _, f := range w.forbidden {
					full := f
					if !strings.HasSuffix(f, "/") {
						full = module + f
					}
					if under(d, full) && !(f == module && under(d, module+pkg)) {
						crossed = append(crossed, d)
					}
				}
			}
			if len(crossed) > 0 {
				sort.Strings(crossed)
				t.Errorf("%s depends on %s\n\twall: %s", pkg, strings.Join(crossed, ", "), w.why)
			}
		}
	}
}

func anyUnder(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(pkg, p) {
			return true
		}
	}
	return false
}

// TestWallsBite checks the test itself: the module's command, which joins every stage, crosses
// the walls, and the walls see it. A wall that could never fail would keep nothing.
func TestWallsBite(t *testing.T) {
	all := deps(t)
	ds := all["cmd/reporter"]
	if ds == nil {
		t.Fatal("go list did not list cmd/reporter")
	}
	for _, want := range []string{module + "internal/store", module + "internal/render", module + "internal/collect"} {
		found := false
		for _, d := range ds {
			found = found || d == want
		}
		if !found {
			t.Errorf("cmd/reporter does not depend on %s: the dependency listing is wrong", want)
		}
	}
	linksDuckDB := false
	for _, d := range ds {
		linksDuckDB = linksDuckDB || strings.HasPrefix(d, duckdb)
	}
	if !linksDuckDB {
		t.Error("cmd/reporter does not link DuckDB according to the listing: the driver wall checks nothing")
	}
}
