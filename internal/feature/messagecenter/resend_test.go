package messagecenter_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/notify"
	"tillit/internal/webtest"
)

func exec(t *testing.T, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.W.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func smsQueued(t *testing.T, d *db.DB, msg, person int64) int {
	t.Helper()
	return count(t, d, `SELECT COUNT(*) FROM notifications WHERE message_id = $1 AND person_id = $2 AND channel = 'sms' AND status = 'queued'`, msg, person)
}

// In the fixture, the parent answered World.Message "I need an
// interpreter" and the coparent has not read it.
func TestResendBySMS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		receipts := fmt.Sprintf("/messages/%d/receipts", w.Message)
		resend := fmt.Sprintf("/messages/%d/resend", w.Message)

		// Nobody has a phone: no button.
		res := leader.Get(receipts)
		if res.Status != http.StatusOK || strings.Contains(res.Body, `action="`+resend+`"`) {
			t.Fatalf("button without a phone: %d\n%s", res.Status, res.Body)
		}
		if strings.Contains(res.Body, "disabled") {
			t.Error("the disabled placeholder is still there")
		}

		exec(t, d, `UPDATE people SET phone = '+4791234567' WHERE id = $1`, w.Parent)
		exec(t, d, `UPDATE people SET phone = '+4791234568' WHERE id = $1`, w.Coparent)
		exec(t, d, `UPDATE people SET phone = '+4791234569' WHERE id = $1`, w.Blocked)
		// The coparent has read it and understood: not resent.
		exec(t, d, `UPDATE receipts SET read_at = 1, answer = 'understood' WHERE message_id = $1 AND person_id = $2`, w.Message, w.Coparent)
		before := count(t, d, `SELECT COUNT(*) FROM notifications`)

		res = leader.Get(receipts)
		if !strings.Contains(res.Body, `<form method="post" action="`+resend+`">`) {
			t.Fatalf("no resend form:\n%s", res.Body)
		}

		res = leader.PostForm(resend, url.Values{})
		if res.Status != http.StatusSeeOther || res.Location != receipts+"?resent=1" {
			t.Fatalf("resend: %d %q\n%s", res.Status, res.Location, res.Body)
		}
		if n := smsQueued(t, d, w.Message, w.Parent); n != 1 {
			t.Errorf("parent: %d SMS queued", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notifications`) - before; n != 1 {
			t.Errorf("%d notifications queued, want 1 (only the parent)", n)
		}
		var urgent bool
		var due int64
		if err := d.R.QueryRow(`SELECT urgent, next_attempt_at FROM notifications WHERE message_id = $1 AND person_id = $2 AND channel = 'sms'`, w.Message, w.Parent).Scan(&urgent, &due); err != nil {
			t.Fatal(err)
		}
		if urgent || due > time.Now().Unix() {
			t.Errorf("urgent %v, due %d", urgent, due)
		}
		res = leader.Get(res.Location)
		if !strings.Contains(res.Text(), "SMS sendes til 1 foresatt.") {
			t.Errorf("no notice:\n%s", res.Body)
		}

		// A second tap queues nothing: one is waiting.
		res = leader.PostForm(resend, url.Values{})
		if res.Location != receipts+"?resent=0" || smsQueued(t, d, w.Message, w.Parent) != 1 {
			t.Fatalf("second resend: %q, %d queued", res.Location, smsQueued(t, d, w.Message, w.Parent))
		}
		if res = leader.Get(res.Location); !strings.Contains(res.Text(), "Ingen SMS ble sendt") {
			t.Errorf("no 'none' notice:\n%s", res.Body)
		}

		// The worker sends it: the SMS has the reply codes and the
		// receipt reference, and not the message text.
		exec(t, d, `INSERT INTO contact_preferences (person_id, quiet_from, quiet_to) VALUES ($1, 0, 0)`, w.Parent)
		ob := channels.NewOutbox(d)
		ob.Log = slog.New(slog.DiscardHandler)
		nw := &notify.Worker{DB: d, SMS: ob, Log: slog.New(slog.DiscardHandler), BaseURL: "https://tillit.example"}
		if _, err := nw.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		r, err := ob.LatestTo(context.Background(), "+4791234567")
		if err != nil {
			t.Fatal(err)
		}
		if r.MessageRef != notify.ReceiptRef(w.Message, w.Parent) || strings.Contains(r.Body, "votter") || !strings.Contains(r.Body, "1") {
			t.Errorf("sms %q ref %q", r.Body, r.MessageRef)
		}
		// Within the hour of that SMS: still nothing.
		res = leader.PostForm(resend, url.Values{})
		if res.Location != receipts+"?resent=0" {
			t.Fatalf("resend within the hour: %q", res.Location)
		}
		// An hour later it may be resent.
		exec(t, d, `UPDATE notifications SET created_at = created_at - 3700 WHERE message_id = $1`, w.Message)
		exec(t, d, `UPDATE sms_outbox SET created_at = created_at - 3700`)
		// Now urgent: the SMS is urgent too.
		exec(t, d, `UPDATE messages SET category = 'urgent' WHERE id = $1`, w.Message)
		res = leader.PostForm(resend, url.Values{})
		if res.Location != receipts+"?resent=1" || smsQueued(t, d, w.Message, w.Parent) != 1 {
			t.Fatalf("resend after an hour: %q", res.Location)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notifications WHERE message_id = $1 AND channel = 'sms' AND status = 'queued' AND urgent`, w.Message); n != 1 {
			t.Errorf("urgent SMS: %d", n)
		}
	})
}

func TestResendIsForTheMessagesStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		exec(t, d, `UPDATE people SET phone = '+4791234567' WHERE id = $1`, w.Parent)
		exec(t, d, `UPDATE people SET phone = '+4791234570' WHERE id = $1`, w.OtherParent)
		for _, login := range []string{"othermanager", "parent", "coparent", "blocked", "assistant"} {
			c := s.Login(t, login, webtest.Password)
			if res := c.PostForm(fmt.Sprintf("/messages/%d/resend", w.Message), url.Values{}); res.Status != http.StatusNotFound {
				t.Errorf("%s: %d", login, res.Status)
			}
		}
		// The leader of group A cannot reach the other kindergarten's message.
		leader := s.Login(t, "leader", webtest.Password)
		if res := leader.PostForm(fmt.Sprintf("/messages/%d/resend", w.OtherMessage), url.Values{}); res.Status != http.StatusNotFound {
			t.Errorf("leader, other message: %d", res.Status)
		}
		if res := leader.PostForm("/messages/999999/resend", url.Values{}); res.Status != http.StatusNotFound {
			t.Errorf("missing message: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notifications WHERE channel = 'sms'`); n != 0 {
			t.Errorf("%d SMS queued by people without rights", n)
		}
		// A cross-site form post is refused.
		req, _ := http.NewRequest(http.MethodPost, s.URL+fmt.Sprintf("/messages/%d/resend", w.Message), strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := leader.Do(req); res.Status == http.StatusSeeOther {
			t.Errorf("cross-site resend accepted")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notifications WHERE channel = 'sms'`); n != 0 {
			t.Errorf("%d SMS queued cross-site", n)
		}
	})
}
