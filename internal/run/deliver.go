package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/deliver"
	"github.com/hubreport/hubreport/internal/deliver/chat"
	"github.com/hubreport/hubreport/internal/render"
	"github.com/hubreport/hubreport/internal/report"
)

// deliverReports archives the reports, emails them and posts the chat digest. Over SES's size
// limit the email carries links to the archived copies instead of attachments. Every channel is
// tried; a channel that fails does not keep the others from delivering, and the step fails.
func deliverReports(ctx context.Context, o Options, aws *clients, r *report.Report, routed []RoutedReport, res *Result) error {
	cfg, log := o.Config, o.log()
	a := cfg.Deliver.Archive
	archive := deliver.Archive{Dir: a.Dir, Bucket: a.S3.Bucket, Prefix: a.S3.Prefix, KMSKeyID: a.S3.KMSKeyID}
	if a.S3.Bucket != "" {
		s3c, err := aws.s3(ctx)
		if err != nil {
			return err
		}
		archive.S3, archive.Presign = s3c, s3.NewPresignClient(s3c)
		archive.LinkValidity = aws.linkValidity(ctx)
	}
	var archived []deliver.Archived
	if archive.Dir != "" || archive.S3 != nil {
		var err error
		if archived, err = archive.Store(ctx, r.Snapshot.TakenAt, r.Snapshot.ID, res.Written); err != nil {
			return err
		}
		res.Archived = len(archived)
		log.Info("reports archived", "snapshot", r.Snapshot.ID, "files", len(archived))
	}
	mailErr := email(ctx, o, aws, r, routed, res, archive, archived)
	if ctx.Err() != nil {
		return errors.Join(mailErr, ctx.Err())
	}
	return errors.Join(mailErr, postChat(ctx, o, r, res, archived))
}

// postChat posts the digest to the configured Slack and Teams webhooks, naming where the full
// report was archived.
func postChat(ctx context.Context, o Options, r *report.Report, res *Result, archived []deliver.Archived) error {
	hooks, err := o.Config.ChatWebhooks(o.Env)
	if err != nil || len(hooks) == 0 {
		return err
	}
	ws := make([]chat.Webhook, len(hooks))
	for i, h := range hooks {
		ws[i] = chat.Webhook{Service: chat.Service(h.Service), Env: h.Env, URL: h.URL}
	}
	p := &chat.Poster{Client: o.HTTPClient, Log: o.log()}
	if err := p.Send(ctx, ws, chat.NewDigest(r, archiveFolder(archived))); err != nil {
		return err
	}
	res.Posted = len(ws)
	o.log().Info("chat digest posted", "webhooks", len(ws))
	return nil
}

// archiveFolder is where the reports were archived (the S3 prefix or the folder of the first
// archived file, with a trailing slash), or "" when nothing was archived.
func archiveFolder(archived []deliver.Archived) string {
	for _, a := range archived {
		if dir, ok := strings.CutSuffix(a.Location, a.Name); ok && dir != "" {
			return dir
		}
	}
	return ""
}

// Sent is one email the deliver step sent.
type Sent struct {
	// Route is "" for the organization's report (deliver.email.to), else the route's OU path or
	// tag as KEY=VALUE.
	Route       string
	To          []string
	Subject     string
	Attachments []string // file names; none when the email links to the archive instead
}

// email sends the organization's reports to deliver.email.to, when it names anyone, and each
// routed report to its route's recipients. Every email is tried; the step fails after them all
// when any failed.
func email(ctx context.Context, o Options, aws *clients, r *report.Report, routed []RoutedReport, res *Result, archive deliver.Archive, archived []deliver.Archived) error {
	em := o.Config.Deliver.Email
	if len(em.To) == 0 && len(routed) == 0 {
		return nil
	}
	sender, err := emailSender(ctx, o, aws)
	if err != nil {
		return err
	}
	var errs []error
	if len(em.To) > 0 {
		errs = append(errs, emailOrganization(ctx, o, sender, r, res, archive, archived))
	}
	for _, rr := range routed {
		if ctx.Err() != nil {
			return errors.Join(append(errs, ctx.Err())...)
		}
		if err := emailRoute(ctx, o, sender, rr, res); err != nil {
			o.log().Error("routed report not emailed", "route", rr.Route.Name(), "key", rr.Route.ScopeKey(rr.Index), "error", err.Error())
			errs = append(errs, fmt.Errorf("route %s (%s): %w", rr.Route.Name(), rr.Route.ScopeKey(rr.Index), err))
		}
	}
	return errors.Join(errs...)
}

