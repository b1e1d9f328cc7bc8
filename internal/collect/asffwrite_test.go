package collect_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
)

type sliceSink struct{ fs []*model.Finding }

func (s *sliceSink) AddFinding(f *model.Finding) error { c := *f; s.fs = append(s.fs, &c); return nil }
func (s *sliceSink) AddAccount(model.Account) error    { return nil }
func (s *sliceSink) AddCoverage(model.Coverage) error  { return nil }

// TestASFFRoundTrip writes a demo day (every product, status, workflow, note and field the demo
// makes) as ASFF and decodes it back: every finding must come back equal.
func TestASFFRoundTrip(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	org, err := demo.New(demo.Config{Accounts: 4, Days: 40})
	if err != nil {
		t.Fatal(err)
	}
	var want sliceSink
	var buf bytes.Buffer
	w := collect.NewASFFWriter(&buf)
	for _, d := range []int{0, 39} {
		if err := org.Snapshot(ctx, d, collect.SinkFunc(func(f *model.Finding) error {
			want.AddFinding(f)
			return w.Write(f)
		})); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got sliceSink
	if err := collect.Decode(ctx, "roundtrip.json", &buf, cat, got.AddFinding); err != nil {
		t.Fatal(err)
	}
	if len(got.fs) != len(want.fs) || len(want.fs) == 0 {
		t.Fatalf("decoded %d findings, wrote %d", len(got.fs), len(want.fs))
	}
	ms := func(tm time.Time) time.Time { return tm.UTC().Truncate(time.Millisecond) }
	for i := range want.fs {
		a, b := *want.fs[i], *got.fs[i]
		for _, p := range []*model.Finding{&a, &b} {
			p.FirstObservedAt, p.CreatedAt, p.UpdatedAt, p.NoteUpdatedAt = ms(p.FirstObservedAt), ms(p.CreatedAt), ms(p.UpdatedAt), ms(p.NoteUpdatedAt)
			if len(p.Standards) == 0 {
				p.Standards = nil
			}
			p.Standards = slices.Sorted(slices.Values(p.Standards)) // order carries no meaning
			if len(p.UserDefinedFields) == 0 {
				p.UserDefinedFields = nil
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("finding %d changed in the round trip:\nwrote %+v\nread  %+v", i, a, b)
		}
	}
}
