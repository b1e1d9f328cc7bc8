package fakeaws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

// awsCLI finds the aws command. A missing tool fails the test in CI (which installs it) and skips
// it elsewhere.
func awsCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("aws (awscli) is not on PATH; CI must install it: %v", err)
		}
		t.Skipf("aws (awscli) is not on PATH: %v", err)
	}
	return path
}

// runAWS runs the aws command against the emulator as account and decodes its JSON output.
func runAWS(t *testing.T, aws, url, account string, v any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
	// Drop the environment's AWS settings (an empty AWS_PROFILE is a profile named "").
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID="+fakeaws.AccessKeyFor(account),
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=3",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("aws %v: output is not JSON: %v\n%.500s", args, err, stdout.String())
	}
}

func TestAWSCLI(t *testing.T) {
	aws := awsCLI(t)
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true})
	t.Run("get-findings", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Findings []struct {
				ID           string `json:"Id"`
				AwsAccountID string `json:"AwsAccountId"`
				Severity     struct{ Label string }
			}
			NextToken string
		}
		runAWS(t, aws, hs.URL, s.AdministratorAccount(), &out, "securityhub", "get-findings", "--max-items", "250")
		if len(out.Findings) != 250 {
			t.Fatalf("%d findings, want 250", len(out.Findings))
		}
		if out.NextToken == "" {
			t.Errorf("no NextToken after 250 of %d findings", len(s.Findings()))
		}
		for _, f := range out.Findings {
			if f.ID == "" || f.AwsAccountID == "" || f.Severity.Label == "" {
				t.Fatalf("finding lacks fields: %+v", f)
			}
		}
	})
	t.Run("list-accounts", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Accounts []struct {
				ID     string `json:"Id"`
				Status string
			}
		}
		runAWS(t, aws, hs.URL, s.AdministratorAccount(), &out, "organizations", "list-accounts")
		active := 0
		for _, a := range out.Accounts {
			if a.Status == "ACTIVE" {
				active++
			}
		}
		if active != len(s.Accounts()) || len(out.Accounts) <= active {
			t.Errorf("%d accounts, %d ACTIVE; want %d ACTIVE and some SUSPENDED", len(out.Accounts), active, len(s.Accounts()))
		}
	})
}
