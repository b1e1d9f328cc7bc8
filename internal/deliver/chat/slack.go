package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Slack's limits on Block Kit text (https://api.slack.com/reference/block-kit/blocks): a header's
// plain text, and a section's or field's text.
const (
	slackHeaderMax = 150
	slackTextMax   = 2000
)

// slackText is a Block Kit text object.
type slackText struct {
	Type string `json:"type"` // plain_text | mrkdwn
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackMessage is an incoming-webhook payload. Text is the fallback Slack shows in notifications
// and on clients that cannot draw blocks.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// SlackPayload is the digest as a Slack incoming-webhook message: a header, the figures as
// section fields, the top failed controls, and a context line with the date and the archive.
func SlackPayload(d Digest) ([]byte, error) {
	md := func(s string) slackText { return slackText{Type: "mrkdwn", Text: clip(s, slackTextMax)} }
	blocks := []slackBlock{{Type: "header", Text: &slackText{Type: "plain_text", Text: clip(d.Title(), slackHeaderMax)}}}
	if d.Stale != "" {
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(md(":warning: *" + mrkdwn(d.Stale) + "*"))})
	}
	blocks = append(blocks, slackBlock{Type: "section", Fields: []slackText{
		md("*Summary score*\n" + d.ScoreText()),
		md("*Since last week*\n" + mrkdwn(d.ChangeText())),
		md("*Open critical*\n" + d.CriticalText()),
		md("*Open high*\n" + d.HighText()),
	}})
	if len(d.Top) > 0 {
		var b strings.Builder
		b.WriteString("*Top failed controls*")
		for i, c := range d.Top {
			fmt.Fprintf(&b, "\n%d. `%s` %s: %d of %d accounts", i+1, mrkdwn(c.ControlID), mrkdwn(c.Title), c.FailedAccounts, c.TotalAccounts)
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(md(b.String()))})
	}
	for _, caveat := range []string{d.Partial, d.Warnings} {
		if caveat != "" {
			blocks = append(blocks, slackBlock{Type: "section", Text: ptr(md(mrkdwn(caveat)))})
		}
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{
		md(mrkdwn("Report of " + d.ReportDate + " · " + d.ArchiveText())),
	}})
	return marshal(slackMessage{Text: clip(mrkdwn(d.Text()), slackTextMax), Blocks: blocks})
}

// mrkdwn escapes the three characters Slack's mrkdwn gives a meaning (<, > and &), so that a
// title or an organization name cannot turn into a link or a mention.
func mrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip shortens s to at most n characters (runes), ending with an ellipsis when it had to.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func ptr[T any](v T) *T { return &v }

// marshal is json.Marshal without HTML escaping: a chat payload is not embedded in HTML, and
// "&" stays readable in what arrives.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
