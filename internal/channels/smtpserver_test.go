package channels

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"log/slog"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSMTPServer is a small SMTP server (RFC 5321 with STARTTLS, RFC 3207,
// and AUTH PLAIN, RFC 4954) on 127.0.0.1 that records what it receives.
// Its behaviour is set by the fields before the first connection.
type testSMTPServer struct {
	t    testing.TB
	ln   net.Listener
	addr *net.TCPAddr
	cert tls.Certificate
	// Roots trusts the server's self-signed certificate.
	Roots *x509.CertPool

	OfferTLS  bool   // advertise STARTTLS
	Greeting  string // default "220 127.0.0.1 ESMTP test"
	RcptReply string // default "250 2.1.5 OK"
	DropAt    string // close the connection on this verb ("MAIL"), or "DATA-END" after the data
	StallAt   string // on this verb, stop answering (and send on stalled)
	User      string
	Pass      string

	mu          sync.Mutex
	conns       int
	commands    []string // verbs, with " (tls)" when encrypted
	auths       []string // "user:pass" as received
	messages    []smtpMessage
	accepted    chan struct{} // one value per accepted connection
	stalled     chan struct{} // one value per stalled session
	open        []net.Conn
	connections sync.WaitGroup
}

type smtpMessage struct {
	From, To string
	Data     []byte
	TLS      bool
	AuthUser string
}

func newTestSMTPServer(t testing.TB) *testSMTPServer {
	t.Helper()
	cert, roots := selfSignedCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMTPServer{t: t, ln: ln, addr: ln.Addr().(*net.TCPAddr), cert: cert, Roots: roots,
		OfferTLS: true, User: "barnehage", Pass: "hemmelig", accepted: make(chan struct{}, 100), stalled: make(chan struct{}, 100)}
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.open {
			c.Close()
		}
		s.mu.Unlock()
		s.connections.Wait()
	})
	return s
}

// start begins accepting; call after setting the fields.
func (s *testSMTPServer) start() *testSMTPServer {
	go func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.open = append(s.open, c)
			s.mu.Unlock()
			select {
			case s.accepted <- struct{}{}:
			default:
			}
			s.connections.Add(1)
			go func() {
				defer s.connections.Done()
				s.serve(c)
			}()
		}
	}()
	return s
}

func (s *testSMTPServer) config() SMTPConfig {
	return SMTPConfig{
		Host:     "127.0.0.1",
		Port:     s.addr.Port,
		Username: s.User,
		Password: s.Pass,
		From:     "Tillit <varsel@barnehage.example>",
		TLS:      &tls.Config{RootCAs: s.Roots},
		Timeout:  10 * time.Second,
		Log:      slog.New(slog.DiscardHandler),
	}
}

func (s *testSMTPServer) snapshot() (conns int, commands, auths []string, msgs []smtpMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, append([]string(nil), s.commands...), append([]string(nil), s.auths...), append([]smtpMessage(nil), s.messages...)
}

func (s *testSMTPServer) serve(raw net.Conn) {
	conn := raw
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(conn)
	greeting := s.Greeting
	if greeting == "" {
		greeting = "220 127.0.0.1 ESMTP test"
	}
	tp.PrintfLine("%s", greeting)
	if !strings.HasPrefix(greeting, "220") {
		return
	}
	encrypted, helloed := false, false
	var authUser, from, to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		if encrypted {
			s.commands = append(s.commands, verb+" (tls)")
		} else {
			s.commands = append(s.commands, verb)
		}
		s.mu.Unlock()
		if verb == s.DropAt {
			return
		}
		if verb == s.StallAt {
			s.stalled <- struct{}{}
			// Wait, without a deadline, for the client to give up: it
			// closes the connection.
			raw.SetDeadline(time.Time{})
			conn.Read(make([]byte, 1))
			return
		}
		switch verb {
		case "EHLO":
			helloed = true
			lines := []string{"127.0.0.1 greets " + arg, "8BITMIME", "SIZE 1000000"}
			if s.OfferTLS && !encrypted {
				lines = append(lines, "STARTTLS")
			}
			// AUTH is offered even in clear, so that the client's refusal
			// to use it there is the client's own doing.
			lines = append(lines, "AUTH PLAIN")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, l)
			}
		case "HELO":
			helloed = true
			tp.PrintfLine("250 127.0.0.1")
		case "STARTTLS":
			if !s.OfferTLS || encrypted {
				tp.PrintfLine("502 5.5.1 not available")
				continue
			}
			tp.PrintfLine("220 2.0.0 ready to start TLS")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			conn = tc
			tp = textproto.NewConn(conn)
			encrypted, helloed, authUser, from, to = true, false, "", "", ""
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				tp.PrintfLine("504 5.5.4 unknown mechanism")
				continue
			}
			if initial == "" {
				tp.PrintfLine("334 ")
				if initial, err = tp.ReadLine(); err != nil {
					return
				}
			}
			dec, err := base64.StdEncoding.DecodeString(initial)
			parts := strings.Split(string(dec), "\x00")
			if err != nil || len(parts) != 3 {
				tp.PrintfLine("501 5.5.2 bad encoding")
				continue
			}
			s.mu.Lock()
			s.auths = append(s.auths, parts[1]+":"+parts[2])
			s.mu.Unlock()
			if parts[1] != s.User || parts[2] != s.Pass {
				tp.PrintfLine("535 5.7.8 authentication credentials invalid")
				continue
			}
			authUser = parts[1]
			tp.PrintfLine("235 2.7.0 authentication successful")
		case "MAIL":
			if !helloed {
				tp.PrintfLine("503 5.5.1 EHLO first")
				continue
			}
			from = angle(arg)
			tp.PrintfLine("250 2.1.0 OK")
		case "RCPT":
			if from == "" {
				tp.PrintfLine("503 5.5.1 MAIL first")
				continue
			}
			reply := s.RcptReply
			if reply == "" {
				reply = "250 2.1.5 OK"
			}
			if strings.HasPrefix(reply, "250") {
				to = angle(arg)
			}
			tp.PrintfLine("%s", reply)
		case "DATA":
			if to == "" {
				tp.PrintfLine("503 5.5.1 RCPT first")
				continue
			}
			tp.PrintfLine("354 end data with <CR><LF>.<CR><LF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			if s.DropAt == "DATA-END" {
				return
			}
			s.mu.Lock()
			s.messages = append(s.messages, smtpMessage{From: from, To: to, Data: crlf(data), TLS: encrypted, AuthUser: authUser})
			s.mu.Unlock()
			from, to = "", ""
			tp.PrintfLine("250 2.0.0 queued")
		case "RSET":
			from, to = "", ""
			tp.PrintfLine("250 2.0.0 OK")
		case "NOOP":
			tp.PrintfLine("250 2.0.0 OK")
		case "QUIT":
			tp.PrintfLine("221 2.0.0 bye")
			return
		default:
			tp.PrintfLine("502 5.5.2 command not recognised")
		}
	}
}

// crlf restores the CRLF line ends that ReadDotBytes turned into LF.
func crlf(b []byte) []byte {
	return []byte(strings.ReplaceAll(string(b), "\n", "\r\n"))
}

// angle takes the address from "FROM:<a@b> BODY=8BITMIME".
func angle(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost and a
// pool that trusts it.
func selfSignedCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tillit test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
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
