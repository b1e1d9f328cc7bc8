package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver/mailtest"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
)

// routedDemo collects the demo organization (through the emulator) into a fresh database and
// returns the options, the emulator and the collected accounts.
func routedDemo(t *testing.T, accounts int) (Options, *fakeaws.Server, []model.Account, *bytes.Buffer) {
	t.Helper()
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: accounts}, fakeaws.Options{Unlimited: true})
	work := t.TempDir()
	cfg := config.Default()
	cfg.Organization = "acme-corp"
	cfg.Store.Path = filepath.Join(work, "r.duckdb")
	cfg.Collect.Source = "demo"
	cfg.Report.Out, cfg.Report.Formats = filepath.Join(work, "out"), []string{"json", "pdf", "xlsx"}
	var log bytes.Buffer
	o := testOptions(cfg, &log)
	o.AWSConfig = emulator(srv, hs.URL)
	snap, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenForAnalysis(context.Background(), cfg.Store.Path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now, _, err := analyze.RouteAccounts(context.Background(), st, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o, srv, now, &log
}

// ownerIn is the owner of the first account of OU path ou.
func ownerIn(t *testing.T, accounts []model.Account, ou string) string {
	for _, a := range accounts {
		if a.OU == ou && a.Owner != "" {
			return a.Owner
		}
	}
	t.Fatalf("no account with an owner in %s among %+v", ou, accounts)
	return ""
}

// routedText is every string of a routed email a reader sees: subject, bodies, the PDF's text
// (pdftotext) and every cell of the workbook (excelize).
func routedText(t *testing.T, p *mailtest.Message) (all, pdfText string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(p.Subject + "\n" + p.Text + "\n" + p.HTML + "\n")
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	os.WriteFile(pdf, p.Attachments["report.pdf"], 0o600)
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils; .ci/run installs it): %v", err)
	}
	b.Write(out)
	pdfText = string(out)
	f, err := excelize.OpenReader(bytes.NewReader(p.Attachments["report.xlsx"]))
	if err != nil {
		t.Fatalf("routed workbook: %v", err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String(), pdfText
}

// checkRouted: the routed email names the organization and the route in its subject, and neither
// it nor its PDF and workbook name an account outside the route; it names each one inside it.
func checkRouted(t *testing.T, p *mailtest.Message, route config.Route, accounts []model.Account) {
	t.Helper()
	if !strings.HasPrefix(p.Subject, "[acme-corp] ") || !strings.Contains(p.Subject, route.Name()+": Security Hub compliance ") {
		t.Errorf("route %s: subject %q", route.Name(), p.Subject)
	}
	if len(p.Attachments) != 2 || !bytes.HasPrefix(p.Attachments["report.pdf"], []byte("%PDF")) {
		t.Fatalf("route %s: attachments %d", route.Name(), len(p.Attachments))
	}
	text, pdf := routedText(t, p)
	title := route.Name()
	if route.Tag == nil {
		title = "OU " + title
	}
	if strings.Count(text, title) < 3 || !strings.Contains(pdf, title) {
		t.Errorf("route %s: its reports name it %d times, want the subject, bodies, cover and pages", route.Name(), strings.Count(text, title))
	}
	in := 0
	for _, a := range accounts {
		switch {
		case route.Matches(a.OU, a.Owner):
			in++
			if !strings.Contains(text, a.AccountID) {
				t.Errorf("route %s: its account %s (%s) is named nowhere", route.Name(), a.AccountID, a.Name)
			}
		case strings.Contains(text, a.AccountID):
			t.Errorf("route %s names account %s (%s) of %s", route.Name(), a.AccountID, a.Name, a.OU)
		case distinctive(a.Name) && strings.Contains(text, a.Name):
			t.Errorf("route %s names account %s of %s by name (%s)", route.Name(), a.AccountID, a.OU, a.Name)
		}
	}
	if in == 0 {
		t.Fatalf("route %s holds no account", route.Name())
	}
}

// distinctive: an account name that no control title or heading contains by chance. The demo's
// landing-zone accounts are named backup, audit, network, which AWS's control titles use as
// words; their ids are checked all the same.
func distinctive(name string) bool { return strings.Contains(name, "-") }

// TestRoutedReportsOverSMTP: with two routes, the organization's report goes to deliver.email.to
// and each route's own to its recipients, through a real SMTP server; each routed report's
// summary score is the organization report's scorecard of the same OU (two computations).
func TestRoutedReportsOverSMTP(t *testing.T) {
	o, _, accounts, _ := routedDemo(t, 14)
	smtp := mailtest.Start(t, true)
	routes := []config.Route{{OU: "Workloads", To: []string{"workloads-lead@example.com"}},
		{Tag: map[string]string{"owner": ownerIn(t, accounts, "Security")}, To: []string{"sec@example.com", "sec2@example.com"}}}
	o.Config.Deliver.Email = config.Email{Transport: "smtp", From: "compliance@example.com", To: []string{"ciso@example.com"},
		SMTP: config.SMTP{Host: smtp.Host, Port: smtp.Port, StartTLS: true, Username: mailtest.User, PasswordEnv: "SMTP_PASSWORD"}, Routes: routes}
	o.Env, o.SMTPTLS = []string{"SMTP_PASSWORD=" + mailtest.Password}, smtp.ClientTLS
	r, written, routed, err := reportLatest(context.Background(), o, o.Config.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(routed) != 2 || routed[0].Report.Scope.Name != "Workloads" {
		t.Fatalf("routed %+v", routed)
	}
	for _, u := range r.OrganizationalUnits {
		if u.Path == "Workloads" && (routed[0].Report.SummaryScore == nil || u.SummaryScore == nil || *u.SummaryScore != *routed[0].Report.SummaryScore) {
			t.Errorf("Workloads: routed summary score %v, the organization's scorecard %v", routed[0].Report.SummaryScore, u.SummaryScore)
		}
	}
	for _, p := range routed[0].Written {
		if !strings.Contains(p, filepath.Join("out", "routes", "ou-workloads")) {
			t.Errorf("routed file %s not under out/routes/ou-workloads/", p)
		}
	}
	res := Result{Written: written}
	if err := deliverReports(context.Background(), o, &clients{load: o.AWSConfig}, r, routed, &res); err != nil {
		t.Fatal(err)
	}
	got := smtp.Received()
	if len(got) != 3 || len(res.Sent) != 3 {
		t.Fatalf("%d emails received, %d sent (%+v), want 3", len(got), len(res.Sent), res.Sent)
	}
	wantTo := [][]string{{"ciso@example.com"}, routes[0].To, routes[1].To}
	for i, g := range got {
		if !slices.Equal(g.To, wantTo[i]) || !slices.Equal(res.Sent[i].To, wantTo[i]) {
			t.Errorf("email %d to %v (result %v), want %v", i, g.To, res.Sent[i].To, wantTo[i])
		}
		p, err := mailtest.Parse(g.Data)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if p.Subject != res.Sent[0].Subject || !strings.HasPrefix(p.Subject, "[acme-corp] Security Hub compliance ") {
				t.Errorf("organization's subject %q", p.Subject)
			}
			continue
		}
		checkRouted(t, p, routes[i-1], accounts)
	}
}

// TestRoutedReportsOverSES: the same through SES (the emulator), and a route whose recipient is
// refused fails the step after the other emails went out.
func TestRoutedReportsOverSES(t *testing.T) {
	o, srv, accounts, _ := routedDemo(t, 14)
	route := config.Route{OU: "Workloads/Prod", To: []string{"prod-lead@example.com"}}
	o.Config.Deliver.Email = config.Email{Transport: "ses", From: "compliance@example.com", Routes: []config.Route{route}}
	r, written, routed, err := reportLatest(context.Background(), o, o.Config.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	res := Result{Written: written}
	if err := deliverReports(context.Background(), o, &clients{load: o.AWSConfig}, r, routed, &res); err != nil {
		t.Fatal(err)
	}
	mails := srv.SentEmails()
	if len(mails) != 1 || !slices.Equal(mails[0].To, route.To) || res.Emailed != 0 || len(res.Sent) != 1 {
		t.Fatalf("%d emails (%+v), result %+v; want the route's alone (deliver.email.to is empty)", len(mails), mails, res)
	}
	p, err := mailtest.Parse(mails[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != mails[0].Subject {
		t.Errorf("subject %q, SES saw %q", p.Subject, mails[0].Subject)
	}
	checkRouted(t, p, route, accounts)
}

// TestFailedRouteFailsTheStepAfterTheOthers: a routed email the server refuses fails delivery,
// naming the route's key, after the organization's and the other route's emails went out.
func TestFailedRouteFailsTheStepAfterTheOthers(t *testing.T) {
	o, _, _, _ := routedDemo(t, 14)
	smtp := mailtest.Start(t, true)
	smtp.Refuse("gone@example.com")
	routes := []config.Route{{OU: "Sandbox", To: []string{"gone@example.com"}}, {OU: "Workloads", To: []string{"w@example.com"}}}
	o.Config.Deliver.Email = config.Email{Transport: "smtp", From: "compliance@example.com", To: []string{"ciso@example.com"},
		SMTP: config.SMTP{Host: smtp.Host, Port: smtp.Port, StartTLS: true, Username: mailtest.User, PasswordEnv: "P"}, Routes: routes}
	o.Env, o.SMTPTLS = []string{"P=" + mailtest.Password}, smtp.ClientTLS
	r, written, routed, err := reportLatest(context.Background(), o, o.Config.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	res := Result{Written: written}
	err = deliverReports(context.Background(), o, &clients{load: o.AWSConfig}, r, routed, &res)
	if err == nil || !strings.Contains(err.Error(), "deliver.email.routes[0].ou") || !strings.Contains(err.Error(), "gone@example.com") {
		t.Fatalf("err = %v, want the refused route named", err)
	}
	got := smtp.Received()
	if len(got) != 2 || !slices.Equal(got[1].To, []string{"w@example.com"}) || len(res.Sent) != 2 {
		t.Errorf("%d emails received, sent %+v; want the organization's and Workloads'", len(got), res.Sent)
	}
}

// TestRouteThatCanNeverMatch: a route whose OU no stored snapshot knows fails the run's report
// step, naming its key, before any email (exit 4: the snapshot is saved); one whose OU an
// earlier snapshot knew, but whose accounts left it, sends nothing and says so in the log.
func TestRouteThatCanNeverMatch(t *testing.T) {
	o, srv, accounts, log := routedDemo(t, 14)
	// Snapshot 2 places one Sandbox account in OU Legacy; snapshot 3 (the accounts list gone)
	// puts it back: Legacy is known from history but empty today.
	var moved string
	for _, a := range accounts {
		if a.OU == "Sandbox" {
			moved = a.AccountID
		}
	}
	o.Config.Accounts = []config.AccountInfo{{AccountID: moved, OU: "Legacy"}}
	if _, err := Collect(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Config.Accounts = nil
	o.Config.Deliver.Email = config.Email{Transport: "ses", From: "compliance@example.com", To: []string{"ciso@example.com"},
		Routes: []config.Route{{OU: "Legacy", To: []string{"l@example.com"}}, {OU: "Sandbox", To: []string{"s@example.com"}}}}
	o.Steps = Steps{Collect: true, Report: true, Deliver: true}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sent) != 2 || res.Sent[1].Route != "Sandbox" || !strings.Contains(log.String(), "route matches no account in the snapshot") ||
		!strings.Contains(log.String(), `"route":"Legacy"`) {
		t.Errorf("sent %+v; log:\n%s", res.Sent, log.String())
	}
	before := len(srv.SentEmails())
	o.Config.Deliver.Email.Routes = append(o.Config.Deliver.Email.Routes, config.Route{OU: "Workloads/Prd", To: []string{"x@example.com"}})
	_, err = Run(context.Background(), o)
	var nd *NotDeliveredError
	var ve *config.ValidationError
	if !errors.As(err, &nd) || !errors.As(err, &ve) || ve.Key != "deliver.email.routes[2].ou" || !strings.Contains(err.Error(), "Workloads/Prd matches no account of any stored snapshot") {
		t.Fatalf("err = %v, want NotDeliveredError with a ValidationError naming deliver.email.routes[2].ou", err)
	}
	if n := len(srv.SentEmails()); n != before {
		t.Errorf("%d emails sent by a run whose route can never match", n-before)
	}
}
