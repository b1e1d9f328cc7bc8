package auditmanager_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/auditmanager"
	"github.com/aws/aws-sdk-go-v2/service/auditmanager/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/deliver/auditmanager"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// setup serves an emulator (through wrap, when not nil) and returns it with an SDK client acting
// as the Audit Manager administrator.
func setup(t *testing.T, opts fakeaws.Options, wrap func(http.Handler) http.Handler) (*fakeaws.Server, *sdk.Client) {
	t.Helper()
	opts.Unlimited = true
	s, err := demoaws.New(demoaws.Config{Accounts: 2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := sdk.NewFromConfig(aws.Config{Region: s.HomeRegion(), BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider(fakeaws.AccessKeyFor(s.AdministratorAccount()), "secret", "")})
	return s, c
}

func pdf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return append([]byte("%PDF-1.7\n"), b...)
}

func TestPush(t *testing.T) {
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	logging, iam := a.ControlSets[0], a.ControlSets[1]
	items := []auditmanager.Item{
		{ControlSetID: logging.Name, ControlID: logging.ControlIDs[0], FileName: "cloudtrail findings.pdf", File: pdf(5000),
			TextResponse: "3 of 4 CloudTrail controls pass; see the attached report."},
		{ControlSetID: iam.Name, ControlID: iam.ControlIDs[1], FileName: "iam.csv", File: []byte("control,status\nIAM.1,PASSED\n")},
		{ControlSetID: logging.Name, ControlID: logging.ControlIDs[0], TextResponse: "Reviewed by the security team."},
		{ControlSetID: iam.Name, ControlID: iam.ControlIDs[2], FileName: "empty.txt", File: []byte{}},
	}
	got, err := auditmanager.Push(context.Background(), c, a.ID, items, auditmanager.Options{})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if got.Uploaded != 3 || got.Imported != 5 || len(got.Errors) != 0 {
		t.Errorf("Result = %+v, want 3 uploaded, 5 imported, no errors", got)
	}
	ev := s.ImportedEvidence(a.ID, logging.Name, logging.ControlIDs[0])
	if len(ev) != 3 || !strings.HasSuffix(ev[0].EvidenceFileName, "cloudtrail findings.pdf") || !bytes.Equal(ev[0].File, items[0].File) ||
		ev[1].TextResponse != items[0].TextResponse || ev[2].TextResponse != items[2].TextResponse {
		t.Errorf("logging control evidence = %+v", ev)
	}
	ev = s.ImportedEvidence(a.ID, iam.Name, iam.ControlIDs[1])
	if len(ev) != 1 || !bytes.Equal(ev[0].File, items[1].File) {
		t.Errorf("iam control evidence = %+v", ev)
	}
	if ev = s.ImportedEvidence(a.ID, iam.Name, iam.ControlIDs[2]); len(ev) != 1 || len(ev[0].File) != 0 || ev[0].EvidenceFileName == "" {
		t.Errorf("empty file evidence = %+v", ev)
	}
	st := s.Stats()
	if st.Uploads != 3 || st.Requests["GetEvidenceFileUploadUrl"] != 3 || st.Requests["BatchImportEvidenceToAssessmentControl"] != 3 {
		t.Errorf("Stats = %+v, want 3 uploads and one import call per control", st)
	}
}

func TestPushSplitsCalls(t *testing.T) {
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	cs := a.ControlSets[2]
	var items []auditmanager.Item
	for i := range 60 { // 60 files and 60 text responses: 120 manual evidence items, 3 calls
		items = append(items, auditmanager.Item{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0],
			FileName: fmt.Sprintf("evidence-%02d.json", i), File: fmt.Appendf(nil, `{"n":%d}`, i),
			TextResponse: fmt.Sprintf("note %d", i)})
	}
	items = append(items, auditmanager.Item{ControlSetID: cs.Name, ControlID: cs.ControlIDs[1], TextResponse: "one"})
	got, err := auditmanager.Push(context.Background(), c, a.ID, items, auditmanager.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Uploaded != 60 || got.Imported != 121 || len(got.Errors) != 0 {
		t.Errorf("Result = %+v", got)
	}
	if n := s.Stats().Requests["BatchImportEvidenceToAssessmentControl"]; n != 4 {
		t.Errorf("%d import calls, want 4 (120 items in 3 calls, 1 in 1)", n)
	}
	ev := s.ImportedEvidence(a.ID, cs.Name, cs.ControlIDs[0])
	if len(ev) != 120 {
		t.Fatalf("%d items imported, want 120", len(ev))
	}
	// Each file arrives intact and in order, its text response after it.
	for i := range 60 {
		if f, tx := ev[2*i], ev[2*i+1]; string(f.File) != fmt.Sprintf(`{"n":%d}`, i) || tx.TextResponse != fmt.Sprintf("note %d", i) {
			t.Fatalf("items %d, %d = %+v, %+v", 2*i, 2*i+1, f, tx)
		}
	}
}

func TestPushItemErrors(t *testing.T) {
	// A daily quota of 3 uploads per control: the second push's files are over it; Audit
	// Manager rejects them per item and imports the rest.
	s, c := setup(t, fakeaws.Options{AuditManager: &fakeaws.AuditManagerOptions{DailyUploadsPerControl: 3}}, nil)
	a := s.Assessment()
	cs := a.ControlSets[0]
	first := []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[3], FileName: "a.txt", File: []byte("a")},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[3], FileName: "b.txt", File: []byte("b")},
	}
	if _, err := auditmanager.Push(context.Background(), c, a.ID, first, auditmanager.Options{}); err != nil {
		t.Fatal(err)
	}
	second := []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[3], FileName: "c.txt", File: []byte("c")},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[3], FileName: "d.txt", File: []byte("d"), TextResponse: "still imported"},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[3], FileName: "e.txt", File: []byte("e")},
	}
	got, err := auditmanager.Push(context.Background(), c, a.ID, second, auditmanager.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Uploaded != 3 || got.Imported != 2 || len(got.Errors) != 2 {
		t.Fatalf("Result = %+v, want 3 uploaded, 2 imported (c.txt and the text), 2 errors", got)
	}
	for i, name := range []string{"d.txt", "e.txt"} {
		e := got.Errors[i]
		if e.ControlSetID != cs.Name || e.ControlID != cs.ControlIDs[3] || e.Evidence != name || e.Code != "400" || e.Message == "" {
			t.Errorf("Errors[%d] = %+v, want %s named with its control", i, e, name)
		}
		if msg := e.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, cs.ControlIDs[3]) || !strings.Contains(msg, cs.Name) {
			t.Errorf("Errors[%d].Error() = %q", i, msg)
		}
	}
	if ev := s.ImportedEvidence(a.ID, cs.Name, cs.ControlIDs[3]); len(ev) != 4 || ev[3].TextResponse != "still imported" {
		t.Errorf("imported %+v", ev)
	}
}

