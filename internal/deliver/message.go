// Package deliver sends what the renderers wrote: the report email (SES v2 or SMTP), the archive
// (S3 and/or a folder), and the database file kept in S3 between runs on ephemeral compute.
package deliver

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Operations lists the IAM actions this package calls (the deployment's policy is checked
// against it). ListObjectsV2 (Tree) is authorized as s3:ListBucket.
var Operations = []string{"ses:SendEmail", "s3:GetObject", "s3:PutObject", "s3:ListBucket"}

// Attachment is a file attached to the email.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is an email to send.
type Message struct {
	From        string
	To          []string
	Subject     string
	HTML, Text  string
	Attachments []Attachment
	Date        time.Time // zero: now
}

// Compose builds the MIME message: multipart/mixed holding a multipart/alternative (text, then
// HTML, so clients that can show HTML pick it) and the attachments in base64.
func Compose(m Message) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("email from %q: %w", m.From, err)
	}
	var to []string
	for _, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("email to %q: %w", a, err)
		}
		to = append(to, addr.String())
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("email: no recipient")
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var buf bytes.Buffer
	mixed := multipart.NewWriter(&buf)
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	hdr := []string{
		"From: " + from.String(),
		"To: " + strings.Join(to, ", "),
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject),
		"Date: " + date.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + domain + ">",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="` + mixed.Boundary() + `"`,
	}
	head := strings.Join(hdr, "\r\n") + "\r\n\r\n"

	altHeader := textproto.MIMEHeader{}
	var altBuf bytes.Buffer
	alt := multipart.NewWriter(&altBuf)
	altHeader.Set("Content-Type", `multipart/alternative; boundary="`+alt.Boundary()+`"`)
	for _, part := range []struct{ ctype, body string }{{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", part.ctype)
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := alt.CreatePart(h)
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := alt.Close(); err != nil {
		return nil, err
	}
	w, err := mixed.CreatePart(altHeader)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(altBuf.Bytes()); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		h := textproto.MIMEHeader{}
		ctype := a.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.Set("Content-Type", mime.FormatMediaType(ctype, map[string]string{"name": a.Name}))
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
		h.Set("Content-Transfer-Encoding", "base64")
		w, err := mixed.CreatePart(h)
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			if _, err := w.Write([]byte(enc[:76] + "\r\n")); err != nil {
				return nil, err
			}
			enc = enc[76:]
		}
		if _, err := w.Write([]byte(enc + "\r\n")); err != nil {
			return nil, err
		}
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return append([]byte(head), buf.Bytes()...), nil
}

// Recipients returns the bare addresses of m.To, for the SMTP envelope.
func Recipients(to []string) ([]string, error) {
	var out []string
	for _, a := range to {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("email to %q: %w", a, err)
		}
		out = append(out, addr.Address)
	}
	return out, nil
}
