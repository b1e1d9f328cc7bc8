package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// secretURL stands for a real webhook URL: its path is the secret, so no error may contain it.
const secretURL = "https://hooks.slack.com/services/T0000/B0000/s3cr3tT0k3n"

// TestChatWebhookValidation: a chat key names a variable, and Load refuses a variable that is
// unset, empty or not https with an error naming the key and the variable, and never the URL.
func TestChatWebhookValidation(t *testing.T) {
	slack := "deliver:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\n"
	teams := "deliver:\n  teams: {webhook_url_env: TEAMS_FLOW_URL}\n"
	tests := []struct {
		name, yml string
		env       []string
		want      []string // each in the message
	}{
		{"unset", slack, []string{"OTHER=1"}, []string{"deliver.slack.webhook_url_env", "SLACK_WEBHOOK_URL is not set"}},
		{"empty", slack, []string{"SLACK_WEBHOOK_URL="}, []string{"deliver.slack.webhook_url_env", "SLACK_WEBHOOK_URL is empty"}},
		{"blank", slack, []string{"SLACK_WEBHOOK_URL=  \n"}, []string{"SLACK_WEBHOOK_URL is empty"}},
		{"http", slack, []string{"SLACK_WEBHOOK_URL=http://hooks.slack.com/services/T0000/B0000/s3cr3tT0k3n"}, []string{"deliver.slack.webhook_url_env", "SLACK_WEBHOOK_URL does not hold an https URL"}},
		{"not a URL", slack, []string{"SLACK_WEBHOOK_URL=s3cr3tT0k3n"}, []string{"SLACK_WEBHOOK_URL does not hold an https URL"}},
		{"unparsable", slack, []string{"SLACK_WEBHOOK_URL=https://hooks.slack.com/%zzs3cr3tT0k3n"}, []string{"SLACK_WEBHOOK_URL does not hold an https URL"}},
		{"teams unset", teams, nil, []string{"deliver.teams.webhook_url_env", "TEAMS_FLOW_URL is not set"}},
		{"key from the environment", "", []string{"REPORTER_DELIVER_TEAMS_WEBHOOK_URL_ENV=TEAMS_FLOW_URL"}, []string{"deliver.teams.webhook_url_env", "TEAMS_FLOW_URL is not set"}},
		{"URL pasted into the key", "deliver:\n  slack: {webhook_url_env: \"" + secretURL + "\"}\n", nil, []string{"deliver.slack.webhook_url_env", "is not an environment variable name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.yml), tt.env)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3tT0k3n") {
				t.Errorf("error %q shows the webhook URL", err)
			}
		})
	}
}

// TestChatWebhooksResolved: with both variables set, ChatWebhooks gives both URLs (trimmed), Slack
// first; without the keys it gives none; and printing one never shows the URL.
func TestChatWebhooksResolved(t *testing.T) {
	yml := "deliver:\n  slack: {webhook_url_env: SLACK_WEBHOOK_URL}\n"
	env := []string{"SLACK_WEBHOOK_URL=" + secretURL + "\n", "REPORTER_DELIVER_TEAMS_WEBHOOK_URL_ENV=TEAMS_URL",
		"TEAMS_URL=https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3tSig"}
	cfg, err := Load(strings.NewReader(yml), env)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.ChatWebhooks(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Service != "Slack" || got[0].URL != secretURL || got[0].Env != "SLACK_WEBHOOK_URL" ||
		got[1].Service != "Teams" || got[1].Key != "deliver.teams.webhook_url_env" || !strings.HasSuffix(got[1].URL, "sig=s3cr3tSig") {
		t.Fatalf("got %d webhooks: %s", len(got), fmt.Sprint(got))
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, got); strings.Contains(s, "s3cr3t") {
			t.Errorf("%s prints the URL: %s", verb, s)
		}
	}
	if s := fmt.Sprint(got[0]); s != "the Slack webhook (SLACK_WEBHOOK_URL)" {
		t.Errorf("String() = %q", s)
	}
	none, err := Default().ChatWebhooks(env)
	if err != nil || len(none) != 0 {
		t.Errorf("defaults: got %v, %v; want no webhook", none, err)
	}
}
