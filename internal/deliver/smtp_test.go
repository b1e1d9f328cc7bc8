package deliver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/deliver/mailtest"
)

func testMessage() Message {
	return Message{From: "Compliance <compliance@example.com>", To: []string{"ciso@example.com", "Ops Team <ops@example.com>"},
		Subject: "[acme] Security Hub compliance 2025-02-23: 76% ✓", HTML: "<p>Summary <b>76%</b></p>", Text: "Summary 76%\n",
		Attachments: []Attachment{{Name: "report.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.7 fake")},
			{Name: "report.xlsx", Data: bytes.Repeat([]byte{0, 1, 2, 250}, 5000)}},
		Date: time.Date(2025, 2, 24, 7, 0, 0, 0, time.UTC)}
}

func checkMessage(t *testing.T, raw []byte) {
	t.Helper()
	want := testMessage()
	p, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Mail has CRLF line ends; the text part's LF came back as CRLF.
	if p.Subject != want.Subject || strings.ReplaceAll(p.Text, "\r\n", "\n") != want.Text || p.HTML != want.HTML {
		t.Errorf("read back subject %q text %q html %q", p.Subject, p.Text, p.HTML)
	}
	for _, a := range want.Attachments {
		if !bytes.Equal(p.Attachments[a.Name], a.Data) {
			t.Errorf("attachment %s: %d bytes back, sent %d", a.Name, len(p.Attachments[a.Name]), len(a.Data))
		}
	}
}

func TestSMTPDeliversOverSTARTTLSWithAuth(t *testing.T) {
	srv := mailtest.Start(t, true)
	m := testMessage()
	raw, err := Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	s := SMTP{Host: srv.Host, Port: srv.Port, StartTLS: true, Username: "reporter", Password: "s3cret", TLSConfig: srv.ClientTLS, Timeout: 5 * time.Second}
	if err := s.Send(context.Background(), m.From, m.To, raw); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || !srv.SawTLS() || got[0].Authed != "reporter" {
		t.Fatalf("server got %d messages (%+v), TLS %v", len(got), got, srv.SawTLS())
	}
	g := got[0]
	if g.From != "compliance@example.com" || strings.Join(g.To, ",") != "ciso@example.com,ops@example.com" {
		t.Errorf("envelope from %q to %v", g.From, g.To)
	}
	checkMessage(t, g.Data)
}

func TestSMTPRefusesWithoutSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t, false)
	raw, _ := Compose(testMessage())
	s := SMTP{Host: srv.Host, Port: srv.Port, StartTLS: true, Username: "reporter", Password: "s3cret", Timeout: 5 * time.Second}
	err := s.Send(context.Background(), "compliance@example.com", []string{"ciso@example.com"}, raw)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v, want a refusal naming STARTTLS (and never the password)", err)
	}
	// Wrong password: refused, and the error names the user, not the password.
	srv = mailtest.Start(t, true)
	s = SMTP{Host: srv.Host, Port: srv.Port, StartTLS: true, Username: "reporter", Password: "wrong-pass", TLSConfig: srv.ClientTLS, Timeout: 5 * time.Second}
	err = s.Send(context.Background(), "compliance@example.com", []string{"ciso@example.com"}, raw)
	if err == nil || !strings.Contains(err.Error(), "AUTH as reporter") || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("err = %v", err)
	}
}
