package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"tillit/internal/channels"
	"tillit/internal/channels/smtptest"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/notify"
	"tillit/internal/webtest"
)

// The fixture's message text and child's name: no notification may
// contain them.
var secrets = []string{"votter", "Amina", "Fixture", "Pedro", "Lars", "Blåbær"}

func noSecrets(t testing.TB, what, s string) {
	t.Helper()
	for _, x := range secrets {
		if strings.Contains(s, x) {
			t.Errorf("%s contains %q: %q", what, x, s)
		}
	}
}

// setup makes the fixture and sets its already queued notifications
// aside, so that each test sees only its own.
func setup(t *testing.T, d *db.DB) *webtest.World {
	w := webtest.NewWorld(t, d)
	exec(t, d, `UPDATE notifications SET status = 'sent'`)
	return w
}

func TestPushSaysOnlySomethingNewInTheRecipientsLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		exec(t, d, `UPDATE people SET ui_language = 'en' WHERE id = $1`, w.Parent)
		ps := newPushService(t)
		phone, laptop := newBrowser(t), newBrowser(t)
		phone.subscribe(t, d, w.Parent, ps.URL+"/push/phone")
		laptop.subscribe(t, d, w.Parent, ps.URL+"/push/laptop")
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Health, "Amina hadde feber, hent henne før kl. 12 (Storgata 5).")
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c)
		wk.Push = newSender(t)
		n, err := wk.RunOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		bodies := ps.received()
		if len(bodies) != 2 {
			t.Fatalf("push service got %d messages, want one per device", len(bodies))
		}
		for i, b := range bodies {
			var plain []byte
			for _, br := range []*browser{phone, laptop} {
				if p, err := br.decrypt(b); err == nil {
					plain = p
				}
			}
			if plain == nil {
				t.Fatalf("message %d: no browser can decrypt it", i)
			}
			var p struct{ Title, Body, URL string }
			if err := json.Unmarshal(plain, &p); err != nil {
				t.Fatalf("payload %q: %v", plain, err)
			}
			if p.Title != "There is something new from the kindergarten." || p.Body != "Open Tillit" || p.URL != "/inbox" {
				t.Errorf("payload %+v", p)
			}
			noSecrets(t, "push payload", string(plain))
			noSecrets(t, "push payload", "Storgata feber")
		}
		if got := ps.heads[0].Get("Topic"); got != notify.PushTopic {
			t.Errorf("Topic %q", got)
		}
		if got := ps.heads[0].Get("Urgency"); got != "normal" {
			t.Errorf("Urgency %q for a normal message", got)
		}
		if st := notificationOf(t, d, w.Parent, msg, "push"); st.Status != "sent" || st.Attempts != 1 {
			t.Errorf("notification %+v", st)
		}
		if count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2 AND delivered_at IS NOT NULL AND read_at IS NULL`, msg, w.Parent) != 1 {
			t.Error("the receipt is not marked delivered")
		}
		// Nothing more to do: a second round sends nothing.
		if n, err := wk.RunOnce(ctx); err != nil || n != 0 || len(ps.received()) != 2 {
			t.Fatalf("second round: %d, %v, %d sent", n, err, len(ps.received()))
		}
	})
}

func TestPushGoneDeletesTheSubscriptionAndRetriesLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		ps := newPushService(t)
		newBrowser(t).subscribe(t, d, w.Parent, ps.URL+"/push/old")
		newBrowser(t).subscribe(t, d, w.ParentB, ps.URL+"/push/other")
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c)
		wk.Push = newSender(t)

		// 503: try again later, with back-off.
		ps.setStatus(http.StatusServiceUnavailable)
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		st := notificationOf(t, d, w.Parent, msg, "push")
		if st.Status != "queued" || st.Attempts != 1 || st.Next <= c.Now().Unix() {
			t.Fatalf("after a 503: %+v (now %d)", st, c.Now().Unix())
		}
		if n, _ := wk.RunOnce(ctx); n != 0 {
			t.Fatalf("retried before the back-off: %d", n)
		}
		// 410: the browser unsubscribed; the subscription goes.
		ps.setStatus(http.StatusGone)
		c.Add(time.Hour)
		if n, err := wk.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if count(t, d, `SELECT COUNT(*) FROM push_subscriptions WHERE person_id = $1`, w.Parent) != 0 {
			t.Error("the gone subscription was kept")
		}
		if count(t, d, `SELECT COUNT(*) FROM push_subscriptions WHERE person_id = $1`, w.ParentB) != 1 {
			t.Error("another person's subscription was deleted")
		}
		if st := notificationOf(t, d, w.Parent, msg, "push"); st.Status != "failed" {
			t.Errorf("after 410: %+v", st)
		}
		// No subscriptions left: the next notification is skipped.
		msg2 := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter igjen")
		before := len(ps.received())
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, msg2, "push"); st.Status != "skipped" || len(ps.received()) != before {
			t.Errorf("without subscriptions: %+v, %d sent", st, len(ps.received())-before)
		}
	})
}

func TestPushGivesUpAfterMaxAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		ps := newPushService(t)
		ps.setStatus(http.StatusInternalServerError)
		newBrowser(t).subscribe(t, d, w.Parent, ps.URL+"/push/a")
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c)
		wk.Push = newSender(t)
		wk.MaxAttempts = 3
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		for i := 0; i < 5; i++ {
			if _, err := wk.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(2 * time.Hour)
		}
		if st := notificationOf(t, d, w.Parent, msg, "push"); st.Status != "failed" || st.Attempts != 3 {
			t.Errorf("after 5 rounds of 500: %+v", st)
		}
		if got := len(ps.received()); got != 3 {
			t.Errorf("%d sends, want 3", got)
		}
	})
}

func TestQuietHoursPostponeAllButUrgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		ps := newPushService(t)
		newBrowser(t).subscribe(t, d, w.Parent, ps.URL+"/push/a")
		night := osloAt(22, 30)
		c := &clock{t: night}
		wk := newWorker(d, c)
		wk.Push = newSender(t)
		normal := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		urgent := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Urgent, "Barnehagen stenger kl. 14 i dag.")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(ps.received()); got != 1 {
			t.Fatalf("%d push messages at 22:30, want only the urgent one", got)
		}
		if got := ps.heads[0].Get("Urgency"); got != "high" {
			t.Errorf("urgent push with Urgency %q", got)
		}
		if st := notificationOf(t, d, w.Parent, urgent, "push"); st.Status != "sent" {
			t.Errorf("urgent: %+v", st)
		}
		st := notificationOf(t, d, w.Parent, normal, "push")
		morning := time.Date(night.Year(), night.Month(), night.Day()+1, 7, 0, 0, 0, i18n.Oslo)
		if st.Status != "queued" || st.Attempts != 0 || st.Next != morning.Unix() {
			t.Fatalf("normal at 22:30: %+v, want queued until %v (%d)", st, morning, morning.Unix())
		}
		c.Set(morning.Add(-time.Minute))
		if n, _ := wk.RunOnce(ctx); n != 0 || len(ps.received()) != 1 {
			t.Fatal("sent before the quiet hours ended")
		}
		c.Set(morning)
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, normal, "push"); st.Status != "sent" || len(ps.received()) != 2 {
			t.Fatalf("at 07:00: %+v, %d sent", st, len(ps.received()))
		}
		// The person's own quiet hours: none (equal values).
		exec(t, d, `INSERT INTO contact_preferences (person_id, push, email, sms, quiet_from, quiet_to) VALUES ($1, TRUE, FALSE, FALSE, 0, 0)`, w.Parent)
		c.Set(night.Add(2 * time.Hour))
		late := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, late, "push"); st.Status != "sent" {
			t.Errorf("without quiet hours at 00:30: %+v", st)
		}
	})
}

func TestQuietUntil(t *testing.T) {
	day := func(hh, mm int) time.Time { return time.Date(2025, 3, 29, hh, mm, 0, 0, i18n.Oslo) }
	for _, tc := range []struct {
		at       time.Time
		from, to int
		quiet    bool
		end      time.Time
	}{
		{day(20, 59), 1260, 420, false, time.Time{}},
		{day(21, 0), 1260, 420, true, time.Date(2025, 3, 30, 7, 0, 0, 0, i18n.Oslo)}, // across the DST change
		{day(6, 59), 1260, 420, true, day(7, 0)},
		{day(7, 0), 1260, 420, false, time.Time{}},
		{day(12, 0), 720, 780, true, day(13, 0)},
		{day(13, 0), 720, 780, false, time.Time{}},
		{day(3, 0), 600, 600, false, time.Time{}},
		{day(22, 0), -5, 9999, true, time.Date(2025, 3, 30, 7, 0, 0, 0, i18n.Oslo)},
	} {
		quiet, end := notify.QuietUntil(tc.at.UTC(), tc.from, tc.to)
		if quiet != tc.quiet || !end.Equal(tc.end) {
			t.Errorf("QuietUntil(%v, %d, %d) = %v, %v; want %v, %v", tc.at, tc.from, tc.to, quiet, end, tc.quiet, tc.end)
		}
	}
}

func TestSMSCarriesReplyCodesAndRepliesAreMatched(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		exec(t, d, `UPDATE people SET ui_language = 'en', phone = '912 34 567' WHERE id = $1`, w.Parent)
		exec(t, d, `INSERT INTO contact_preferences (person_id, push, email, sms) VALUES ($1, FALSE, FALSE, TRUE)`, w.Parent)
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c)
		outbox := channels.NewOutbox(d)
		outbox.Now = c.Now
		wk.SMS = outbox
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Health, "Amina har vannkopper.")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		recs, err := outbox.Recent(ctx, 10)
		if err != nil || len(recs) != 1 {
			t.Fatalf("outbox: %v, %v", recs, err)
		}
		r := recs[0]
		if r.To != "+4791234567" || r.Status != channels.StatusRecorded || r.MessageRef != notify.ReceiptRef(msg, w.Parent) {
			t.Errorf("sms %+v", r)
		}
		want := "There is something new from the kindergarten. Open Tillit: https://tillit.example.no/inbox\nReply 1 = I understand, 2 = I have a question, 3 = I need an interpreter"
		if r.Body != want {
			t.Errorf("sms body %q, want %q", r.Body, want)
		}
		noSecrets(t, "sms", r.Body)
		if strings.Contains(r.Body, "vannkopper") {
			t.Error("the SMS contains the message text")
		}
		if st := notificationOf(t, d, w.Parent, msg, "sms"); st.Status != "sent" {
			t.Errorf("notification %+v", st)
		}
		// The built-in outbox sends nothing: no device was reached.
		if count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2 AND delivered_at IS NULL`, msg, w.Parent) != 1 {
			t.Error("an SMS the outbox only recorded marked the receipt delivered")
		}

		// Replies: not a code, another phone, then "١" (Arabic-Indic 1).
		for _, bad := range [][2]string{{"+4791234567", "Takk!"}, {"+4799999999", "1"}, {"+4791234567", "12"}} {
			if _, _, _, ok, err := notify.MatchReply(ctx, d, bad[0], bad[1]); ok || err != nil {
				t.Errorf("MatchReply(%q, %q) matched (%v)", bad[0], bad[1], err)
			}
		}
		m, p, answer, ok, err := notify.MatchReply(ctx, d, "+47 91234567", "\u200f١")
		if err != nil || !ok || m != msg || p != w.Parent || answer != messaging.Understood {
			t.Fatalf("MatchReply = %d, %d, %q, %v, %v", m, p, answer, ok, err)
		}
		var got string
		d.R.QueryRow(`SELECT answer FROM receipts WHERE message_id = $1 AND person_id = $2`, msg, w.Parent).Scan(&got)
		if got != messaging.Understood {
			t.Errorf("receipt answer %q", got)
		}
		// "3": I need an interpreter, which opens a follow-up for staff.
		if _, _, answer, ok, _ := notify.MatchReply(ctx, d, "+4791234567", "3"); !ok || answer != messaging.Interpreter {
			t.Errorf("reply 3: %q %v", answer, ok)
		}
		if count(t, d, `SELECT COUNT(*) FROM followups WHERE message_id = $1 AND person_id = $2 AND kind = 'interpreter'`, msg, w.Parent) != 1 {
			t.Error("no follow-up for the interpreter answer")
		}
		// The number changed hands: a reply from it answers nothing.
		exec(t, d, `UPDATE people SET phone = '+4740000000' WHERE id = $1`, w.Parent)
		if _, _, _, ok, _ := notify.MatchReply(ctx, d, "+4791234567", "2"); ok {
			t.Error("a reply from the parent's old number was matched")
		}
	})
}

