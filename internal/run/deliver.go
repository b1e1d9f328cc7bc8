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
func deliverReports(ctx context.Context, o Options, aws *clients, r *report.Report, res *Result) error {
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
	mailErr := email(ctx, o, aws, r, res, archive, archived)
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

// email sends the reports to deliver.email.to, when it names anyone.
func email(ctx context.Context, o Options, aws *clients, r *report.Report, res *Result, archive deliver.Archive, archived []deliver.Archived) error {
	cfg, log := o.Config, o.log()
	em := cfg.Deliver.Email
	if len(em.To) == 0 {
		return nil
	}
	var sender deliver.Sender
	switch em.Transport {
	case "smtp":
		password := lookupEnv(o.Env, em.SMTP.PasswordEnv)
		sender = deliver.SMTP{Host: em.SMTP.Host, Port: em.SMTP.Port, StartTLS: em.SMTP.StartTLS,
			Username: em.SMTP.Username, Password: password}
		if em.SMTP.Username != "" && password == "" {
			return &config.ValidationError{Key: "deliver.email.smtp.password_env",
				Msg: fmt.Sprintf("environment variable %s holds no password for %s", em.SMTP.PasswordEnv, em.SMTP.Username)}
		}
	default:
		api, err := aws.ses(ctx)
		if err != nil {
			return err
		}
		sender = deliver.SES{API: api}
	}
	var attachments []deliver.Attachment
	for _, p := range res.Written {
		if ext := filepath.Ext(p); ext == ".pdf" || ext == ".xlsx" {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			attachments = append(attachments, deliver.Attachment{Name: filepath.Base(p), Data: data, ContentType: deliver.ContentType(p)})
		}
	}
	send := func(opt render.EmailOptions, attach []deliver.Attachment) error {
		content, err := render.Email(ctx, r, opt)
		if err != nil {
			return err
		}
		raw, err := deliver.Compose(deliver.Message{From: em.From, To: em.To, Subject: content.Subject,
			HTML: content.HTML, Text: content.Text, Attachments: attach})
		if err != nil {
			return err
		}
		return sender.Send(ctx, em.From, em.To, raw)
	}
	opt := render.EmailOptions{TargetScore: cfg.Report.TargetScore}
	err := send(opt, attachments)
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
		err = send(opt, nil)
	}
	if err != nil {
		return err
	}
	res.Emailed = len(em.To)
	log.Info("report emailed", "transport", em.Transport, "recipients", len(em.To), "attachments", len(opt.Links) == 0)
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
