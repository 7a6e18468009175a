package invitations_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"html/template"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/channels/smtptest"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/webtest"
)

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
		ms := smtptest.Start(t)
		s.Env.Mail = ms.Mailer(t)
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

		msgs := ms.Messages()
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
		msgs = ms.Messages()
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
		ms := smtptest.Start(t)
		s.Env.Mail = ms.Mailer(t)
		leader := s.Login(t, "leader", webtest.Password)
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Ola Utenpost", "", "nb"))
		presented(t, res)
		pageSays(t, res.Body, "invitations.present.mail_no_address")
		pageDoesNotSay(t, res.Body, "invitations.present.mail_sent", "invitations.present.mail_failed")
		if n := len(ms.Messages()); n != 0 {
			t.Fatalf("%d mails sent to nobody", n)
		}
	})
}

func TestInvitationSurvivesRefusedMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ms := smtptest.Start(t)
		ms.SetRcptReply("550 5.1.1 mailbox unavailable")
		s.Env.Mail = ms.Mailer(t)
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
		if len(ms.Messages()) != 0 {
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
