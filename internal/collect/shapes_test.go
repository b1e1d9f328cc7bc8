package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// event wraps findings (JSON objects) in an EventBridge event of the given source and
// detail-type, with detail first when detailFirst: EventBridge's own order puts it last, but
// nothing says a pipeline keeps it.
func event(id, source, detailType string, detailFirst bool, findings ...string) string {
	detail := `"detail": {"findings": [` + strings.Join(findings, ",") + `]}`
	head := fmt.Sprintf(`"version": "0", "id": %q, "detail-type": %q, "source": %q, "account": "111122223333", "time": "2024-05-20T10:00:00Z", "region": "us-east-1", "resources": []`, id, detailType, source)
	if detailFirst {
		return "{" + detail + ", " + head + "}"
	}
	return "{" + head + ", " + detail + "}"
}

func imported(id string, findings ...string) string {
	return event(id, securityHubSource, importedDetailType, false, findings...)
}

func decodeWithStats(t *testing.T, data []byte) ([]*model.Finding, DecodeStats, error) {
	t.Helper()
	var got []*model.Finding
	st, err := decodeCounted(context.Background(), "findings.json", strings.NewReader(string(data)), testCatalog(t), func(f *model.Finding) error {
		got = append(got, f)
		return nil
	})
	return got, st, err
}

// TestDecodeShapesAgree: the same findings decode to the same values whichever shape holds them.
func TestDecodeShapesAgree(t *testing.T) {
	f1, f2, f3 := findingJSON(t, "f1"), findingJSON(t, "f2"), findingJSON(t, "f3")
	want, err := decodeAll(t, "findings.json", []byte("["+f1+","+f2+","+f3+"]"))
	if err != nil || len(want) != 3 {
		t.Fatalf("array: %d findings, %v", len(want), err)
	}
	e1, e2, e3 := imported("e1", f1), imported("e2", f2), imported("e3", f3)
	shapes := map[string]string{
		"get-findings page":           `{"Findings": [` + f1 + "," + f2 + "," + f3 + `], "NextToken": null}`,
		"lowercase page":              `{"findings": [` + f1 + "," + f2 + "," + f3 + `]}`,
		"lowercase pages appended":    `{"findings": [` + f1 + `]}` + "\n" + `{"findings": [` + f2 + "," + f3 + `]}`,
		"JSON Lines":                  f1 + "\n" + f2 + "\n" + f3 + "\n",
		"events, one per line":        e1 + "\n" + e2 + "\n" + e3 + "\n",
		"events concatenated":         e1 + e2 + e3,
		"events, CRLF":                e1 + "\r\n" + e2 + "\r\n" + e3,
		"events in an array":          "[" + e1 + "," + e2 + "," + e3 + "]",
		"events in a page":            `{"Findings": [` + e1 + "," + e2 + "," + e3 + `]}`,
		"one event of three findings": imported("e", f1, f2, f3),
		"events, detail first":        event("e1", securityHubSource, importedDetailType, true, f1) + event("e2", securityHubSource, importedDetailType, true, f2, f3),
		"events, detail not last":     `{"detail": {"other": [1, {"a": "]"}], "findings": [` + f1 + `, ` + f2 + `], "x": null}, "source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported"}` + e3,
	}
	decodeEachShape(t, shapes, want, "the array", func(t *testing.T, name string, st DecodeStats) {
		if len(st.Skipped) != 0 {
			t.Errorf("skipped %+v", st.Skipped)
		}
		if isEvents := strings.Contains(name, "event"); isEvents != (st.Events > 0) {
			t.Errorf("events counted: %d", st.Events)
		}
	})
}

