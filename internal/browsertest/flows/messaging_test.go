package flows_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/translate"
)

// Mariam, the pedagogical leader of Tyttebær, finds "matpakke" in the
// phrasebook, previews it for the Arabic-reading families and sends it to
// the group. Amal opens it on her phone, right to left in Arabic, and
// answers "I have a question" with one tap. Mariam sees that answer in
// Norwegian on the receipts page, and who has not read it yet.
func TestPhrasebookMessageFlow(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	g := s.demo.Groups["Tyttebær"]
	nb := i18n.New("nb")

	staff := b.NewIncognito(t)
	s.signIn(t, staff, "mariam")
	s.open(t, staff, fmt.Sprintf("/groups/%d/messages", g))
	compose := fmt.Sprintf("/groups/%d/compose", g)
	clickAndLoad(t, staff, `main a[href="`+compose+`"]`)
	if got := path(t, staff); got != compose {
		t.Fatalf("the new-message link led to %s, want %s\n%s", got, compose, browsertest.PageState(staff))
	}

	// She searches the phrasebook in Norwegian.
	const key = "food.packed_lunch_day"
	pickPhrase(t, staff, "matpakke", key)
	// It has one slot, the weekday: she picks Friday.
	browsertest.Run(t, staff, chromedp.SetValue(chromedp.CSS("#f-Weekday"), "friday"))
	clickAndLoad(t, staff, `main section form[method=get] button[type=submit]`)
	if got := path(t, staff); !strings.Contains(got, "preview=1") || !strings.Contains(got, "Weekday=friday") {
		t.Fatalf("after asking for the preview: on %s\n%s", got, browsertest.PageState(staff))
	}

	// The preview shows what the Arabic readers will get.
	checkArabicPreview(t, staff)
	screenshot(t, staff, "phrasebook-preview.png")

	sendAnnouncement(t, staff, fmt.Sprintf("/groups/%d", g))
	var msg, thread int64
	if err := s.DB.R.QueryRow(`SELECT id, thread_id FROM messages WHERE phrase_key = $1 ORDER BY id DESC LIMIT 1`, key).Scan(&msg, &thread); err != nil {
		t.Fatalf("the sent message is not in the database: %v", err)
	}

	// Amal, on her own phone.
	parent := amalOpensNewest(t, s, b, thread)
	item := fmt.Sprintf("main li#m%d", msg)
	if !visible(t, parent, item+" p.msg-text", "") {
		t.Fatalf("the message is not visible on Amal's thread page\n%s", browsertest.PageState(parent))
	}
	if lang := browsertest.Get(t, parent, chromedp.Evaluate[string](`document.querySelector(`+jsString(item+" p.msg-text")+`).lang`)); lang != "ar" && lang != "en" {
		t.Errorf("Amal gets the phrase in lang=%q, want ar (or the English fallback)", lang)
	}
	question := fmt.Sprintf(`%s form[action="/messages/%d/answer"] button[name=answer][value=question]`, item, msg)
	clickAndLoad(t, parent, question)
	if got, want := path(t, parent), fmt.Sprintf("/threads/%d", thread); got != want {
		t.Errorf("after answering: on %s, want %s", got, want)
	}
	if got := browsertest.Get(t, parent, chromedp.Evaluate[string](`(() => { const b = document.querySelector(`+jsString(question)+`); return b ? b.getAttribute('aria-pressed') + ' ' + b.className : 'missing'; })()`)); got != "true selected" {
		t.Errorf(`after tapping "I have a question": the button is %q, want aria-pressed=true class=selected`+"\n%s", got, browsertest.PageState(parent))
	}

	// Mariam follows the message up from the group's message centre.
	s.open(t, staff, fmt.Sprintf("/groups/%d/messages", g))
	receipts := fmt.Sprintf("/messages/%d/receipts", msg)
	clickAndLoad(t, staff, `main a[href="`+receipts+`"]`)
	if got := path(t, staff); got != receipts {
		t.Fatalf("the receipts link led to %s, want %s\n%s", got, receipts, browsertest.PageState(staff))
	}
	answer := nb.T("msg.answer.question")
	if !visible(t, staff, "main table tbody tr", "Amal Haddad") {
		t.Errorf("Amal is not in the receipts table\n%s", browsertest.PageState(staff))
	}
	row := receiptRow(t, staff, "Amal Haddad")
	if !strings.Contains(row, answer) {
		t.Errorf("Amal's row on the receipts page is %q; want her answer in Norwegian, %q", row, answer)
	}
	unread := nb.T("messagecenter.receipts.unread")
	n := browsertest.Get(t, staff, chromedp.Evaluate[int](`[...document.querySelectorAll('main table tbody tr')].filter(r => r.innerText.includes(`+jsString(unread)+`)).length`))
	if n == 0 {
		t.Errorf("no one is marked %q on the receipts page; the other Tyttebær families have not read it\n%s", unread, browsertest.PageState(staff))
	}
	if !visible(t, staff, "main ul.cards li", "Amal Haddad") {
		t.Errorf("Amal, who has a question, is not on the follow-up list\n%s", browsertest.PageState(staff))
	}
	screenshot(t, staff, "phrasebook-receipts.png")
}

