package auditmanager_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/auditmanager"
	amtypes "github.com/aws/aws-sdk-go-v2/service/auditmanager/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func amClient(baseURL, account, region string) *auditmanager.Client {
	return auditmanager.NewFromConfig(aws.Config{Region: region, Credentials: fakeawstest.Credentials(account),
		BaseEndpoint: aws.String(baseURL)})
}

func newAMServer(t *testing.T, opts fakeaws.Options) (*fakeaws.Server, string, *auditmanager.Client) {
	t.Helper()
	opts.Unlimited = true
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, opts)
	return s, hs.URL, amClient(hs.URL, s.AdministratorAccount(), s.HomeRegion())
}

// upload gets an upload URL for name and PUTs data to it, returning the evidence file name.
func upload(t *testing.T, c *auditmanager.Client, name string, data []byte) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetEvidenceFileUploadUrl(ctx, &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetEvidenceFileUploadUrl(%q): %v", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, aws.ToString(out.UploadUrl), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: status %d", resp.StatusCode)
	}
	return aws.ToString(out.EvidenceFileName)
}

func importEvidence(c *auditmanager.Client, assessment, controlSet, control string, ev ...amtypes.ManualEvidence) (*auditmanager.BatchImportEvidenceToAssessmentControlOutput, error) {
	return c.BatchImportEvidenceToAssessmentControl(context.Background(), &auditmanager.BatchImportEvidenceToAssessmentControlInput{
		AssessmentId: aws.String(assessment), ControlSetId: aws.String(controlSet), ControlId: aws.String(control),
		ManualEvidence: ev})
}

func textEvidence(s string) amtypes.ManualEvidence {
	return amtypes.ManualEvidence{TextResponse: aws.String(s)}
}
func fileEvidence(s string) amtypes.ManualEvidence {
	return amtypes.ManualEvidence{EvidenceFileName: aws.String(s)}
}

func TestAuditManagerAssessmentSeed(t *testing.T) {
	s, _, _ := newAMServer(t, fakeaws.Options{})
	a := s.Assessment()
	if len(a.ID) != 36 || len(a.ControlSets) < 2 {
		t.Fatalf("assessment %+v: want a UUID and at least 2 control sets", a)
	}
	for _, cs := range a.ControlSets {
		if !strings.Contains(cs.Name, " ") || len(cs.ControlIDs) < 3 {
			t.Errorf("control set %+v: want a name with spaces and at least 3 controls", cs)
		}
	}
	s2, _, _ := newAMServer(t, fakeaws.Options{})
	if got, want := s2.Assessment().ControlSets[0].ControlIDs[0], a.ControlSets[0].ControlIDs[0]; got != want {
		t.Errorf("control id %s on a second server, want %s (deterministic)", got, want)
	}
}

