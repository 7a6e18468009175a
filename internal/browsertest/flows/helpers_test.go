// Package flows_test drives a real Tillit, seeded with the demo
// kindergarten and served over real HTTP, from a headless Chromium: what
// parents and staff do with their phones, in their own languages, and
// whether axe-core finds WCAG 2.1 A/AA problems on the pages they see.
//
// The tests skip without Chromium, and fail instead when
// TILLIT_REQUIRE_BROWSER is set, as in CI (see package browsertest).
package flows_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"tillit/internal/app"
	"tillit/internal/browsertest"
	"tillit/internal/db/dbtest"
	"tillit/internal/demo"
	"tillit/internal/webtest"
)

// site is a real Tillit with the demo kindergarten in it.
type site struct {
	*webtest.Server
	demo *demo.Result
}

// newSite seeds the demo into a fresh database and serves it. Each test
// gets its own, because signing in and switching languages write to it.
func newSite(t *testing.T) *site {
	t.Helper()
	d := dbtest.SQLite(t)
	r, err := demo.Seed(context.Background(), d)
	if err != nil {
		t.Fatalf("seeding the demo: %v", err)
	}
	return &site{Server: webtest.NewServer(t, d, app.Handler), demo: r}
}

// open loads path in the tab and waits for its body.
func (s *site) open(t testing.TB, tab context.Context, path string) {
	t.Helper()
	browsertest.Run(t, tab,
		chromedp.Navigate(s.URL+path),
		chromedp.WaitReady(chromedp.CSS("body")),
	)
}

// clickAndLoad clicks the element and waits until the page it leads to
// (after any redirects) has loaded: a link, or the submit button of a form.
func clickAndLoad(t testing.TB, tab context.Context, sel string) {
	t.Helper()
	browsertest.Get(t, tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	browsertest.Run(t, tab, chromedp.WaitReady(chromedp.CSS("body")))
}

// signIn signs in through the form on /login, as a person would: it types
// the login and the demo password and presses the button.
func (s *site) signIn(t testing.TB, tab context.Context, login string) {
	t.Helper()
	s.open(t, tab, "/login")
	browsertest.Run(t, tab,
		chromedp.SendKeys(chromedp.CSS("#f-login"), login),
		chromedp.SendKeys(chromedp.CSS("#f-password"), demo.Password),
	)
	clickAndLoad(t, tab, `main form[action="/login"] button[type=submit]`)
	if p := path(t, tab); p == "/login" {
		t.Fatalf("signing in as %s: still on /login\n%s", login, browsertest.PageState(tab))
	}
}

// switchLanguage presses the button of the footer's language switcher
// that has the value lang, and checks that the page came back in it.
func switchLanguage(t testing.TB, tab context.Context, lang string) {
	t.Helper()
	before := path(t, tab)
	clickAndLoad(t, tab, `footer form[action="/language"] button[name=lang][value="`+lang+`"]`)
	if got := htmlLang(t, tab); got != lang {
		t.Fatalf("after pressing the %s button of the language switcher: <html lang=%q>\n%s", lang, got, browsertest.PageState(tab))
	}
	if after := path(t, tab); after != before {
		t.Errorf("the language switcher went from %s to %s; it should come back to the same page", before, after)
	}
}

// path is the path (with the query) of the page the tab shows.
func path(t testing.TB, tab context.Context) string {
	t.Helper()
	loc := browsertest.Get(t, tab, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

func htmlLang(t testing.TB, tab context.Context) string {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[string](`document.documentElement.lang`))
}

func htmlDir(t testing.TB, tab context.Context) string {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[string](`document.documentElement.dir`))
}

// bodyText is what the page shows, as the browser renders it.
func bodyText(t testing.TB, tab context.Context) string {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[string](`document.body.innerText`))
}

