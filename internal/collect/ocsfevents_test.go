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
)

// ocsfJSON is a Compliance Finding as Security Hub writes it in OCSF (trimmed), with finding id
// and account id.
func ocsfJSON(id, class string) string {
	return `{"activity_id": 2, "category_uid": 2, "class_uid": ` + class + `, "type_uid": 200302, "severity": "High", "severity_id": 4, "status": "New", "status_id": 1, "time": 1727870485000,` +
		` "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS", "region": "eu-west-1"}, "compliance": {"control": "EC2.19", "status": "Fail", "status_id": 3, "standards": ["standards/nist-800-53/v/5.0.0"]},` +
		` "finding_info": {"uid": "arn:aws:securityhub:eu-west-1:123456789012:security-control/EC2.19/finding/` + id + `", "title": "t"},` +
		` "metadata": {"product": {"name": "Security Hub", "uid": "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub", "vendor_name": "AWS"}, "version": "1.6.0"}, "resources": []}`
}

func importedV2(id string, findings ...string) string {
	return event(id, securityHubSource, importedV2DetailType, false, findings...)
}

// TestDecodeSkipsOtherOCSFClasses: OCSF records of classes other than Compliance Finding, at the
// top level or in a page, are skipped and counted per class with the first one's offset; a
// skipped record must still be valid JSON.
func TestDecodeSkipsOtherOCSFClasses(t *testing.T) {
	c1, c2 := ocsfJSON("1", "2003"), ocsfJSON("2", "2003")
	det, vuln := ocsfJSON("3", "2004"), ocsfJSON("4", "2002")
	auth := `{"class_uid": 3002, "category_uid": 3, "time": 1727870485000}`
	lines := []string{c1, det, vuln, det, c2, auth}
	off := func(i int) int64 { return int64(len(strings.Join(lines[:i], "\n")) + min(i, 1)) }
	want := []SkippedRecords{
		{File: "findings.json", Kind: "OCSF class 2004 (Detection Finding)", Count: 2, First: off(1)},
		{File: "findings.json", Kind: "OCSF class 2002 (Vulnerability Finding)", Count: 1, First: off(2)},
		{File: "findings.json", Kind: "OCSF class 3002 (not a Finding class)", Count: 1, First: off(5)},
	}
	got, st, err := decodeWithStats(t, []byte(strings.Join(lines, "\n")))
	if err != nil || len(got) != 2 || !strings.HasSuffix(got[0].ID, "/1") || !strings.HasSuffix(got[1].ID, "/2") {
		t.Fatalf("got %q, %v; want the two Compliance Findings", ids(got), err)
	}
	if !reflect.DeepEqual(st.Skipped, want) {
		t.Errorf("skipped\n%+v\nwant\n%+v", st.Skipped, want)
	}
	// In a GetFindingsV2 page, offsets are the elements'.
	page := `{"Findings": [` + c1 + `, ` + det + `]}`
	if got, st, err := decodeWithStats(t, []byte(page)); err != nil || len(got) != 1 || len(st.Skipped) != 1 ||
		st.Skipped[0].First != int64(len(`{"Findings": [`+c1+`, `)) {
		t.Errorf("page: %d findings, skipped %+v, %v", len(got), st.Skipped, err)
	}
	bad := strings.Replace(det, `"time": 1727870485000`, `"time": tru`, 1)
	if _, _, err := decodeWithStats(t, []byte(c1+"\n"+bad)); err == nil || !strings.Contains(err.Error(), "invalid JSON at byte") {
		t.Errorf("invalid skipped record: got %v, want a syntax error", err)
	}
	// A class_uid that is no integer is not skipped: the mapping names the field.
	str := strings.Replace(det, `"class_uid": 2004`, `"class_uid": "2004"`, 1)
	var ie *ImportError
	if _, _, err := decodeWithStats(t, []byte(str)); !errors.As(err, &ie) || ie.Field != "class_uid" {
		t.Errorf("class_uid a string: got %v, want an error naming class_uid", err)
	}
}

