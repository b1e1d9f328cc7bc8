package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Service is the chat service a webhook belongs to; it decides the payload's shape.
type Service string

// The services; their names match config.ChatWebhook.Service.
const (
	Slack Service = "Slack"
	Teams Service = "Teams"
)

// Webhook is where a digest is posted. URL is a secret (whoever holds it can post to the
// channel): it is only ever sent to its server. Logs and errors name the webhook by its service
// and the environment variable that held the URL (String).
type Webhook struct {
	Service Service
	Env     string // e.g. SLACK_WEBHOOK_URL
	URL     string
}

// String is how logs and errors name the webhook: "the Slack webhook (SLACK_WEBHOOK_URL)". Being
// the Stringer, it also keeps %v and %+v of a Webhook from printing the URL.
func (w Webhook) String() string { return fmt.Sprintf("the %s webhook (%s)", w.Service, w.Env) }

// GoString keeps %#v from printing the URL.
func (w Webhook) GoString() string { return w.String() }

// LogValue keeps slog from printing the URL when a Webhook is logged as a value.
func (w Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }

// ErrNotDelivered matches (errors.Is) every error Post and Send return: a digest did not reach
// its chat. The run's deliver step returns it like a failed email, and cmd/reporter maps it to
// exit code 4 (collected and saved, but not delivered), after checking for cancellation (the
// error also wraps context.Canceled when the run was stopped).
var ErrNotDelivered = errors.New("chat digest not delivered")

// PostError is a post that failed, after Attempts tries. It names the webhook, never its URL.
type PostError struct {
	Webhook  string // Webhook.String()
	Attempts int
	Status   int    // the last HTTP status; 0 when no response came
	Body     string // the start of the last response body (Slack says why: invalid_blocks, ...)
	Reason   string // why it stopped retrying, when not for the status itself
	Err      error  // the transport or context error, with the URL left out; nil when the server answered
}

