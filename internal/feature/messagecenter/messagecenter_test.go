package messagecenter_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/media/mediatest"
	"tillit/internal/phrasebook"
	"tillit/internal/webtest"
)

// entry is a phrasebook entry with one date slot, used throughout.
const entry = "trips.outdoor_day"

func setup(t *testing.T, d *db.DB) (*webtest.World, *webtest.Server) {
	t.Helper()
	return webtest.NewWorld(t, d), webtest.NewServer(t, d, app.Handler)
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSearchAndPreviewInEveryRecipientLanguage(t *testing.T) {
	book, err := phrasebook.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := book.Get(entry)
	if !ok {
		t.Fatalf("phrasebook has no %s", entry)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		base := fmt.Sprintf("/groups/%d/compose", w.GroupA)

		res := leader.Get(base + "?q=votter")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "phrase=clothes.mittens_two_pairs") {
			t.Fatalf("search votter: %d\n%s", res.Status, res.Body)
		}
		// Searching an entry's own Norwegian title finds it.
		res = leader.Get(base + "?q=" + url.QueryEscape(e.Title))
		if !strings.Contains(res.Body, "phrase="+entry) {
			t.Fatalf("search %q did not find %s", e.Title, entry)
		}
		// Browsing by category.
		res = leader.Get(base + "?cat=" + e.Category)
		if !strings.Contains(res.Body, "phrase="+entry) {
			t.Fatalf("category %s does not list %s", e.Category, entry)
		}
		// Choosing shows the typed field.
		res = leader.Get(base + "?phrase=" + entry)
		if !strings.Contains(res.Body, `name="Date" type="date"`) {
			t.Fatalf("no date field:\n%s", res.Body)
		}
		// The preview: one block per recipient language of group A.
		slots := map[string]string{"Date": "2026-12-01"}
		res = leader.Get(base + "?phrase=" + entry + "&Date=2026-12-01&preview=1")
		if res.Status != http.StatusOK {
			t.Fatalf("preview: %d\n%s", res.Status, res.Body)
		}
		for _, lang := range []string{"ti", "ar", "uk"} {
			r, err := book.Render(entry, slots, lang)
			if err != nil {
				t.Fatal(err)
			}
			block := regexp.MustCompile(`(?s)<li id="preview-` + lang + `">.*?</li>`).FindString(res.Body)
			if block == "" {
				t.Fatalf("no preview in %s:\n%s", lang, res.Body)
			}
			if !strings.Contains(block, fmt.Sprintf(`lang="%s" dir="%s"`, r.Lang, r.Dir)) || !strings.Contains(block, string(r.HTML)) {
				t.Errorf("preview %s lacks lang/dir %s/%s or text:\n%s", lang, r.Lang, r.Dir, block)
			}
			if r.Fallback != strings.Contains(block, "tag warn") {
				t.Errorf("preview %s: fallback %v not shown right:\n%s", lang, r.Fallback, block)
			}
		}
		if strings.Contains(res.Body, `id="preview-ru"`) {
			t.Error("a preview for Boris (no access to information) was shown")
		}
		if !strings.Contains(res.Body, `action="/groups/`+fmt.Sprint(w.GroupA)+`/announcements"`) {
			t.Error("no send form after a good preview")
		}
	})
}

