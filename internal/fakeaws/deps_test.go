package fakeaws_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hubreport/hubreport/"

// goList runs `go list` from the module root with args and returns one line per package.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, msg)
	}
	return strings.Fields(string(out))
}

// TestEmulatorStandsApart: the emulator links no package of the product and no DuckDB, so it is
// handed its data and writes AWS's wire format with its own code (a bug in the product's encoders
// cannot hide in both), and cmd/fakeaws reaches the product only through the package that hands
// the demo organization over.
func TestEmulatorStandsApart(t *testing.T) {
	deps := goList(t, "-deps", "./internal/fakeaws/...")
	if !slices.Contains(deps, module+"internal/fakeaws/securityhub") {
		t.Fatalf("go list -deps ./internal/fakeaws/... does not list the emulator: %v", deps)
	}
	for _, p := range deps {
		if strings.HasPrefix(p, module) && p != module+"internal/fakeaws" && !strings.HasPrefix(p, module+"internal/fakeaws/") {
			t.Errorf("the emulator links %s", p)
		}
		if strings.Contains(p, "duckdb") {
			t.Errorf("the emulator links %s", p)
		}
	}

	// The demo organization is built by cmd/fakeaws and handed over through demoaws; no other
	// package of the product is imported by the command itself.
	imports := goList(t, "-f", `{{join .Imports "\n"}}`, "./cmd/fakeaws")
	for _, p := range imports {
		if strings.HasPrefix(p, module) && p != module+"internal/fakeaws" && p != module+"internal/collect/demo/demoaws" {
			t.Errorf("cmd/fakeaws imports %s; the demo estate reaches it through internal/collect/demo/demoaws", p)
		}
	}
}
