package collect

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
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

// The dropped findings reach the sink once collection ends, counted per account, region, standard
// and control: a finding of two standards once under each, one of none under "".
func TestFileSourceStoresRetiredCounts(t *testing.T) {
	var in []string
	for i, stds := range [][]string{{fsbp, pci}, {fsbp}, nil} {
		m := baseFinding()
		m["Id"] = "r" + string(rune('1'+i))
		c := m["Compliance"].(map[string]any)
		c["SecurityControlId"] = "AppSync.1"
		var assoc []any
		for _, s := range stds {
			assoc = append(assoc, map[string]any{"StandardsId": s})
		}
		if assoc == nil {
			delete(c, "AssociatedStandards")
		} else {
			c["AssociatedStandards"] = assoc
		}
		in = append(in, string(marshal(t, m)))
	}
	in = append(in, findingJSON(t, "f1"))
	// Wrapped once more, as the commands wrap the store: the counts must get through to the Buffer.
	buf := &Buffer{}
	src := &FileSource{Paths: []string{"-"}, Stdin: strings.NewReader("[" + strings.Join(in, ",") + "]"), Catalog: testCatalog(t)}
	if err := src.Collect(context.Background(), &countingSink{Sink: buf}); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(buf.Retired)
	slices.SortFunc(got, func(a, b model.RetiredFindings) int { return strings.Compare(a.StandardID, b.StandardID) })
	acc, region := "111122223333", "us-east-1"
	want := []model.RetiredFindings{
		{AccountID: acc, Region: region, StandardID: "", ControlID: "AppSync.1", Findings: 1},
		{AccountID: acc, Region: region, StandardID: fsbp, ControlID: "AppSync.1", Findings: 2},
		{AccountID: acc, Region: region, StandardID: pci, ControlID: "AppSync.1", Findings: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("retired counts %+v\nwant %+v", got, want)
	}
	if src.RetiredFindings() != 3 || len(buf.Findings) != 1 {
		t.Errorf("dropped %d, stored %d; want 3 and 1", src.RetiredFindings(), len(buf.Findings))
	}
}
