package ses_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

const home = fakeawstest.Home

func newSES(t *testing.T, opts fakeaws.Options) (*fakeaws.Server, *sesv2.Client) {
	t.Helper()
	opts.Unlimited = true
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, opts)
	return s, sesv2.NewFromConfig(aws.Config{Region: home, Credentials: fakeawstest.Credentials(s.AdministratorAccount()),
		BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1})
}

func simpleEmail(from string, to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &sestypes.Destination{ToAddresses: to},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("Weekly Security Hub report")},
			Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("see attached")},
				Html: &sestypes.Content{Data: aws.String("<p>see attached</p>")}},
		}},
	}
}

func rawEmail(data []byte, dest *sestypes.Destination) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{Destination: dest, Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: data}}}
}

func TestSESSendSimpleAndRaw(t *testing.T) {
	s, c := newSES(t, fakeaws.Options{})
	ctx := context.Background()
	out, err := c.SendEmail(ctx, simpleEmail("Reports <reports@example.com>", "a@example.org", "b@example.org"))
	if err != nil {
		t.Fatalf("SendEmail simple: %v", err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Error("no MessageId")
	}
	raw := []byte("From: Reports <reports@example.com>\r\nTo: x@example.org, \"Y\" <y@example.org>\r\nCc: z@example.org\r\n" +
		"Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9_report?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"body \x00\xff bytes\r\n")
	out2, err := c.SendEmail(ctx, rawEmail(raw, nil)) // recipients and sender from the headers
	if err != nil {
		t.Fatalf("SendEmail raw: %v", err)
	}
	sent := s.SentEmails()
	if len(sent) != 2 {
		t.Fatalf("%d emails recorded, want 2", len(sent))
	}
	if e := sent[0]; e.From != "reports@example.com" || strings.Join(e.To, ",") != "a@example.org,b@example.org" ||
		e.Subject != "Weekly Security Hub report" || e.Raw != nil || e.Text != "see attached" || e.MessageID != aws.ToString(out.MessageId) {
		t.Errorf("simple: %+v", e)
	}
	if e := sent[1]; e.From != "reports@example.com" || strings.Join(e.To, ",") != "x@example.org,y@example.org,z@example.org" ||
		e.Subject != "Résumé report" || !bytes.Equal(e.Raw, raw) || e.MessageID != aws.ToString(out2.MessageId) {
		t.Errorf("raw: %+v", e)
	}
	// Destination, when given, overrides the headers.
	if _, err := c.SendEmail(ctx, rawEmail(raw, &sestypes.Destination{BccAddresses: []string{"only@example.org"}})); err != nil {
		t.Fatal(err)
	}
	if e := s.SentEmails()[2]; strings.Join(e.To, ",") != "only@example.org" {
		t.Errorf("raw with Destination: To %q", e.To)
	}
	if st := s.Stats(); st.EmailsSent != 3 || st.Requests["SendEmail"] != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestSESRawTooLarge(t *testing.T) {
	s, c := newSES(t, fakeaws.Options{})
	hdr := "From: r@example.com\r\nTo: a@example.org\r\nSubject: big\r\n\r\n"
	data := make([]byte, fakeaws.SESMaxRawMessageSize+1)
	copy(data, hdr)
	for i := len(hdr); i < len(data); i++ {
		data[i] = 'A'
	}
	_, err := c.SendEmail(context.Background(), rawEmail(data, nil))
	var mr *sestypes.MessageRejected
	if !errors.As(err, &mr) {
		t.Fatalf("40 MB + 1 byte: %v, want MessageRejected", err)
	}
	// Exactly 40 MB is accepted.
	if _, err := c.SendEmail(context.Background(), rawEmail(data[:len(data)-1], nil)); err != nil {
		t.Fatalf("40 MB: %v", err)
	}
	if n := len(s.SentEmails()); n != 1 {
		t.Errorf("%d emails recorded, want 1", n)
	}
}

func TestSESUnverifiedSender(t *testing.T) {
	s, c := newSES(t, fakeaws.Options{SESVerifiedIdentities: []string{"reports@acme.example", "corp.example"}})
	ctx := context.Background()
	for _, from := range []string{"reports@acme.example", "Ops <ops@corp.example>", "x@mail.corp.example"} {
		if _, err := c.SendEmail(ctx, simpleEmail(from, "a@example.org")); err != nil {
			t.Errorf("verified %s: %v", from, err)
		}
	}
	for _, from := range []string{"other@acme.example", "a@notcorp.example"} {
		_, err := c.SendEmail(ctx, simpleEmail(from, "a@example.org"))
		var mr *sestypes.MessageRejected
		if !errors.As(err, &mr) || !strings.Contains(mr.ErrorMessage(), "Email address is not verified") {
			t.Errorf("unverified %s: %v, want MessageRejected", from, err)
		}
	}
	// A Raw message's From header is checked too.
	_, err := c.SendEmail(ctx, rawEmail([]byte("From: evil@else.example\r\nTo: a@example.org\r\nSubject: s\r\n\r\nb"), nil))
	if fakeawstest.ErrorCode(err) != "MessageRejected" {
		t.Errorf("unverified raw From: %v", err)
	}
	if n := len(s.SentEmails()); n != 3 {
		t.Errorf("%d emails recorded, want 3", n)
	}
}

func TestSESValidation(t *testing.T) {
	s, c := newSES(t, fakeaws.Options{})
	ctx := context.Background()
	var to []string
	for i := range 51 {
		to = append(to, fmt.Sprintf("r%d@example.org", i))
	}
	in := simpleEmail("reports@example.com", to[:20]...)
	in.Destination.CcAddresses = to[20:40]
	in.Destination.BccAddresses = to[40:]
	_, err := c.SendEmail(ctx, in)
	var br *sestypes.BadRequestException
	if !errors.As(err, &br) || !strings.Contains(br.ErrorMessage(), "exceeds 50") {
		t.Errorf("51 recipients: %v, want BadRequestException", err)
	}
	in.Destination.BccAddresses = to[40:50]
	if _, err := c.SendEmail(ctx, in); err != nil {
		t.Errorf("50 recipients: %v", err)
	}
	for name, in := range map[string]*sesv2.SendEmailInput{
		"no recipients": simpleEmail("reports@example.com"),
		"no sender":     {Destination: &sestypes.Destination{ToAddresses: []string{"a@example.org"}}, Content: simpleEmail("x@example.com").Content},
		"raw no From":   rawEmail([]byte("To: a@example.org\r\nSubject: s\r\n\r\nb"), nil),
		"bad address":   simpleEmail("reports@example.com", "not an address"),
	} {
		if _, err := c.SendEmail(ctx, in); !errors.As(err, &br) {
			t.Errorf("%s: %v, want BadRequestException", name, err)
		}
	}
	if n := len(s.SentEmails()); n != 1 {
		t.Errorf("%d emails recorded, want 1", n)
	}
}

func TestSESThrottled(t *testing.T) {
	_, c := newSES(t, fakeaws.Options{ThrottleRate: 1})
	_, err := c.SendEmail(context.Background(), simpleEmail("reports@example.com", "a@example.org"))
	var tm *sestypes.TooManyRequestsException
	if !errors.As(err, &tm) || fakeawstest.HTTPStatus(err) != 429 {
		t.Errorf("throttled: %v, want 429 TooManyRequestsException", err)
	}
	_, c = newSES(t, fakeaws.Options{SESMaxSendRate: 1})
	var throttled int
	for range 3 {
		if _, err := c.SendEmail(context.Background(), simpleEmail("reports@example.com", "a@example.org")); errors.As(err, &tm) {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("%d of 3 sends at once throttled at 1/s, want 2", throttled)
	}
}

// TestSESMessagesEndpoint reads the sent emails back over HTTP, as a test of a built binary must.
func TestSESMessagesEndpoint(t *testing.T) {
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true, SESVerifiedIdentities: []string{"example.com"}})
	c := sesv2.NewFromConfig(aws.Config{Region: home, Credentials: fakeawstest.Credentials(s.AdministratorAccount()),
		BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1})
	list := func() []fakeaws.SentEmail {
		t.Helper()
		resp, err := http.Get(hs.URL + fakeaws.SESMessagesPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct{ Messages []fakeaws.SentEmail }
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, %v", fakeaws.SESMessagesPath, resp.StatusCode, err)
		}
		return got.Messages
	}
	if got := list(); got == nil || len(got) != 0 {
		t.Fatalf("before sending: %#v, want an empty list", got)
	}
	ctx := context.Background()
	if _, err := c.SendEmail(ctx, simpleEmail("Reports <reports@example.com>", "a@example.org")); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: reports@example.com\r\nTo: b@example.org\r\nSubject: raw\r\n\r\nbody \xff\r\n")
	if _, err := c.SendEmail(ctx, rawEmail(raw, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEmail(ctx, simpleEmail("x@other.example", "a@example.org")); fakeawstest.ErrorCode(err) != "MessageRejected" {
		t.Fatalf("unverified sender: %v", err)
	}
	got := list()
	if len(got) != 2 || got[0].From != "reports@example.com" || got[0].Subject != "Weekly Security Hub report" ||
		got[0].Text != "see attached" || got[0].MessageID == "" || !slices.Equal(got[0].To, []string{"a@example.org"}) {
		t.Fatalf("messages %#v", got)
	}
	if !bytes.Equal(got[1].Raw, raw) || got[1].Subject != "raw" || !slices.Equal(got[1].To, []string{"b@example.org"}) {
		t.Errorf("raw message read back as %#v", got[1])
	}
	resp, err := http.Post(hs.URL+fakeaws.SESMessagesPath, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
}

// TestSESAndS3OptionsChecked: identities SES could not verify and bucket names S3 would refuse are
// option errors, so a typo in a test's setup fails at once rather than as a refused send later.
func TestSESAndS3OptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		opts  fakeaws.Options
		field string
	}{
		{fakeaws.Options{SESVerifiedIdentities: []string{"Reports <reports@example.com>"}}, "SESVerifiedIdentities"},
		{fakeaws.Options{SESVerifiedIdentities: []string{"reports@"}}, "SESVerifiedIdentities"},
		{fakeaws.Options{SESVerifiedIdentities: []string{"localhost"}}, "SESVerifiedIdentities"},
		{fakeaws.Options{SESVerifiedIdentities: []string{"ex ample.com"}}, "SESVerifiedIdentities"},
		{fakeaws.Options{S3Buckets: []string{"State"}}, "S3Buckets"},
		{fakeaws.Options{S3Buckets: []string{"_fakeaws"}}, "S3Buckets"},
		{fakeaws.Options{S3Buckets: []string{"a/b"}}, "S3Buckets"},
		{fakeaws.Options{S3Buckets: []string{"a..b"}}, "S3Buckets"},
		{fakeaws.Options{S3Buckets: []string{"state-"}}, "S3Buckets"},
		{fakeaws.Options{S3Buckets: []string{"192.168.1.1"}}, "S3Buckets"},
	} {
		_, err := demoaws.New(demoaws.Config{Accounts: 1}, tc.opts)
		var oe *fakeaws.OptionsError
		if !errors.As(err, &oe) || oe.Field != tc.field {
			t.Errorf("New(%+v) = %v, want an OptionsError on %s", tc.opts, err, tc.field)
		}
	}
	ok := fakeaws.Options{S3Buckets: []string{"state", "my.archive-2", "st", ""},
		SESVerifiedIdentities: []string{"reports@example.com", "corp.example", " "}}
	if _, err := demoaws.New(demoaws.Config{Accounts: 1}, ok); err != nil {
		t.Errorf("New(%+v): %v", ok, err)
	}
}
