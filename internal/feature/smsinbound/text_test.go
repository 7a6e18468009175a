package smsinbound_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/messaging"
	"tillit/internal/translate"
	"tillit/internal/translate/libretest"
	"tillit/internal/webtest"
)

func sid(n int) string { return fmt.Sprintf("SM%032x", n) }

// text is Twilio's form of an inbound SMS with its own MessageSid.
func text(n int, from, body string) url.Values {
	f := form(from, body)
	f.Set("MessageSid", sid(n))
	return f
}

// send posts a signed SMS and checks the answer is the empty TwiML, as
// it is whatever happens to the SMS.
func send(t *testing.T, s *webtest.Server, public string, f url.Values) {
	t.Helper()
	res := post(t, s, public, token, f)
	if res.Status != http.StatusOK || res.Body != channels.TwilioEmptyResponse || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("inbound %s: %d %q %q", f.Get("MessageSid"), res.Status, res.Header.Get("Content-Type"), res.Body)
	}
}

// stored is a message that arrived by SMS.
type stored struct {
	ID, Thread, Author, ReplyTo int64
	FromStaff                   bool
	Lang, Body                  string
}

// bySMS reads the messages stored for SMS id n (normally none or one).
func bySMS(t *testing.T, d *db.DB, n int) []stored {
	t.Helper()
	rows, err := d.R.Query(`SELECT id, thread_id, COALESCE(author_id, 0), COALESCE(reply_to, 0), from_staff, lang, body FROM messages WHERE sms_sid = $1`, sid(n))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var m stored
		if err := rows.Scan(&m.ID, &m.Thread, &m.Author, &m.ReplyTo, &m.FromStaff, &m.Lang, &m.Body); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func path(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprint(&b, p)
	}
	return b.String()
}