func TestPushCallFails(t *testing.T) {
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	cs := a.ControlSets[1]
	items := []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], TextResponse: "ok"},
		{ControlSetID: cs.Name, ControlID: "00000000-0000-4000-8000-000000000000", TextResponse: "unknown control"},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[1], TextResponse: "never sent"},
	}
	got, err := auditmanager.Push(context.Background(), c, a.ID, items, auditmanager.Options{})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "00000000-0000-4000-8000-000000000000") || !strings.Contains(err.Error(), cs.Name) {
		t.Fatalf("err = %v, want a ResourceNotFoundException naming the control", err)
	}
	if got.Imported != 1 {
		t.Errorf("Result = %+v, want the first control's import counted", got)
	}
	if n := s.Stats().Requests["BatchImportEvidenceToAssessmentControl"]; n != 2 {
		t.Errorf("%d import calls, want 2: the push stops at the failure", n)
	}
}

func TestValidate(t *testing.T) {
	const (
		assessment = "0123abcd-0000-4000-8000-00000000abcd"
		ctl        = "11111111-2222-4333-8444-555555555555"
		ctl2       = "11111111-2222-4333-8444-666666666666"
		set        = "Logging and monitoring"
	)
	text := func(s string) auditmanager.Item {
		return auditmanager.Item{ControlSetID: set, ControlID: ctl, TextResponse: s}
	}
	files := func(control string, n int) []auditmanager.Item {
		var out []auditmanager.Item
		for i := range n {
			out = append(out, auditmanager.Item{ControlSetID: set, ControlID: control, FileName: fmt.Sprintf("f%d.txt", i), File: []byte{1}})
		}
		return out
	}
	tests := []struct {
		name       string
		assessment string
		items      []auditmanager.Item
		wantIndex  int    // -2: valid
		wantField  string // of the *ValidationError
	}{
		{"valid", assessment, []auditmanager.Item{text("ok")}, -2, ""},
		{"no items", assessment, nil, -2, ""},
		{"1,000 characters of 2 bytes", assessment, []auditmanager.Item{text(strings.Repeat("é", 1000))}, -2, ""},
		{"100 uploads on each of two controls", assessment, append(files(ctl, 100), files(ctl2, 100)...), -2, ""},
		{"bad assessment id", "not-a-uuid", []auditmanager.Item{text("ok")}, -1, "assessmentID"},
		{"uppercase assessment id", strings.ToUpper(assessment), nil, -1, "assessmentID"},
		{"bad control id", assessment, []auditmanager.Item{text("ok"), {ControlSetID: set, ControlID: "IAM.1", TextResponse: "x"}}, 1, "ControlID"},
		{"empty control set", assessment, []auditmanager.Item{{ControlID: ctl, TextResponse: "x"}}, 0, "ControlSetID"},
		{"control set too long", assessment, []auditmanager.Item{{ControlSetID: strings.Repeat("s", 301), ControlID: ctl, TextResponse: "x"}}, 0, "ControlSetID"},
		{"1,001 characters", assessment, []auditmanager.Item{text("ok"), text(strings.Repeat("é", 1001))}, 1, "TextResponse"},
		{"101 uploads on one control", assessment, files(ctl, 101), 100, "FileName"},
		{"file name with slash", assessment, []auditmanager.Item{{ControlSetID: set, ControlID: ctl, FileName: "a/b.pdf", File: []byte{1}}}, 0, "FileName"},
		{"file name too long", assessment, []auditmanager.Item{{ControlSetID: set, ControlID: ctl, FileName: strings.Repeat("n", 301), File: []byte{1}}}, 0, "FileName"},
		{"file without name", assessment, []auditmanager.Item{{ControlSetID: set, ControlID: ctl, File: []byte{1}, TextResponse: "x"}}, 0, "FileName"},
		{"nothing to import", assessment, []auditmanager.Item{{ControlSetID: set, ControlID: ctl}}, 0, "FileName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auditmanager.Validate(tt.assessment, tt.items)
			if tt.wantIndex == -2 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *auditmanager.ValidationError
			if !errors.As(err, &ve) || ve.Index != tt.wantIndex || ve.Field != tt.wantField {
				t.Fatalf("Validate = %v (%+v), want item %d field %s", err, ve, tt.wantIndex, tt.wantField)
			}
			if tt.wantIndex >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("item %d ", tt.wantIndex)) {
				t.Errorf("message %q does not name item %d", err, tt.wantIndex)
			}
		})
	}
}

