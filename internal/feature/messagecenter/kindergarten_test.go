package messagecenter_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/webtest"
)

// The manager writes to the whole kindergarten with the same phrasebook
// page as a group: previews in the languages of every group's families,
// sends, and follows it up on the kindergarten's message page.
func TestKindergartenAnnouncement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		manager := s.Login(t, "manager", webtest.Password)
		base := fmt.Sprintf("/k/%d", w.Kg)

		res := manager.Get(base + "/compose?q=votter")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `href="`+base+`/compose?phrase=clothes.mittens_two_pairs"`) ||
			!strings.Contains(res.Body, "Ny beskjed til hele barnehagen") || !strings.Contains(res.Body, "Går til 4 foresatte") {
			t.Fatalf("search: %d\n%s", res.Status, res.Body)
		}
		// Group A reads ti, ar, uk; group B nb; Boris (no information) is left out.
		res = manager.Get(base + "/compose?phrase=" + entry + "&Date=2026-12-01&preview=1")
		for _, lang := range []string{"nb", "ti", "ar", "uk"} {
			if !strings.Contains(res.Body, `id="preview-`+lang+`"`) {
				t.Errorf("no preview in %s", lang)
			}
		}
		if strings.Contains(res.Body, `id="preview-ru"`) || !strings.Contains(res.Body, `action="`+base+`/announcements"`) {
			t.Fatalf("preview:\n%s", res.Body)
		}
		// An entry naming a child is for that child's thread.
		if res := manager.PostForm(base+"/announcements", url.Values{"phrase_key": {"praise.good_day"}, "Child": {"Amina"}}); res.Status != http.StatusBadRequest ||
			!strings.Contains(res.Body, "ikke til hele barnehagen") {
			t.Errorf("child entry: %d", res.Status)
		}

		res = manager.PostForm(base+"/announcements", url.Values{"phrase_key": {entry}, "Date": {"2026-12-01"}})
		if res.Status != http.StatusSeeOther || res.Location != base+"/messages?sent=4" {
			t.Fatalf("send: %d %s\n%s", res.Status, res.Location, res.Body)
		}
		var msg, thread int64
		if err := d.R.QueryRow(`SELECT m.id, t.id FROM messages m JOIN threads t ON t.id = m.thread_id
			WHERE m.phrase_key = $1 AND t.kind = 'announcement' AND t.group_id IS NULL AND t.kindergarten_id = $2`, entry, w.Kg).Scan(&msg, &thread); err != nil {
			t.Fatalf("not stored as a kindergarten-wide announcement: %v", err)
		}
		for _, p := range []int64{w.Parent, w.Coparent, w.ParentB, w.Pending} {
			if count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2`, msg, p) != 1 {
				t.Errorf("person %d has no receipt", p)
			}
		}
		if count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2`, msg, w.Blocked) != 0 {
			t.Error("Boris (no access to information) received it")
		}
		page := manager.Get(res.Location)
		receipts := fmt.Sprintf("/messages/%d/receipts", msg)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Sendt til 4 foresatte") || !strings.Contains(page.Text(), "Lest av 0 av 4") ||
			!strings.Contains(page.Body, `href="`+receipts+`"`) || !strings.Contains(page.Body, "Beskjed til hele barnehagen") {
			t.Fatalf("kindergarten page:\n%s", page.Body)
		}
		if strings.Contains(page.Body, fmt.Sprintf(`href="/threads/%d"`, w.Thread)) {
			t.Error("a group's child thread is listed among the kindergarten-wide announcements")
		}

		// Bea, in group B, reads it and has a question; the follow-up
		// shows on the kindergarten's page, and Done leads back there.
		bea := s.Login(t, "parentb", webtest.Password)
		if res := bea.Get(fmt.Sprintf("/threads/%d", thread)); res.Status != http.StatusOK {
			t.Fatalf("Bea opens it: %d", res.Status)
		}
		if res := bea.PostForm(fmt.Sprintf("/messages/%d/answer", msg), url.Values{"answer": {"question"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("answer: %d", res.Status)
		}
		var followup int64
		d.R.QueryRow(`SELECT id FROM followups WHERE message_id = $1`, msg).Scan(&followup)
		page = manager.Get(base + "/messages")
		done := fmt.Sprintf("/followups/%d/done", followup)
		if !strings.Contains(page.Body, "Har et spørsmål") || !strings.Contains(page.Body, "Bea ParentB") || !strings.Contains(page.Body, done) ||
			!strings.Contains(page.Text(), "Lest av 1 av 4") {
			t.Fatalf("follow-up not on the kindergarten page:\n%s", page.Body)
		}
		if res := manager.Get(receipts); res.Status != http.StatusOK || !strings.Contains(res.Body, `href="`+base+`/messages"`) {
			t.Errorf("receipts: %d, want a way back to the kindergarten page", res.Status)
		}
		if res := manager.PostForm(done, nil); res.Status != http.StatusSeeOther || res.Location != base+"/messages" {
			t.Errorf("done: %d %s", res.Status, res.Location)
		}

		// Staff of the kindergarten read it, but only the manager writes to everyone.
		assistant := s.Login(t, "assistant", webtest.Password)
		res = assistant.Get(fmt.Sprintf("/threads/%d", thread))
		if res.Status != http.StatusOK || strings.Contains(res.Body, `class="reply"`) {
			t.Errorf("assistant's view: %d, reply form shown: %v", res.Status, strings.Contains(res.Body, `class="reply"`))
		}
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		if res := assistant.PostForm(fmt.Sprintf("/threads/%d/messages", thread), url.Values{"category": {"practical"}, "body": {"Til alle!"}}); res.Status != http.StatusNotFound {
			t.Errorf("assistant writes to the whole kindergarten: %d", res.Status)
		}
		if res := assistant.Get(receipts); res.Status != http.StatusOK || strings.Contains(res.Body, base+"/messages") {
			t.Errorf("assistant's receipts: %d (no link to the manager's page expected)", res.Status)
		}
		if count(t, d, `SELECT COUNT(*) FROM messages`) != before {
			t.Error("the assistant's message was stored")
		}
		res = manager.Get(fmt.Sprintf("/threads/%d", thread))
		if !strings.Contains(res.Body, `class="reply"`) {
			t.Error("the manager has no reply form in the kindergarten-wide thread")
		}
		// The way there: the admin page, its menu and the inbox.
		for _, p := range []string{base + "/admin", "/inbox"} {
			if res := manager.Get(p); !strings.Contains(res.Body, `href="`+base+`/messages"`) {
				t.Errorf("%s has no link to the kindergarten's announcements", p)
			}
		}
	})
}