func TestSendPhrasebookAnnouncement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		path := fmt.Sprintf("/groups/%d/announcements", w.GroupA)
		res := leader.PostForm(path, url.Values{"phrase_key": {entry}, "Date": {"2026-12-01"}})
		want := fmt.Sprintf("/groups/%d/messages?sent=3", w.GroupA)
		if res.Status != http.StatusSeeOther || res.Location != want {
			t.Fatalf("send: %d %s\n%s", res.Status, res.Location, res.Body)
		}
		var id int64
		var slots string
		if err := d.R.QueryRow(`SELECT id, phrase_slots FROM messages WHERE phrase_key = $1`, entry).Scan(&id, &slots); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(slots, "2026-12-01") {
			t.Errorf("slots %q", slots)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1`, id); n != 3 {
			t.Errorf("receipts: %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM message_translations WHERE message_id = $1`, id); n != 0 {
			t.Errorf("a phrasebook message queued %d translations", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM threads t JOIN messages m ON m.thread_id = t.id WHERE m.id = $1 AND t.kind = 'announcement' AND t.group_id = $2`, id, w.GroupA); n != 1 {
			t.Error("not an announcement to group A")
		}
		page := leader.Get(res.Location)
		if !strings.Contains(page.Body, "Sendt til 3 foresatte") || !strings.Contains(page.Text(), "Lest av 0 av 3") {
			t.Fatalf("group page after sending:\n%s", page.Body)
		}
	})
}

func TestFreeText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		path := fmt.Sprintf("/groups/%d/announcements", w.GroupA)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)

		// Health as free text to families who read other languages: refused.
		res := leader.PostForm(path, url.Values{"category": {"health"}, "body": {"Det er lus på avdelingen."}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Det er lus på avdelingen.</textarea>") ||
			!strings.Contains(res.Body, "tolk") || !strings.Contains(res.Body, "parlør") {
			t.Fatalf("health free text: %d\n%s", res.Status, res.Body)
		}
		for _, bad := range []url.Values{
			{"category": {"practical"}, "body": {"   "}},
			{"category": {"practical"}, "body": {"Hei \u202Eevil"}},
			{"category": {"practical"}, "body": {"Hei\u2028evil"}},
			{"category": {"practical"}, "body": {"Hei\uFEFF"}},
			{"category": {"practical"}, "body": {strings.Repeat("a", 2001)}},
			{"category": {"nonsense"}, "body": {"Hei"}},
			{},
		} {
			if res := leader.PostForm(path, bad); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `class="err"`) {
				t.Errorf("%v: %d", bad, res.Status)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Fatalf("refused messages were stored: %d → %d", before, n)
		}

		body := "Husk <script>alert(1)</script> regntøy i morgen."
		res = leader.PostForm(path, url.Values{"category": {"practical"}, "body": {body}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("practical free text: %d\n%s", res.Status, res.Body)
		}
		var id int64
		d.R.QueryRow(`SELECT id FROM messages WHERE body = $1`, body).Scan(&id)
		rows, err := d.R.Query(`SELECT lang FROM message_translations WHERE message_id = $1 AND status = 'pending' ORDER BY lang`, id)
		if err != nil {
			t.Fatal(err)
		}
		var langs []string
		for rows.Next() {
			var l string
			rows.Scan(&l)
			langs = append(langs, l)
		}
		rows.Close()
		if strings.Join(langs, " ") != "ar ti uk" {
			t.Fatalf("pending translations: %v", langs)
		}
		page := leader.Get(res.Location)
		if strings.Contains(page.Body, "<script>alert") || !strings.Contains(page.Body, "&lt;script&gt;") {
			t.Fatal("free text not escaped on the group page")
		}
	})
}

func TestInvalidSlotStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		res := leader.PostForm(fmt.Sprintf("/groups/%d/announcements", w.GroupA), url.Values{"phrase_key": {entry}, "Date": {"2026-13-40"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `value="2026-13-40" required aria-invalid="true"`) {
			t.Fatalf("invalid date: %d\n%s", res.Status, res.Body)
		}
		res = leader.Get(fmt.Sprintf("/groups/%d/compose?phrase=%s&Date=2026-13-40&preview=1", w.GroupA, entry))
		if res.Status != http.StatusBadRequest || strings.Contains(res.Body, `id="preview-`) {
			t.Fatalf("invalid date preview: %d", res.Status)
		}
		// A missing value, an item outside the closed list, an unknown entry.
		for _, v := range []url.Values{
			{"phrase_key": {entry}},
			{"phrase_key": {"clothes.wash_rain_gear"}, "Weekday": {"someday"}},
			{"phrase_key": {"no.such_entry"}},
			// An entry naming a child is never an announcement.
			{"phrase_key": {"praise.good_day"}, "Child": {"Amina"}},
		} {
			if res := leader.PostForm(fmt.Sprintf("/groups/%d/announcements", w.GroupA), v); res.Status != http.StatusBadRequest {
				t.Errorf("%v: %d", v, res.Status)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Fatal("an invalid phrasebook message was stored")
		}
	})
}

func TestReceiptsAndFollowups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		d.W.Exec(`UPDATE people SET phone = '+4791234567', name = '<b>Pedro</b> Parent' WHERE id = $1`, w.Parent)
		leader := s.Login(t, "leader", webtest.Password)
		res := leader.Get(fmt.Sprintf("/messages/%d/receipts", w.Message))
		if res.Status != http.StatusOK {
			t.Fatalf("receipts: %d", res.Status)
		}
		if !strings.Contains(res.Body, "&lt;b&gt;Pedro&lt;/b&gt; Parent") || strings.Contains(res.Body, "<b>Pedro</b>") {
			t.Fatal("recipient name missing or not escaped")
		}
		if !strings.Contains(res.Body, "Jeg trenger tolk") || !strings.Contains(res.Body, `href="tel:&#43;4791234567"`) && !strings.Contains(res.Body, `href="tel:+4791234567"`) {
			t.Fatalf("receipts page:\n%s", res.Body)
		}
		if !strings.Contains(res.Text(), "1 av 1 har lest") || !strings.Contains(res.Body, "tigrinja") {
			t.Fatalf("summary or language missing:\n%s", res.Text())
		}

		group := fmt.Sprintf("/groups/%d/messages", w.GroupA)
		done := fmt.Sprintf("/followups/%d/done", w.Followup)
		page := leader.Get(group)
		if !strings.Contains(page.Body, "Trenger tolk") || !strings.Contains(page.Body, done) || !strings.Contains(page.Body, "tel:") {
			t.Fatalf("follow-up missing:\n%s", page.Body)
		}
		if !strings.Contains(page.Text(), "Lest av 1 av 1") || !strings.Contains(page.Body, fmt.Sprintf("/messages/%d/receipts", w.Message)) {
			t.Fatalf("thread summary missing:\n%s", page.Body)
		}
		res = leader.PostForm(done, url.Values{})
		if res.Status != http.StatusSeeOther || res.Location != group {
			t.Fatalf("done: %d %s", res.Status, res.Location)
		}
		if page := leader.Get(group); strings.Contains(page.Body, done) {
			t.Fatal("the follow-up is still shown after Done")
		}
	})
}