func TestPushValidatesFirst(t *testing.T) {
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	cs := a.ControlSets[0]
	items := []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], FileName: "a.txt", File: []byte("a")},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], TextResponse: strings.Repeat("x", 1001)},
	}
	_, err := auditmanager.Push(context.Background(), c, a.ID, items, auditmanager.Options{})
	var ve *auditmanager.ValidationError
	if !errors.As(err, &ve) || ve.Index != 1 {
		t.Fatalf("err = %v, want a ValidationError for item 1", err)
	}
	if st := s.Stats(); len(st.Requests) != 0 || st.Uploads != 0 {
		t.Errorf("Stats = %+v, want nothing sent", st)
	}
}

func TestPushDryRun(t *testing.T) {
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	cs := a.ControlSets[0]
	file := pdf(100)
	items := []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], FileName: "report.pdf", File: file, TextResponse: "see report"},
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[1], TextResponse: "no findings"},
	}
	var buf bytes.Buffer
	got, err := auditmanager.Push(context.Background(), c, a.ID, items, auditmanager.Options{DryRun: &buf})
	if err != nil {
		t.Fatal(err)
	}
	if got.Uploaded != 0 || got.Imported != 0 {
		t.Errorf("Result = %+v, want nothing done", got)
	}
	sum := sha256.Sum256(file)
	out := buf.String()
	t.Log("plan:\n" + out)
	for _, want := range []string{a.ID, cs.Name, cs.ControlIDs[0], cs.ControlIDs[1], `"report.pdf"`,
		fmt.Sprintf("%d bytes", len(file)), hex.EncodeToString(sum[:]), `"see report"`, `"no findings"`} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if st := s.Stats(); len(st.Requests) != 0 || st.Uploads != 0 {
		t.Errorf("Stats = %+v, want nothing sent", st)
	}
}