// decodeEachShape decodes each input of shapes, plain and gzipped, in a subtest of its own, and
// checks that it gives want (what, for the message) before it calls check.
func decodeEachShape(t *testing.T, shapes map[string]string, want []*model.Finding, what string, check func(t *testing.T, name string, st DecodeStats)) {
	for name, input := range shapes {
		for _, gz := range []bool{false, true} {
			data := []byte(input)
			if gz {
				name += ", gzip"
				data = gzipBytes(t, data)
			}
			t.Run(name, func(t *testing.T) {
				got, st, err := decodeWithStats(t, data)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %q, want the findings of %s %q", ids(got), what, ids(want))
				}
				check(t, name, st)
			})
		}
	}
}

// TestDecodeSkipsOtherEvents: events that are not Security Hub's imported findings are skipped,
// counted per kind with the first one's offset, and named; their findings are not read.
func TestDecodeSkipsOtherEvents(t *testing.T) {
	f1, f2, f3 := findingJSON(t, "f1"), findingJSON(t, "f2"), findingJSON(t, "f3")
	custom := event("c1", securityHubSource, "Security Hub Findings - Custom Action", false, f2)
	guardDuty := `{"version":"0","id":"g1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2024-05-20T10:00:00Z","region":"us-east-1","resources":[],"detail":{"schemaVersion":"2.0","id":"abc","type":"Recon:EC2/PortProbeUnprotectedPort"}}`
	insight := `{"version":"0","id":"i1","detail-type":"Security Hub Insight Results","source":"aws.securityhub","detail":{"insightResults":[{"a":1}]}}`
	lines := []string{imported("e1", f1), custom, guardDuty, custom, imported("e3", f3), insight}
	input := strings.Join(lines, "\n")
	got, st, err := decodeWithStats(t, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"f1", "f3"}; !reflect.DeepEqual(ids(got), want) {
		t.Errorf("got %q, want %q", ids(got), want)
	}
	off := func(i int) int64 { return int64(len(strings.Join(lines[:i], "\n")) + min(i, 1)) }
	want := []SkippedRecords{
		{File: "findings.json", Kind: `EventBridge event "Security Hub Findings - Custom Action" from "aws.securityhub"`, Count: 2, First: off(1)},
		{File: "findings.json", Kind: `EventBridge event "GuardDuty Finding" from "aws.guardduty"`, Count: 1, First: off(2)},
		{File: "findings.json", Kind: `EventBridge event "Security Hub Insight Results" from "aws.securityhub"`, Count: 1, First: off(5)},
	}
	if !reflect.DeepEqual(st.Skipped, want) || st.Events != 2 {
		t.Errorf("got %d events, skipped\n%+v\nwant 2 events, skipped\n%+v", st.Events, st.Skipped, want)
	}
	if s := st.Skipped[1].String(); s != `findings.json: 1 skipped, EventBridge event "GuardDuty Finding" from "aws.guardduty" (the first at byte `+fmt.Sprint(off(2))+")" {
		t.Errorf("String() = %s", s)
	}

	// A skipped event must still be valid JSON: skipping is not a way past the syntax check.
	bad := strings.Replace(guardDuty, `"type":"Recon`, `"type":tru, "x":"Recon`, 1)
	if _, _, err := decodeWithStats(t, []byte(imported("e1", f1)+"\n"+bad)); err == nil || !strings.Contains(err.Error(), "invalid JSON at byte") {
		t.Errorf("invalid skipped event: got %v, want a syntax error", err)
	}
}

