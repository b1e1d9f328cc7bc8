package render

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/report"
)

// warnedReport is firstReport stored with warnings and with control enablement unreadable in two
// collected pairs. The message holds HTML's special characters, which the email must escape.
func warnedReport() *report.Report {
	r := firstReport()
	r.Coverage.Warnings = []report.Warning{
		{Kind: "ou_tree_unreadable", Message: "cannot read the organization's OU tree (AccessDeniedException on ListRoots)"},
		{Kind: "records_skipped", Message: "events.json: 2 skipped, <detail-type> \"Config Rules\" & others (the first at byte 17)"},
	}
	r.Coverage.EnablementUnknown = []report.CoverageGap{
		{AccountID: "444455556666", Region: "eu-west-1", Status: "collected", Reason: "AccessDenied on ListSecurityControlDefinitions"},
		{AccountID: "444455556666", Region: "us-east-1", Status: "collected", Reason: "AccessDenied on ListSecurityControlDefinitions"},
	}
	return r
}

// TestWarningsInEveryFormat checks that the text report, report.json and the email body each
// carry every warning the snapshot was stored with and the pairs whose control enablement is
// unknown, and that a report without either says nothing of them. The PDF and the workbook have
// their own tests (TestRenderWarnings in pdf and xlsx).
func TestWarningsInEveryFormat(t *testing.T) {
	ctx := context.Background()
	r := warnedReport()
	var text, js bytes.Buffer
	if err := Text(ctx, &text, r); err != nil {
		t.Fatal(err)
	}
	if err := JSON(ctx, &js, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Coverage report.Coverage `json:"coverage"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Coverage.Warnings) != 2 || doc.Coverage.Warnings[1] != r.Coverage.Warnings[1] || len(doc.Coverage.EnablementUnknown) != 2 {
		t.Errorf("report.json coverage: %+v", doc.Coverage)
	}
	mail, err := Email(ctx, r, EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body := html.UnescapeString(mail.HTML)
	if strings.Contains(mail.HTML, "<detail-type>") {
		t.Error("the email body carries a warning's message unescaped")
	}
	for _, w := range r.Coverage.Warnings {
		line := w.Kind + ": " + w.Message
		if !strings.Contains(text.String(), line) {
			t.Errorf("the text report lacks %q", line)
		}
		if !strings.Contains(body, line) {
			t.Errorf("the email body lacks %q", line)
		}
	}
	if want := "The snapshot was stored with 2 warning(s)"; !strings.Contains(body, want) {
		t.Errorf("the email body lacks %q", want)
	}
	if want := "Control enablement unknown in 2 collected account/region pair(s), the first 444455556666 eu-west-1 (AccessDenied on ListSecurityControlDefinitions)"; !strings.Contains(body, want) {
		t.Errorf("the email body lacks %q", want)
	}
	if want := "Control enablement unknown in 2 collected pair(s)"; !strings.Contains(text.String(), want) {
		t.Errorf("the text report lacks %q", want)
	}

	quiet := firstReport()
	text.Reset()
	if err := Text(ctx, &text, quiet); err != nil {
		t.Fatal(err)
	}
	if mail, err = Email(ctx, quiet, EmailOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "email": mail.HTML} {
		if strings.Contains(out, "warning(s)") || strings.Contains(out, "Warnings (") || strings.Contains(out, "enablement unknown") {
			t.Errorf("the %s of a report without warnings mentions them", name)
		}
	}
}
