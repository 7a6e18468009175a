package conversations_test

import (
	"compress/gzip"
	"context"
	"database/sql"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/conversations"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/phrasebook"
	"tillit/internal/translate"
	"tillit/internal/webtest"
)

func login(t *testing.T, s *webtest.Server, who string) *webtest.Client {
	return s.Login(t, who, webtest.Password)
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func threadURL(id int64) string { return "/threads/" + strconv.FormatInt(id, 10) }

func TestGuardianReadsTranslatesAndAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		parent := login(t, s, "parent")
		// (The fixture's message was answered, so it is read.) A new one:
		if res := login(t, s, "leader").PostForm(threadURL(w.Thread)+"/messages", url.Values{"category": {"practical"}, "body": {"Vi går på tur i morgen."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("leader writes: %d", res.Status)
		}

		// The inbox lists the child's thread with one unread message.
		in := parent.Get("/inbox")
		if in.Status != 200 || !strings.Contains(in.Body, `href="`+threadURL(w.Thread)+`"`) || !strings.Contains(in.Body, i18n.New("ti").T("conversations.inbox.unread", "Count", 1)) {
			t.Fatalf("inbox: %d\n%s", in.Status, in.Body)
		}

		// The parent reads Tigrinya; the translation is still pending:
		// the original, with "translation pending".
		res := parent.Get(threadURL(w.Thread))
		if res.Status != 200 || !strings.Contains(res.Body, "Husk ekstra votter i morgen.") {
			t.Fatalf("thread: %d\n%s", res.Status, res.Body)
		}
		if !strings.Contains(res.Body, `class="mt muted"`) || strings.Contains(res.Body, `<details class="mt-original"`) {
			t.Errorf("pending translation not labelled:\n%s", res.Body)
		}
		if !strings.Contains(res.Body, `lang="nb" dir="auto">Husk ekstra`) {
			t.Errorf("original not marked as Norwegian:\n%s", res.Body)
		}
		// Viewing marked it read: the inbox count is gone.
		if n := count(t, d, `SELECT COUNT(*) FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = $1 AND r.person_id = $2 AND r.read_at IS NULL`, w.Thread, w.Parent); n != 0 {
			t.Fatalf("not marked read")
		}
		if in := parent.Get("/inbox"); strings.Contains(in.Body, "tag warn") {
			t.Errorf("unread count still shown:\n%s", in.Body)
		}

		// The worker finished the translation: shown, labelled, original a tap away.
		const ti = "ተወሳኺ ጓንቲ ሓስቡ"
		if _, err := d.W.Exec(`UPDATE message_translations SET status = 'done', text = $1, provider = 'libretranslate' WHERE message_id = $2 AND lang = 'ti'`, ti, w.Message); err != nil {
			t.Fatal(err)
		}
		res = parent.Get(threadURL(w.Thread))
		body := res.Body
		i, j := strings.Index(body, ti), strings.Index(body, `<details class="mt-original"`)
		if i < 0 || j < i || !strings.Contains(body[j:], "Husk ekstra votter i morgen.") || !strings.Contains(body[j:], `lang="nb"`) {
			t.Fatalf("translation / original:\n%s", body)
		}
		if !strings.Contains(body, `lang="ti" dir="auto">`+ti) {
			t.Errorf("translation not marked ti")
		}
		// The label names the source language (in the UI language).
		tiL := i18n.New("ti")
		if !strings.Contains(res.Body, tiL.T("msg.mt.label", "Lang", tiL.T("lang.nb"))) {
			t.Errorf("no machine-translation label:\n%s", res.Text())
		}

		// One tap: "I have a question" → receipt and a follow-up.
		before := count(t, d, `SELECT COUNT(*) FROM followups WHERE message_id = $1 AND kind = 'question' AND done_at IS NULL`, w.Message)
		a := parent.PostForm("/messages/"+strconv.FormatInt(w.Message, 10)+"/answer", url.Values{"answer": {"question"}})
		if a.Status != http.StatusSeeOther || a.Location != threadURL(w.Thread)+"#m"+strconv.FormatInt(w.Message, 10) {
			t.Fatalf("answer: %d %s", a.Status, a.Location)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM receipts WHERE message_id = $1 AND person_id = $2 AND answer = 'question'`, w.Message, w.Parent); n != 1 {
			t.Error("answer not stored")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM followups WHERE message_id = $1 AND kind = 'question' AND done_at IS NULL`, w.Message); n != before+1 {
			t.Errorf("follow-ups %d → %d", before, n)
		}
		res = parent.Get(threadURL(w.Thread))
		if !strings.Contains(res.Body, `value="question" class="selected" aria-pressed="true"`) {
			t.Errorf("answer not shown as selected:\n%s", res.Body)
		}
		if a := parent.PostForm("/messages/"+strconv.FormatInt(w.Message, 10)+"/answer", url.Values{"answer": {"maybe"}}); a.Status != http.StatusBadRequest {
			t.Errorf("bad answer: %d", a.Status)
		}

		// Staff see how the message did.
		leader := login(t, s, "leader")
		res = leader.Get(threadURL(w.Thread))
		if res.Status != 200 || !strings.Contains(res.Body, `href="/messages/`+strconv.FormatInt(w.Message, 10)+`/receipts"`) {
			t.Errorf("staff stats:\n%s", res.Body)
		}
		if strings.Contains(res.Body, `action="/messages/`) {
			t.Error("staff get answer buttons")
		}
	})
}

