package channels

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newMailer(t *testing.T, cfg SMTPConfig) *Mailer {
	t.Helper()
	m, err := NewMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// decoded is a received message, parsed back.
type decoded struct {
	header  mail.Header
	subject string
	body    string
}

func decodeMessage(t *testing.T, data []byte) decoded {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters (RFC 5322 allows 998)", i, len(line))
		}
		if line == "" {
			break // end of the header: header lines are checked for 78
		}
		if len(line) > 78 {
			t.Errorf("header line %d has %d characters: %q", i, len(line), line)
		}
	}
	if !utf8Clean(data) {
		t.Error("message contains 8-bit bytes; it must be 7-bit after transfer encoding")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	var r io.Reader
	switch cte := msg.Header.Get("Content-Transfer-Encoding"); cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, msg.Body)
	case "quoted-printable":
		r = quotedprintable.NewReader(msg.Body)
	default:
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return decoded{header: msg.Header, subject: subject, body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

func utf8Clean(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func TestSendMailDeliversEncodedText(t *testing.T) {
	cases := []struct {
		lang, subject, body, cte string
	}{
		{"ar", "رسالة جديدة من الروضة", "لديك رسالة جديدة من الروضة.\nافتح تطبيق Tillit لقراءتها.\n", "base64"},
		{"ti", "ሓድሽ መልእኽቲ ካብ መውዓሊ ህጻናት", "ካብ መውዓሊ ህጻናት ሓድሽ መልእኽቲ ኣሎኩም።\nንምንባቡ Tillit ክፈቱ።\n", "base64"},
		{"nb", "Ny melding fra barnehagen – åpne Tillit", "Du har fått en ny melding fra barnehagen.\n.\n..en linje som starter med punktum\nHilsen Tillit\n", "quoted-printable"},
		{"fa-AF", strings.Repeat("پیام تازه از کودکستان، ", 6), "پیام تازه", "base64"},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			srv := newTestSMTPServer(t).start()
			var logs bytes.Buffer
			cfg := srv.config()
			cfg.Log = slog.New(slog.NewTextHandler(&logs, nil))
			m := newMailer(t, cfg)
			fixed := time.Date(2025, 3, 4, 8, 30, 0, 0, time.UTC)
			m.now = func() time.Time { return fixed }
			err := m.SendMail(context.Background(), Mail{To: "Forelder <forelder@example.org>", Subject: c.subject, TextBody: c.body, Lang: c.lang})
			if err != nil {
				t.Fatal(err)
			}
			_, commands, auths, msgs := srv.snapshot()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			got := msgs[0]
			if !got.TLS || got.AuthUser != "barnehage" {
				t.Errorf("message sent with TLS=%v as %q; want TLS as barnehage", got.TLS, got.AuthUser)
			}
			if len(auths) != 1 || auths[0] != "barnehage:hemmelig" {
				t.Errorf("AUTH received %q", auths)
			}
			for _, cmd := range commands {
				if cmd == "AUTH" {
					t.Error("AUTH was sent before STARTTLS")
				}
			}
			if got.From != "varsel@barnehage.example" || got.To != "forelder@example.org" {
				t.Errorf("envelope %q -> %q", got.From, got.To)
			}
			d := decodeMessage(t, got.Data)
			if d.subject != c.subject {
				t.Errorf("subject %q, want %q", d.subject, c.subject)
			}
			if want := normalizeNewlines(c.body); strings.TrimSuffix(d.body, "\n") != strings.TrimSuffix(want, "\n") {
				t.Errorf("body %q, want %q", d.body, want)
			}
			h := d.header
			if ct := h.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cte := h.Get("Content-Transfer-Encoding"); cte != c.cte {
				t.Errorf("Content-Transfer-Encoding %q, want %q", cte, c.cte)
			}
			if cl := h.Get("Content-Language"); cl != c.lang {
				t.Errorf("Content-Language %q", cl)
			}
			if h.Get("MIME-Version") != "1.0" || h.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("MIME-Version %q, Auto-Submitted %q", h.Get("MIME-Version"), h.Get("Auto-Submitted"))
			}
			if !regexp.MustCompile(`^<[0-9a-f]{32}@barnehage\.example>$`).MatchString(h.Get("Message-ID")) {
				t.Errorf("Message-ID %q", h.Get("Message-ID"))
			}
			if date, err := h.Date(); err != nil || !date.Equal(fixed) {
				t.Errorf("Date %q: %v", h.Get("Date"), err)
			}
			from, err := mail.ParseAddress(h.Get("From"))
			if err != nil || from.Address != "varsel@barnehage.example" || from.Name != "Tillit" {
				t.Errorf("From %q", h.Get("From"))
			}
			if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != "forelder@example.org" {
				t.Errorf("To %q", h.Get("To"))
			}
			if strings.Contains(strings.ToLower(string(got.Data)), "text/html") {
				t.Error("message contains HTML")
			}
			// No personal data or content in the log.
			for _, secret := range []string{"forelder@example.org", c.subject, "Forelder"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("log contains %q: %s", secret, logs.String())
				}
			}
			if !strings.Contains(logs.String(), "smtp sent") {
				t.Errorf("no log line for the send: %s", logs.String())
			}
		})
	}
}

