// Package mailtest reads a MIME message back the way a mail client does, for tests of what the
// deliver package sends.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
)

// Message is a parsed email.
type Message struct {
	Header      mail.Header
	Subject     string
	Text, HTML  string // the text part has the CRLF line ends mail uses
	Attachments map[string][]byte
}

// Parse reads raw: headers, the text and HTML alternatives, and base64 attachments by file name.
func Parse(raw []byte) (*Message, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	p := &Message{Header: m.Header, Attachments: map[string][]byte{}}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		return nil, err
	}
	return p, p.walk(m.Body, m.Header.Get("Content-Type"))
}

func (p *Message) walk(r io.Reader, ctype string) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := io.ReadAll(r)
		p.Text = string(body)
		return err
	}
	mr := multipart.NewReader(r, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", mt, err)
		}
		ct := part.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "multipart/") {
			if err := p.walk(part, ct); err != nil {
				return err
			}
			continue
		}
		body, err := io.ReadAll(part) // quoted-printable is decoded by the multipart reader
		if err != nil {
			return err
		}
		if name := part.FileName(); name != "" {
			if p.Attachments[name], err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", "")); err != nil {
				return fmt.Errorf("attachment %s: %w", name, err)
			}
			continue
		}
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(body)
		}
	}
}
