package deliver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hubreport/hubreport/internal/deliver/mailtest"
)

// smtpServer is a real SMTP server (emersion/go-smtp) on a loopback socket, with STARTTLS and
// AUTH PLAIN, that keeps what it receives.
type smtpServer struct {
	addr      string
	clientTLS *tls.Config
	mu        sync.Mutex
	got       []received
	authed    []string
	sawTLS    bool
}

type received struct {
	from string
	to   []string
	data []byte
}

type session struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  received
	user string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "reporter" || pass != "s3cret" {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.msg.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.msg)
	s.srv.authed = append(s.srv.authed, s.user)
	s.srv.sawTLS = s.srv.sawTLS || isTLS
	s.srv.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

func startSMTP(t *testing.T, offerTLS bool) *smtpServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := &smtpServer{clientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: srv, conn: c}, nil }))
	s.Domain = "127.0.0.1"
	if offerTLS {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	srv.addr = ln.Addr().String()
	return srv
}

func testMessage() Message {
	return Message{From: "Compliance <compliance@example.com>", To: []string{"ciso@example.com", "Ops Team <ops@example.com>"},
		Subject: "[acme] Security Hub compliance 2025-02-23: 76% ✓", HTML: "<p>Summary <b>76%</b></p>", Text: "Summary 76%\n",
		Attachments: []Attachment{{Name: "report.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.7 fake")},
			{Name: "report.xlsx", Data: bytes.Repeat([]byte{0, 1, 2, 250}, 5000)}},
		Date: time.Date(2025, 2, 24, 7, 0, 0, 0, time.UTC)}
}

func checkMessage(t *testing.T, raw []byte) {
	t.Helper()
	want := testMessage()
	p, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Mail has CRLF line ends; the text part's LF came back as CRLF.
	if p.Subject != want.Subject || strings.ReplaceAll(p.Text, "\r\n", "\n") != want.Text || p.HTML != want.HTML {
		t.Errorf("read back subject %q text %q html %q", p.Subject, p.Text, p.HTML)
	}
	for _, a := range want.Attachments {
		if !bytes.Equal(p.Attachments[a.Name], a.Data) {
			t.Errorf("attachment %s: %d bytes back, sent %d", a.Name, len(p.Attachments[a.Name]), len(a.Data))
		}
	}
}

func TestSMTPDeliversOverSTARTTLSWithAuth(t *testing.T) {
	srv := startSMTP(t, true)
	host, port, _ := net.SplitHostPort(srv.addr)
	m := testMessage()
	raw, err := Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	s := SMTP{Host: host, Port: atoi(port), StartTLS: true, Username: "reporter", Password: "s3cret", TLSConfig: srv.clientTLS, Timeout: 5 * time.Second}
	if err := s.Send(context.Background(), m.From, m.To, raw); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.got) != 1 || !srv.sawTLS || srv.authed[0] != "reporter" {
		t.Fatalf("server got %d messages, TLS %v, auth %v", len(srv.got), srv.sawTLS, srv.authed)
	}
	g := srv.got[0]
	if g.from != "compliance@example.com" || strings.Join(g.to, ",") != "ciso@example.com,ops@example.com" {
		t.Errorf("envelope from %q to %v", g.from, g.to)
	}
	checkMessage(t, g.data)
}

func TestSMTPRefusesWithoutSTARTTLS(t *testing.T) {
	srv := startSMTP(t, false)
	host, port, _ := net.SplitHostPort(srv.addr)
	raw, _ := Compose(testMessage())
	s := SMTP{Host: host, Port: atoi(port), StartTLS: true, Username: "reporter", Password: "s3cret", Timeout: 5 * time.Second}
	err := s.Send(context.Background(), "compliance@example.com", []string{"ciso@example.com"}, raw)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v, want a refusal naming STARTTLS (and never the password)", err)
	}
	// Wrong password: refused, and the error names the user, not the password.
	srv = startSMTP(t, true)
	host, port, _ = net.SplitHostPort(srv.addr)
	s = SMTP{Host: host, Port: atoi(port), StartTLS: true, Username: "reporter", Password: "wrong-pass", TLSConfig: srv.clientTLS, Timeout: 5 * time.Second}
	err = s.Send(context.Background(), "compliance@example.com", []string{"ciso@example.com"}, raw)
	if err == nil || !strings.Contains(err.Error(), "AUTH as reporter") || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("err = %v", err)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