func TestWhoSeesTheThread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		// The co-parent (no parental responsibility) is not in the child's
		// shared thread (404); writing about the child starts their
		// private thread with the group.
		co := login(t, s, "coparent")
		if res := co.Get(threadURL(w.Thread)); res.Status != 404 || strings.Contains(res.Body, "Husk ekstra votter") {
			t.Fatalf("coparent: %d\n%s", res.Status, res.Body)
		}
		if res := co.PostForm(threadURL(w.Thread)+"/messages", url.Values{"body": {"hei"}}); res.Status != 404 {
			t.Errorf("coparent reply: %d", res.Status)
		}
		if in := co.Get("/inbox"); strings.Contains(in.Body, `href="`+threadURL(w.Thread)+`"`) {
			t.Error("coparent's inbox lists a thread with nothing for them")
		}
		res := co.PostForm("/children/"+strconv.FormatInt(w.ChildA1, 10)+"/messages", url.Values{"body": {"Jeg henter i dag."}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("coparent writes: %d", res.Status)
		}
		if strings.HasPrefix(res.Location, threadURL(w.Thread)+"#") {
			t.Fatal("coparent wrote in the shared thread")
		}
		res = co.Get(strings.Split(res.Location, "#")[0])
		if res.Status != 200 || !strings.Contains(res.Body, "Jeg henter i dag.") || strings.Contains(res.Body, "Husk ekstra votter") {
			t.Fatalf("coparent after writing: %d\n%s", res.Status, res.Body)
		}
		for _, who := range []string{"blocked", "otherparent", "parentb", "assistant"} {
			c := login(t, s, who)
			if res := c.Get(threadURL(w.Thread)); res.Status != 404 {
				t.Errorf("%s: %d", who, res.Status)
			}
			if res := c.PostForm(threadURL(w.Thread)+"/messages", url.Values{"body": {"hei"}}); res.Status != 404 {
				t.Errorf("%s reply: %d", who, res.Status)
			}
			if in := c.Get("/inbox"); strings.Contains(in.Body, `href="`+threadURL(w.Thread)+`"`) {
				t.Errorf("%s inbox shows the message", who)
			}
		}
		// A guardian who lost access no longer sees the thread in the inbox.
		parent := login(t, s, "parent")
		if in := parent.Get("/inbox"); !strings.Contains(in.Body, `href="`+threadURL(w.Thread)+`"`) {
			t.Fatal("parent's inbox misses the thread")
		}
		if _, err := d.W.Exec(`UPDATE guardianships SET no_information = TRUE WHERE child_id = $1 AND person_id = $2`, w.ChildA1, w.Parent); err != nil {
			t.Fatal(err)
		}
		if in := parent.Get("/inbox"); strings.Contains(in.Body, `href="`+threadURL(w.Thread)+`"`) || strings.Contains(in.Body, "Husk ekstra") {
			t.Error("inbox shows a thread of a child the parent may no longer see")
		}
		// Staff get links to their groups' message pages only.
		in := login(t, s, "leader").Get("/inbox")
		if !strings.Contains(in.Body, "/groups/"+strconv.FormatInt(w.GroupA, 10)+"/messages") || strings.Contains(in.Body, "/groups/"+strconv.FormatInt(w.GroupB, 10)+"/messages") {
			t.Errorf("staff inbox:\n%s", in.Body)
		}
	})
}

func TestReplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		msgs := func() int { return count(t, d, `SELECT COUNT(*) FROM messages WHERE thread_id = $1`, w.Thread) }
		n := msgs()

		// Health in free text to a Tigrinya reader: refused, explained, kept.
		leader := login(t, s, "leader")
		typed := "Amina hadde feber i dag."
		res := leader.PostForm(threadURL(w.Thread)+"/messages", url.Values{"category": {"health"}, "body": {typed}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, typed) || !strings.Contains(res.Body, `id="sensitive"`) ||
			!strings.Contains(res.Body, "/groups/"+strconv.FormatInt(w.GroupA, 10)+"/compose") {
			t.Fatalf("sensitive: %d\n%s", res.Status, res.Body)
		}
		if msgs() != n {
			t.Fatal("a sensitive machine-translated message was stored")
		}
		// The same text as practical goes out.
		res = leader.PostForm(threadURL(w.Thread)+"/messages", url.Values{"category": {"practical"}, "body": {"Vi går på tur i morgen."}})
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, threadURL(w.Thread)+"#m") || msgs() != n+1 {
			t.Fatalf("staff reply: %d %s", res.Status, res.Location)
		}
		// An unknown category is a form error.
		if res := leader.PostForm(threadURL(w.Thread)+"/messages", url.Values{"category": {"gossip"}, "body": {"x"}}); res.Status != 400 || msgs() != n+1 {
			t.Errorf("bad category: %d", res.Status)
		}

		// A guardian's script is stored as text and shown escaped.
		parent := login(t, s, "parent")
		xss := "<script>alert(1)</script>"
		res = parent.PostForm(threadURL(w.Thread)+"/messages", url.Values{"body": {xss}, "category": {"urgent"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("guardian reply: %d\n%s", res.Status, res.Body)
		}
		var body, cat, lang string
		if err := d.R.QueryRow(`SELECT body, category, lang FROM messages WHERE thread_id = $1 ORDER BY id DESC LIMIT 1`, w.Thread).Scan(&body, &cat, &lang); err != nil {
			t.Fatal(err)
		}
		if body != xss || cat != "general" || lang != "ti" {
			t.Errorf("stored %q %q %q", body, cat, lang)
		}
		for _, c := range []*webtest.Client{parent, leader} {
			page := c.Get(threadURL(w.Thread)).Body
			if strings.Contains(page, xss) || !strings.Contains(page, html.EscapeString(xss)) {
				t.Errorf("script not escaped:\n%s", page)
			}
		}

		// Bidi override: refused, typed text kept.
		evil := "Hei \u202Eolleh"
		res = parent.PostForm(threadURL(w.Thread)+"/messages", url.Values{"body": {evil}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, evil) || !strings.Contains(res.Body, `aria-invalid="true"`) {
			t.Fatalf("bidi: %d\n%s", res.Status, res.Body)
		}
		// Empty and enormous.
		for _, b := range []string{"", "   \n ", strings.Repeat("a", conversations.MaxBody+1)} {
			if res := parent.PostForm(threadURL(w.Thread)+"/messages", url.Values{"body": {b}}); res.Status != http.StatusBadRequest {
				t.Errorf("body of %d: %d", len(b), res.Status)
			}
		}
		if msgs() != n+2 {
			t.Errorf("messages %d, want %d", msgs(), n+2)
		}

		// Writing about a child: the guardian and the group's staff.
		res = parent.PostForm("/children/"+strconv.FormatInt(w.ChildA1, 10)+"/messages", url.Values{"body": {"Hun er syk i dag."}})
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, threadURL(w.Thread)+"#m") {
			t.Fatalf("child message: %d %s", res.Status, res.Location)
		}
		res = parent.PostForm("/children/"+strconv.FormatInt(w.ChildA1, 10)+"/messages", url.Values{})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `name="body"`) {
			t.Errorf("empty child message: %d", res.Status)
		}
		// Child A2 has no thread yet: the first message starts it; a
		// health message to its Ukrainian-reading guardian is refused.
		a2 := "/children/" + strconv.FormatInt(w.ChildA2, 10) + "/messages"
		if res := leader.PostForm(a2, url.Values{"category": {"consent"}, "body": {"Samtykke til tur"}}); res.Status != 400 || !strings.Contains(res.Body, `id="sensitive"`) {
			t.Errorf("sensitive first message: %d", res.Status)
		}
		if count(t, d, `SELECT COUNT(*) FROM threads WHERE child_id = $1`, w.ChildA2) != 0 {
			t.Error("a thread was created for a refused message")
		}
		if res := leader.PostForm(a2, url.Values{"category": {"practical"}, "body": {"Velkommen!"}}); res.Status != http.StatusSeeOther {
			t.Errorf("first message: %d", res.Status)
		}
		// Child B1 belongs to group B: not the leader's.
		if res := leader.PostForm("/children/"+strconv.FormatInt(w.ChildB1, 10)+"/messages", url.Values{"body": {"x"}}); res.Status != 404 {
			t.Errorf("other group's child: %d", res.Status)
		}
	})
}

func TestNoRecipients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		if _, err := d.W.Exec(`UPDATE guardianships SET parental_responsibility = FALSE WHERE child_id = $1`, w.ChildA1); err != nil {
			t.Fatal(err)
		}
		res := login(t, s, "leader").PostForm(threadURL(w.Thread)+"/messages", url.Values{"category": {"practical"}, "body": {"Hei"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Hei</textarea>") {
			t.Fatalf("no recipients: %d\n%s", res.Status, res.Body)
		}
	})
}

