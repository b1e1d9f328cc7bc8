package mailtest

import (
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
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a real SMTP server (emersion/go-smtp) on a loopback socket, with STARTTLS (when
// started with it) and AUTH PLAIN as User with Password, that keeps what it receives. It lives
// here rather than in one package's tests so that every package sending mail tests against it.
type Server struct {
	Host string
	Port int
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config
	mu        sync.Mutex
	got       []Received
	sawTLS    bool
	refuse    map[string]bool
}

// Refuse makes the server refuse RCPT TO addr (550), as a server does for an unknown mailbox.
func (s *Server) Refuse(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse == nil {
		s.refuse = map[string]bool{}
	}
	s.refuse[addr] = true
}

// The credentials the server takes.
const (
	User     = "reporter"
	Password = "s3cret"
)

// Received is one message as the server got it: the envelope, the data, and who sent it.
type Received struct {
	From   string
	To     []string
	Data   []byte
	Authed string // the AUTH user
}

// Received returns the messages received so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// SawTLS says whether a message came over TLS.
func (s *Server) SawTLS() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sawTLS
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

type session struct {
	srv  *Server
	conn *smtp.Conn
	msg  Received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		s.msg.Authed = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.msg.Authed == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.msg.From = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	refused := s.srv.refuse[to]
	s.srv.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.msg)
	s.srv.sawTLS = s.srv.sawTLS || isTLS
	s.srv.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.msg = Received{Authed: s.msg.Authed} }
func (s *session) Logout() error { return nil }

// Start starts a server on 127.0.0.1, offering STARTTLS with a certificate of its own when
// offerTLS is set, and stops it when the test ends.
func Start(t testing.TB, offerTLS bool) *Server {
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
	srv := &Server{ClientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: srv, conn: c}, nil }))
	s.Domain = "127.0.0.1"
	if offerTLS {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }() // returns when the test's cleanup closes the server
	t.Cleanup(func() { _ = s.Close() })
	srv.Host = "127.0.0.1"
	srv.Port = ln.Addr().(*net.TCPAddr).Port
	return srv
}
