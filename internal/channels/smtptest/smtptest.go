// Package smtptest runs a small SMTP server on 127.0.0.1 for tests, in
// the spirit of net/http/httptest: EHLO with STARTTLS (a certificate made
// for the run), MAIL, RCPT, DATA, RSET, NOOP, QUIT. It records what was
// delivered, and can refuse recipients to test temporary and permanent
// failures. Mailer gives a real channels.Mailer that trusts it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"tillit/internal/channels"
)

// Message is one delivered e-mail.
type Message struct {
	To   string
	Data []byte // the message as sent, with LF line ends
	TLS  bool   // delivered after STARTTLS
}

// Server is a running test SMTP server.
type Server struct {
	ln    net.Listener
	cert  tls.Certificate
	roots *x509.CertPool

	mu        sync.Mutex
	rcptReply string
	got       []Message
	wg        sync.WaitGroup
}

// Start starts a server that is closed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	cert, roots := certificate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, cert: cert, roots: roots, rcptReply: "250 2.1.5 OK"}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.session(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// SetRcptReply sets the answer to RCPT TO, e.g. "451 4.3.0 try later" or
// "550 5.1.1 no such user"; "250 …" accepts.
func (s *Server) SetRcptReply(reply string) {
	s.mu.Lock()
	s.rcptReply = reply
	s.mu.Unlock()
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

// Port is the server's port on 127.0.0.1.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Mailer is a real channels.Mailer (STARTTLS required) that trusts the
// server's certificate.
func (s *Server) Mailer(t testing.TB) *channels.Mailer {
	t.Helper()
	m, err := channels.NewMailer(channels.SMTPConfig{
		Host: "127.0.0.1", Port: s.Port(), From: "Tillit <varsel@barnehage.example>",
		TLS: &tls.Config{RootCAs: s.roots}, Timeout: 10 * time.Second, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (s *Server) session(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 127.0.0.1 ESMTP smtptest")
	encrypted := false
	var to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			if encrypted {
				tp.PrintfLine("250-127.0.0.1\r\n250 8BITMIME")
			} else {
				tp.PrintfLine("250-127.0.0.1\r\n250-8BITMIME\r\n250 STARTTLS")
			}
		case "STARTTLS":
			if encrypted {
				tp.PrintfLine("503 already encrypted")
				continue
			}
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, encrypted = tc, true
			tp = textproto.NewConn(conn)
		case "MAIL":
			tp.PrintfLine("250 2.1.0 OK")
		case "RCPT":
			s.mu.Lock()
			reply := s.rcptReply
			s.mu.Unlock()
			if strings.HasPrefix(reply, "250") {
				to = strings.Trim(strings.TrimPrefix(strings.TrimPrefix(arg, "TO:"), "to:"), "<> ")
			}
			tp.PrintfLine("%s", reply)
		case "DATA":
			if to == "" {
				tp.PrintfLine("503 5.5.1 no recipient")
				continue
			}
			tp.PrintfLine("354 end with .")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, Message{To: to, Data: data, TLS: encrypted})
			s.mu.Unlock()
			tp.PrintfLine("250 2.0.0 queued")
			to = ""
		case "RSET", "NOOP":
			tp.PrintfLine("250 OK")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 5.5.2 not implemented")
		}
	}
}

// certificate makes a self-signed certificate for 127.0.0.1.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