func TestAuditManagerImportRoundTrip(t *testing.T) {
	// A control set name with spaces, a slash, a percent sign and a plus: the SDK escapes every
	// byte but unreserved ones in the path label, slashes included.
	const odd = "Access review / 100% + more"
	custom := fakeaws.Assessment{ID: "0123abcd-0000-4000-8000-00000000abcd", ControlSets: []fakeaws.ControlSet{
		{Name: "Logging and monitoring", ControlIDs: []string{"11111111-2222-4333-8444-555555555555"}},
		{Name: odd, ControlIDs: []string{"11111111-2222-4333-8444-666666666666"}},
	}}
	s, base, c := newAMServer(t, fakeaws.Options{AuditManager: &fakeaws.AuditManagerOptions{Assessment: &custom}})
	a := s.Assessment()
	for _, cs := range a.ControlSets {
		t.Run(cs.Name, func(t *testing.T) {
			ctl := cs.ControlIDs[0]
			data := []byte("%PDF-1.7 evidence for " + cs.Name)
			out, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String("cloudtrail review.pdf")})
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(aws.ToString(out.UploadUrl))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := url.Parse(base); u.Host != b.Host || u.Query().Get("X-Amz-Expires") != "900" {
				t.Errorf("upload URL %s: want host %s and X-Amz-Expires=900", u.Redacted(), b.Host)
			}
			name := aws.ToString(out.EvidenceFileName)
			if !strings.HasSuffix(name, "cloudtrail review.pdf") {
				t.Errorf("evidenceFileName %q does not keep the file name", name)
			}
			req, _ := http.NewRequest(http.MethodPut, u.String(), bytes.NewReader(data))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
				t.Fatalf("PUT: status %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
			}
			res, err := importEvidence(c, a.ID, cs.Name, ctl, fileEvidence(name), textEvidence("Reviewed weekly by the security team."))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if len(res.Errors) != 0 {
				t.Fatalf("import errors: %+v", res.Errors)
			}
			got := s.ImportedEvidence(a.ID, cs.Name, ctl)
			if len(got) != 2 || got[0].EvidenceFileName != name || !bytes.Equal(got[0].File, data) ||
				got[1].TextResponse != "Reviewed weekly by the security team." || got[1].File != nil {
				t.Errorf("ImportedEvidence = %+v", got)
			}
		})
	}
	st := s.Stats()
	if st.Uploads != 2 || st.EvidenceImported != 4 || st.Requests["GetEvidenceFileUploadUrl"] != 2 ||
		st.Requests["BatchImportEvidenceToAssessmentControl"] != 2 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestAuditManagerRequestErrors(t *testing.T) {
	s, base, c := newAMServer(t, fakeaws.Options{})
	a := s.Assessment()
	cs, ctl := a.ControlSets[0].Name, a.ControlSets[0].ControlIDs[0]
	many := make([]amtypes.ManualEvidence, 51)
	for i := range many {
		many[i] = textEvidence("x")
	}
	var (
		validation *amtypes.ValidationException
		notFound   *amtypes.ResourceNotFoundException
		denied     *amtypes.AccessDeniedException
	)
	member := ""
	for _, acct := range s.Accounts() {
		if acct.AccountID != s.AdministratorAccount() {
			member = acct.AccountID
		}
	}
	tests := []struct {
		name string
		call func() error
		want any
	}{
		{"51 items", func() error { _, err := importEvidence(c, a.ID, cs, ctl, many...); return err }, &validation},
		{"no items", func() error { _, err := importEvidence(c, a.ID, cs, ctl, []amtypes.ManualEvidence{}...); return err }, &validation},
		{"bad assessment id", func() error { _, err := importEvidence(c, "not-a-uuid", cs, ctl, textEvidence("x")); return err }, &validation},
		{"uppercase assessment id", func() error {
			_, err := importEvidence(c, strings.ToUpper(a.ID), cs, ctl, textEvidence("x"))
			return err
		}, &validation},
		{"bad control id", func() error { _, err := importEvidence(c, a.ID, cs, ctl+"0", textEvidence("x")); return err }, &validation},
		{"control set name too long", func() error {
			_, err := importEvidence(c, a.ID, strings.Repeat("n", 301), ctl, textEvidence("x"))
			return err
		}, &validation},
		{"unknown assessment", func() error {
			_, err := importEvidence(c, "00000000-0000-4000-8000-000000000000", cs, ctl, textEvidence("x"))
			return err
		}, &notFound},
		{"unknown control set", func() error { _, err := importEvidence(c, a.ID, "Logging", ctl, textEvidence("x")); return err }, &notFound},
		{"control of another set", func() error {
			_, err := importEvidence(c, a.ID, cs, a.ControlSets[1].ControlIDs[0], textEvidence("x"))
			return err
		}, &notFound},
		{"other region", func() error {
			_, err := importEvidence(amClient(base, s.AdministratorAccount(), s.Regions()[1]), a.ID, cs, ctl, textEvidence("x"))
			return err
		}, &notFound},
		{"member account", func() error {
			_, err := importEvidence(amClient(base, member, s.HomeRegion()), a.ID, cs, ctl, textEvidence("x"))
			return err
		}, &denied},
		{"file name with slash", func() error {
			_, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String("a/b.pdf")})
			return err
		}, &validation},
		{"file name too long", func() error {
			_, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String(strings.Repeat("é", 301))})
			return err
		}, &validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !errors.As(err, tt.want) {
				t.Fatalf("err = %v, want %T", err, tt.want)
			}
		})
	}
	if err := notFound; err == nil || aws.ToString(err.ResourceType) == "" {
		t.Errorf("ResourceNotFoundException %+v: want resourceType", err)
	}
	if got := s.ImportedEvidence(a.ID, cs, ctl); len(got) != 0 {
		t.Errorf("failed calls imported %d items", len(got))
	}
	// A 300-character name is fine, and the evidence name stays within 300 characters.
	out, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String(strings.Repeat("é", 296) + ".pdf")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(aws.ToString(out.EvidenceFileName))); n > 300 || !strings.HasSuffix(aws.ToString(out.EvidenceFileName), ".pdf") {
		t.Errorf("evidenceFileName has %d characters or lost its extension", n)
	}
}

