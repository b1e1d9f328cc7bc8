package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// secretPath is where the webhook's secret lives in a real URL; it must never reach an error or
// a log.
const secretPath = "/services/T0000/B0000/s3cr3tT0k3n"

// hookServer is a real HTTP server over a socket that answers with the statuses given, in turn
// (the last one repeats), and keeps every request body it got.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

func newHookServer(t *testing.T, answers ...answer) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.bodies)
		h.bodies = append(h.bodies, b)
		h.paths = append(h.paths, r.URL.Path+" "+r.Header.Get("Content-Type"))
		h.mu.Unlock()
		a := answers[min(n, len(answers)-1)]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bodies
}

func (h *hookServer) hook(s Service) Webhook {
	return Webhook{Service: s, Env: strings.ToUpper(string(s)) + "_WEBHOOK_URL", URL: h.URL + secretPath}
}

// recorder stands in for the poster's sleep: it records the waits and returns at once.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return nil
}

// capture is a logger writing JSON into a buffer, at debug level so that nothing is filtered.
func capture() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// TestSlackPayloadArrives posts the digest of a report built here to a local server and reads
// back what Slack would have got.
func TestSlackPayloadArrives(t *testing.T) {
	srv := newHookServer(t, answer{status: 200, body: "ok"})
	log, _ := capture()
	p := &Poster{Log: log}
	if err := p.Send(context.Background(), []Webhook{srv.hook(Slack)}, NewDigest(weeklyReport(), archiveURI)); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()
	if len(got) != 1 || srv.paths[0] != secretPath+" application/json" {
		t.Fatalf("got %d requests (%v), want one JSON POST to the webhook's path", len(got), srv.paths)
	}
	var msg slackMessage
	if err := json.Unmarshal(got[0], &msg); err != nil {
		t.Fatalf("payload is not a Slack message: %v\n%s", err, got[0])
	}
	if len(msg.Blocks) != 4 || msg.Blocks[0].Type != "header" || msg.Blocks[1].Type != "section" || msg.Blocks[3].Type != "context" {
		t.Fatalf("blocks: %s", got[0])
	}
	if h := msg.Blocks[0].Text.Text; h != "Security Hub compliance: acme-corp & co" || msg.Blocks[0].Text.Type != "plain_text" {
		t.Errorf("header %q", h)
	}
	fields := msg.Blocks[1].Fields
	wantFields := []string{"*Summary score*\n61%", "*Since last week*\n+3 points (58% on 2026-11-30)", "*Open critical*\n4 (-2)", "*Open high*\n12 (+1)"}
	for i, w := range wantFields {
		if i >= len(fields) || fields[i].Text != w || fields[i].Type != "mrkdwn" {
			t.Errorf("field %d: got %+v, want %q", i, fields, w)
		}
	}
	top := msg.Blocks[2].Text.Text
	i1, i2, i3 := strings.Index(top, "1. `CloudTrail.1` CloudTrail should be enabled: 12 of 50 accounts"),
		strings.Index(top, "2. `IAM.6` Hardware MFA should be enabled for the root user: 9 of 50 accounts"),
		strings.Index(top, "3. `S3.8` S3 general purpose buckets should block public access: 7 of 50 accounts")
	if i1 < 0 || i2 < i1 || i3 < i2 || strings.Contains(top, "EC2.19") {
		t.Errorf("top 3 not in order, or a fourth listed:\n%s", top)
	}
	if ctx := msg.Blocks[3].Elements[0].Text; ctx != "Report of 2026-12-07 · Full report: "+archiveURI {
		t.Errorf("context %q", ctx)
	}
	for _, w := range []string{"acme-corp &amp; co: summary score 61%; since last week: +3 points", "4 (-2) critical, 12 (+1) high", archiveURI} {
		if !strings.Contains(msg.Text, w) {
			t.Errorf("fallback text lacks %q:\n%s", w, msg.Text)
		}
	}
	if testing.Verbose() {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, got[0], "", "  ")
		t.Logf("Slack payload:\n%s", pretty.String())
	}
}

