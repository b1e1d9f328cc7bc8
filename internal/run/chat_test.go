package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/report"
)

// webhook is a chat service over TLS that records what was posted to it and answers status.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newWebhook(t *testing.T, status int) *webhook {
	w := &webhook{}
	w.Server = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, b)
		w.mu.Unlock()
		rw.WriteHeader(status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) posted() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bodies
}

// chatRun runs collect, report and deliver on the demo through the emulator, with the reports
// archived to a folder and the digest posted to slack and teams.
func chatRun(t *testing.T, slack, teams *webhook) (Result, config.Config, *bytes.Buffer, error) {
	t.Helper()
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true})
	work := t.TempDir()
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(work, "r.duckdb")
	cfg.Collect.Source = "demo"
	cfg.Report.Out, cfg.Report.Formats = filepath.Join(work, "out"), []string{"text", "json"}
	cfg.Deliver.Archive.Dir = filepath.Join(work, "archive")
	cfg.Deliver.Slack.URLEnv, cfg.Deliver.Teams.URLEnv = "SLACK_HOOK", "TEAMS_HOOK"
	var log bytes.Buffer
	o := testOptions(cfg, &log)
	o.Steps, o.AWSConfig = Steps{Collect: true, Report: true, Deliver: true}, emulator(srv, hs.URL)
	o.Env = []string{"SLACK_HOOK=" + slack.URL + "/services/T0/B0/secret", "TEAMS_HOOK=" + teams.URL + "/workflows/secret"}
	o.HTTPClient = slack.Client() // trusts every httptest TLS server's certificate
	res, err := Run(context.Background(), o)
	return res, cfg, &log, err
}

// TestRunPostsTheDigest: a run's deliver step posts the digest of the report it wrote to Slack
// and Teams, with the summary score and the archive folder the reports went to.
func TestRunPostsTheDigest(t *testing.T) {
	slack, teams := newWebhook(t, http.StatusOK), newWebhook(t, http.StatusOK)
	res, cfg, _, err := chatRun(t, slack, teams)
	if err != nil {
		t.Fatal(err)
	}
	if res.Posted != 2 {
		t.Errorf("Posted = %d, want 2", res.Posted)
	}
	var rep report.Report
	if err := readJSON(filepath.Join(cfg.Report.Out, "report.json"), &rep); err != nil {
		t.Fatal(err)
	}
	score := report.RoundPercent(*rep.SummaryScore)
	for name, w := range map[string]*webhook{"slack": slack, "teams": teams} {
		got := w.posted()
		if len(got) != 1 {
			t.Fatalf("%s received %d posts, want 1", name, len(got))
		}
		body := string(got[0])
		for _, want := range []string{rep.Organization, fmt.Sprintf("%d%%", score), cfg.Deliver.Archive.Dir, rep.TopFailedControls[0].ControlID} {
			if !strings.Contains(body, want) {
				t.Errorf("%s payload lacks %q:\n%s", name, want, body)
			}
		}
	}
}

// TestRunChatFailureIsNotDelivered: a webhook that keeps failing fails the delivery (exit 4)
// after the other channel delivered, and its URL is in neither the error nor the log.
func TestRunChatFailureIsNotDelivered(t *testing.T) {
	slack, teams := newWebhook(t, http.StatusBadRequest), newWebhook(t, http.StatusOK)
	_, _, log, err := chatRun(t, slack, teams)
	var nd *NotDeliveredError
	if !errors.As(err, &nd) {
		t.Fatalf("err = %v, want a *NotDeliveredError", err)
	}
	if len(teams.posted()) != 1 {
		t.Errorf("teams received %d posts; a failing Slack must not keep Teams from its digest", len(teams.posted()))
	}
	for what, text := range map[string]string{"error": err.Error(), "log": log.String()} {
		if strings.Contains(text, "secret") || strings.Contains(text, slack.URL) {
			t.Errorf("the webhook URL is in the %s: %s", what, text)
		}
	}
	if !strings.Contains(err.Error(), "SLACK_HOOK") {
		t.Errorf("err = %v, want it to name the variable SLACK_HOOK", err)
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