// TestDecodeOCSFEvents: Security Hub's "Findings Imported V2" events give the findings of the
// same OCSF records as JSON lines, one per line, concatenated as Firehose writes them, gzipped,
// and beside ASFF events (one EventBridge rule delivers both); other classes in them are skipped
// and counted, as at the top level.
func TestDecodeOCSFEvents(t *testing.T) {
	c1, c2, c3 := ocsfJSON("1", "2003"), ocsfJSON("2", "2003"), ocsfJSON("3", "2003")
	det := ocsfJSON("4", "2004")
	want, err := decodeAll(t, "findings.jsonl", []byte(c1+"\n"+c2+"\n"+c3+"\n"))
	if err != nil || len(want) != 3 {
		t.Fatalf("JSON lines: %d findings, %v", len(want), err)
	}
	e1, e2, e3, e4 := importedV2("e1", c1), importedV2("e2", c2), importedV2("e3", c3), importedV2("e4", det)
	shapes := map[string]string{
		"one per line":             e1 + "\n" + e2 + "\n" + e4 + "\n" + e3 + "\n",
		"concatenated":             e1 + e2 + e4 + e3,
		"one event of four":        importedV2("e", c1, c2, det, c3),
		"in an array":              "[" + e1 + "," + e2 + "," + e4 + "," + e3 + "]",
		"detail first":             event("e1", securityHubSource, importedV2DetailType, true, c1, c2) + e4 + e3,
		"with a custom action":     e1 + e2 + event("c", securityHubSource, "Security Hub Findings - Custom Action", false, c1) + e4 + e3,
		"class_uid repeated, last": e1 + e2 + importedV2("e4", strings.Replace(det, `"class_uid": 2004`, `"class_uid": 2003, "class_uid": 2004`, 1)) + e3,
	}
	decodeEachShape(t, shapes, want, "the JSON lines", func(t *testing.T, _ string, st DecodeStats) {
		var det *SkippedRecords
		for i := range st.Skipped {
			if st.Skipped[i].Kind == "OCSF class 2004 (Detection Finding)" {
				det = &st.Skipped[i]
			}
		}
		if det == nil || det.Count != 1 || st.Events == 0 {
			t.Errorf("%d events, skipped %+v; want the Detection Finding skipped", st.Events, st.Skipped)
		}
	})

	// ASFF and OCSF events side by side: both are Security Hub's events of imported findings.
	asff := findingJSON(t, "f1")
	got, st, err := decodeWithStats(t, []byte(imported("a", asff)+e1+"\n"+e2))
	if err != nil || len(got) != 3 || st.Events != 3 || len(st.Skipped) != 0 {
		t.Errorf("ASFF and V2 events: %q, %d events, skipped %+v, %v", ids(got), st.Events, st.Skipped, err)
	}
}

// badOCSFEvents are the cases of TestDecodeBadEvents for "Findings Imported V2" events: one whose
// finding is no OCSF record refuses the file naming the event; a bad attribute names the record.
func badOCSFEvents(t *testing.T) []struct{ name, input, want string } {
	c1 := ocsfJSON("1", "2003")
	e1 := importedV2("e1", c1)
	bad := strings.Replace(c1, `"status_id": 3`, `"status_id": 12`, 1)
	return []struct{ name, input, want string }{
		{"ASFF in a V2 event", e1 + importedV2("e2", findingJSON(t, "f1")), fmt.Sprintf(`import findings.json: EventBridge event at byte %d: field "detail.findings": the finding at byte %d has no class_uid`, len(e1), len(e1)+strings.Index(e1, "[{")+1)},
		{"a number in a V2 event", importedV2("e1", "1"), `import findings.json: record 0: got a number, want a finding object`},
		{"a bad attribute in a V2 event", e1 + importedV2("e2", bad), `import findings.json: record 1: field "compliance.status_id": unknown value 12`},
		{"syntax in a V2 event's finding", importedV2("e1", `{"class_uid": 2004, "a": tru}`), `import findings.json: invalid JSON at byte`},
	}
}

// TestFileSourceOtherOCSFClassesOnly: a file of other OCSF classes only is an empty import that
// names them.
func TestFileSourceOtherOCSFClassesOnly(t *testing.T) {
	only := filepath.Join(t.TempDir(), "detections.ocsf.jsonl")
	if err := os.WriteFile(only, []byte(ocsfJSON("1", "2004")+"\n"+ocsfJSON("2", "2004")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &FileSource{Paths: []string{only}, Catalog: testCatalog(t)}
	err := src.Collect(context.Background(), &Buffer{})
	var ee *EmptyImportError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "skipped by rule: "+only+": 2 skipped, OCSF class 2004 (Detection Finding) (the first at byte 0)") {
		t.Errorf("got %v, want an empty import naming the skipped records", err)
	}
}