// TestTeamsPayloadArrives: the Workflows webhook gets a message whose attachment is an Adaptive
// Card 1.4 with the same figures.
func TestTeamsPayloadArrives(t *testing.T) {
	srv := newHookServer(t, answer{status: http.StatusAccepted})
	log, _ := capture()
	if err := (&Poster{Log: log}).Send(context.Background(), []Webhook{srv.hook(Teams)}, NewDigest(weeklyReport(), archiveURI)); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()
	if len(got) != 1 {
		t.Fatalf("got %d requests, want 1", len(got))
	}
	var msg struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type, Version string
				Body          []struct {
					Type, Text string
					Facts      []struct{ Title, Value string }
				}
			}
		}
	}
	if err := json.Unmarshal(got[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("not a Workflows card message: %s", got[0])
	}
	card := msg.Attachments[0].Content
	if card.Type != "AdaptiveCard" || card.Version != "1.4" || len(card.Body) != 5 {
		t.Fatalf("card: %s", got[0])
	}
	figures, top := card.Body[1].Facts, card.Body[3].Facts
	want := map[string]string{"Summary score": "61%", "Since last week": "+3 points (58% on 2026-11-30)", "Open critical": "4 (-2)", "Open high": "12 (+1)"}
	for _, fact := range figures {
		if want[fact.Title] != fact.Value {
			t.Errorf("fact %q = %q, want %q", fact.Title, fact.Value, want[fact.Title])
		}
		delete(want, fact.Title)
	}
	if len(want) != 0 {
		t.Errorf("facts missing: %v", want)
	}
	if len(top) != 3 || top[0].Title != "CloudTrail.1" || top[1].Title != "IAM.6" || top[2].Title != "S3.8" || top[2].Value != "S3 general purpose buckets should block public access: 7 of 50 accounts" {
		t.Errorf("top controls: %+v", top)
	}
	if foot := card.Body[4].Text; foot != "Report of 2026-12-07 · Full report: "+archiveURI {
		t.Errorf("footer %q", foot)
	}
}

// TestRetryAfterHonoured: a 429 with Retry-After: 1 is retried after exactly that second (not the
// backoff), and the second attempt delivers the same payload.
func TestRetryAfterHonoured(t *testing.T) {
	srv := newHookServer(t, answer{status: 429, retryAfter: "1", body: "rate_limited"}, answer{status: 200, body: "ok"})
	rec := &recorder{}
	log, logs := capture()
	p := &Poster{Log: log, Backoff: time.Hour, MaxBackoff: time.Hour, sleep: rec.sleep}
	if err := p.Post(context.Background(), srv.hook(Slack), []byte(`{"text":"x"}`)); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()
	if len(got) != 2 || string(got[0]) != `{"text":"x"}` || string(got[1]) != string(got[0]) {
		t.Errorf("got requests %q, want the payload twice", got)
	}
	if len(rec.waits) != 1 || rec.waits[0] != time.Second {
		t.Errorf("waits %v, want [1s] as Retry-After asked", rec.waits)
	}
	if !strings.Contains(logs.String(), `"msg":"chat post failed, retrying"`) || !strings.Contains(logs.String(), `"status":429`) {
		t.Errorf("retry not logged:\n%s", logs)
	}
}

