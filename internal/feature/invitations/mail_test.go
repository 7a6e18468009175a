package invitations_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html/template"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/webtest"
)

// mailServer is a tiny SMTP server on 127.0.0.1 for these tests: EHLO
// with STARTTLS (a certificate made here), MAIL, RCPT, DATA, QUIT. It
// records what was delivered.
type mailServer struct {
	ln    net.Listener
	cert  tls.Certificate
	roots *x509.CertPool
	// rcptReply is the answer to RCPT TO ("250 OK" unless set).
	rcptReply string

	mu  sync.Mutex
	got []delivered
	wg  sync.WaitGroup
}

type delivered struct {
	To   string
	Data []byte
	TLS  bool
}

func makeCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "invitations test smtp"},
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

func startMailServer(t *testing.T, rcptReply string) *mailServer {
	t.Helper()
	cert, roots := makeCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &mailServer{ln: ln, cert: cert, roots: roots, rcptReply: rcptReply}
	if s.rcptReply == "" {
		s.rcptReply = "250 2.1.5 OK"
	}
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

func (s *mailServer) session(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 127.0.0.1 ESMTP invitations-test")
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
			if !strings.HasPrefix(s.rcptReply, "250") {
				tp.PrintfLine("%s", s.rcptReply)
				continue
			}
			to = strings.Trim(strings.TrimPrefix(strings.TrimPrefix(arg, "TO:"), "to:"), "<> ")
			tp.PrintfLine("%s", s.rcptReply)
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
			s.got = append(s.got, delivered{To: to, Data: data, TLS: encrypted})
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

func (s *mailServer) messages() []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivered(nil), s.got...)
}

// mailer is a real channels.Mailer that trusts the test server.
func (s *mailServer) mailer(t *testing.T) *channels.Mailer {
	t.Helper()
	m, err := channels.NewMailer(channels.SMTPConfig{
		Host: "127.0.0.1", Port: s.ln.Addr().(*net.TCPAddr).Port,
		From: "Tillit <varsel@barnehage.example>", TLS: &tls.Config{RootCAs: s.roots},
		Timeout: 10 * time.Second, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readMail decodes a delivered message: header, subject and text body.
func readMail(t *testing.T, raw []byte) (h mail.Header, subject, body string) {
	t.Helper()
	m, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, raw)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, m.Body)
	case "quoted-printable":
		r = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return m.Header, subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

var linkRE = regexp.MustCompile(`value="(http://127\.0\.0\.1:\d+(/invite/[A-Za-z0-9_-]+))"`)

func pageSays(t *testing.T, body, key string) {
	t.Helper()
	if !strings.Contains(body, template.HTMLEscapeString(nb.T(key))) {
		t.Fatalf("the page does not say %s:\n%s", key, body)
	}
}

func pageDoesNotSay(t *testing.T, body string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if strings.Contains(body, template.HTMLEscapeString(nb.T(k))) {
			t.Fatalf("the page says %s:\n%s", k, body)
		}
	}
}

func TestInvitationMailedInGuardiansLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ms := startMailServer(t, "")
		s.Env.Mail = ms.mailer(t)
		leader := s.Login(t, "leader", webtest.Password)

		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Amina Haddad", "amina@example.org", "ar", "en"))
		code, invID := presented(t, res)
		lm := linkRE.FindStringSubmatch(res.Body)
		if lm == nil {
			t.Fatalf("no link on the page:\n%s", res.Body)
		}
		link, linkPath := lm[1], lm[2]
		pageSays(t, res.Body, "invitations.present.mail_sent")
		if !strings.Contains(res.Body, `<bdi dir="ltr">amina@example.org</bdi>`) {
			t.Fatalf("the page does not name the address:\n%s", res.Body)
		}
		pageDoesNotSay(t, res.Body, "invitations.present.mail_no_address", "invitations.present.mail_failed")

		msgs := ms.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want 1", len(msgs))
		}
		m := msgs[0]
		if m.To != "amina@example.org" || !m.TLS {
			t.Fatalf("mail to %q (tls %v)", m.To, m.TLS)
		}
		h, subject, body := readMail(t, m.Data)
		ar := i18n.New("ar")
		var kg, child string
		if err := d.R.QueryRow(`SELECT k.name, c.first_name FROM children c JOIN kindergartens k ON k.id = c.kindergarten_id WHERE c.id = $1`, w.ChildA1).Scan(&kg, &child); err != nil {
			t.Fatal(err)
		}
		if h.Get("Content-Language") != "ar" || subject != ar.T("invitations.mail.subject", "Kindergarten", kg) {
			t.Fatalf("language %q, subject %q", h.Get("Content-Language"), subject)
		}
		var expires int64
		if err := d.R.QueryRow(`SELECT expires_at FROM invitations WHERE id = $1`, invID).Scan(&expires); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{link, code, ar.T("invitations.mail.ignore"), ar.T("invitations.mail.link"),
			ar.Date(time.Unix(expires, 0)), ar.T("invitations.mail.intro", "Kindergarten", kg)} {
			if !strings.Contains(body, want) {
				t.Fatalf("the mail lacks %q:\n%s", want, body)
			}
		}
		// No other personal data: not the child, not the guardian's name,
		// not the staff member.
		for _, never := range []string{child, "Amina", "+4741234567"} {
			if strings.Contains(body, never) || strings.Contains(subject, never) {
				t.Fatalf("the mail contains %q:\n%s", never, body)
			}
		}
		// The mailed link works: it opens the accept page.
		if got := s.Anonymous(t).Get(linkPath); got.Status != http.StatusOK {
			t.Fatalf("mailed link: status %d", got.Status)
		}

		// A new code is mailed too, and the old link stops working.
		res = leader.PostForm(path("/invitations/%d/renew", invID), nil)
		code2, _ := presented(t, res)
		pageSays(t, res.Body, "invitations.present.mail_sent")
		msgs = ms.messages()
		if len(msgs) != 2 || msgs[1].To != "amina@example.org" {
			t.Fatalf("after renew: %d mails", len(msgs))
		}
		_, _, body2 := readMail(t, msgs[1].Data)
		if !strings.Contains(body2, code2) || strings.Contains(body2, code) || strings.Contains(body2, link) {
			t.Fatalf("renewed mail:\n%s", body2)
		}
	})
}

func TestInvitationWithoutAddressIsNotMailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ms := startMailServer(t, "")
		s.Env.Mail = ms.mailer(t)
		leader := s.Login(t, "leader", webtest.Password)
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Ola Utenpost", "", "nb"))
		presented(t, res)
		pageSays(t, res.Body, "invitations.present.mail_no_address")
		pageDoesNotSay(t, res.Body, "invitations.present.mail_sent", "invitations.present.mail_failed")
		if n := len(ms.messages()); n != 0 {
			t.Fatalf("%d mails sent to nobody", n)
		}
	})
}

func TestInvitationSurvivesRefusedMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ms := startMailServer(t, "550 5.1.1 mailbox unavailable")
		s.Env.Mail = ms.mailer(t)
		leader := s.Login(t, "leader", webtest.Password)
		before := counts(t, d)
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Nadia Feil", "nadia@example.org", "so"))
		code, invID := presented(t, res)
		pageSays(t, res.Body, "invitations.present.mail_failed")
		pageDoesNotSay(t, res.Body, "invitations.present.mail_sent", "invitations.present.mail_no_address")
		if got := counts(t, d); got != [3]int{before[0] + 1, before[1] + 1, before[2] + 1} {
			t.Fatalf("rows %v → %v", before, got)
		}
		var n int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM invitations WHERE id = $1 AND accepted_at IS NULL`, invID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("invitation %d: %d rows, %v", invID, n, err)
		}
		if len(ms.messages()) != 0 {
			t.Fatal("the refused mail was recorded as delivered")
		}
		// The code on the page works.
		if got := s.Anonymous(t).PostForm("/invite", map[string][]string{"code": {code}}); got.Status != http.StatusOK {
			t.Fatalf("code from the page: status %d", got.Status)
		}
	})
}

func TestNoMailerNoMailNotice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := s.Login(t, "leader", webtest.Password)
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Kari Utenserver", "kari@example.org", "nb"))
		presented(t, res)
		pageDoesNotSay(t, res.Body, "invitations.present.mail_sent", "invitations.present.mail_no_address", "invitations.present.mail_failed")
	})
}
