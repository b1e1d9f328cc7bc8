package collect_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo"
	"github.com/hubreport/hubreport/internal/model"
)

// demoFindings are two days of a small demo organization: every product, status, workflow, note
// and user-defined field the demo makes.
func demoFindings(t testing.TB) []*model.Finding {
	t.Helper()
	org, err := demo.New(demo.Config{Accounts: 4, Days: 40})
	if err != nil {
		t.Fatal(err)
	}
	var s sliceSink
	for _, d := range []int{0, 39} {
		if err := org.Snapshot(context.Background(), d, collect.SinkFunc(s.AddFinding)); err != nil {
			t.Fatal(err)
		}
	}
	return s.fs
}

// trickyStrings are the values whose JSON encoding differs between careless encoders: escapes,
// HTML characters (json.Marshal writes them as \u003c ...), the JavaScript line separators,
// control characters with and without a short escape, DEL, invalid and truncated UTF-8.
var trickyStrings = []string{
	"", "plain", `quote " and \ backslash`, "<script>alert('x')</script> & more",
	"line\nfeed\rreturn\ttab\bback\fform", "\x00\x01\x1f\x7f", "sep\u2028para\u2029end",
	"bad \xff utf8", "truncated \xe2\x82", "\xc0\xaf overlong", "ünïcödé 日本 🙂", "\u2027\u202a",
	"ends with \\", "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
}

// trickyFinding sets every string of a finding from trickyStrings, chosen by r, and each field
// that may be absent (times, standards, user-defined fields, note) present or not.
func trickyFinding(r *rand.Rand) *model.Finding {
	s := func() string { return trickyStrings[r.IntN(len(trickyStrings))] }
	tm := func() time.Time {
		if r.IntN(3) == 0 {
			return time.Time{}
		}
		return time.Date(2000+r.IntN(30), 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)).Add(time.Duration(r.Int64N(1 << 50)))
	}
	f := &model.Finding{ID: s(), ProductARN: s(), ProductName: s(), CompanyName: s(), GeneratorID: s(), AccountID: s(),
		Region: s(), Type: s(), Title: s(), ResourceType: s(), ResourceID: s(), ControlID: s(),
		FirstObservedAt: tm(), CreatedAt: tm(), UpdatedAt: tm(), SeverityLabel: s(), SeverityNormalized: r.IntN(201) - 50,
		ComplianceStatus: s(), WorkflowStatus: []string{"NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED", s()}[r.IntN(5)],
		RecordState: s(), NoteText: s(), NoteUpdatedBy: s(), NoteUpdatedAt: tm()}
	switch r.IntN(3) {
	case 0:
		f.Standards = []string{}
	case 1:
		f.Standards = []string{s(), s()}
	}
	switch r.IntN(3) {
	case 0:
		f.UserDefinedFields = map[string]string{}
	case 1:
		f.UserDefinedFields = map[string]string{}
		for range r.IntN(5) {
			f.UserDefinedFields[s()] = s()
		}
	}
	return f
}

// TestAppendASFFMatchesEncodingJSON holds AppendASFF to the encoding/json encoder it replaced, byte
// for byte: on the demo's findings, and on 20,000 findings made of tricky strings, with every
// optional field both present and absent.
func TestAppendASFFMatchesEncodingJSON(t *testing.T) {
	check := func(name string, f *model.Finding) {
		t.Helper()
		want, err := marshalASFFReference(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect.AppendASFF(nil, f); !bytes.Equal(got, want) {
			t.Fatalf("%s: %+v\nAppendASFF:   %s\nencoding/json: %s", name, *f, got, want)
		}
	}
	fs := demoFindings(t)
	if len(fs) == 0 {
		t.Fatal("the demo made no findings")
	}
	for i, f := range fs {
		check("demo finding "+f.ID, f)
		if i == 0 {
			check("empty finding", &model.Finding{})
		}
	}
	r := rand.New(rand.NewPCG(21, 5))
	for i := range 20000 {
		f := trickyFinding(r)
		check("tricky finding "+string(rune('0'+i%10)), f)
	}
}

// TestASFFWriterMatchesEncodingJSON checks the whole document ASFFWriter writes against the
// reference encoder's findings joined the way the writer joined them before.
func TestASFFWriterMatchesEncodingJSON(t *testing.T) {
	fs := demoFindings(t)
	want := bytes.NewBufferString(`{"Findings":[`)
	var got bytes.Buffer
	w := collect.NewASFFWriter(&got)
	for i, f := range fs {
		b, err := marshalASFFReference(f)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			want.WriteByte(',')
		}
		want.Write(b)
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	want.WriteString("]}\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("ASFFWriter wrote %d bytes, the reference %d, and they differ", got.Len(), want.Len())
	}
}

// BenchmarkASFFWrite writes the demo's findings through ASFFWriter (AppendASFF) and through the
// encoding/json encoder it replaced: ns/op and allocs/op are per finding.
func BenchmarkASFFWrite(b *testing.B) {
	fs := demoFindings(b)
	b.Run("append", func(b *testing.B) {
		w := collect.NewASFFWriter(io.Discard)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := w.Write(fs[i%len(fs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := marshalASFFReference(fs[i%len(fs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