func TestSkippedWithoutAddressOrChannel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		exec(t, d, `UPDATE people SET phone = '', email = '' WHERE id = $1`, w.Parent)
		exec(t, d, `INSERT INTO contact_preferences (person_id, push, email, sms) VALUES ($1, TRUE, TRUE, TRUE)`, w.Parent)
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c) // no push, no mail
		wk.SMS = channels.NewOutbox(d)
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		if n, err := wk.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		for _, ch := range []string{"push", "email", "sms"} {
			if st := notificationOf(t, d, w.Parent, msg, ch); st.Status != "skipped" {
				t.Errorf("%s: %+v", ch, st)
			}
		}
		if count(t, d, `SELECT COUNT(*) FROM sms_outbox`) != 0 {
			t.Error("an SMS without a phone number")
		}
	})
}

func TestMailOverSMTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		exec(t, d, `UPDATE people SET ui_language = 'en' WHERE id = $1`, w.Parent)
		exec(t, d, `INSERT INTO contact_preferences (person_id, push, email, sms) VALUES ($1, FALSE, TRUE, FALSE)`, w.Parent)
		srv := smtptest.Start(t)
		c := &clock{t: osloAt(12, 0)}
		wk := newWorker(d, c)
		wk.Mail = srv.Mailer(t)

		// 451: a temporary refusal is retried; 550 fails for good.
		srv.SetRcptReply("451 4.3.0 try later")
		msg := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Incident, "Amina falt og slo kneet.")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, msg, "email"); st.Status != "queued" || st.Attempts != 1 {
			t.Fatalf("after 451: %+v", st)
		}
		srv.SetRcptReply("250 OK")
		c.Add(time.Hour)
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, msg, "email"); st.Status != "sent" {
			t.Fatalf("after 250: %+v", st)
		}
		got := srv.Messages()
		if len(got) != 1 {
			t.Fatalf("%d mails", len(got))
		}
		m, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		raw := new(strings.Builder)
		buf := make([]byte, 4096)
		for {
			n, err := m.Body.Read(buf)
			raw.Write(buf[:n])
			if err != nil {
				break
			}
		}
		body := raw.String()
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "base64") {
			dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(body))
			if err != nil {
				t.Fatal(err)
			}
			body = string(dec)
		}
		if subject != "There is something new from the kindergarten." || !strings.Contains(body, "https://tillit.example.no/inbox") {
			t.Errorf("subject %q, body %q", subject, body)
		}
		noSecrets(t, "mail", string(got[0].Data)+subject+body)
		if strings.Contains(body, "kneet") {
			t.Error("the e-mail contains the message text")
		}

		srv.SetRcptReply("550 5.1.1 no such user")
		msg2 := sendMessage(t, d, w.ChildA1, w.Leader, messaging.Practical, "Husk votter")
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st := notificationOf(t, d, w.Parent, msg2, "email"); st.Status != "failed" {
			t.Errorf("after 550: %+v", st)
		}
	})
}

func TestContentIsTheSameForEveryMessage(t *testing.T) {
	for _, l := range i18n.Languages {
		p := notify.PushPayload(l.Code, false)
		if len(p) > 300 {
			t.Errorf("%s: payload of %d octets", l.Code, len(p))
		}
		if !strings.Contains(notify.SMSBody(l.Code, false, "https://x"), "https://x/inbox") {
			t.Errorf("%s: SMS without the link", l.Code)
		}
	}
	if string(notify.PushPayload("nb", true)) == string(notify.PushPayload("nb", false)) {
		t.Error("urgent and normal say the same")
	}
}