// TestServerErrorsGiveUp: 500 every time ends after Attempts tries, with waits from the real
// sleep (a millisecond backoff), and an error the deliver step can map to its exit code.
func TestServerErrorsGiveUp(t *testing.T) {
	srv := newHookServer(t, answer{status: 500, body: "boom"})
	log, _ := capture()
	p := &Poster{Log: log, Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
	err := p.Post(context.Background(), srv.hook(Teams), []byte(`{}`))
	var pe *PostError
	if !errors.Is(err, ErrNotDelivered) || !errors.As(err, &pe) {
		t.Fatalf("got %v, want a PostError matching ErrNotDelivered", err)
	}
	if n := len(srv.requests()); n != 3 || pe.Attempts != 3 || pe.Status != 500 {
		t.Errorf("requests %d, PostError %+v; want 3 attempts ending in 500", n, pe)
	}
	if want := "the Teams webhook (TEAMS_WEBHOOK_URL): chat digest not delivered after 3 attempts: HTTP 500 Internal Server Error (boom)"; err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

// TestClientErrorNotRetried: a 400 (Slack's invalid_payload) fails at once.
func TestClientErrorNotRetried(t *testing.T) {
	srv := newHookServer(t, answer{status: 400, body: "invalid_payload"})
	rec := &recorder{}
	log, _ := capture()
	err := (&Poster{Log: log, sleep: rec.sleep}).Post(context.Background(), srv.hook(Slack), []byte(`{}`))
	if n := len(srv.requests()); n != 1 || len(rec.waits) != 0 {
		t.Errorf("%d requests, waits %v; want one request and no retry", n, rec.waits)
	}
	if err == nil || !errors.Is(err, ErrNotDelivered) || !strings.Contains(err.Error(), "after 1 attempt: HTTP 400 Bad Request (invalid_payload)") {
		t.Errorf("got %v", err)
	}
}

// TestSendTriesEveryWebhook: a Slack failure does not keep the digest from Teams, and the joined
// error still matches ErrNotDelivered.
func TestSendTriesEveryWebhook(t *testing.T) {
	bad, good := newHookServer(t, answer{status: 404, body: "no_service"}), newHookServer(t, answer{status: 202})
	log, _ := capture()
	err := (&Poster{Log: log}).Send(context.Background(), []Webhook{bad.hook(Slack), good.hook(Teams)}, NewDigest(weeklyReport(), ""))
	if !errors.Is(err, ErrNotDelivered) || !strings.Contains(err.Error(), "the Slack webhook (SLACK_WEBHOOK_URL)") || strings.Contains(err.Error(), "Teams") {
		t.Errorf("got %v, want the Slack failure only", err)
	}
	if len(good.requests()) != 1 {
		t.Errorf("Teams got %d posts, want 1", len(good.requests()))
	}
}

// TestURLNeverShown drives every failure path: retries, a server echoing the URL back, a
// Retry-After beyond the limit, a server that is gone, and cancellation; the URL's secret path
// appears in no error and no log line.
func TestURLNeverShown(t *testing.T) {
	echo := answer{status: 403, body: "forbidden: POST " + secretPath}
	tests := []struct {
		name    string
		answers []answer
		closed  bool
		cancel  bool
		want    string // in the error
	}{
		{"5xx then echo", []answer{{status: 503}, echo}, false, false, "HTTP 403 Forbidden (forbidden: POST [webhook URL])"},
		{"Retry-After too long", []answer{{status: 429, retryAfter: "3600"}}, false, false, "the server asked to wait 1h0m0s before retrying, more than 2m0s"},
		{"server gone", []answer{{status: 200}}, true, false, "after 2 attempts: dial tcp"},
		{"cancelled", []answer{{status: 503}}, false, true, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newHookServer(t, tt.answers...)
			hook := srv.hook(Slack)
			if tt.closed {
				srv.Close()
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log, logs := capture()
			p := &Poster{Log: log, Attempts: 2, sleep: func(ctx context.Context, d time.Duration) error {
				if tt.cancel {
					cancel()
				}
				return sleepCtx(ctx, time.Millisecond)
			}}
			err := p.Post(ctx, hook, []byte(`{}`))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			if tt.cancel && !errors.Is(err, context.Canceled) {
				t.Errorf("cancellation not kept in the error chain: %v", err)
			}
			for what, s := range map[string]string{"error": err.Error(), "log": logs.String()} {
				if strings.Contains(s, "s3cr3tT0k3n") || strings.Contains(s, hook.URL) {
					t.Errorf("%s shows the webhook URL:\n%s", what, s)
				}
			}
			if !strings.Contains(err.Error(), "the Slack webhook (SLACK_WEBHOOK_URL)") {
				t.Errorf("error does not name the webhook by its variable: %v", err)
			}
		})
	}
	// A Webhook printed or logged as a value shows its name only.
	log, logs := capture()
	w := Webhook{Service: Slack, Env: "SLACK_WEBHOOK_URL", URL: "https://hooks.slack.com" + secretPath}
	log.Info("x", "hook", w)
	for _, s := range []string{logs.String(), fmtAll(w)} {
		if strings.Contains(s, "s3cr3tT0k3n") {
			t.Errorf("a Webhook value shows its URL: %s", s)
		}
	}
}

func fmtAll(w Webhook) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		b.WriteString(fmt.Sprintf(verb, w) + "\n")
	}
	return b.String()
}

// TestBackoffBounds: each wait lies between half and all of Backoff·2^(n-1), capped at MaxBackoff.
func TestBackoffBounds(t *testing.T) {
	p := &Poster{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for n, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 50 {
			if d := p.backoff(n); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"7", 7 * time.Second, true},
		{"Mon, 07 Dec 2026 07:00:30 GMT", 30 * time.Second, true},
		{"Mon, 07 Dec 2026 06:59:00 GMT", 0, true}, // in the past: retry now
		{"soon", 0, false}, {"-3", 0, false}, {"", 0, false},
	} {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		if got, ok := retryAfter(h, now); got != tt.want || ok != tt.ok {
			t.Errorf("Retry-After %q: got %v %v, want %v %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

// TestZeroPosterDefaults: the zero Poster makes 5 attempts, waiting about 1s, 2s, 4s and 8s
// between them (docs/operations.md, "Chat").
func TestZeroPosterDefaults(t *testing.T) {
	srv := newHookServer(t, answer{status: 503})
	rec := &recorder{}
	log, _ := capture()
	err := (&Poster{Log: log, sleep: rec.sleep}).Post(context.Background(), srv.hook(Slack), []byte(`{}`))
	var pe *PostError
	if !errors.As(err, &pe) || pe.Attempts != 5 || len(srv.requests()) != 5 {
		t.Fatalf("got %v after %d requests, want a PostError after 5", err, len(srv.requests()))
	}
	if len(rec.waits) != 4 {
		t.Fatalf("waits %v, want 4", rec.waits)
	}
	for i, full := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if w := rec.waits[i]; w < full/2 || w > full {
			t.Errorf("wait %d = %v, want within [%v, %v]", i+1, w, full/2, full)
		}
	}
}