func TestSMSTextReachesStaffTranslated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s, public := inbound(t, d)
		log := s.CaptureLogs()

		// The Tigrinya-reading father answers the notification SMS in
		// his language; the phone ends lines with CR LF.
		body := "ሰላም ላርስ።\r\nወደይ ሎሚ ኣይመጽእን እዩ፣ ሰዓል ኣለዎ።"
		send(t, s, public, text(1, phone, body))
		got := bySMS(t, d, 1)
		if len(got) != 1 {
			t.Fatalf("%d messages for the SMS", len(got))
		}
		m := got[0]
		want := stored{ID: m.ID, Thread: w.Thread, Author: w.Parent, ReplyTo: w.Message, Lang: "ti", Body: "ሰላም ላርስ።\nወደይ ሎሚ ኣይመጽእን እዩ፣ ሰዓል ኣለዎ።"}
		if m != want {
			t.Fatalf("stored %+v, want %+v", m, want)
		}
		// Twilio retries the webhook: the same SMS is stored once, also
		// when the retries arrive at the same moment.
		send(t, s, public, text(1, phone, body))
		f := text(4, phone, body)
		sig := channels.TwilioSignature(token, public, f)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/sms/inbound", strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Twilio-Signature", sig)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("simultaneous retry: %d", res.StatusCode)
				}
			}()
		}
		wg.Wait()
		if n, m := len(bySMS(t, d, 1)), len(bySMS(t, d, 4)); n != 1 || m != 1 {
			t.Fatalf("retried webhooks stored %d and %d messages", n, m)
		}

		leader := s.Login(t, "leader", webtest.Password)
		thread := leader.Get(path("/threads/", w.Thread)).Text()
		for _, s := range []string{"ወደይ ሎሚ", "Oversettelsen kommer snart", "Mottatt på SMS", "Svar på en melding fra barnehagen"} {
			if !strings.Contains(thread, s) {
				t.Errorf("before translation the leader's thread page lacks %q", s)
			}
		}
		// The translation worker translates it into Norwegian for staff
		// through a local LibreTranslate.
		srv := libretest.New(t, map[string][]string{"ti": {"nb"}, "nb": {"ti", "en", "pl"}})
		tr, err := translate.New(d, translate.Config{LibreTranslateURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		wk := &messaging.TranslationWorker{DB: d, Translator: tr, Log: slog.New(slog.DiscardHandler)}
		if _, err := wk.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		var st, tx string
		if err := d.R.QueryRow(`SELECT status, text FROM message_translations WHERE message_id = $1 AND lang = 'nb'`, m.ID).Scan(&st, &tx); err != nil || st != "done" || tx != "[nb] "+want.Body {
			t.Fatalf("translation into nb: %s %q %v", st, tx, err)
		}
		thread = leader.Get(path("/threads/", w.Thread)).Text()
		for _, s := range []string{"[nb] ሰላም ላርስ", "Maskinoversatt fra tigrinja", "Mottatt på SMS"} {
			if !strings.Contains(thread, s) {
				t.Errorf("the leader's thread page lacks %q:\n%s", s, thread)
			}
		}
		// The father sees his own words as written, "sent by SMS" in
		// his language.
		parent := s.Login(t, "parent", webtest.Password)
		if p := parent.Get(path("/threads/", w.Thread)).Text(); !strings.Contains(p, "ወደይ ሎሚ") || !strings.Contains(p, "ብSMS ዝተላእከ") || strings.Contains(p, "ብSMS ዝመጸ") {
			t.Errorf("the father's thread page:\n%s", p)
		}
		// The group's message centre shows that he waits for an answer.
		center := leader.Get(path("/groups/", w.GroupA, "/messages")).Text()
		if !strings.Contains(center, "Pedro Parent har skrevet – ikke besvart ennå") || !strings.Contains(center, "Mottatt på SMS") {
			t.Errorf("message centre:\n%s", center)
		}
		res := leader.PostForm(path("/threads/", w.Thread, "/messages"), url.Values{"body": {"God bedring!"}, "category": {"general"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("leader's answer: %d", res.Status)
		}
		if center := leader.Get(path("/groups/", w.GroupA, "/messages")).Text(); strings.Contains(center, "ikke besvart") {
			t.Errorf("still waiting after the leader answered:\n%s", center)
		}
		// No number and no text in the log.
		l := log.String()
		for _, secret := range []string{"91234567", "ሰላም", "ወደይ"} {
			if strings.Contains(l, secret) {
				t.Errorf("the log contains %q:\n%s", secret, l)
			}
		}
		if !strings.Contains(l, "sms text stored") || !strings.Contains(l, "outcome=duplicate") {
			t.Errorf("log:\n%s", l)
		}
	})
}

func TestSMSTextToAnAnnouncementGoesToThePrivateThread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w, s, public := inbound(t, d)
		mustExec(t, d, `UPDATE contact_preferences SET sms = TRUE WHERE person_id = $1`, w.Parent)
		var ann *messaging.Thread
		var annMsg int64
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			if ann, err = messaging.NewAnnouncement(ctx, tx, w.Kg, w.GroupA, w.Leader); err != nil {
				return err
			}
			sent, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Vi går på tur fredag."})
			if err == nil {
				annMsg = sent.MessageID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, d, s)

		send(t, s, public, text(2, phone, "ሕራይ፣ ኣማና ክትመጽእ እያ።"))
		got := bySMS(t, d, 2)
		if len(got) != 1 {
			t.Fatalf("%d messages", len(got))
		}
		th, err := messaging.GetThread(ctx, d.R, got[0].Thread)
		if err != nil {
			t.Fatal(err)
		}
		if th.Kind != messaging.KindPrivate || th.ChildID != w.ChildA1 || th.GuardianID != w.Parent || th.GroupID != w.GroupA || got[0].ReplyTo != annMsg {
			t.Fatalf("answer to an announcement went to %+v, reply to %d", th, got[0].ReplyTo)
		}
		// Not to the 1,000 families of the announcement.
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM messages WHERE thread_id = $1`, ann.ID).Scan(&n)
		if n != 1 {
			t.Errorf("announcement thread has %d messages", n)
		}
		leader := s.Login(t, "leader", webtest.Password)
		if center := leader.Get(path("/groups/", w.GroupA, "/messages")).Text(); !strings.Contains(center, "Privat samtale med Pedro Parent") ||
			!strings.Contains(center, "Pedro Parent har skrevet") {
			t.Errorf("message centre:\n%s", center)
		}
		link := path(`href="/threads/`, ann.ID, "#m", annMsg, `"`)
		for who, c := range map[string]*webtest.Client{"leader": leader, "parent": s.Login(t, "parent", webtest.Password)} {
			res := c.Get(path("/threads/", th.ID))
			if res.Status != http.StatusOK || !strings.Contains(res.Body, link) || !strings.Contains(res.Text(), "ኣማና ክትመጽእ") {
				t.Errorf("%s: private thread %d lacks the text or the link to the announcement", who, res.Status)
			}
		}
		// Another staff group does not see it.
		if res := s.Login(t, "assistant", webtest.Password).Get(path("/threads/", th.ID)); res.Status != http.StatusNotFound {
			t.Errorf("assistant of group B: %d", res.Status)
		}
	})
}

