package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no samples in testdata: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if filepath.Base(name) == "consolidated_fsbp.json" {
			f.Add(gzipBytes(f, data))
		}
	}
	// Not *.json*: the fast path's tests read those as finding records.
	events, err := os.ReadFile(filepath.Join("testdata", firehoseSample))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(events)
	f1 := findingJSON(f, "f1")
	for _, s := range []string{
		"", "[]", "null", "{}", "\xef\xbb\xbf[]",
		`{"Findings": [` + f1 + `], "NextToken": "x"}{"Findings": []}`,
		"[" + f1 + "]\n[" + f1 + "]",
		f1 + "\n" + f1,
		`[{"Id": "a", "AwsAccountId": "1", "CreatedAt": "2024-01-01T00:00:00Z", "UpdatedAt": "2024-01-01T00:00:00+01:00", "Severity": {"Normalized": "40"}}]`,
		`{"findings": [` + f1 + `]}`,
		imported("e1", f1) + imported("e2", f1, f1) + "\n" + event("c", securityHubSource, "Security Hub Findings - Custom Action", true, f1),
		"[" + imported("e1", f1) + "," + event("g", "aws.guardduty", "GuardDuty Finding", false) + "]",
		f1 + "\n" + imported("e1", f1),
		// OCSF: lines with a skipped class, and V2 events beside an ASFF one.
		ocsfJSON("1", "2003") + "\n" + ocsfJSON("2", "2004"),
		importedV2("v1", ocsfJSON("1", "2003"), ocsfJSON("2", "2002")) + imported("e1", f1) + importedV2("v2", `{"class_uid": 3002}`),
	} {
		f.Add([]byte(s))
	}
	cat := testCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := fuzzDecode(cat, bytes.NewReader(data))
		checkFuzzResult(t, data, got, err)

		// Where the read boundaries fall must not matter.
		got2, err2 := fuzzDecode(cat, iotest.OneByteReader(bytes.NewReader(data)))
		if errString(err) != errString(err2) || !reflect.DeepEqual(got, got2) {
			t.Fatalf("one byte at a time: got %d findings, %v; want %d findings, %v", len(got2), err2, len(got), err)
		}
		// Nor whether the input was compressed (bar gzip input, which would be compressed twice).
		if len(data) < 1<<14 && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			got3, err3 := fuzzDecode(cat, bytes.NewReader(fastGzip(data)))
			if errString(err) != errString(err3) || !reflect.DeepEqual(got, got3) {
				t.Fatalf("gzipped: got %d findings, %v; want %d findings, %v", len(got3), err3, len(got), err)
			}
		}
	})
}

// gzipWriters keeps the fuzz loop fast: a new gzip.Writer allocates about 1 MB.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

func fastGzip(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	zw.Write(data) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

func fuzzDecode(cat *catalog.Catalog, r io.Reader) ([]*model.Finding, error) {
	var got []*model.Finding
	err := Decode(context.Background(), "fuzz.json", r, cat, func(f *model.Finding) error {
		got = append(got, f)
		return nil
	})
	return got, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func checkFuzzResult(t *testing.T, data []byte, got []*model.Finding, err error) {
	t.Helper()
	if err != nil {
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("got %T %v, want an *ImportError", err, err)
		}
		if ie.File != "fuzz.json" || ie.Record < -1 || ie.Record > len(got) || ie.Err == nil {
			t.Fatalf("malformed ImportError %#v after %d findings", ie, len(got))
		}
		var se *syntaxError
		if errors.As(err, &se) && json.Valid(data) {
			t.Fatalf("valid JSON refused as invalid: %v", err)
		}
	} else if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		// Whatever was accepted must be a sequence of JSON values.
		dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte{0xef, 0xbb, 0xbf})))
		for {
			var v json.RawMessage
			if derr := dec.Decode(&v); derr == io.EOF {
				break
			} else if derr != nil {
				t.Fatalf("accepted input that encoding/json refuses: %v", derr)
			}
		}
		// A single array of findings yields exactly its elements.
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) == nil && allFindings(arr) && len(arr) != len(got) {
			t.Fatalf("got %d findings from an array of %d", len(got), len(arr))
		}
	}
	for i, f := range got {
		switch {
		case f.ID == "" || f.AccountID == "":
			t.Fatalf("finding %d without identity: %+v", i, f)
		case labelScore[f.SeverityLabel] == 0 && f.SeverityLabel != "INFORMATIONAL":
			t.Fatalf("finding %d: severity label %q", i, f.SeverityLabel)
		case f.SeverityNormalized < 0 || f.SeverityNormalized > 100:
			t.Fatalf("finding %d: normalized severity %d", i, f.SeverityNormalized)
		case !slices.Contains([]string{"NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"}, f.WorkflowStatus):
			t.Fatalf("finding %d: workflow %q", i, f.WorkflowStatus)
		case f.RecordState != "ACTIVE" && f.RecordState != "ARCHIVED":
			t.Fatalf("finding %d: record state %q", i, f.RecordState)
		case !slices.Contains([]string{"", "PASSED", "FAILED", "WARNING", "NOT_AVAILABLE"}, f.ComplianceStatus):
			t.Fatalf("finding %d: compliance status %q", i, f.ComplianceStatus)
		case f.CreatedAt.IsZero() || f.UpdatedAt.IsZero():
			t.Fatalf("finding %d without timestamps", i)
		case f.ControlID == "" && f.Standards != nil:
			t.Fatalf("finding %d: standards %q without a control", i, f.Standards)
		case !slices.IsSorted(f.Standards) || len(slices.Compact(slices.Clone(f.Standards))) != len(f.Standards):
			t.Fatalf("finding %d: standards %q not sorted and unique", i, f.Standards)
		case f.UserDefinedFields != nil && len(f.UserDefinedFields) == 0:
			t.Fatalf("finding %d: empty non-nil UserDefinedFields", i)
		}
	}
}

// firehoseSample is a Firehose object of Security Hub events in testdata.
const firehoseSample = "firehose_securityhub.events"

// allFindings reports whether dispatch takes every element for a finding, not an event.
func allFindings(arr []json.RawMessage) bool {
	for _, e := range arr {
		if len(e) > 0 && e[0] == '{' {
			if k, _ := classify(e, 0); k == kindEvent {
				return false
			}
		}
	}
	return true
}
