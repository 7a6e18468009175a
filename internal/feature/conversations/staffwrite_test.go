package conversations_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/webtest"
)

func privateURL(child, guardian int64) string {
	return fmt.Sprintf("/children/%d/guardians/%d/messages", child, guardian)
}

// The leader of Amina's group sees on her page the shared thread and
// whom it reaches, and may write privately to each guardian who has
// access to information — never to Boris, who has none.
func TestStaffChildPageMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := login(t, s, "leader")
		page := leader.Get(fmt.Sprintf("/children/%d", w.ChildA1))
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `id="messages"`) {
			t.Fatalf("child page: %d\n%s", page.Status, page.Body)
		}
		shared := page.Body[strings.Index(page.Body, `id="messages"`):]
		shared = shared[:strings.Index(shared, "<h3>"+"Skriv privat")]
		if !strings.Contains(shared, `href="`+threadURL(w.Thread)+`"`) || !strings.Contains(shared, "1 melding") {
			t.Errorf("no link to the child's thread with its count:\n%s", shared)
		}
		if !strings.Contains(shared, "<bdi>Pedro Parent</bdi>") || strings.Contains(shared, "Cora") || strings.Contains(shared, "Boris") {
			t.Errorf("the shared thread should reach Pedro only:\n%s", shared)
		}
		if !strings.Contains(shared, fmt.Sprintf(`action="/children/%d/messages"`, w.ChildA1)) || !strings.Contains(shared, `<select id="f-category" name="category">`) {
			t.Errorf("no form for the shared thread:\n%s", shared)
		}
		for _, g := range []int64{w.Parent, w.Coparent} {
			if !strings.Contains(page.Body, `action="`+privateURL(w.ChildA1, g)+`"`) || !strings.Contains(page.Body, fmt.Sprintf(`id="f-p%d-body"`, g)) {
				t.Errorf("no private form for guardian %d", g)
			}
		}
		if strings.Contains(page.Body, privateURL(w.ChildA1, w.Blocked)) {
			t.Error("a private form to the guardian without access to information")
		}
		// Aron's guardian has not accepted the invitation: offered, and said so.
		page = leader.Get(fmt.Sprintf("/children/%d", w.ChildA2))
		if !strings.Contains(page.Body, privateURL(w.ChildA2, w.Pending)) || !strings.Contains(page.Body, "når invitasjonen er tatt imot") {
			t.Errorf("pending guardian not offered or not explained:\n%s", page.Body)
		}
		if !strings.Contains(page.Body, "Ingen samtale om barnet ennå") {
			t.Error("Aron has no thread yet; the page should say so")
		}
	})
}

// Writing in the shared thread from the child's page: a sensitive
// category in free text to a family that reads Tigrinya is refused with
// the way out, and nothing typed is lost; errors are marked on the field.
func TestStaffWritesAboutAChild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := login(t, s, "leader")
		path := fmt.Sprintf("/children/%d/messages", w.ChildA1)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)

		res := leader.PostForm(path, url.Values{"category": {"health"}, "body": {"Amina har hatt feber i dag."}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `role="alert" id="sensitive"`) ||
			!strings.Contains(res.Body, "Amina har hatt feber i dag.</textarea>") || !strings.Contains(res.Body, `aria-describedby="e-category"`) ||
			!strings.Contains(res.Body, `<option value="health" selected>`) || !strings.Contains(res.Body, fmt.Sprintf(`href="/children/%d"`, w.ChildA1)) {
			t.Fatalf("health free text: %d\n%s", res.Status, res.Body)
		}
		res = leader.PostForm(path, url.Values{"category": {"practical"}, "body": {"  "}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `aria-invalid="true" aria-describedby="e-body"`) {
			t.Fatalf("empty: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Fatal("a refused message was stored")
		}
		res = leader.PostForm(path, url.Values{"category": {"practical"}, "body": {"Amina trenger nye votter."}})
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, threadURL(w.Thread)+"#m") {
			t.Fatalf("practical: %d %s", res.Status, res.Location)
		}
	})
}