// fakeLibreTranslate is a LibreTranslate server speaking its protocol for
// Norwegian ↔ Arabic only: every text gets the same canned translation.
type fakeLibreTranslate struct {
	*httptest.Server
	mu       sync.Mutex
	requests []map[string]string
}

const (
	fakeArabic    = "تذكير: سنذهب في نزهة إلى الغابة يوم الجمعة. أحضروا ملابس المطر."
	fakeNorwegian = "Takk! Lina tar med regntøy på fredag."
)

func newFakeLibreTranslate(t *testing.T) *fakeLibreTranslate {
	f := &fakeLibreTranslate{}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /languages", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, []map[string]any{
			{"code": "nb", "name": "Norwegian Bokmål", "targets": []string{"ar"}},
			{"code": "ar", "name": "Arabic", "targets": []string{"nb"}},
		})
	})
	mux.HandleFunc("POST /translate", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, http.StatusBadRequest, map[string]string{"error": "Invalid request: malformed JSON"})
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		switch req["source"] + ">" + req["target"] {
		case "nb>ar":
			reply(w, http.StatusOK, map[string]string{"translatedText": fakeArabic})
		case "ar>nb":
			reply(w, http.StatusOK, map[string]string{"translatedText": fakeNorwegian})
		default:
			reply(w, http.StatusBadRequest, map[string]string{"error": req["target"] + " is not supported"})
		}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLibreTranslate) count(pair string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r["source"]+">"+r["target"] == pair {
			n++
		}
	}
	return n
}

// Mariam writes a practical announcement in her own words. The
// translation worker has it translated by a (local, fake) LibreTranslate
// server; Amal reads the Arabic, marked as machine-translated, with the
// Norwegian original one tap away. She answers in Arabic, and Mariam reads
// the answer in Norwegian, marked as machine-translated too.
func TestFreeTextMessageWithTranslation(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	g := s.demo.Groups["Tyttebær"]
	ctx := t.Context()

	lt := newFakeLibreTranslate(t)
	tr, err := translate.New(s.DB, translate.Config{LibreTranslateURL: lt.URL})
	if err != nil {
		t.Fatal(err)
	}
	worker := &messaging.TranslationWorker{DB: s.DB, Translator: tr, Log: slog.New(slog.DiscardHandler)}
	work := func() {
		t.Helper()
		for range 20 {
			n, err := worker.RunOnce(ctx)
			if err != nil {
				t.Fatalf("translation worker: %v", err)
			}
			if n == 0 {
				return
			}
		}
	}

	staff := b.NewIncognito(t)
	s.signIn(t, staff, "mariam")
	s.open(t, staff, fmt.Sprintf("/groups/%d/compose", g))
	const text = "Hei! På fredag går vi på tur til skogen. Husk regntøy og gode sko."
	free := fmt.Sprintf(`main form[action="/groups/%d/announcements"]:has(#f-body)`, g)
	browsertest.Run(t, staff,
		chromedp.SetValue(chromedp.CSS(free+" #f-category"), messaging.Practical),
		chromedp.SendKeys(chromedp.CSS(free+" #f-body"), text),
	)
	clickAndLoad(t, staff, free+" button[type=submit]")
	if got := path(t, staff); !strings.HasPrefix(got, fmt.Sprintf("/groups/%d/messages?sent=", g)) {
		t.Fatalf("after sending the free text: on %s\n%s", got, browsertest.PageState(staff))
	}
	var msg, thread int64
	if err := s.DB.R.QueryRow(`SELECT id, thread_id FROM messages WHERE body = $1`, text).Scan(&msg, &thread); err != nil {
		t.Fatalf("the free-text message is not in the database: %v", err)
	}
	work()
	if lt.count("nb>ar") == 0 {
		t.Fatalf("the worker never asked the translation server for Arabic")
	}

	parent := amalOpensNewest(t, s, b, thread)
	item := fmt.Sprintf("main li#m%d", msg)
	if !visible(t, parent, item+` p.msg-text[lang=ar]`, fakeArabic) {
		t.Errorf("Amal does not see the Arabic translation\n%s", browsertest.PageState(parent))
	}
	ar := i18n.New("ar")
	if label := ar.T("msg.mt.label", "Lang", ar.T("lang.nb")); !visible(t, parent, item+" p.mt", label) {
		t.Errorf("the translation is not labelled %q\n%s", label, browsertest.PageState(parent))
	}
	original := item + " details.mt-original p"
	if visible(t, parent, original, text) {
		t.Errorf("the Norwegian original is shown before Amal asks for it")
	}
	b.AssertNoAxeViolations(t, parent, "Amal's thread with a machine translation (ar)")
	browsertest.Run(t, parent, chromedp.Click(chromedp.CSS(item+" details.mt-original summary")))
	if !visible(t, parent, original, text) {
		t.Errorf("after tapping %q the Norwegian original is not visible\n%s", ar.T("msg.mt.show_original"), browsertest.PageState(parent))
	}
	if lang := browsertest.Get(t, parent, chromedp.Evaluate[string](`document.querySelector(`+jsString(original)+`).lang`)); lang != "nb" {
		t.Errorf("the original is marked lang=%q, want nb", lang)
	}
	b.AssertNoAxeViolations(t, parent, "Amal's thread with the original open (ar)")
	screenshot(t, parent, "freetext-amal.png")

	// Amal answers in Arabic.
	const answer = "شكرا! لينا ستحضر ملابس المطر يوم الجمعة."
	browsertest.Run(t, parent, chromedp.SendKeys(chromedp.CSS("main form.reply #f-body"), answer))
	clickAndLoad(t, parent, "main form.reply button[type=submit]")
	if got, want := path(t, parent), fmt.Sprintf("/threads/%d", thread); got != want {
		t.Fatalf("after replying: on %s, want %s\n%s", got, want, browsertest.PageState(parent))
	}
	var reply int64
	if err := s.DB.R.QueryRow(`SELECT id FROM messages WHERE thread_id = $1 AND author_id = $2 ORDER BY id DESC LIMIT 1`,
		thread, s.demo.People["amal"]).Scan(&reply); err != nil {
		t.Fatalf("Amal's reply is not in the database: %v", err)
	}
	work()
	if lt.count("ar>nb") == 0 {
		t.Fatalf("the worker never asked the translation server for Norwegian")
	}

	s.open(t, staff, fmt.Sprintf("/threads/%d", thread))
	mine := fmt.Sprintf("main li#m%d", reply)
	if !visible(t, staff, mine+" p.msg-text[lang=nb]", fakeNorwegian) {
		t.Errorf("Mariam does not see Amal's answer in Norwegian\n%s", browsertest.PageState(staff))
	}
	nb := i18n.New("nb")
	if label := nb.T("msg.mt.label", "Lang", nb.T("lang.ar")); !visible(t, staff, mine+" p.mt", label) {
		t.Errorf("Amal's answer is not labelled %q on Mariam's page\n%s", label, browsertest.PageState(staff))
	}
	b.AssertNoAxeViolations(t, staff, "Mariam's thread with a machine-translated answer (nb)")
	screenshot(t, staff, "freetext-mariam.png")
}