func TestSendMailClassifiesFailures(t *testing.T) {
	mailTo := Mail{To: "forelder@example.org", Subject: "Ny melding", TextBody: "Du har en ny melding.", Lang: "nb"}
	cases := []struct {
		name      string
		setup     func(s *testSMTPServer, cfg *SMTPConfig)
		temporary bool
		code      int
		is        error
		noAuth    bool // the server must not have received credentials
	}{
		{name: "recipient refused 550", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.RcptReply = "550 5.1.1 user unknown" }, code: 550},
		{name: "recipient deferred 451", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.RcptReply = "451 4.3.0 try again later" }, temporary: true, code: 451},
		{name: "connection dropped at MAIL", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.DropAt = "MAIL" }, temporary: true},
		{name: "connection dropped after data", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.DropAt = "DATA-END" }, temporary: true},
		{name: "busy greeting 421", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.Greeting = "421 4.3.2 too busy" }, temporary: true, code: 421, noAuth: true},
		{name: "wrong password 535", setup: func(_ *testSMTPServer, c *SMTPConfig) { c.Password = "feil" }, code: 535},
		{name: "starttls required but not offered", setup: func(s *testSMTPServer, _ *SMTPConfig) { s.OfferTLS = false }, is: ErrNoStartTLS, noAuth: true},
		{name: "opportunistic without tls keeps credentials", setup: func(s *testSMTPServer, c *SMTPConfig) {
			s.OfferTLS = false
			c.StartTLS = StartTLSOpportunistic
		}, is: ErrCleartextAuth, noAuth: true},
		{name: "untrusted certificate", setup: func(_ *testSMTPServer, c *SMTPConfig) { c.TLS = nil }, noAuth: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newTestSMTPServer(t)
			cfg := srv.config()
			c.setup(srv, &cfg)
			srv.start()
			err := newMailer(t, cfg).SendMail(context.Background(), mailTo)
			if err == nil {
				t.Fatal("SendMail succeeded")
			}
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SendError", err)
			}
			if IsTemporary(err) != c.temporary || IsPermanent(err) == c.temporary {
				t.Errorf("temporary=%v, want %v: %v", IsTemporary(err), c.temporary, err)
			}
			if se.Code != c.code {
				t.Errorf("code %d, want %d: %v", se.Code, c.code, err)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v does not wrap %v", err, c.is)
			}
			_, commands, auths, msgs := srv.snapshot()
			if len(msgs) != 0 {
				t.Errorf("server stored %d messages", len(msgs))
			}
			if c.noAuth && len(auths) != 0 {
				t.Errorf("credentials were sent: %q", auths)
			}
			if c.noAuth {
				for _, cmd := range commands {
					if strings.HasPrefix(cmd, "AUTH") || strings.HasPrefix(cmd, "MAIL") {
						t.Errorf("client sent %s", cmd)
					}
				}
			}
		})
	}
}

func TestSendMailOpportunisticWithoutCredentialsSendsInClear(t *testing.T) {
	srv := newTestSMTPServer(t)
	srv.OfferTLS = false
	srv.start()
	cfg := srv.config()
	cfg.Username, cfg.Password = "", ""
	cfg.StartTLS = StartTLSOpportunistic
	if err := newMailer(t, cfg).SendMail(context.Background(), Mail{To: "a@example.org", Subject: "Hei", TextBody: "Ny melding.", Lang: "nb"}); err != nil {
		t.Fatal(err)
	}
	_, _, auths, msgs := srv.snapshot()
	if len(msgs) != 1 || msgs[0].TLS || len(auths) != 0 {
		t.Fatalf("messages %d (tls %v), auths %q", len(msgs), len(msgs) == 1 && msgs[0].TLS, auths)
	}
}

func TestSendMailNoneModeToLocalhost(t *testing.T) {
	srv := newTestSMTPServer(t).start()
	cfg := srv.config()
	cfg.Username, cfg.Password = "", ""
	cfg.StartTLS = StartTLSNone
	if err := newMailer(t, cfg).SendMail(context.Background(), Mail{To: "a@example.org", Subject: "Hei", TextBody: "Ny melding.", Lang: "nb"}); err != nil {
		t.Fatal(err)
	}
	_, commands, _, msgs := srv.snapshot()
	if len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("want one message in clear, got %d", len(msgs))
	}
	for _, c := range commands {
		if c == "STARTTLS" {
			t.Error("mode none sent STARTTLS")
		}
	}
}

