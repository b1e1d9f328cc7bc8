package demoaws_test

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
)

// TestEmulatorASFFReadsBackAsTheDemo: the emulator writes ASFF with its own encoder; the
// product's decoder reads every demo finding back as the finding the demo made. The two sides
// share no code, so a mistake in either shows here.
func TestEmulatorASFFReadsBackAsTheDemo(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := demoaws.Estate(demoaws.Config{Accounts: 4, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if err := fakeaws.EncodeFindings(&doc, e.Findings); err != nil {
		t.Fatal(err)
	}
	var got []*model.Finding
	if err := collect.Decode(t.Context(), "emulator", &doc, cat, func(f *model.Finding) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(e.Findings) || len(got) < 100 {
		t.Fatalf("%d findings read back, %d served", len(got), len(e.Findings))
	}
	controls := 0
	for i, f := range e.Findings {
		want := demoaws.StoreFinding(f)
		slices.Sort(want.Standards) // the product keeps associated standards sorted
		if len(want.UserDefinedFields) == 0 {
			want.UserDefinedFields = got[i].UserDefinedFields // absent and empty read back alike
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("finding %d read back as\n%+v\nwant\n%+v", i, got[i], want)
		}
		if f.ControlID != "" {
			controls++
		}
	}
	if controls == 0 || controls == len(got) {
		t.Errorf("%d of %d control findings: the estate should have both kinds", controls, len(got))
	}
}