func TestAuditManagerItemErrors(t *testing.T) {
	s, _, c := newAMServer(t, fakeaws.Options{})
	a := s.Assessment()
	cs, ctl := a.ControlSets[1].Name, a.ControlSets[1].ControlIDs[2]
	ok := upload(t, c, "ok.csv", []byte("a,b\n"))
	notPut, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String("never-put.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	max := strings.Repeat("ü", 1000) // 1,000 characters, 2,000 bytes: the limit counts characters
	res, err := importEvidence(c, a.ID, cs, ctl,
		fileEvidence(ok),
		fileEvidence(aws.ToString(notPut.EvidenceFileName)),
		fileEvidence("made-up.pdf"),
		textEvidence(max),
		textEvidence(max+"!"),
		amtypes.ManualEvidence{},
		amtypes.ManualEvidence{TextResponse: aws.String("t"), S3ResourcePath: aws.String("s3://bucket/key")},
		amtypes.ManualEvidence{S3ResourcePath: aws.String("s3://bucket/reports/q3.pdf")},
	)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	var failed []string
	for _, e := range res.Errors {
		if aws.ToString(e.ErrorCode) != "400" || aws.ToString(e.ErrorMessage) == "" || e.ManualEvidence == nil {
			t.Errorf("error %+v: want code 400, a message and the item", e)
			continue
		}
		m := e.ManualEvidence
		failed = append(failed, aws.ToString(m.EvidenceFileName)+"|"+aws.ToString(m.S3ResourcePath)+"|"+
			strings.TrimLeft(aws.ToString(m.TextResponse), "ü"))
	}
	want := []string{aws.ToString(notPut.EvidenceFileName) + "||", "made-up.pdf||", "||!", "||", "|s3://bucket/key|t"}
	if strings.Join(failed, "\n") != strings.Join(want, "\n") {
		t.Errorf("failed items:\n%s\nwant:\n%s", strings.Join(failed, "\n"), strings.Join(want, "\n"))
	}
	got := s.ImportedEvidence(a.ID, cs, ctl)
	if len(got) != 3 || got[0].EvidenceFileName != ok || got[1].TextResponse != max || got[2].S3ResourcePath != "s3://bucket/reports/q3.pdf" {
		t.Errorf("ImportedEvidence = %d items %+v", len(got), got)
	}
}

func TestAuditManagerDailyUploadLimit(t *testing.T) {
	s, _, c := newAMServer(t, fakeaws.Options{})
	a := s.Assessment()
	cs, ctl := a.ControlSets[0].Name, a.ControlSets[0].ControlIDs[1]
	var names []string
	for i := range 101 {
		names = append(names, upload(t, c, "evidence-"+string(rune('a'+i%26))+".txt", []byte{byte(i)}))
	}
	imported := 0
	var errs []amtypes.BatchImportEvidenceToAssessmentControlError
	for start := 0; start < len(names); start += 50 {
		var ev []amtypes.ManualEvidence
		for _, n := range names[start:min(start+50, len(names))] {
			ev = append(ev, fileEvidence(n))
		}
		if start+50 >= len(names) {
			ev = append(ev, textEvidence("text does not count as an upload"))
		}
		res, err := importEvidence(c, a.ID, cs, ctl, ev...)
		if err != nil {
			t.Fatal(err)
		}
		imported += len(ev) - len(res.Errors)
		errs = append(errs, res.Errors...)
	}
	if len(errs) != 1 || aws.ToString(errs[0].ManualEvidence.EvidenceFileName) != names[100] {
		t.Fatalf("errors %+v: want one, for the 101st file", errs)
	}
	if imported != 101 {
		t.Errorf("imported %d, want 100 files and 1 text response", imported)
	}
	// The quota is per control: another control takes the same day's files.
	res, err := importEvidence(c, a.ID, cs, a.ControlSets[0].ControlIDs[2], fileEvidence(names[100]))
	if err != nil || len(res.Errors) != 0 {
		t.Errorf("import to another control: %v %+v", err, res)
	}
}

func TestAuditManagerUploadURL(t *testing.T) {
	s, _, c := newAMServer(t, fakeaws.Options{})
	out, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String("x.txt")})
	if err != nil {
		t.Fatal(err)
	}
	good := aws.ToString(out.UploadUrl)
	u, _ := url.Parse(good)
	q := u.Query()
	q.Set("X-Amz-Signature", strings.Repeat("0", 64))
	u.RawQuery = q.Encode()
	for _, tt := range []struct {
		method, url string
		want        int
	}{
		{http.MethodGet, good, http.StatusMethodNotAllowed},
		{http.MethodPut, u.String(), http.StatusForbidden},
		{http.MethodPut, strings.Replace(good, fakeaws.UploadPathPrefix, fakeaws.UploadPathPrefix+"zz", 1), http.StatusForbidden},
		{http.MethodPut, good, http.StatusOK},
	} {
		req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader("data"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.method, resp.StatusCode, tt.want)
		}
	}
	if got := s.Stats().Uploads; got != 1 {
		t.Errorf("Stats.Uploads = %d, want 1", got)
	}
}

func TestAuditManagerFaults(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts fakeaws.Options
		want any
	}{
		{"server error", fakeaws.Options{ServerErrorRate: 1}, new(*amtypes.InternalServerException)},
		{"throttle", fakeaws.Options{ThrottleRate: 1}, new(*amtypes.ThrottlingException)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := newAMServer(t, tt.opts)
			c := auditmanager.NewFromConfig(aws.Config{Region: s.HomeRegion(), Credentials: fakeawstest.Credentials(s.AdministratorAccount()),
				BaseEndpoint: aws.String(base), Retryer: func() aws.Retryer { return aws.NopRetryer{} }})
			_, err := c.GetEvidenceFileUploadUrl(context.Background(), &auditmanager.GetEvidenceFileUploadUrlInput{FileName: aws.String("x.txt")})
			if !errors.As(err, tt.want) {
				t.Errorf("err = %v, want %T", err, tt.want)
			}
		})
	}
}