// emailSender is the configured transport.
func emailSender(ctx context.Context, o Options, aws *clients) (deliver.Sender, error) {
	em := o.Config.Deliver.Email
	if em.Transport == "smtp" {
		password := lookupEnv(o.Env, em.SMTP.PasswordEnv)
		if em.SMTP.Username != "" && password == "" {
			return nil, &config.ValidationError{Key: "deliver.email.smtp.password_env",
				Msg: fmt.Sprintf("environment variable %s holds no password for %s", em.SMTP.PasswordEnv, em.SMTP.Username)}
		}
		return deliver.SMTP{Host: em.SMTP.Host, Port: em.SMTP.Port, StartTLS: em.SMTP.StartTLS,
			Username: em.SMTP.Username, Password: password, TLSConfig: o.SMTPTLS}, nil
	}
	api, err := aws.ses(ctx)
	if err != nil {
		return nil, err
	}
	return deliver.SES{API: api}, nil
}

// sendReport renders r's email with the attachments and sends it to to; it returns the subject.
func sendReport(ctx context.Context, o Options, sender deliver.Sender, r *report.Report, to []string, opt render.EmailOptions, attach []deliver.Attachment) (string, error) {
	from := o.Config.Deliver.Email.From
	content, err := render.Email(ctx, r, opt)
	if err != nil {
		return "", err
	}
	raw, err := deliver.Compose(deliver.Message{From: from, To: to, Subject: content.Subject,
		HTML: content.HTML, Text: content.Text, Attachments: attach})
	if err != nil {
		return "", err
	}
	return content.Subject, sender.Send(ctx, from, to, raw)
}

// readAttachments reads the PDF and workbook among paths.
func readAttachments(paths []string) ([]deliver.Attachment, error) {
	var out []deliver.Attachment
	for _, p := range paths {
		if ext := filepath.Ext(p); ext == ".pdf" || ext == ".xlsx" {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, deliver.Attachment{Name: filepath.Base(p), Data: data, ContentType: deliver.ContentType(p)})
		}
	}
	return out, nil
}

func attachmentNames(as []deliver.Attachment) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

// emailOrganization sends the organization's reports to deliver.email.to. Over SES's size limit
// it sends links to the archived copies instead of attachments.
func emailOrganization(ctx context.Context, o Options, sender deliver.Sender, r *report.Report, res *Result, archive deliver.Archive, archived []deliver.Archived) error {
	cfg, log := o.Config, o.log()
	em := cfg.Deliver.Email
	attachments, err := readAttachments(res.Written)
	if err != nil {
		return err
	}
	opt := render.EmailOptions{TargetScore: cfg.Report.TargetScore}
	subject, err := sendReport(ctx, o, sender, r, em.To, opt, attachments)
	if errors.Is(err, deliver.ErrTooLarge) {
		for _, x := range archived {
			if x.URL != "" && (strings.HasSuffix(x.Name, ".pdf") || strings.HasSuffix(x.Name, ".xlsx")) {
				opt.Links = append(opt.Links, render.Link{Name: x.Name, URL: x.URL})
			}
		}
		if len(opt.Links) == 0 {
			return fmt.Errorf("%w, and there is no S3 archive (deliver.archive.s3.bucket) to link to instead", err)
		}
		opt.LinkValidity = archive.LinkValidity
		log.Warn("reports too large to attach; sending links to the archived copies", "error", err.Error())
		attachments = nil
		subject, err = sendReport(ctx, o, sender, r, em.To, opt, nil)
	}
	if err != nil {
		return err
	}
	res.Emailed = len(em.To)
	res.Sent = append(res.Sent, Sent{To: em.To, Subject: subject, Attachments: attachmentNames(attachments)})
	log.Info("report emailed", "transport", em.Transport, "recipients", len(em.To), "attachments", len(opt.Links) == 0)
	return nil
}

// emailRoute sends a route's own reports to its recipients. A routed report covers a few accounts
// and is not archived, so there is no link to fall back on: too large is an error.
func emailRoute(ctx context.Context, o Options, sender deliver.Sender, rr RoutedReport, res *Result) error {
	attachments, err := readAttachments(rr.Written)
	if err != nil {
		return err
	}
	subject, err := sendReport(ctx, o, sender, rr.Report, rr.Route.To, render.EmailOptions{TargetScore: o.Config.Report.TargetScore}, attachments)
	if err != nil {
		return err
	}
	res.Sent = append(res.Sent, Sent{Route: rr.Route.Name(), To: rr.Route.To, Subject: subject, Attachments: attachmentNames(attachments)})
	o.log().Info("routed report emailed", "route", rr.Route.Name(), "recipients", len(rr.Route.To), "accounts", rr.Report.Scope.Accounts)
	return nil
}

// lookupEnv finds name in vars (KEY=VALUE), the environment main handed over; "" when unset.
func lookupEnv(vars []string, name string) string {
	for _, kv := range vars {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
