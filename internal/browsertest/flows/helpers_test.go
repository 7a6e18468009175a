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
