package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// MaxSESMessage is SES v2's limit on a message, attachments included, after MIME encoding.
const MaxSESMessage = 40 * 1024 * 1024

// ErrTooLarge means the message is over the transport's size limit; send it again without
// attachments (with links to the archived copies instead).
var ErrTooLarge = errors.New("email is larger than the transport accepts")

// Sender sends a composed message.
type Sender interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// SESAPI is the SES v2 method the SES sender calls.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ SESAPI = (*sesv2.Client)(nil)

// SES sends through Amazon SES v2 SendEmail with raw content (attachments need it).
type SES struct{ API SESAPI }

// Send sends raw; over MaxSESMessage it returns ErrTooLarge without calling SES.
func (s SES) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if len(raw) > MaxSESMessage {
		return fmt.Errorf("%w: %d bytes, SES takes %d", ErrTooLarge, len(raw), MaxSESMessage)
	}
	rcpt, err := Recipients(to)
	if err != nil {
		return err
	}
	_, err = s.API.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: rcpt},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	})
	if err != nil {
		return fmt.Errorf("ses SendEmail: %w", err)
	}
	return nil
}

// SMTP sends through an SMTP submission server: STARTTLS on port 587 (required when StartTLS is
// set, so credentials never cross the network in clear), implicit TLS on port 465, and AUTH
// PLAIN when a username is set.
type SMTP struct {
	Host     string
	Port     int
	StartTLS bool
	Username string
	Password string // from the environment, never from the config file
	// TLSConfig overrides the TLS settings (tests trust their own certificate with it).
	TLSConfig *tls.Config
	Timeout   time.Duration // per connection; default 1 minute
}

// Send delivers raw to every recipient.
func (s SMTP) Send(ctx context.Context, from string, to []string, raw []byte) error {
	rcpt, err := Recipients(to)
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	d := net.Dialer{Timeout: timeout}
	var conn net.Conn
	if s.Port == 465 {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	// The whole conversation must end in time, and a cancelled run must not hang on it.
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return errors.Join(fmt.Errorf("smtp %s: %w", addr, err), conn.Close())
	}
	// Cancelling only cuts the conversation short; the error it causes is the one reported.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return errors.Join(fmt.Errorf("smtp %s: %w", addr, err), conn.Close())
	}
	defer func() { _ = c.Close() }() // after QUIT the server has the message; closing can only fail harmlessly
	if err := c.Hello("hubreport"); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", addr, err)
	}
	if s.StartTLS && s.Port != 465 {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS, and deliver.email.smtp.starttls requires it", addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp %s: AUTH as %s: %w", addr, s.Username, err)
		}
	}
	sender, err := Recipients([]string{from})
	if err != nil {
		return err
	}
	if err := c.Mail(sender[0]); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	for _, r := range rcpt {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", addr, r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: message refused: %w", addr, err)
	}
	return c.Quit()
}
