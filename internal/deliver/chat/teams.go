package chat

// The Teams Workflows webhook ("Post to a channel when a webhook request is received") takes a
// message activity whose attachment is an Adaptive Card; Teams renders schema 1.4 and lower
// in channels, so the card asks for 1.4.
const (
	adaptiveCardType    = "application/vnd.microsoft.card.adaptive"
	adaptiveCardVersion = "1.4"
)

type teamsMessage struct {
	Type        string            `json:"type"` // "message"
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string       `json:"contentType"`
	Content     adaptiveCard `json:"content"`
}

type adaptiveCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"` // "AdaptiveCard"
	Version string         `json:"version"`
	Body    []cardElement  `json:"body"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// cardElement is a TextBlock or a FactSet, the two elements the digest needs.
type cardElement struct {
	Type     string     `json:"type"`
	Text     string     `json:"text,omitempty"`
	Size     string     `json:"size,omitempty"`
	Weight   string     `json:"weight,omitempty"`
	Color    string     `json:"color,omitempty"`
	IsSubtle bool       `json:"isSubtle,omitempty"`
	Wrap     bool       `json:"wrap,omitempty"`
	Facts    []cardFact `json:"facts,omitempty"`
}

type cardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// TeamsPayload is the digest as a Teams Workflows webhook message carrying an Adaptive Card: a
// title, the figures as a fact set, the top failed controls as a second one (control id, then
// title and accounts), and a subtle line with the date and the archive.
func TeamsPayload(d Digest) ([]byte, error) {
	text := func(s string) cardElement { return cardElement{Type: "TextBlock", Text: s, Wrap: true} }
	title := text(d.Title())
	title.Size, title.Weight = "Large", "Bolder"
	body := []cardElement{title}
	if d.Stale != "" {
		w := text(d.Stale)
		w.Color, w.Weight = "Attention", "Bolder"
		body = append(body, w)
	}
	body = append(body, cardElement{Type: "FactSet", Facts: []cardFact{
		{"Summary score", d.ScoreText()},
		{"Since last week", d.ChangeText()},
		{"Open critical", d.CriticalText()},
		{"Open high", d.HighText()},
	}})
	if len(d.Top) > 0 {
		h := text("Top failed controls")
		h.Weight = "Bolder"
		facts := make([]cardFact, len(d.Top))
		for i, c := range d.Top {
			facts[i] = cardFact{Title: c.ControlID, Value: controlDetail(c)}
		}
		body = append(body, h, cardElement{Type: "FactSet", Facts: facts})
	}
	for _, caveat := range []string{d.Partial, d.Warnings} {
		if caveat != "" {
			p := text(caveat)
			p.Color = "Warning"
			body = append(body, p)
		}
	}
	foot := text("Report of " + d.ReportDate + " · " + d.ArchiveText())
	foot.IsSubtle = true
	body = append(body, foot)
	return marshal(teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: adaptiveCardType,
		Content: adaptiveCard{
			Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard",
			Version: adaptiveCardVersion, Body: body,
			// Full width: the fact values are sentences.
			MSTeams: map[string]any{"width": "Full"},
		},
	}}})
}