// Free text to the whole kindergarten: health is refused, with the way
// out, while some family reads another language; practical goes out and
// is queued for translation into every reader language.
func TestKindergartenFreeText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		owner := s.Login(t, "owner", webtest.Password)
		path := fmt.Sprintf("/k/%d/announcements", w.Kg)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		res := owner.PostForm(path, url.Values{"category": {"health"}, "body": {"Det er omgangssyke i barnehagen."}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "omgangssyke i barnehagen.</textarea>") ||
			!strings.Contains(res.Body, "tolk") || !strings.Contains(res.Body, `aria-describedby="e-category"`) {
			t.Fatalf("health: %d\n%s", res.Status, res.Body)
		}
		if res := owner.PostForm(path, url.Values{"category": {"practical"}, "body": {""}}); res.Status != http.StatusBadRequest {
			t.Errorf("empty: %d", res.Status)
		}
		if count(t, d, `SELECT COUNT(*) FROM messages`) != before {
			t.Fatal("a refused message was stored")
		}
		body := "Barnehagen stenger kl. 15 på fredag."
		if res := owner.PostForm(path, url.Values{"category": {"practical"}, "body": {body}}); res.Status != http.StatusSeeOther {
			t.Fatalf("practical: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM message_translations t JOIN messages m ON m.id = t.message_id WHERE m.body = $1`, body); n != 3 {
			t.Errorf("%d translation jobs, want ar, ti, uk", n)
		}
	})
}

// Only the manager and the owner admin reach the kindergarten's
// announcement pages; the rest get 404 and store nothing.
func TestKindergartenPagesOthersGet404(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		base := fmt.Sprintf("/k/%d", w.Kg)
		for _, login := range []string{"leader", "assistant", "parent", "parentb", "blocked", "othermanager", "otherparent"} {
			c := s.Login(t, login, webtest.Password)
			for _, p := range []string{base + "/messages", base + "/compose", base + "/compose?phrase=" + entry + "&Date=2026-12-01&preview=1"} {
				if res := c.Get(p); res.Status != http.StatusNotFound {
					t.Errorf("%s GET %s: %d", login, p, res.Status)
				}
			}
			if res := c.PostForm(base+"/announcements", url.Values{"category": {"practical"}, "body": {"Hei alle"}}); res.Status != http.StatusNotFound {
				t.Errorf("%s announces: %d", login, res.Status)
			}
		}
		// The other kindergarten's manager cannot write to this one, nor
		// this manager to theirs.
		if res := s.Login(t, "manager", webtest.Password).PostForm(fmt.Sprintf("/k/%d/announcements", w.OtherKg), url.Values{"category": {"practical"}, "body": {"Hei"}}); res.Status != http.StatusNotFound {
			t.Errorf("manager to the other kindergarten: %d", res.Status)
		}
		if count(t, d, `SELECT COUNT(*) FROM messages`) != before {
			t.Error("a message was stored by someone without rights")
		}
	})
}
