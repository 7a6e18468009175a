package smsinbound_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/smsinbound"
	"tillit/internal/notify"
	"tillit/internal/webtest"
)

const (
	token = "test-auth-token-0123456789"
	phone = "+4791234567"
)

// world is the fixture where the parent got an SMS notification about
// World.Message from the notify worker (with the built-in outbox), and
// has not answered yet.
func world(t *testing.T, d *db.DB) (*webtest.World, *webtest.Server) {
	t.Helper()
	w := webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	mustExec(t, d, `UPDATE people SET phone = '91234567' WHERE id = $1`, w.Parent)
	mustExec(t, d, `UPDATE receipts SET answer = '', answered_at = NULL, read_at = NULL WHERE message_id = $1`, w.Message)
	mustExec(t, d, `DELETE FROM followups`)
	mustExec(t, d, `INSERT INTO contact_preferences (person_id, quiet_from, quiet_to) VALUES ($1, 0, 0)`, w.Parent)
	mustExec(t, d, `INSERT INTO notifications (person_id, message_id, channel, urgent, status, next_attempt_at, created_at) VALUES ($1, $2, 'sms', FALSE, 'queued', 0, 0)`, w.Parent, w.Message)
	deliver(t, d, s)
	var ref string
	if err := d.R.QueryRow(`SELECT message_ref FROM sms_outbox WHERE to_phone = $1`, phone).Scan(&ref); err != nil || ref != notify.ReceiptRef(w.Message, w.Parent) {
		t.Fatalf("no notification SMS: %q %v", ref, err)
	}
	return w, s
}

// inbound is world with the endpoint configured at its own address.
func inbound(t *testing.T, d *db.DB) (w *webtest.World, s *webtest.Server, public string) {
	t.Helper()
	w, s = world(t, d)
	public = s.URL + "/sms/inbound"
	configure(t, public)
	return w, s, public
}

// deliver runs the notification worker once with the built-in SMS
// outbox, which records each SMS with its receipt.
func deliver(t *testing.T, d *db.DB, s *webtest.Server) {
	t.Helper()
	ob := channels.NewOutbox(d)
	ob.Log = slog.New(slog.DiscardHandler)
	nw := &notify.Worker{DB: d, SMS: ob, Log: ob.Log, BaseURL: s.URL}
	if _, err := nw.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.W.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// post sends Twilio's webhook form as Twilio would: no cookies, no
// Origin, signed with sign (the auth token used; "" for no signature).
func post(t *testing.T, s *webtest.Server, publicURL, sign string, form url.Values) *webtest.Response {
	t.Helper()
	sig := ""
	if sign != "" {
		sig = channels.TwilioSignature(sign, publicURL, form)
	}
	return postSigned(t, s, sig, form)
}

// postSigned sends form with the X-Twilio-Signature sig ("" for none).
func postSigned(t *testing.T, s *webtest.Server, sig string, form url.Values) *webtest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/sms/inbound", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	return s.Anonymous(t).Do(req)
}

func form(from, body string) url.Values {
	return url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {from}, "To": {"+4759440000"}, "Body": {body}, "NumMedia": {"0"}}
}

func answer(t *testing.T, d *db.DB, w *webtest.World) (string, int) {
	t.Helper()
	var a string
	var n int
	if err := d.R.QueryRow(`SELECT answer FROM receipts WHERE message_id = $1 AND person_id = $2`, w.Message, w.Parent).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM followups WHERE message_id = $1 AND person_id = $2 AND kind = 'question' AND done_at IS NULL`, w.Message, w.Parent).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return a, n
}

func configure(t *testing.T, publicURL string) {
	smsinbound.Configure(token, publicURL)
	t.Cleanup(func() { smsinbound.Configure("", "") })
}

func TestReplyCodeIsMatchedToTheMessage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := world(t, d)
		// The public URL is what Twilio calls (a proxy's address), not
		// the address this server listens on.
		public := "https://tillit.example.no/sms/inbound"
		configure(t, public)

		res := post(t, s, public, token, form(phone, "\u200f٢"))
		if res.Status != http.StatusOK || res.Body != channels.TwilioEmptyResponse || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
			t.Fatalf("inbound: %d %q %q", res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		if a, n := answer(t, d, w); a != "question" || n != 1 {
			t.Errorf("answer %q, %d question follow-ups", a, n)
		}
		// The leader sees it on the receipts page, in Norwegian.
		leader := s.Login(t, "leader", webtest.Password)
		if res := leader.Get("/messages/" + itoa(w.Message) + "/receipts"); !strings.Contains(res.Text(), "Jeg har et spørsmål") {
			t.Errorf("receipts page does not show the question:\n%s", res.Text())
		}
	})
}

// Free text is not an answer (text_test.go: it becomes a message).
func TestFreeTextAndStrangersGetAnEmptyAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := world(t, d)
		public := s.URL + "/sms/inbound"
		configure(t, public)
		for _, f := range []url.Values{
			form(phone, "Hva betyr dette?"),   // free text
			form(phone, "12"),                 // not a code
			form("+4799999999", "1"),          // nobody Tillit wrote to
			form(phone, "<script>x</script>"), // markup
		} {
			res := post(t, s, public, token, f)
			if res.Status != http.StatusOK || res.Body != channels.TwilioEmptyResponse {
				t.Errorf("%q from %s: %d %q", f.Get("Body"), f.Get("From"), res.Status, res.Body)
			}
		}
		if a, n := answer(t, d, w); a != "" || n != 0 {
			t.Errorf("answer %q, %d follow-ups after free text", a, n)
		}
	})
}

func TestForgedSignatureIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := world(t, d)
		public := s.URL + "/sms/inbound"
		configure(t, public)
		f := form(phone, "3")
		for name, sig := range map[string]string{
			"missing":     "",
			"wrong token": channels.TwilioSignature("not-the-token", public, f),
			"other url":   channels.TwilioSignature(token, "https://evil.example/sms/inbound", f),
			// Signed for "1", sent with "3".
			"changed body": channels.TwilioSignature(token, public, form(phone, "1")),
			"garbage":      "!!!",
		} {
			if res := postSigned(t, s, sig, f); res.Status != http.StatusForbidden {
				t.Errorf("%s: %d", name, res.Status)
			}
		}
		if a, n := answer(t, d, w); a != "" || n != 0 {
			t.Errorf("a forged SMS changed the receipt: %q, %d", a, n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM followups`); n != 0 {
			t.Errorf("%d follow-ups", n)
		}
	})
}

func TestUnconfiguredIsNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := world(t, d)
		smsinbound.Configure("", "")
		public := s.URL + "/sms/inbound"
		if res := post(t, s, public, token, form(phone, "2")); res.Status != http.StatusNotFound {
			t.Errorf("unconfigured: %d", res.Status)
		}
		// A token without a URL is not configured either.
		smsinbound.Configure(token, "")
		t.Cleanup(func() { smsinbound.Configure("", "") })
		if res := post(t, s, public, token, form(phone, "2")); res.Status != http.StatusNotFound {
			t.Errorf("no url: %d", res.Status)
		}
		if a, _ := answer(t, d, w); a != "" {
			t.Errorf("answer %q", a)
		}
	})
}

func count(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