// TestDecodeRefusesMixedKinds: a file holds ASFF findings or EventBridge events, not both; the
// error names the file, the byte offset of the record of the other kind and the first record's.
func TestDecodeRefusesMixedKinds(t *testing.T) {
	f1, f2 := findingJSON(t, "f1"), findingJSON(t, "f2")
	e2 := imported("e2", f2)
	ocsfLine := `{"activity_id": 2, "category_uid": 2, "class_uid": 2003, "type_uid": 200302, "severity": "High", "severity_id": 4, "status": "New", "status_id": 1, "time": 1727870485000,` +
		` "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS", "region": "eu-west-1"}, "compliance": {"control": "EC2.19", "status": "Fail", "status_id": 3, "standards": ["standards/nist-800-53/v/5.0.0"]},` +
		` "finding_info": {"uid": "arn:aws:securityhub:eu-west-1:123456789012:security-control/EC2.19/finding/1", "title": "t"},` +
		` "metadata": {"product": {"name": "Security Hub", "uid": "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub", "vendor_name": "AWS"}, "version": "1.6.0"}, "resources": []}`
	gd := event("g", "aws.guardduty", "GuardDuty Finding", false)
	v2 := importedV2("v", ocsfLine)
	tests := []struct {
		name, input string
		want        string
	}{
		{"page then event", `{"Findings": [` + f1 + "]}\n" + e2, fmt.Sprintf("import findings.json: an EventBridge event at byte %d in a file of ASFF findings (the first at byte 14)", len(f1)+17)},
		{"event then finding line", e2 + "\n" + f1, fmt.Sprintf("import findings.json: an ASFF finding at byte %d in a file of EventBridge events (the first at byte 0)", len(e2)+1)},
		{"array of a finding and an event", "[" + f1 + "," + e2 + "]", fmt.Sprintf("import findings.json: an EventBridge event at byte %d in a file of ASFF findings (the first at byte 1)", len(f1)+2)},
		{"finding then a skipped event", f1 + gd, fmt.Sprintf("import findings.json: an EventBridge event at byte %d in a file of ASFF findings (the first at byte 0)", len(f1))},
		{"OCSF then ASFF", ocsfLine + "\n" + f1, fmt.Sprintf("import findings.json: an ASFF finding at byte %d in a file of OCSF records (the first at byte 0)", len(ocsfLine)+1)},
		{"an event in OCSF lines", ocsfLine + "\n" + e2, fmt.Sprintf("import findings.json: an EventBridge event at byte %d in a file of OCSF records (the first at byte 0)", len(ocsfLine)+1)},
		// V2 events carry OCSF, but an event stream and an export job's lines are two exports.
		{"a V2 event then OCSF lines", v2 + "\n" + ocsfLine, fmt.Sprintf("import findings.json: an OCSF record at byte %d in a file of EventBridge events (the first at byte 0)", len(v2)+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeWithStats(t, []byte(tt.input))
			var ie *ImportError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), "one kind of record") {
				t.Errorf("got %v, want %q...", err, tt.want)
			}
		})
	}
}

// TestDecodeBadEvents: an event of imported findings that cannot be read refuses the file,
// naming the event's offset and what is wrong; a bad finding in it is named as a record.
func TestDecodeBadEvents(t *testing.T) {
	f1 := findingJSON(t, "f1")
	m := baseFinding()
	delete(m, "AwsAccountId")
	noAccount := string(marshal(t, m))
	head := `"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported"`
	tests := []struct {
		name, input, want string
	}{
		{"no detail", "{" + head + "}", `import findings.json: EventBridge event at byte 0: field "detail": missing`},
		{"detail not an object", "{" + head + `, "detail": []}`, `import findings.json: EventBridge event at byte 0: field "detail": got an array, want an object`},
		{"no findings", "{" + head + `, "detail": {}}`, `import findings.json: EventBridge event at byte 0: field "detail.findings": missing`},
		{"findings null", "{" + head + `, "detail": {"findings": null}}`, `import findings.json: EventBridge event at byte 0: field "detail.findings": got null, want an array`},
		{"source not a string", `{"source": 1, "detail-type": "x", "detail": {}}`, `import findings.json: EventBridge event at byte 0: field "source": got a number, want a string`},
		{"bad finding", imported("e1", f1) + "\n" + imported("e2", f1, noAccount), `import findings.json: record 2: field "AwsAccountId": missing`},
		{"finding not an object", imported("e1", "1"), `import findings.json: record 0: got a number, want a finding object`},
		// In an array, where the elements are framed but not checked before dispatch.
		// Not valid JSON before the detail: it is no kind of record, and encoding/json says why.
		{"syntax in the envelope", `[{"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", "time": tru, "detail": {"findings": []}}]`, `import findings.json: record 0: invalid JSON at byte 93`},
		{"syntax between findings", "[{" + head + `, "detail": {"findings": [` + f1 + ` ` + f1 + `]}}]`, fmt.Sprintf(`import findings.json: EventBridge event at byte 1: field "detail.findings": invalid JSON at byte %d: invalid character '{' after array element`, len(head)+len(f1)+29)},
		// A page's "detail" is checked although object leaves an event's to dispatch.
		{"page with a bad detail first", `{"detail": {"a": tru}, "findings": [` + f1 + `]}`, `import findings.json: invalid JSON at byte 20`},
		// At the top level, object checks every member's value before it dispatches.
		{"syntax at the top level", `{"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", "time": tru, "detail": {"findings": []}}`, `import findings.json: invalid JSON at byte 92`},
	}
	tests = append(tests, badOCSFEvents(t)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decodeWithStats(t, []byte(tt.input))
			var ie *ImportError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %d findings, %v; want %q", len(got), err, tt.want)
			}
		})
	}
}

