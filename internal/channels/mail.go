package channels

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// StartTLSMode says how a Mailer encrypts its connection.
type StartTLSMode string

const (
	// StartTLSRequired refuses to send unless the server offers STARTTLS
	// and the handshake (with certificate verification) succeeds.
	StartTLSRequired StartTLSMode = "required"
	// StartTLSOpportunistic uses STARTTLS when the server offers it and
	// sends in clear otherwise, but then never with credentials.
	StartTLSOpportunistic StartTLSMode = "opportunistic"
	// StartTLSNone never encrypts; allowed only for a relay on this
	// machine (localhost, 127.0.0.1, ::1) and without credentials.
	StartTLSNone StartTLSMode = "none"
)

// SMTPConfig configures a Mailer.
type SMTPConfig struct {
	// Host is the submission server's name or address.
	Host string
	// Port defaults to 587 (submission with STARTTLS).
	Port int
	// Username and Password, when set, are sent with AUTH PLAIN, and only
	// over an encrypted connection.
	Username string
	Password string
	// From is the sender, e.g. "Tillit <varsel@barnehage.example>".
	From string
	// StartTLS defaults to StartTLSRequired.
	StartTLS StartTLSMode
	// Timeout bounds a whole session (connect to QUIT); default 30 s.
	Timeout time.Duration
	// TLS is the client TLS configuration (e.g. RootCAs for a private CA).
	// ServerName defaults to Host. Nil means the system roots.
	TLS *tls.Config
	// HelloName is the name sent with EHLO; default "localhost".
	HelloName string
	// Log receives one line per send, without addresses or content.
	Log *slog.Logger
}

// Mail is one plain-text e-mail to one recipient.
type Mail struct {
	// To is one address, optionally with a display name.
	To string
	// Subject and TextBody are UTF-8 text in the recipient's language.
	Subject  string
	TextBody string
	// Lang is the BCP 47 tag of that language ("nb", "ar", "ti", "fa-AF").
	Lang string
}

// MailSender is what the messaging feature needs from the e-mail channel.
type MailSender interface {
	SendMail(ctx context.Context, m Mail) error
}

// Mailer sends e-mail through one SMTP submission server. It is safe for
// concurrent use; each SendMail opens its own connection.
type Mailer struct {
	cfg    SMTPConfig
	from   *mail.Address
	domain string
	log    *slog.Logger
	// now gives the Date header; tests may replace it.
	now func() time.Time
}

// Limits on what SendMail accepts.
const (
	MaxSubjectRunes = 250
	MaxMailBody     = 256 << 10
)

// ErrNoStartTLS is wrapped when StartTLSRequired is set and the server does
// not offer STARTTLS (or a man in the middle removed it).
var ErrNoStartTLS = errors.New("server does not offer STARTTLS")

// ErrCleartextAuth is wrapped when credentials are configured but the
// connection is not encrypted; they are not sent.
var ErrCleartextAuth = errors.New("refusing to send credentials over an unencrypted connection")

var langTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// NewMailer checks cfg and returns a Mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.StartTLS == "" {
		cfg.StartTLS = StartTLSRequired
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	bad := func(format string, args ...any) (*Mailer, error) {
		return nil, fmt.Errorf("smtp config: %w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, " \t\r\n/:") && net.ParseIP(cfg.Host) == nil {
		return bad("host %q", cfg.Host)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return bad("port %d", cfg.Port)
	}
	switch cfg.StartTLS {
	case StartTLSRequired, StartTLSOpportunistic:
	case StartTLSNone:
		if !isLoopback(cfg.Host) {
			return bad("starttls none is allowed only for localhost, not %q", cfg.Host)
		}
		if cfg.Username != "" {
			return bad("starttls none with credentials: they would travel unencrypted")
		}
	default:
		return bad("starttls mode %q (want required, opportunistic or none)", cfg.StartTLS)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return bad("password without username")
	}
	if strings.ContainsAny(cfg.HelloName, " \t\r\n") {
		return bad("hello name %q", cfg.HelloName)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return bad("from %q: %v", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 || at == len(from.Address)-1 {
		return bad("from %q has no domain", cfg.From)
	}
	return &Mailer{cfg: cfg, from: from, domain: from.Address[at+1:], log: cfg.Log, now: time.Now}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SendMail sends m. A non-nil error is a *SendError: see IsTemporary.
// The message may have been delivered even when the error is temporary
// (the connection broke after the server accepted the data), so a retry
// can, rarely, deliver it twice; it is never lost silently.
func (m *Mailer) SendMail(ctx context.Context, msg Mail) error {
	rcpt, data, id, err := m.build(msg)
	if err != nil {
		return err
	}
	if err := m.deliver(ctx, rcpt, data); err != nil {
		var se *SendError
		errors.As(err, &se)
		m.log.LogAttrs(ctx, slog.LevelWarn, "smtp send failed",
			slog.String("op", se.Op), slog.Int("code", se.Code), slog.Bool("temporary", se.Temporary), slog.String("message_id", id))
		return err
	}
	m.log.LogAttrs(ctx, slog.LevelInfo, "smtp sent", slog.String("message_id", id), slog.String("lang", msg.Lang), slog.Int("bytes", len(data)))
	return nil
}

// build validates msg and renders the message: envelope recipient, the
// bytes after DATA (CRLF line ends, not yet dot-stuffed) and the Message-ID.
func (m *Mailer) build(msg Mail) (rcpt string, data []byte, id string, err error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil || strings.ContainsAny(msg.To, "\r\n") {
		return "", nil, "", invalid("smtp", "recipient address")
	}
	if err := checkText(msg.Subject, false); err != nil {
		return "", nil, "", invalid("smtp", "subject: %v", err)
	}
	if utf8.RuneCountInString(msg.Subject) > MaxSubjectRunes {
		return "", nil, "", invalid("smtp", "subject longer than %d characters", MaxSubjectRunes)
	}
	if err := checkText(msg.TextBody, true); err != nil {
		return "", nil, "", invalid("smtp", "body: %v", err)
	}
	if len(msg.TextBody) > MaxMailBody {
		return "", nil, "", invalid("smtp", "body larger than %d bytes", MaxMailBody)
	}
	if !langTag.MatchString(msg.Lang) {
		return "", nil, "", invalid("smtp", "language tag %q", msg.Lang)
	}
	id = "<" + randomHex(16) + "@" + m.domain + ">"

	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", m.from.String())
	header("To", to.String())
	b.WriteString(encodeHeader("Subject", msg.Subject))
	header("Date", m.now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Language", msg.Lang)
	// RFC 3834: tells auto-responders (out of office) not to answer.
	header("Auto-Submitted", "auto-generated")
	body := normalizeNewlines(msg.TextBody)
	if preferBase64(body) {
		header("Content-Transfer-Encoding", "base64")
		b.WriteString("\r\n")
		writeBase64Lines(&b, []byte(strings.ReplaceAll(body, "\n", "\r\n")))
	} else {
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		qp := quotedprintable.NewWriter(&b)
		qp.Write([]byte(body))
		qp.Close()
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	}
	return to.Address, b.Bytes(), id, nil
}

// checkText accepts valid UTF-8 without control characters other than
// line breaks and tabs (and those only in a body) and without empty input.
func checkText(s string, multiline bool) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty")
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			if multiline {
				continue
			}
			return errors.New("contains a line break or tab")
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("contains control character U+%04X", r)
		}
	}
	return nil
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// preferBase64 picks the shorter transfer encoding: quoted-printable
// triples every non-ASCII byte, base64 grows everything by a third, so
// base64 wins once more than about a sixth of the bytes are non-ASCII
// (Arabic, Tigrinya, Dari...), QP for Norwegian and English.
func preferBase64(s string) bool {
	non := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			non++
		}
	}
	return non*5 > len(s)-non
}

func writeBase64Lines(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}

// encodeHeader renders "Name: value\r\n", with RFC 2047 encoded words for
// non-ASCII text, folded so that lines stay within 78 characters.
func encodeHeader(name, value string) string {
	ascii := true
	for i := 0; i < len(value); i++ {
		if value[i] >= 0x80 {
			ascii = false
			break
		}
	}
	var words []string
	switch {
	case ascii && !strings.Contains(value, "=?"):
		words = strings.Fields(value)
	case ascii:
		// Plain ASCII that looks like an encoded word would be decoded by
		// the reader; mime's encoder leaves ASCII alone, so encode it here.
		for len(value) > 0 {
			n := min(len(value), 45)
			words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(value[:n]))+"?=")
			value = value[n:]
		}
	default:
		enc := mime.QEncoding
		if preferBase64(value) {
			enc = mime.BEncoding
		}
		// The encoder splits long text into encoded words of at most 75
		// characters, separated by single spaces.
		words = strings.Split(enc.Encode("utf-8", value), " ")
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(":")
	line := len(name) + 1
	for _, w := range words {
		if line+1+len(w) > 78 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" ")
		b.WriteString(w)
		line += 1 + len(w)
	}
	b.WriteString("\r\n")
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deliver runs one SMTP session.
func (m *Mailer) deliver(ctx context.Context, rcpt string, data []byte) (err error) {
	op := "dial"
	defer func() {
		if err != nil {
			err = classifySMTP(ctx, op, err)
		}
	}()
	deadline := time.Now().Add(m.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialer := net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port)))
	if err != nil {
		return err
	}
	// Cancelling ctx aborts whatever read or write is under way.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return err
	}
	op = "greeting"
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	op = "ehlo"
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return err
	}
	encrypted := false
	if m.cfg.StartTLS != StartTLSNone {
		op = "starttls"
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return err
			}
			encrypted = true
		} else if m.cfg.StartTLS == StartTLSRequired {
			return &SendError{Channel: "smtp", Op: op, Err: ErrNoStartTLS}
		}
	}
	if m.cfg.Username != "" {
		op = "auth"
		if !encrypted {
			return &SendError{Channel: "smtp", Op: op, Err: ErrCleartextAuth}
		}
		if ok, mechs := c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			return &SendError{Channel: "smtp", Op: op, Err: errors.New("server does not offer AUTH PLAIN")}
		}
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return err
		}
	}
	op = "mail"
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	op = "rcpt"
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	op = "data"
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server has taken the message; a failing QUIT changes nothing.
	c.Quit()
	return nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	var c *tls.Config
	if m.cfg.TLS != nil {
		c = m.cfg.TLS.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = m.cfg.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}
