package render

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"sync"
	"time"

	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/templates"
)

// EmailContent is a report as an email: subject, HTML body and its plain-text alternative.
type EmailContent struct {
	Subject string
	HTML    string
	Text    string
}

// Link is a report file offered for download instead of attached.
type Link struct {
	Name, URL string
}

// EmailOptions tune the email.
type EmailOptions struct {
	// Links replace attachments when the reports are too large to attach (presigned URLs of the
	// archived copies); LinkValidity says for how long they work.
	Links        []Link
	LinkValidity time.Duration
	TargetScore  float64
}

var emailTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(templates.FS, "email.html.tmpl")
})

// emailView is what templates/email.html.tmpl sees: the report, plus numbers already formatted
// the way every other renderer prints them.
type emailView struct {
	R       *report.Report
	Subject string
	Summary string
	Target  string
	// SummaryOf says what the summary score is over ("300 of 402"); Mean is the mean of the
	// standard scores, shown beside it and labelled as such.
	SummaryOf      string
	Mean           string
	Standards      []struct{ Name, Score, Change string }
	TopControls    []report.FailedControl
	Active         string
	Critical       string
	High           string
	Remediated     string
	AutoRemediated string
	Suppressed     string
	Links          []Link
	LinkValidity   string
}

// Email renders the report email: the summary score, the score per standard with its change
// over the progress window, the top 5 failed controls and the finding counts in HTML, with the
// text report as the plain-text alternative.
func Email(ctx context.Context, r *report.Report, opt EmailOptions) (*EmailContent, error) {
	if err := check(ctx, r); err != nil {
		return nil, fmt.Errorf("render email: %w", err)
	}
	summary, _ := pct(r.SummaryScore)
	v := emailView{R: r, Summary: summary, Links: opt.Links}
	v.Mean, _ = pct(r.SummaryScoreMeanOfStandards)
	v.SummaryOf = groupDigits(int64(r.SummaryControls.Passed)) + " of " + groupDigits(int64(r.SummaryControls.Scored()))
	// A routed report names its scope after the organization: "[acme-corp] OU Workloads/Prod: ...".
	who := "[" + r.Organization + "]"
	if r.Scope != nil {
		who += " " + r.Scope.Title() + ":"
	}
	v.Subject = fmt.Sprintf("%s Security Hub compliance %s: %s", who, r.ReportDate, summary)
	if st := r.Stale; st != nil {
		// In the subject too: an inbox list shows no body, and old data must not pass for new.
		v.Subject = fmt.Sprintf("%s Security Hub compliance %s (STALE: %s old on %s): %s",
			who, r.ReportDate, st.Age(), st.RunDate, summary)
	}
	if opt.TargetScore > 0 {
		v.Target, _ = pct(opt.TargetScore)
	} else {
		v.Target, _ = pct(r.Progress.TargetScore)
	}
	change := map[string]string{}
	for _, p := range r.Progress.Standards {
		change[p.ID] = delta(p.BaselineScore, p.CurrentScore)
	}
	for _, s := range r.Standards {
		score, _ := pct(s.Score)
		c := change[s.ID]
		if c == "" {
			c = "n/a"
		}
		v.Standards = append(v.Standards, struct{ Name, Score, Change string }{s.Name, score, c})
	}
	v.TopControls = r.TopFailedControls[:min(5, len(r.TopFailedControls))]
	f := r.Findings
	for _, x := range []struct {
		dst *string
		n   int64
	}{{&v.Active, f.Active}, {&v.Critical, f.Critical}, {&v.High, f.High}, {&v.Remediated, f.RemediatedThisMonth},
		{&v.AutoRemediated, f.AutoRemediatedThisMonth}, {&v.Suppressed, f.Suppressed}} {
		*x.dst = groupDigits(x.n)
	}
	if opt.LinkValidity > 0 {
		v.LinkValidity = fmt.Sprintf("%d hours", int(opt.LinkValidity.Hours()))
		if d := int(opt.LinkValidity.Hours() / 24); d >= 1 && opt.LinkValidity%(24*time.Hour) == 0 {
			v.LinkValidity = fmt.Sprintf("%d days", d)
		}
	}
	t, err := emailTemplate()
	if err != nil {
		return nil, fmt.Errorf("render email: %w", err)
	}
	var html, text bytes.Buffer
	if err := t.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render email: %w", err)
	}
	if err := Text(ctx, &text, r); err != nil {
		return nil, err
	}
	return &EmailContent{Subject: v.Subject, HTML: html.String(), Text: text.String()}, nil
}