// visible reports whether some element matching sel whose rendered text
// contains text is really on screen: it has a size and is not hidden.
func visible(t testing.TB, tab context.Context, sel, text string) bool {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[bool](`[...document.querySelectorAll(`+jsString(sel)+`)].some(e => {
		const r = e.getBoundingClientRect(), s = getComputedStyle(e);
		return e.innerText.includes(`+jsString(text)+`) && r.width > 0 && r.height > 0 &&
			s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
	})`))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			sb.WriteString(`\u`)
			const hex = "0123456789abcdef"
			sb.WriteByte(hex[r>>12&0xf])
			sb.WriteByte(hex[r>>8&0xf])
			sb.WriteByte(hex[r>>4&0xf])
			sb.WriteByte(hex[r&0xf])
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// screenshot saves a PNG of the whole page as dir/name when the
// environment variable TILLIT_SCREENSHOTS names a directory, so that a
// person can look at the pages a test saw. It does nothing otherwise.
func screenshot(t testing.TB, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TILLIT_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := browsertest.Get(t, tab, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", filepath.Join(dir, name))
}

// pickPhrase searches the phrasebook on a compose page for query, the way
// staff do, and opens the entry key from the results.
func pickPhrase(t testing.TB, tab context.Context, query, key string) {
	t.Helper()
	browsertest.Run(t, tab, chromedp.SendKeys(chromedp.CSS("#f-q"), query))
	clickAndLoad(t, tab, `main form[role=search] button[type=submit]`)
	if got := path(t, tab); !strings.Contains(got, "q="+url.QueryEscape(query)) {
		t.Fatalf("after searching: on %s, want the search for %s\n%s", got, query, browsertest.PageState(tab))
	}
	clickAndLoad(t, tab, `main ul.cards a[href$="phrase=`+key+`"]`)
	if got := path(t, tab); !strings.Contains(got, "phrase="+key) {
		t.Fatalf("after picking the entry: on %s\n%s", got, browsertest.PageState(tab))
	}
}

// receiptRow is the text of the row of the receipts page whose name
// contains name ("" when there is none).
func receiptRow(t testing.TB, tab context.Context, name string) string {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[string](`(() => {
		const r = [...document.querySelectorAll('main table tbody tr')].find(r => r.querySelector('th').innerText.includes(`+jsString(name)+`));
		return r ? r.innerText : '';
	})()`))
}

// checkArabicPreview checks the compose page's preview for the Arabic
// readers: Arabic, right to left, or (while the Arabic phrasebook lacks
// the entry) English with a note saying so.
func checkArabicPreview(t testing.TB, tab context.Context) {
	t.Helper()
	preview := browsertest.Get(t, tab, chromedp.Evaluate[map[string]string](`(() => {
		const li = document.querySelector('#preview-ar');
		if (!li) return {};
		const p = li.querySelector('p[lang]');
		return {lang: p ? p.lang : '', dir: p ? p.dir : '', text: p ? p.innerText : '', note: li.querySelector('.tag.warn') ? 'yes' : ''};
	})()`))
	t.Logf("the Arabic readers' preview: lang=%q dir=%q fallback note=%q", preview["lang"], preview["dir"], preview["note"])
	switch {
	case len(preview) == 0:
		t.Errorf("the preview has no block for the Arabic readers (#preview-ar)\n%s", browsertest.PageState(tab))
	case preview["lang"] == "ar":
		if preview["dir"] != "rtl" {
			t.Errorf("the Arabic preview has dir=%q, want rtl", preview["dir"])
		}
		if !strings.ContainsFunc(preview["text"], isArabic) {
			t.Errorf("the Arabic preview shows no Arabic letter: %q", preview["text"])
		}
	case preview["lang"] == "en":
		if preview["note"] == "" {
			t.Errorf("the Arabic readers' preview falls back to English without saying so")
		}
	default:
		t.Errorf("the Arabic readers' preview is in lang=%q dir=%q, want ar/rtl (or en with a note)", preview["lang"], preview["dir"])
	}
}

// sendAnnouncement presses the send button under the preview of a
// compose page of scope (/groups/{id} or /k/{kg}) and checks that it led
// to the message centre with the "sent" notice.
func sendAnnouncement(t testing.TB, tab context.Context, scope string) {
	t.Helper()
	clickAndLoad(t, tab, `main section form[action="`+scope+`/announcements"] button[type=submit]`)
	if got := path(t, tab); !strings.HasPrefix(got, scope+"/messages?sent=") {
		t.Fatalf("after sending: on %s\n%s", got, browsertest.PageState(tab))
	}
	if !visible(t, tab, `main .notice[role=status]`, "") {
		t.Errorf("no sent notice after sending\n%s", browsertest.PageState(tab))
	}
}

// amalOpensNewest signs Amal in on her own phone and opens the newest
// thread of her inbox, which must be thread, in Arabic, right to left.
func amalOpensNewest(t testing.TB, s *site, b *browsertest.Browser, thread int64) context.Context {
	t.Helper()
	tab := b.NewIncognito(t)
	s.signIn(t, tab, "amal")
	s.open(t, tab, "/inbox")
	clickAndLoad(t, tab, `main ul.inbox li:first-child a`)
	if got, want := path(t, tab), fmt.Sprintf("/threads/%d", thread); got != want {
		t.Fatalf("the newest thread in Amal's inbox is %s, want %s\n%s", got, want, browsertest.PageState(tab))
	}
	if gl, gd := htmlLang(t, tab), htmlDir(t, tab); gl != "ar" || gd != "rtl" {
		t.Errorf("Amal's thread page: <html lang=%q dir=%q>, want ar rtl", gl, gd)
	}
	return tab
}
