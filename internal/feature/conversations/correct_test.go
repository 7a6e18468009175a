package conversations_test

import (
	"context"
	"database/sql"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/feature/conversations"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/policy"
	"tillit/internal/translate"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

const correctRoute = "POST /messages/{id}/translations/{lang}"

// correctHandler is app.Handler, with the correction route added in
// front of it for as long as the route table does not list it.
func correctHandler(env *web.Env) http.Handler {
	for _, r := range app.Routes {
		if r.Pattern == correctRoute {
			return app.Handler(env)
		}
	}
	mux := http.NewServeMux()
	mux.Handle(correctRoute, web.Wrap(env, policy.MessageStaff, 0, conversations.CorrectTranslation))
	mux.Handle("/", app.Handler(env))
	return mux
}

func correctURL(msg int64, lang string) string {
	return "/messages/" + strconv.FormatInt(msg, 10) + "/translations/" + lang
}

// staffMessage sends body from the leader in the private thread of
// guardian about child and returns the thread and message.
func staffMessage(t *testing.T, d *db.DB, w *webtest.World, child, guardian int64, body string) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	var thread, msg int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		th, err := messaging.PrivateThread(ctx, tx, child, guardian, w.Leader)
		if err != nil {
			return err
		}
		s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: body})
		if err != nil {
			return err
		}
		thread, msg = th.ID, s.MessageID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return thread, msg
}

