package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Webhook is a chat webhook (deliver.slack, deliver.teams). Its URL is a secret, since whoever
// holds it can post to the channel, so it is never in the file: URLEnv names the environment
// variable that holds it. Empty URLEnv: that chat is off.
type Webhook struct {
	URLEnv string `yaml:"webhook_url_env"`
}

// ChatWebhook is a configured chat webhook with its URL read from the environment.
type ChatWebhook struct {
	Service string // "Slack" or "Teams"
	Key     string // the configuration key that named the variable, e.g. deliver.slack.webhook_url_env
	Env     string // the variable's name, e.g. SLACK_WEBHOOK_URL
	// URL is the secret itself: pass it to the poster, never to a log or an error.
	URL string
}

// String names the webhook without its URL, so that printing a ChatWebhook with %v or %+v
// cannot leak the secret.
func (w ChatWebhook) String() string { return fmt.Sprintf("the %s webhook (%s)", w.Service, w.Env) }

// GoString is String for %#v, which would otherwise print every field.
func (w ChatWebhook) GoString() string { return w.String() }

// envName is what a POSIX shell accepts as a variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d Deliver) webhooks() []struct {
	service, key string
	w            Webhook
} {
	return []struct {
		service, key string
		w            Webhook
	}{
		{"Slack", "deliver.slack.webhook_url_env", d.Slack},
		{"Teams", "deliver.teams.webhook_url_env", d.Teams},
	}
}

// validateChat checks what the configuration itself holds: each *_env key is empty or a
// variable name. The value is not quoted back when it is not a name: the usual mistake is
// pasting the URL itself here, and the error must not print the secret.
func (d Deliver) validateChat() error {
	for _, h := range d.webhooks() {
		if h.w.URLEnv != "" && !envName.MatchString(h.w.URLEnv) {
			return &ValidationError{Key: h.key, Msg: "is not an environment variable name (letters, digits and _): " +
				"name the variable that holds the webhook URL, e.g. " + strings.ToUpper(h.service) + "_WEBHOOK_URL, never the URL itself"}
		}
	}
	return nil
}

// ChatWebhooks returns the configured chat webhooks (Slack first, then Teams) with their URLs
// read from env (as os.Environ gives it; the same list Load read). A webhook whose variable is
// unset, empty, or not an https URL is a *ValidationError naming the key and the variable,
// never the value. None configured: nil, nil.
//
// Load calls it, so a missing webhook variable stops every command before anything is
// collected; the deliver step calls it again to get the URLs.
func (c Config) ChatWebhooks(env []string) ([]ChatWebhook, error) {
	if err := c.Deliver.validateChat(); err != nil {
		return nil, err
	}
	var out []ChatWebhook
	for _, h := range c.Deliver.webhooks() {
		if h.w.URLEnv == "" {
			continue
		}
		v, set := lookup(env, h.w.URLEnv)
		v = strings.TrimSpace(v) // a trailing newline from a secrets file is not part of the URL
		switch {
		case !set:
			return nil, &ValidationError{Key: h.key, Msg: fmt.Sprintf("environment variable %s is not set: it must hold the %s webhook URL", h.w.URLEnv, h.service)}
		case v == "":
			return nil, &ValidationError{Key: h.key, Msg: fmt.Sprintf("environment variable %s is empty: it must hold the %s webhook URL", h.w.URLEnv, h.service)}
		}
		// The parse error is not used: url.Parse quotes the input, and the input is the secret.
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, &ValidationError{Key: h.key, Msg: fmt.Sprintf("environment variable %s does not hold an https URL (https://host/...); the %s webhook URL is a secret and goes over TLS only", h.w.URLEnv, h.service)}
		}
		out = append(out, ChatWebhook{Service: h.service, Key: h.key, Env: h.w.URLEnv, URL: v})
	}
	return out, nil
}

// lookup finds name in env ("NAME=value" entries); the last entry wins, as in applyEnv.
func lookup(env []string, name string) (value string, set bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value, set = v, true
		}
	}
	return value, set
}