// TestFileSourceNamesSkipped: the source reports what it skipped per file, and a file of skipped
// records only is an empty import that says why.
func TestFileSourceNamesSkipped(t *testing.T) {
	dir := t.TempDir()
	f1 := findingJSON(t, "f1")
	custom := event("c1", securityHubSource, "Security Hub Findings - Custom Action", false, f1)
	good, only := filepath.Join(dir, "events.json.gz"), filepath.Join(dir, "custom.json")
	if err := os.WriteFile(good, gzipBytes(t, []byte(imported("e1", f1)+imported("e2", f1)+custom)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(only, []byte(custom+"\n"+custom+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &FileSource{Paths: []string{good, only}, Catalog: testCatalog(t)}
	var buf Buffer
	if err := src.Collect(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if len(buf.Findings) != 2 || src.FindingsRead() != 2 || src.Events() != 2 {
		t.Errorf("got %d findings, read %d, %d events; want 2, 2, 2", len(buf.Findings), src.FindingsRead(), src.Events())
	}
	kind := `EventBridge event "Security Hub Findings - Custom Action" from "aws.securityhub"`
	want := []SkippedRecords{{File: good, Kind: kind, Count: 1, First: int64(2 * len(imported("e1", f1)))}, {File: only, Kind: kind, Count: 2, First: 0}}
	if !reflect.DeepEqual(src.Skipped(), want) {
		t.Errorf("skipped %+v, want %+v", src.Skipped(), want)
	}

	src = &FileSource{Paths: []string{only}, Catalog: testCatalog(t)}
	err := src.Collect(context.Background(), &Buffer{})
	var ee *EmptyImportError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "skipped by rule: "+only+": 2 skipped, "+kind) {
		t.Errorf("got %v, want an empty import naming the skipped events", err)
	}
}

// TestDecodeFirehoseSample: a Firehose object of Security Hub events (concatenated, no newline
// at the end, one custom action among them) gives the findings of the same export as JSON Lines.
func TestDecodeFirehoseSample(t *testing.T) {
	lines, err := os.ReadFile(filepath.Join("testdata", "findings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	events, err := os.ReadFile(filepath.Join("testdata", firehoseSample))
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeAll(t, "findings.jsonl", lines)
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := decodeWithStats(t, gzipBytes(t, events))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", ids(got), ids(want))
	}
	if st.Events != 2 || len(st.Skipped) != 1 || st.Skipped[0].Count != 1 || !strings.Contains(st.Skipped[0].Kind, "Custom Action") {
		t.Errorf("got %d events, skipped %+v; want 2 events and the custom action skipped", st.Events, st.Skipped)
	}
}