// signatureMismatchBody is S3's answer to a PUT whose signature does not match: it echoes the
// access key and the string to sign, here with a fake signature the error must not repeat.
const signatureMismatchBody = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>` +
	`<AWSAccessKeyId>ASIAFAKEFAKEFAKE1234</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 20250224T070000Z</StringToSign>` +
	`<SignatureProvided>d1e2a3d4b5e6e7f8fakesignature0123456789abcdef0123456789abcdef0</SignatureProvided>` +
	`<RequestId>4442587FB7D0A2F9</RequestId></Error>`

// failPuts answers the first n upload PUTs with status, as S3 does now and then.
func failPuts(n int32, status int) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		var seen atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, fakeaws.UploadPathPrefix) && seen.Add(1) <= n {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprint(w, signatureMismatchBody)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestPushUploadFailures(t *testing.T) {
	item := func(a fakeaws.Assessment) []auditmanager.Item {
		cs := a.ControlSets[0]
		return []auditmanager.Item{{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], FileName: "a.txt", File: []byte("abc")}}
	}
	t.Run("5xx retried", func(t *testing.T) {
		s, c := setup(t, fakeaws.Options{}, failPuts(2, http.StatusServiceUnavailable))
		got, err := auditmanager.Push(context.Background(), c, s.Assessment().ID, item(s.Assessment()), auditmanager.Options{})
		if err != nil || got.Uploaded != 1 || got.Imported != 1 {
			t.Fatalf("Push = %+v, %v; want the third PUT to succeed", got, err)
		}
	})
	t.Run("403 not retried", func(t *testing.T) {
		s, c := setup(t, fakeaws.Options{}, failPuts(1, http.StatusForbidden))
		a := s.Assessment()
		got, err := auditmanager.Push(context.Background(), c, a.ID, item(a), auditmanager.Options{})
		var ue *auditmanager.UploadError
		if !errors.As(err, &ue) || ue.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "a.txt") ||
			!strings.Contains(err.Error(), a.ControlSets[0].ControlIDs[0]) {
			t.Fatalf("err = %v, want an UploadError 403 naming the file and control", err)
		}
		if ue.Code != "SignatureDoesNotMatch" || !strings.Contains(err.Error(), "status 403 (SignatureDoesNotMatch)") {
			t.Errorf("err = %v, want the status and S3's error code", err)
		}
		for _, secret := range []string{"X-Amz-Signature", "fakesignature", "ASIAFAKE", "StringToSign", "AWS4-HMAC-SHA256", "RequestId"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error echoes the response body (%q): %v", secret, err)
			}
		}
		if got.Uploaded != 0 || s.Stats().Requests["BatchImportEvidenceToAssessmentControl"] != 0 {
			t.Errorf("Result %+v: want no upload, no import", got)
		}
	})
	t.Run("transport error hides the signature", func(t *testing.T) {
		s, c := setup(t, fakeaws.Options{}, nil)
		a := s.Assessment()
		hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset") })}
		_, err := auditmanager.Push(context.Background(), c, a.ID, item(a), auditmanager.Options{HTTPClient: hc})
		if err == nil || !strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "Signature") ||
			strings.Contains(err.Error(), "Credential") {
			t.Fatalf("err = %v, want the transport error without the URL's query", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOperations(t *testing.T) {
	// Push calls exactly what Operations lists.
	s, c := setup(t, fakeaws.Options{}, nil)
	a := s.Assessment()
	cs := a.ControlSets[0]
	if _, err := auditmanager.Push(context.Background(), c, a.ID, []auditmanager.Item{
		{ControlSetID: cs.Name, ControlID: cs.ControlIDs[0], FileName: "a.txt", File: []byte("a"), TextResponse: "t"}}, auditmanager.Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for op := range s.Stats().Requests {
		got = append(got, "auditmanager:"+op)
	}
	for _, op := range got {
		found := false
		for _, want := range auditmanager.Operations {
			found = found || op == want
		}
		if !found {
			t.Errorf("Push called %s, which Operations does not list", op)
		}
	}
	if len(got) != len(auditmanager.Operations) {
		t.Errorf("Push called %v, Operations lists %v", got, auditmanager.Operations)
	}
}