func TestOthersGet404(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		for _, login := range []string{"assistant", "othermanager", "parent", "coparent"} {
			c := s.Login(t, login, webtest.Password)
			for _, p := range []string{
				fmt.Sprintf("/groups/%d/messages", w.GroupA),
				fmt.Sprintf("/groups/%d/compose?phrase=%s&Date=2026-12-01&preview=1", w.GroupA, entry),
				fmt.Sprintf("/messages/%d/receipts", w.Message),
			} {
				if res := c.Get(p); res.Status != http.StatusNotFound || strings.Contains(res.Body, "Pedro") {
					t.Errorf("%s GET %s: %d", login, p, res.Status)
				}
			}
			if res := c.PostForm(fmt.Sprintf("/groups/%d/announcements", w.GroupA), url.Values{"category": {"practical"}, "body": {"Hei"}}); res.Status != http.StatusNotFound {
				t.Errorf("%s announce: %d", login, res.Status)
			}
			if res := c.PostForm(fmt.Sprintf("/followups/%d/done", w.Followup), nil); res.Status != http.StatusNotFound {
				t.Errorf("%s done: %d", login, res.Status)
			}
		}
		// The leader of group A cannot reach the other kindergarten's.
		leader := s.Login(t, "leader", webtest.Password)
		if res := leader.Get(fmt.Sprintf("/messages/%d/receipts", w.OtherMessage)); res.Status != http.StatusNotFound {
			t.Errorf("other kindergarten's receipts: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Error("a message was stored by someone without rights")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM followups WHERE done_at IS NULL AND id = $1`, w.Followup); n != 1 {
			t.Error("someone without rights closed the follow-up")
		}
	})
}

func TestVoiceAnnouncement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w, s := setup(t, d)
		leader := s.Login(t, "leader", webtest.Password)
		path := fmt.Sprintf("/groups/%d/announcements", w.GroupA)
		// The compose page offers the recorder with the free text.
		if page := leader.Get(fmt.Sprintf("/groups/%d/compose", w.GroupA)); !strings.Contains(page.Body, `name="voice"`) || !strings.Contains(page.Body, `enctype="multipart/form-data"`) {
			t.Fatal("no voice field on the compose page")
		}
		// A bad file: refused on its field, nothing stored.
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		res := leader.PostMultipart(path, url.Values{"category": {"practical"}, "body": {"Hør her"}}, map[string]webtest.Upload{"voice": {Name: "v.webm", Data: mediatest.WebM(true)}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="e-voice"`) || !strings.Contains(res.Body, "Hør her</textarea>") {
			t.Fatalf("video as voice: %d", res.Status)
		}
		// A health message as voice alone is not machine-translated, so
		// it may go to families of every language.
		res = leader.PostMultipart(path, url.Values{"category": {"health"}}, map[string]webtest.Upload{"voice": {Name: "v.webm", Data: mediatest.WebM(false)}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("voice announcement: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before+1 {
			t.Fatalf("%d messages stored, want 1", n-before)
		}
		var msg int64
		d.R.QueryRow(`SELECT message_id FROM attachments WHERE kind = 'audio'`).Scan(&msg)
		if n := count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1`, msg); n == 0 {
			t.Error("no recipients")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM message_translations WHERE message_id = $1`, msg); n != 0 {
			t.Errorf("%d translation jobs for a voice message", n)
		}
		// The message centre shows it with a paper clip, not an empty line.
		if page := leader.Get(res.Location); !strings.Contains(page.Body, "📎") {
			t.Error("voice announcement not shown in the message centre")
		}
		// The parent hears it.
		var att int64
		d.R.QueryRow(`SELECT id FROM attachments WHERE message_id = $1`, msg).Scan(&att)
		if got := s.Login(t, "parent", webtest.Password).Get(fmt.Sprintf("/attachments/%d", att)); got.Status != 200 {
			t.Errorf("parent fetches the voice announcement: %d", got.Status)
		}
		if n, _ := s.Env.Files.Files(); n != 1 {
			t.Errorf("%d files in the store, want 1", n)
		}
	})
}