// The messaging pages have no WCAG 2.1 A/AA violation that axe-core
// finds, in Norwegian, Arabic and Tigrinya: the compose page with a
// preview and the receipts page for a leader, a thread and the inbox for
// a parent.
func TestMessagingAxe(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	g := s.demo.Groups["Tyttebær"]
	var trip int64
	if err := s.DB.R.QueryRow(`SELECT thread_id FROM messages WHERE id = $1`, s.demo.TripMessage).Scan(&trip); err != nil {
		t.Fatal(err)
	}
	pages := map[string][]string{
		// The first page has no query: the language switcher returns to
		// the path without it.
		"mariam": {
			fmt.Sprintf("/groups/%d/messages", g),
			fmt.Sprintf("/groups/%d/compose?phrase=trips.trip_to_place&Place=place.forest&Date=2026-12-03&Time=09:30&preview=1", g),
			fmt.Sprintf("/groups/%d/compose?q=matpakke", g),
			fmt.Sprintf("/messages/%d/receipts", s.demo.TripMessage),
		},
		"amal": {"/inbox", fmt.Sprintf("/threads/%d", trip)},
	}
	for _, who := range []string{"mariam", "amal"} {
		t.Run(who, func(t *testing.T) {
			t.Parallel()
			// One language after the other: the switcher saves it in the
			// person's profile.
			for _, lang := range axeLanguages {
				t.Run(lang, func(t *testing.T) {
					tab := b.NewIncognito(t)
					s.signIn(t, tab, who)
					s.open(t, tab, pages[who][0])
					if htmlLang(t, tab) != lang {
						switchLanguage(t, tab, lang)
					}
					for i, p := range pages[who] {
						if i > 0 {
							s.open(t, tab, p)
						}
						if got := htmlLang(t, tab); got != lang {
							t.Errorf("%s %s: <html lang=%q>, want %s", who, p, got, lang)
						}
						label := fmt.Sprintf("%s %s (%s)", who, p, lang)
						b.AssertNoAxeViolations(t, tab, label)
						assertNoSidewaysScroll(t, tab, label)
						screenshot(t, tab, fmt.Sprintf("messaging-%s%s-%s.png", who, strings.NewReplacer("/", "_", "?", "_", "&", "_").Replace(p), lang))
					}
				})
			}
		})
	}
}

func isArabic(r rune) bool { return r >= 0x0600 && r <= 0x06FF }