func (e *PostError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v after %d attempt", e.Webhook, ErrNotDelivered, e.Attempts)
	if e.Attempts != 1 {
		b.WriteString("s")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
		if e.Body != "" {
			fmt.Fprintf(&b, " (%s)", e.Body)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Reason != "" {
		b.WriteString("; " + e.Reason)
	}
	return b.String()
}

// Is makes every PostError match ErrNotDelivered.
func (e *PostError) Is(target error) bool { return target == ErrNotDelivered }

// Unwrap gives the transport or context error.
func (e *PostError) Unwrap() error { return e.Err }

// Poster posts digests. The zero value is ready: 5 attempts, backoff from 1s doubling to at most
// 30s with jitter, 15s per attempt, Retry-After honoured up to 2 minutes.
type Poster struct {
	// Client sends the requests; nil: a client with a 15-second timeout per attempt.
	Client *http.Client
	// Attempts bounds the tries of one post, the first included (default 5).
	Attempts int
	// Backoff is the wait before the second try, doubled for each later one up to MaxBackoff;
	// each wait is drawn between half and all of it, so that many reporters hitting one rate
	// limit do not retry in step (defaults 1s and 30s).
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter: a Retry-After asking for a longer wait ends the retries, so that a chat
	// service cannot hold a scheduled run for an hour (default 2m).
	MaxRetryAfter time.Duration
	// Log gets a warning per retry and an info line per delivered digest; nil: slog.Default().
	Log *slog.Logger

	// sleep waits d or until ctx ends; tests swap it to record the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// Send posts the digest to each webhook in its service's shape. A failure does not stop the
// others: every webhook is tried, and the failures come back joined (nil when all succeeded);
// errors.Is(err, ErrNotDelivered) holds for any of them.
func (p *Poster) Send(ctx context.Context, hooks []Webhook, d Digest) error {
	var errs []error
	for _, w := range hooks {
		payload, err := Payload(w.Service, d)
		if err == nil {
			err = p.Post(ctx, w, payload)
		} else {
			err = &PostError{Webhook: w.String(), Err: err}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Payload is the digest in the shape service takes.
func Payload(service Service, d Digest) ([]byte, error) {
	switch service {
	case Slack:
		return SlackPayload(d)
	case Teams:
		return TeamsPayload(d)
	}
	return nil, fmt.Errorf("unknown chat service %q (want Slack or Teams)", service)
}

// Post sends payload (JSON) to the webhook. 429, 5xx and transport errors are retried with
// exponential backoff and jitter, waiting what Retry-After asks when the server sends it, up to
// Attempts tries; any other status outside 2xx fails at once. The error is a *PostError.
func (p *Poster) Post(ctx context.Context, w Webhook, payload []byte) error {
	attempts := orDefault(p.Attempts, 5)
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	fail := &PostError{Webhook: w.String()}
	for n := 1; ; n++ {
		fail.Attempts = n
		status, header, body, err := p.once(ctx, w, payload)
		if err == nil && status/100 == 2 {
			log.Info("chat digest posted", "webhook", w.String(), "status", status, "attempts", n)
			return nil
		}
		fail.Status, fail.Body, fail.Err = status, body, err
		if ctx.Err() != nil {
			fail.Err = ctx.Err()
			return fail
		}
		if err == nil && status != http.StatusTooManyRequests && status/100 != 5 {
			return fail // a request the server refuses will be refused again
		}
		if n >= attempts {
			return fail
		}
		wait := p.backoff(n)
		if ra, ok := retryAfter(header, time.Now()); ok {
			if limit := orDefault(p.MaxRetryAfter, 2*time.Minute); ra > limit {
				fail.Reason = fmt.Sprintf("the server asked to wait %v before retrying, more than %v", ra, limit)
				return fail
			}
			wait = ra
		}
		log.Warn("chat post failed, retrying", "webhook", w.String(), "status", status, "error", errText(err),
			"attempt", n, "wait_ms", wait.Milliseconds())
		sleep := p.sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			fail.Err = err
			return fail
		}
	}
}

// once makes one attempt. A transport error comes back without the URL: net/http's *url.Error
// quotes it, so only the error inside is kept, and any echo of the URL is cut from it and from the
// body.
func (p *Poster) once(ctx context.Context, w Webhook, payload []byte) (status int, h http.Header, body string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		// NewRequest's errors quote the URL too.
		return 0, nil, "", errors.New("the webhook URL is not a valid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	client := p.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, "", redactErr(err, w.URL)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain, so the connection is reused
	return resp.StatusCode, resp.Header, clip(strings.TrimSpace(redact(string(b), w.URL)), 200), nil
}

var defaultClient = &http.Client{Timeout: 15 * time.Second}

// backoff is the wait after the n-th failed try: Backoff·2^(n-1), at most MaxBackoff, drawn
// between half and all of that.
func (p *Poster) backoff(n int) time.Duration {
	d, hi := orDefault(p.Backoff, time.Second), orDefault(p.MaxBackoff, 30*time.Second)
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110, 10.2.3).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// redact cuts the URL, and its path and query (where the secret is), out of s.
func redact(s, rawURL string) string {
	if rawURL == "" {
		return s
	}
	parts := []string{rawURL}
	if u, err := url.Parse(rawURL); err == nil {
		for _, p := range []string{u.RequestURI(), u.Path, u.RawQuery} {
			if len(p) > 1 {
				parts = append(parts, p)
			}
		}
	}
	for _, p := range parts {
		s = strings.ReplaceAll(s, p, "[webhook URL]")
	}
	return s
}

// redactErr keeps err (for errors.Is: timeouts, cancellation) unless its text shows the URL.
func redactErr(err error, rawURL string) error {
	if msg := err.Error(); redact(msg, rawURL) != msg {
		return errors.New(redact(msg, rawURL))
	}
	return err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// orDefault is v, or def when v is not positive (the zero value's defaults).
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
