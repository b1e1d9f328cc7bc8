package collect

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// A finding of a retired control (AppSync.1 in testCatalog) is dropped and counted; the others go
// through. A file holding only such findings was read, so it is not an empty import.
func TestFileSourceDropsRetiredControls(t *testing.T) {
	retired := baseFinding()
	retired["Id"] = "r1"
	retired["Compliance"].(map[string]any)["SecurityControlId"] = "AppSync.1"
	r1 := string(marshal(t, retired))
	f1 := findingJSON(t, "f1")

	sink := &fakeSink{}
	src := &FileSource{Paths: []string{"-"}, Stdin: strings.NewReader("[" + r1 + "," + f1 + "]"), Catalog: testCatalog(t)}
	if err := src.Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(sink.findings), []string{"f1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
	if got := src.RetiredFindings(); got != 1 {
		t.Errorf("RetiredFindings() = %d, want 1", got)
	}

	only := &FileSource{Paths: []string{"-"}, Stdin: strings.NewReader("[" + r1 + "]"), Catalog: testCatalog(t)}
	sink = &fakeSink{}
	if err := only.Collect(context.Background(), sink); err != nil {
		t.Fatalf("a file of retired-control findings only: %v, want no error", err)
	}
	if len(sink.findings) != 0 || only.RetiredFindings() != 1 {
		t.Errorf("stored %d, dropped %d; want 0 and 1", len(sink.findings), only.RetiredFindings())
	}
}