// Where an SMS may not go, nothing is stored, no thread is made, and the
// answer is the same empty TwiML.
func TestSMSTextFollowsTheRights(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, d *db.DB, w *webtest.World)
		from  string
		// private: stored, in the parent's private thread; else the
		// outcome the log names.
		private bool
		outcome string
	}{
		{name: "lost parental responsibility: private thread", private: true, setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE guardianships SET parental_responsibility = FALSE WHERE child_id = $1 AND person_id = $2`, w.ChildA1, w.Parent)
		}},
		{name: "no access to information since", outcome: "no_access", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE guardianships SET no_information = TRUE WHERE child_id = $1 AND person_id = $2`, w.ChildA1, w.Parent)
		}},
		{name: "no longer linked", outcome: "not_guardian", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `DELETE FROM guardianships WHERE child_id = $1 AND person_id = $2`, w.ChildA1, w.Parent)
		}},
		{name: "the number is also another kindergarten's guardian's", outcome: "shared_number", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE people SET phone = '+47 912 34 567' WHERE id = $1`, w.OtherParent)
		}},
		{name: "the number moved to another kindergarten's guardian", outcome: "no_thread", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE people SET phone = '' WHERE id = $1`, w.Parent)
			mustExec(t, d, `UPDATE people SET phone = '0047 91234567' WHERE id = $1`, w.OtherParent)
		}},
		{name: "the number is shared in the family", outcome: "shared_number", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE people SET phone = '912-34-567' WHERE id = $1`, w.Coparent)
		}},
		{name: "the number is a staff member's too", outcome: "shared_number", setup: func(t *testing.T, d *db.DB, w *webtest.World) {
			mustExec(t, d, `UPDATE people SET phone = '91234567' WHERE id = $1`, w.Leader)
		}},
		{name: "unknown number", outcome: "unknown_number", from: "+4799999999"},
		{name: "not a phone number", outcome: "unknown_number", from: "Tillit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				w, s, public := inbound(t, d)
				if c.setup != nil {
					c.setup(t, d, w)
				}
				from := c.from
				if from == "" {
					from = phone
				}
				log := s.CaptureLogs()
				threads := count(t, d, `SELECT COUNT(*) FROM threads`)
				send(t, s, public, text(3, from, "Hei, kan jeg få ringe?"))
				got := bySMS(t, d, 3)
				if !c.private {
					if len(got) != 0 || count(t, d, `SELECT COUNT(*) FROM threads`) != threads || count(t, d, `SELECT COUNT(*) FROM messages WHERE NOT from_staff`) != 0 {
						t.Fatalf("stored %+v", got)
					}
					if l := log.String(); !strings.Contains(l, "outcome="+c.outcome) {
						t.Errorf("want outcome %s:\n%s", c.outcome, l)
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("%d messages", len(got))
				}
				th, err := messaging.GetThread(context.Background(), d.R, got[0].Thread)
				if err != nil || th.Kind != messaging.KindPrivate || th.GuardianID != w.Parent || th.ChildID != w.ChildA1 {
					t.Fatalf("went to %+v (%v)", th, err)
				}
			})
		})
	}
}

func TestSMSTextBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s, public := inbound(t, d)
		log := s.CaptureLogs()
		bad := map[string]url.Values{
			"bidi override":   text(10, phone, "betal \u202Efdp.exe"),
			"bidi isolate":    text(11, phone, "a \u2067b\u2069"),
			"control":         text(12, phone, "hei\x07\x1b[2J"),
			"line separator":  text(13, phone, "hei\u2028du"),
			"empty":           text(14, phone, " \r\n\t "),
			"enormous":        text(15, phone, strings.Repeat("ሀ", 4001)),
			"no MessageSid":   form(phone, "Hei"),
			"bad MessageSid":  text(16, phone, "Hei"),
			"empty sid value": text(17, phone, "Hei"),
		}
		bad["no MessageSid"].Del("MessageSid")
		bad["bad MessageSid"].Set("MessageSid", "SM../../x")
		bad["empty sid value"].Set("MessageSid", "")
		for name, f := range bad {
			send(t, s, public, f)
			if n := count(t, d, `SELECT COUNT(*) FROM messages WHERE NOT from_staff`); n != 0 {
				t.Fatalf("%s: stored", name)
			}
		}
		// Unsigned, or signed for another text: refused, nothing stored.
		f := text(18, phone, "Hei")
		if res := post(t, s, public, "", f); res.Status != http.StatusForbidden {
			t.Errorf("unsigned: %d", res.Status)
		}
		if res := postSigned(t, s, channels.TwilioSignature(token, public, f), text(18, phone, "Ring meg")); res.Status != http.StatusForbidden {
			t.Errorf("changed text: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages WHERE NOT from_staff`); n != 0 {
			t.Fatalf("forged SMS stored")
		}
		l := log.String()
		if !strings.Contains(l, "reason=form.bidi_chars") || !strings.Contains(l, "reason=form.too_long") || !strings.Contains(l, "no valid MessageSid") {
			t.Errorf("log:\n%s", l)
		}
		for _, secret := range []string{"91234567", "fdp.exe", "ሀሀሀ", "Ring meg"} {
			if strings.Contains(l, secret) {
				t.Errorf("the log contains %q", secret)
			}
		}

		// A long concatenated SMS (10 parts) is kept whole; markup is
		// text, shown escaped.
		long := strings.Repeat("ሰላም ", 320) + "<script>alert(1)</script>"
		send(t, s, public, text(19, phone, long))
		got := bySMS(t, d, 19)
		if len(got) != 1 || got[0].Body != strings.TrimSpace(long) {
			t.Fatalf("long SMS: %d messages", len(got))
		}
		page := s.Login(t, "leader", webtest.Password).Get(path("/threads/", w.Thread)).Body
		if strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Error("markup from an SMS is not escaped")
		}
	})
}