func TestPhrasebookMessageNeedsNoTranslation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ctx := context.Background()
		book, err := phrasebook.Load()
		if err != nil {
			t.Fatal(err)
		}
		e := book.Entries()[0]
		slots := map[string]string{}
		for _, sl := range e.Slots {
			switch sl.Type {
			case phrasebook.SlotDate:
				slots[sl.Name] = "2026-03-02"
			case phrasebook.SlotWeekday:
				slots[sl.Name] = "monday"
			case phrasebook.SlotTime:
				slots[sl.Name] = "08:30"
			case phrasebook.SlotItem:
				slots[sl.Name] = book.Items(sl.Items)[0]
			case phrasebook.SlotPlace:
				slots[sl.Name] = book.Places()[0]
			case phrasebook.SlotChild:
				slots[sl.Name] = "Amina"
			case phrasebook.SlotNumber:
				slots[sl.Name] = "2"
			}
		}
		if err := book.Check(e.Key, slots); err != nil {
			t.Fatal(err)
		}
		var msg int64
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			th, err := messaging.GetThread(ctx, tx, w.Thread)
			if err != nil {
				return err
			}
			sent, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: w.Leader, FromStaff: true, Category: e.MessageCategory, Lang: "nb", PhraseKey: e.Key, PhraseSlots: slots})
			if err == nil {
				msg = sent.MessageID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want, err := book.Render(e.Key, slots, "ti") // the parent reads ti
		if err != nil {
			t.Fatal(err)
		}
		nb, _ := book.Render(e.Key, slots, "nb")
		parent := login(t, s, "parent")
		calls := translate.ProviderCalls()
		page := parent.Get(threadURL(w.Thread)).Body
		inbox := parent.Get("/inbox").Body
		if translate.ProviderCalls() != calls {
			t.Error("rendering a phrasebook message called a translation provider")
		}
		if !strings.Contains(page, string(want.HTML)) || !strings.Contains(page, `lang="`+want.Lang+`"`) {
			t.Errorf("phrasebook message not in the reader's language (%s):\n%s", want.Lang, page)
		}
		if want.Lang != "nb" && strings.Contains(page, string(nb.HTML)) {
			t.Error("the Norwegian text is shown to a ti reader")
		}
		if !strings.Contains(inbox, e.Pictogram) {
			t.Errorf("inbox preview lacks the pictogram:\n%s", inbox)
		}
		// The staff see the Norwegian text; no translation job exists.
		if page := login(t, s, "leader").Get(threadURL(w.Thread)).Body; !strings.Contains(page, string(nb.HTML)) {
			t.Error("staff do not see the Norwegian text")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM message_translations WHERE message_id = $1`, msg); n != 0 {
			t.Errorf("%d translation jobs for a phrasebook message", n)
		}
		// A reader who prefers pictures gets the pictogram large.
		if _, err := d.W.Exec(`UPDATE people SET info_preference = 'pictures' WHERE id = $1`, w.Parent); err != nil {
			t.Fatal(err)
		}
		if page := parent.Get(threadURL(w.Thread)).Body; !strings.Contains(page, `class="msg-text phrase large"`) {
			t.Error("no large pictogram for a pictures reader")
		}
	})
}

func TestValidateBody(t *testing.T) {
	for in, want := range map[string]string{
		"hei":             "",
		"a\r\nb\tc":       "",
		"":                "form.required",
		"a\u2066b":        "form.bidi_chars",
		"a\x00b":          "form.control_chars",
		"<b>fet</b>":      "",
		"سلام \u200c خوب": "",
	} {
		if _, got := conversations.ValidateBody(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if got, _ := conversations.ValidateBody(" a\r\nb "); got != "a\nb" {
		t.Errorf("normalised %q", got)
	}
}

func TestInboxBudget(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ctx := context.Background()
		for i := 0; i < 30; i++ {
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				th, err := messaging.NewAnnouncement(ctx, tx, w.Kg, w.GroupA, w.Leader)
				if err != nil {
					return err
				}
				_, err = messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb",
					Body: strings.Repeat("Vi minner om foreldremøtet på torsdag klokka 18. ", 8) + strconv.Itoa(i)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		res := login(t, s, "parent").Get("/inbox")
		if strings.Count(res.Body, `<li><a href="/threads/`) != 31 {
			t.Fatalf("inbox lists %d threads", strings.Count(res.Body, `<li><a href="/threads/`))
		}
		var buf strings.Builder
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(res.Body))
		zw.Close()
		if n := buf.Len(); n > 14*1024 {
			t.Errorf("inbox is %d bytes gzipped, budget 14 KB", n)
		} else {
			t.Logf("inbox: %d bytes, %d gzipped", len(res.Body), n)
		}
	})
}