func TestSendMailCancelled(t *testing.T) {
	srv := newTestSMTPServer(t)
	srv.StallAt = "MAIL" // stops answering in the middle of the session
	srv.start()
	cfg := srv.config()
	cfg.Timeout = time.Hour // only the cancellation can end the session
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-srv.stalled
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		done <- newMailer(t, cfg).SendMail(ctx, Mail{To: "a@example.org", Subject: "Hei", TextBody: "x", Lang: "nb"})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !IsTemporary(err) {
			t.Fatalf("got %v; want a temporary error wrapping context.Canceled", err)
		}
	case <-time.After(time.Minute): // a liveness bound, not a measurement
		t.Fatal("SendMail ignored the cancelled context")
	}
}

func TestSendMailRejectsBadInputBeforeConnecting(t *testing.T) {
	srv := newTestSMTPServer(t).start()
	m := newMailer(t, srv.config())
	ok := Mail{To: "a@example.org", Subject: "Hei", TextBody: "Ny melding.", Lang: "nb"}
	bad := map[string]func(*Mail){
		"header injection in subject": func(m *Mail) { m.Subject = "Hei\r\nBcc: alle@example.org" },
		"header injection in to":      func(m *Mail) { m.To = "a@example.org\r\nBcc: b@example.org" },
		"two recipients":              func(m *Mail) { m.To = "a@example.org, b@example.org" },
		"no recipient":                func(m *Mail) { m.To = "" },
		"empty subject":               func(m *Mail) { m.Subject = " " },
		"empty body":                  func(m *Mail) { m.TextBody = "" },
		"invalid utf-8":               func(m *Mail) { m.TextBody = "hei \xff" },
		"control character":           func(m *Mail) { m.TextBody = "hei \x1b[31m" },
		"no language":                 func(m *Mail) { m.Lang = "" },
		"bad language":                func(m *Mail) { m.Lang = "nb\r\nX: y" },
		"enormous body":               func(m *Mail) { m.TextBody = strings.Repeat("a", MaxMailBody+1) },
		"long subject":                func(m *Mail) { m.Subject = strings.Repeat("ا", MaxSubjectRunes+1) },
	}
	for name, change := range bad {
		t.Run(name, func(t *testing.T) {
			msg := ok
			change(&msg)
			err := m.SendMail(context.Background(), msg)
			if !errors.Is(err, ErrInvalid) || !IsPermanent(err) {
				t.Fatalf("got %v; want a permanent ErrInvalid", err)
			}
		})
	}
	if conns, _, _, _ := srv.snapshot(); conns != 0 {
		t.Errorf("%d connections for invalid mail", conns)
	}
	if err := m.SendMail(context.Background(), ok); err != nil {
		t.Fatalf("the valid mail failed: %v", err)
	}
}

func TestNewMailerConfig(t *testing.T) {
	base := SMTPConfig{Host: "smtp.example.org", From: "varsel@barnehage.example"}
	if m, err := NewMailer(base); err != nil || m.cfg.Port != 587 || m.cfg.StartTLS != StartTLSRequired {
		t.Fatalf("defaults: %v %+v", err, m)
	}
	bad := map[string]func(*SMTPConfig){
		"none on a remote host":  func(c *SMTPConfig) { c.StartTLS = StartTLSNone },
		"none with credentials":  func(c *SMTPConfig) { c.Host, c.StartTLS, c.Username, c.Password = "127.0.0.1", StartTLSNone, "u", "p" },
		"unknown mode":           func(c *SMTPConfig) { c.StartTLS = "sometimes" },
		"no host":                func(c *SMTPConfig) { c.Host = "" },
		"host with port":         func(c *SMTPConfig) { c.Host = "smtp.example.org:25" },
		"bad port":               func(c *SMTPConfig) { c.Port = 70000 },
		"no from":                func(c *SMTPConfig) { c.From = "" },
		"from without domain":    func(c *SMTPConfig) { c.From = "varsel" },
		"password, no username":  func(c *SMTPConfig) { c.Password = "p" },
		"hello name with spaces": func(c *SMTPConfig) { c.HelloName = "a b" },
	}
	for name, change := range bad {
		c := base
		change(&c)
		if _, err := NewMailer(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		c := base
		c.Host, c.StartTLS = host, StartTLSNone
		if _, err := NewMailer(c); err != nil {
			t.Errorf("none on %s: %v", host, err)
		}
	}
}

func TestEncodeHeaderFoldsAndRoundTrips(t *testing.T) {
	for _, subject := range []string{
		"Kort emne",
		strings.Repeat("Et langt norsk emne som må brettes over flere linjer ", 3),
		strings.Repeat("ኣብ መውዓሊ ህጻናት ሓድሽ ነገር ኣሎ ", 5),
		"Looks like =?utf-8?q?encoded?= but is not",
	} {
		h := encodeHeader("Subject", subject)
		for _, line := range strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n") {
			if len(line) > 78 {
				t.Errorf("line of %d characters: %q", len(line), line)
			}
		}
		r := textproto.NewReader(bufioReader(h + "\r\n"))
		hdr, err := r.ReadMIMEHeader()
		if err != nil {
			t.Fatal(err)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(hdr.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(subject), " ") {
			t.Errorf("round trip %q -> %q", subject, got)
		}
	}
}