// machineDone finishes msg's translation into lang as the worker would
// with a machine result, through the memory.
func machineDone(t *testing.T, d *db.DB, msg int64, src, lang, body, translated string) int64 {
	t.Helper()
	e, err := translate.NewMemory(d).Store(context.Background(), translate.MachineTranslation{Source: src, Target: lang, Text: body, Translated: translated, Provider: "libretranslate"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.Exec(`UPDATE message_translations SET status = 'done', text = $1, provider = 'libretranslate', memory_id = $2 WHERE message_id = $3 AND lang = $4`, e.Text, e.ID, msg, lang); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

var htmlLang = regexp.MustCompile(`<html lang="([^"]+)"`)

// uiOf is the localizer of the page's interface language.
func uiOf(t *testing.T, body string) *i18n.Localizer {
	t.Helper()
	m := htmlLang.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no <html lang>:\n%s", body)
	}
	return i18n.New(m[1])
}

func TestStaffCorrectsATranslation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, correctHandler)
		const body = "Vi baker boller på fredag. Ta med forkle."
		const machine = "نحن نخبز الكعك الجمعة. خذ مئزر."
		thread, msg := staffMessage(t, d, w, w.ChildA1, w.Coparent, body)
		memID := machineDone(t, d, msg, "nb", "ar", body, machine)

		// Another Arabic reader got the same text earlier: the same memory row.
		other, err := directory.CreatePerson(ctx, d.W, &directory.Person{Name: "Amal Arabic", Languages: []string{"ar"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := directory.SetLink(ctx, d.W, directory.Link{ChildID: w.ChildA2, PersonID: other, ParentalResponsibility: true, LivesWith: true}); err != nil {
			t.Fatal(err)
		}
		_, earlier := staffMessage(t, d, w, w.ChildA2, other, body)
		if id := machineDone(t, d, earlier, "nb", "ar", body, "something else"); id != memID {
			t.Fatalf("memory row %d, want %d", id, memID)
		}

		leader := login(t, s, "leader")
		co := login(t, s, "coparent")
		action := `action="` + correctURL(msg, "ar") + `"`

		// The leader reads Arabic: the form, prefilled, right-to-left.
		page := leader.Get(threadURL(thread))
		if page.Status != 200 || !strings.Contains(page.Body, action) {
			t.Fatalf("leader sees no correction form: %d\n%s", page.Status, page.Body)
		}
		if !strings.Contains(page.Body, `lang="ar" dir="rtl" required>`+machine+`</textarea>`) {
			t.Errorf("form not prefilled / not rtl:\n%s", page.Body)
		}
		// Guardians and staff who do not read Arabic get no form.
		if res := co.Get(threadURL(thread)); res.Status != 200 || strings.Contains(res.Body, "/translations/") {
			t.Errorf("coparent: %d, form shown", res.Status)
		}
		if res := login(t, s, "manager").Get(threadURL(thread)); res.Status != 200 || strings.Contains(res.Body, action) {
			t.Errorf("manager (no Arabic): %d, form shown", res.Status)
		}

		// Empty: 400, the form again, open, nothing changed.
		res := leader.PostForm(correctURL(msg, "ar"), url.Values{"text": {"  \n "}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, uiOf(t, res.Body).T("form.required")) || !strings.Contains(res.Body, `<details class="mt-correct" open>`) {
			t.Fatalf("empty: %d\n%s", res.Status, res.Body)
		}
		// Bidi overrides: 400, what was typed is kept.
		res = leader.PostForm(correctURL(msg, "ar"), url.Values{"text": {"نخبز \u202eالكعك"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "نخبز \u202eالكعك</textarea>") {
			t.Fatalf("bidi: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM translation_memory WHERE checked_at IS NOT NULL`); n != 0 {
			t.Fatalf("a refused correction was stored")
		}

		// A correction with markup in it.
		const corrected = `<script>alert(1)</script> سنخبز الكعك يوم الجمعة. أحضروا مريلة.`
		res = leader.PostForm(correctURL(msg, "ar"), url.Values{"text": {corrected + "  \r\n"}})
		if res.Status != http.StatusSeeOther || res.Location != threadURL(thread)+"#m"+strconv.FormatInt(msg, 10) {
			t.Fatalf("correct: %d %s\n%s", res.Status, res.Location, res.Body)
		}
		// The memory row and both messages that used it now hold it.
		e, err := translate.NewMemory(d).Get(ctx, memID)
		if err != nil || e.Text != corrected || !e.CheckedByPerson || e.CheckedBy != w.Leader {
			t.Fatalf("memory: %+v %v", e, err)
		}
		for _, m := range []int64{msg, earlier} {
			var text, provider, status string
			var by, mem sql.NullInt64
			if err := d.R.QueryRow(`SELECT text, provider, status, checked_by, memory_id FROM message_translations WHERE message_id = $1 AND lang = 'ar'`, m).
				Scan(&text, &provider, &status, &by, &mem); err != nil {
				t.Fatal(err)
			}
			if text != corrected || provider != "person" || status != "done" || by.Int64 != w.Leader || mem.Int64 != memID {
				t.Errorf("message %d: %q %q %q %v %v", m, text, provider, status, by, mem)
			}
		}

		// The co-parent reads the correction, escaped, labelled as checked.
		res = co.Get(threadURL(thread))
		if strings.Contains(res.Body, "<script>alert") || !strings.Contains(res.Body, html.EscapeString(corrected)) {
			t.Fatalf("corrected text not shown escaped:\n%s", res.Body)
		}
		ui := uiOf(t, res.Body)
		if !strings.Contains(res.Body, ui.T("msg.mt.checked")) || strings.Contains(res.Body, html.EscapeString(ui.T("msg.mt.label", "Lang", ui.T("lang.nb")))) {
			t.Errorf("label:\n%s", res.Body)
		}
		if !strings.Contains(res.Body, "<details class=\"mt-original\">") || !strings.Contains(res.Body, body) {
			t.Errorf("original not one tap away:\n%s", res.Body)
		}

		// Still checked by a person after that person's account is gone.
		if _, err := d.W.Exec(`UPDATE message_translations SET checked_by = NULL WHERE message_id = $1`, msg); err != nil {
			t.Fatal(err)
		}
		if res := co.Get(threadURL(thread)); !strings.Contains(res.Body, ui.T("msg.mt.checked")) {
			t.Errorf("label lost with checked_by:\n%s", res.Body)
		}

		// A later message with the same text to another Arabic reader:
		// the worker takes the correction from the memory, no provider.
		_, later := staffMessage(t, d, w, w.ChildA2, other, "Vi baker boller  på fredag.\nTa med forkle.")
		tr := &translate.Translator{Memory: translate.NewMemory(d), OnProviderCall: func(p, src, dst string) {
			t.Errorf("provider %s called for %s→%s", p, src, dst)
		}}
		wk := &messaging.TranslationWorker{DB: d, Translator: tr, Log: slog.New(slog.DiscardHandler)}
		if _, err := wk.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		var text, status string
		var by sql.NullInt64
		if err := d.R.QueryRow(`SELECT text, status, checked_by FROM message_translations WHERE message_id = $1 AND lang = 'ar'`, later).Scan(&text, &status, &by); err != nil {
			t.Fatal(err)
		}
		if text != corrected || status != "done" || by.Int64 != w.Leader || tr.Calls() != 0 {
			t.Errorf("later message: %q %q %v, %d calls", text, status, by, tr.Calls())
		}
	})
}

func TestWhoMayCorrect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, correctHandler)
		const body = "Husk regntøy."
		const machine = "تذكروا ملابس المطر."
		_, msg := staffMessage(t, d, w, w.ChildA1, w.Coparent, body)
		machineDone(t, d, msg, "nb", "ar", body, machine)
		form := url.Values{"text": {"تذكروا ملابس المطر من فضلكم."}}
		unchanged := func(who string) {
			t.Helper()
			if n := count(t, d, `SELECT COUNT(*) FROM message_translations WHERE message_id = $1 AND text = $2 AND provider = 'libretranslate'`, msg, machine); n != 1 {
				t.Errorf("%s changed the translation", who)
			}
		}
		for _, who := range []string{"assistant", "manager", "owner", "othermanager", "parent", "coparent"} {
			if res := login(t, s, who).PostForm(correctURL(msg, "ar"), form); res.Status != http.StatusNotFound {
				t.Errorf("%s: %d", who, res.Status)
			}
			unchanged(who)
		}
		leader := login(t, s, "leader")
		// No ar row on the fixture's message (to the Tigrinya reader);
		// the leader does not read ti; unknown and pending translations.
		for _, path := range []string{correctURL(w.Message, "ar"), correctURL(w.Message, "ti"), correctURL(msg, "xx"), correctURL(msg, "nb"), correctURL(w.OtherMessage, "ar")} {
			if res := leader.PostForm(path, form); res.Status != http.StatusNotFound {
				t.Errorf("leader %s: %d", path, res.Status)
			}
		}
		_, pending := staffMessage(t, d, w, w.ChildA1, w.Coparent, "Noe annet.")
		if res := leader.PostForm(correctURL(pending, "ar"), form); res.Status != http.StatusNotFound {
			t.Errorf("pending: %d", res.Status)
		}
		unchanged("leader")
		// Case of the code does not matter; it is the same language.
		if res := leader.PostForm(correctURL(msg, "AR"), form); res.Status != http.StatusSeeOther {
			t.Errorf("AR: %d", res.Status)
		}
	})
}

// A guardian's message translated into Norwegian: every staff member of
// the group who reads Norwegian may correct it; a failed translation
// can be written by hand.
func TestStaffCorrectTranslationOfAGuardian(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, correctHandler)
		co := login(t, s, "coparent")
		res := co.PostForm("/children/"+strconv.FormatInt(w.ChildA1, 10)+"/messages", url.Values{"body": {"ابني مريض اليوم."}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("coparent writes: %d\n%s", res.Status, res.Body)
		}
		var msg, thread int64
		if err := d.R.QueryRow(`SELECT id, thread_id FROM messages WHERE author_id = $1`, w.Coparent).Scan(&msg, &thread); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Exec(`UPDATE message_translations SET status = 'failed' WHERE message_id = $1 AND lang = 'nb'`, msg); err != nil {
			t.Fatal(err)
		}
		manager := login(t, s, "manager")
		page := manager.Get(threadURL(thread))
		if !strings.Contains(page.Body, `action="`+correctURL(msg, "nb")+`"`) || !strings.Contains(page.Body, `lang="nb" dir="ltr" required></textarea>`) {
			t.Fatalf("manager: no empty nb form:\n%s", page.Body)
		}
		if res := manager.PostForm(correctURL(msg, "nb"), url.Values{"text": {"Sønnen min er syk i dag."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("manager corrects: %d\n%s", res.Status, res.Body)
		}
		page = login(t, s, "leader").Get(threadURL(thread))
		ui := uiOf(t, page.Body)
		if !strings.Contains(page.Body, `lang="nb" dir="auto">Sønnen min er syk i dag.</p>`) || !strings.Contains(page.Body, ui.T("msg.mt.checked")) {
			t.Errorf("leader does not read the checked translation:\n%s", page.Body)
		}
	})
}