// Writing privately to one guardian: only they (and staff) get it; the
// other guardian does not see the thread.
func TestStaffWritesPrivately(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := login(t, s, "leader")
		body := "Hei Cora! Kan vi snakke om hentingen på fredag?"
		res := leader.PostForm(privateURL(w.ChildA1, w.Coparent), url.Values{"category": {"practical"}, "body": {body}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("private message: %d\n%s", res.Status, res.Body)
		}
		var thread, msg, guardian int64
		var kind string
		if err := d.R.QueryRow(`SELECT t.id, m.id, t.kind, t.guardian_id FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.body = $1`, body).
			Scan(&thread, &msg, &kind, &guardian); err != nil {
			t.Fatal(err)
		}
		if kind != "private" || guardian != w.Coparent || res.Location != fmt.Sprintf("%s#m%d", threadURL(thread), msg) {
			t.Fatalf("stored as %s to %d, redirected to %s", kind, guardian, res.Location)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1`, msg); n != 1 ||
			count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2`, msg, w.Coparent) != 1 {
			t.Fatalf("receipts: %d, want Cora's only", n)
		}
		cora := login(t, s, "coparent")
		if in := cora.Get("/inbox"); !strings.Contains(in.Body, `href="`+threadURL(thread)+`"`) {
			t.Errorf("Cora's inbox lacks the private thread:\n%s", in.Body)
		}
		if res := cora.Get(threadURL(thread)); res.Status != http.StatusOK || !strings.Contains(res.Body, "Kan vi snakke om hentingen") {
			t.Errorf("Cora reads it: %d", res.Status)
		}
		for _, who := range []string{"parent", "blocked"} {
			if res := login(t, s, who).Get(threadURL(thread)); res.Status != http.StatusNotFound {
				t.Errorf("%s opens Cora's private thread: %d", who, res.Status)
			}
		}
		// A second message goes to the same thread, and the child's page links it.
		if res := leader.PostForm(privateURL(w.ChildA1, w.Coparent), url.Values{"category": {"general"}, "body": {"Takk!"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("second: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM threads WHERE kind = 'private' AND child_id = $1 AND guardian_id = $2`, w.ChildA1, w.Coparent); n != 1 {
			t.Errorf("%d private threads, want 1", n)
		}
		page := leader.Get(fmt.Sprintf("/children/%d", w.ChildA1))
		if !strings.Contains(page.Body, `href="`+threadURL(thread)+`"`) || !strings.Contains(page.Body, "2 meldinger") {
			t.Errorf("child page lacks the private thread link:\n%s", page.Body)
		}
		// Errors come back on the private form page, with its title.
		res = leader.PostForm(privateURL(w.ChildA1, w.Coparent), url.Values{"category": {"nonsense"}, "body": {"Hei"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Privat til Cora Coparent om Amina") ||
			!strings.Contains(res.Body, `action="`+privateURL(w.ChildA1, w.Coparent)+`"`) || !strings.Contains(res.Body, `aria-describedby="e-category"`) {
			t.Errorf("bad category: %d\n%s", res.Status, res.Body)
		}
		// Cora reads Arabic: health as free text is refused here too.
		res = leader.PostForm(privateURL(w.ChildA1, w.Coparent), url.Values{"category": {"health"}, "body": {"Amina slo seg i dag."}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="sensitive"`) {
			t.Errorf("health to an Arabic reader: %d", res.Status)
		}
		// A guardian who has not signed up yet gets it when they do.
		if res := leader.PostForm(privateURL(w.ChildA2, w.Pending), url.Values{"category": {"practical"}, "body": {"Velkommen!"}}); res.Status != http.StatusSeeOther {
			t.Errorf("to the pending guardian: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.body = 'Velkommen!' AND r.person_id = $1`, w.Pending); n != 1 {
			t.Errorf("pending guardian's receipts: %d", n)
		}
	})
}

// What attackers try: writing privately to a guardian without access to
// information, to another child's guardian, from another group or
// kindergarten, as a parent, or with an id that is not one. All 404, and
// nothing is stored.
func TestPrivateMessageAttacks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		form := url.Values{"category": {"practical"}, "body": {"Hei"}}
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		cases := []struct {
			who  string
			path string
		}{
			{"leader", privateURL(w.ChildA1, w.Blocked)},
			{"manager", privateURL(w.ChildA1, w.Blocked)},
			{"leader", privateURL(w.ChildA1, w.ParentB)},
			{"leader", privateURL(w.ChildA1, w.Leader)},
			{"leader", privateURL(w.ChildB1, w.ParentB)},
			{"leader", privateURL(w.OtherChild, w.OtherParent)},
			{"assistant", privateURL(w.ChildA1, w.Parent)},
			{"othermanager", privateURL(w.ChildA1, w.Parent)},
			{"parent", privateURL(w.ChildA1, w.Coparent)},
			{"coparent", privateURL(w.ChildA1, w.Coparent)},
			{"blocked", privateURL(w.ChildA1, w.Blocked)},
			{"leader", fmt.Sprintf("/children/%d/guardians/x/messages", w.ChildA1)},
			{"leader", fmt.Sprintf("/children/%d/guardians/-1/messages", w.ChildA1)},
			{"leader", fmt.Sprintf("/children/%d/guardians/%d/messages", 999999, w.Parent)},
		}
		for _, tc := range cases {
			if res := login(t, s, tc.who).PostForm(tc.path, form); res.Status != http.StatusNotFound {
				t.Errorf("%s POST %s: %d, want 404", tc.who, tc.path, res.Status)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Errorf("%d messages stored by attacks", n-before)
		}
		// The staff page's messages section is not shown to guardians.
		if res := login(t, s, "parent").Get(fmt.Sprintf("/children/%d", w.ChildA1)); strings.Contains(res.Body, "/guardians/") {
			t.Error("a guardian's child page offers private forms")
		}
	})
}
