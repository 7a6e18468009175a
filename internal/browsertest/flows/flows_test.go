package flows_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
	"tillit/internal/demo"
)

// Amal reads Arabic. She signs in on her phone and gets her family page
// right to left: the language and direction are set on the document, the
// browser lays the page out from the right, and her daughter is there.
func TestParentArabicRightToLeft(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	tab := b.NewIncognito(t)

	s.signIn(t, tab, "amal")
	if got := path(t, tab); got != "/family" {
		t.Fatalf("after signing in, Amal is on %s, want /family\n%s", got, browsertest.PageState(tab))
	}
	if got := htmlLang(t, tab); got != "ar" {
		t.Errorf(`<html lang=%q>, want "ar"`, got)
	}
	if got := htmlDir(t, tab); got != "rtl" {
		t.Errorf(`<html dir=%q>, want "rtl"`, got)
	}
	if got := browsertest.Get(t, tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main')).direction`)); got != "rtl" {
		t.Errorf("computed direction of <main>: %q, want rtl", got)
	}
	if !visible(t, tab, "main", "Lina") {
		t.Errorf("Amal's daughter Lina is not visible on /family\n%s", browsertest.PageState(tab))
	}
	if !strings.ContainsFunc(bodyText(t, tab), func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
		t.Errorf("the page shows no Arabic letter\n%s", browsertest.PageState(tab))
	}

	// The layout really mirrors: the brand, first in the header, sits at
	// the right edge, and the navigation comes after it to its left.
	type box struct {
		Left  float64 `json:"left"`
		Right float64 `json:"right"`
		Width float64 `json:"width"`
	}
	brand := browsertest.Get(t, tab, chromedp.Evaluate[box](`(() => {
		const r = document.querySelector('header.top .brand').getBoundingClientRect();
		return {left: r.left, right: r.right, width: window.innerWidth};
	})()`))
	if gap := brand.Width - brand.Right; gap < 0 || gap > 24 {
		t.Errorf("brand link: right edge at %.0f of %.0f px; in a right-to-left page it belongs at the right edge", brand.Right, brand.Width)
	}
	if brand.Left < brand.Width/2 {
		t.Errorf("brand link starts at %.0f px of %.0f: it is not on the right half", brand.Left, brand.Width)
	}
	// The first heading of the main text starts at the right too.
	h1 := browsertest.Get(t, tab, chromedp.Evaluate[box](`(() => {
		const h = document.querySelector('main h1'), range = document.createRange();
		range.selectNodeContents(h);
		const r = range.getBoundingClientRect();
		return {left: r.left, right: r.right, width: window.innerWidth};
	})()`))
	if math.Abs((h1.Width-h1.Right)-(brand.Width-brand.Right)) > 24 {
		t.Errorf("the text of the h1 ends at %.0f px, the brand at %.0f px: the heading does not start at the right edge", h1.Right, brand.Right)
	}
	if h1.Left < h1.Width/4 {
		t.Errorf("the text of the h1 spans %.0f–%.0f px: it is not set from the right", h1.Left, h1.Right)
	}
}

// Tesfay reads Tigrinya, written in Ge'ez script. He signs in, and opens
// his daughter's page by tapping her name.
func TestParentTigrinya(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	tab := b.NewIncognito(t)

	s.signIn(t, tab, "tesfay")
	if got := path(t, tab); got != "/family" {
		t.Fatalf("after signing in, Tesfay is on %s, want /family\n%s", got, browsertest.PageState(tab))
	}
	if got := htmlLang(t, tab); got != "ti" {
		t.Errorf(`<html lang=%q>, want "ti"`, got)
	}
	if got := htmlDir(t, tab); got != "ltr" {
		t.Errorf(`<html dir=%q>, want "ltr"`, got)
	}
	geez := func(r rune) bool { return r >= 0x1200 && r <= 0x137F }
	if !strings.ContainsFunc(bodyText(t, tab), geez) {
		t.Errorf("/family shows no Ge'ez letter (U+1200–U+137F)\n%s", browsertest.PageState(tab))
	}

	id := s.demo.Children["Selam Haile"]
	link := fmt.Sprintf(`main a[href="/children/%d"]`, id)
	if got := strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(chromedp.CSS(link)))); got != "Selam Haile" {
		t.Errorf("the link to Selam's page says %q", got)
	}
	clickAndLoad(t, tab, link)
	if got, want := path(t, tab), fmt.Sprintf("/children/%d", id); got != want {
		t.Fatalf("after tapping Selam's name: on %s, want %s\n%s", got, want, browsertest.PageState(tab))
	}
	if got := strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(chromedp.CSS("main h1")))); got != "Selam Haile" {
		t.Errorf("the child page's heading is %q, want Selam Haile", got)
	}
	if got := htmlLang(t, tab); got != "ti" {
		t.Errorf(`child page: <html lang=%q>, want "ti"`, got)
	}
	if !strings.ContainsFunc(bodyText(t, tab), geez) {
		t.Errorf("the child page shows no Ge'ez letter\n%s", browsertest.PageState(tab))
	}
	if !visible(t, tab, "main", "Mehret Tesfamariam") {
		t.Errorf("the child page does not show Selam's other guardian\n%s", browsertest.PageState(tab))
	}
}

// Kari leads Blåbær. She signs in, lands on her groups, opens Blåbær and a
// child in it, sees the child's guardians, and signs out.
func TestStaffSignIn(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	tab := b.NewIncognito(t)

	s.signIn(t, tab, "kari")
	if got := path(t, tab); got != "/groups" {
		t.Fatalf("after signing in, Kari is on %s, want /groups\n%s", got, browsertest.PageState(tab))
	}
	if got := htmlLang(t, tab); got != "nb" {
		t.Errorf(`<html lang=%q>, want "nb"`, got)
	}

	group := fmt.Sprintf(`main a[href="/groups/%d"]`, s.demo.Groups["Blåbær"])
	if got := strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(chromedp.CSS(group)))); got != "Blåbær" {
		t.Errorf("the link to the group says %q, want Blåbær", got)
	}
	clickAndLoad(t, tab, group)
	if got, want := path(t, tab), fmt.Sprintf("/groups/%d", s.demo.Groups["Blåbær"]); got != want {
		t.Fatalf("after clicking Blåbær: on %s, want %s\n%s", got, want, browsertest.PageState(tab))
	}
	rows := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('main table tbody tr').length`))
	if rows < 5 {
		t.Errorf("Blåbær shows %d children, want the group's children (more than 5)\n%s", rows, browsertest.PageState(tab))
	}
	if !visible(t, tab, "main table", "Selam Haile") {
		t.Errorf("Selam Haile, who is in Blåbær, is not in the table\n%s", browsertest.PageState(tab))
	}

	child := fmt.Sprintf(`main table a[href="/children/%d"]`, s.demo.Children["Selam Haile"])
	clickAndLoad(t, tab, child)
	if got, want := path(t, tab), fmt.Sprintf("/children/%d", s.demo.Children["Selam Haile"]); got != want {
		t.Fatalf("after clicking Selam: on %s, want %s\n%s", got, want, browsertest.PageState(tab))
	}
	for _, g := range []string{"Tesfay Haile", "Mehret Tesfamariam"} {
		if !visible(t, tab, "main .cards", g) {
			t.Errorf("the child page does not show the guardian %s\n%s", g, browsertest.PageState(tab))
		}
	}

	clickAndLoad(t, tab, `header nav form[action="/logout"] button[type=submit]`)
	if got := path(t, tab); !strings.HasPrefix(got, "/login") {
		t.Errorf("after signing out: on %s, want /login", got)
	}
	s.open(t, tab, "/groups")
	if got := path(t, tab); got != "/login?next=%2Fgroups" {
		t.Errorf("/groups after signing out: on %s, want /login?next=%%2Fgroups\n%s", got, browsertest.PageState(tab))
	}
	if n := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('#f-login').length`)); n != 1 {
		t.Errorf("/groups after signing out does not show the sign-in form\n%s", browsertest.PageState(tab))
	}
}

// Everything works without JavaScript: a visitor switches the language
// with the footer's buttons, and signs in.
func TestLanguageSwitcherWithoutJS(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	tab := b.NewIncognito(t)

	browsertest.Run(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	// Make sure that pages really run no script now.
	noScript := func(when string) {
		t.Helper()
		browsertest.Run(t, tab, chromedp.Navigate(`data:text/html,<title>no script</title><script>document.title="script ran"</script>`))
		if got := browsertest.Get(t, tab, chromedp.Title()); got != "no script" {
			t.Fatalf("%s: JavaScript is not disabled: the page's title is %q", when, got)
		}
	}
	noScript("before the test")

	s.open(t, tab, "/login")
	ar := `footer form[action="/language"] button[name=lang][value="ar"]`
	if got := strings.TrimSpace(browsertest.Get(t, tab, chromedp.Text(chromedp.CSS(ar)))); got != "العربية" {
		t.Errorf("the Arabic button of the language switcher says %q, want العربية", got)
	}
	clickAndLoad(t, tab, ar)
	if got := path(t, tab); got != "/login" {
		t.Errorf("after switching the language: on %s, want /login", got)
	}
	if lang, dir := htmlLang(t, tab), htmlDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Errorf("after pressing العربية: <html lang=%q dir=%q>, want ar rtl\n%s", lang, dir, browsertest.PageState(tab))
	}
	if got := browsertest.Get(t, tab, chromedp.Evaluate[string](`document.querySelector('footer [aria-current=true]').value`)); got != "ar" {
		t.Errorf("the switcher marks %q as the current language, want ar", got)
	}

	// Sign in, still without JavaScript.
	browsertest.Run(t, tab,
		chromedp.SendKeys(chromedp.CSS("#f-login"), "amal"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), demo.Password),
	)
	clickAndLoad(t, tab, `main form[action="/login"] button[type=submit]`)
	if got := path(t, tab); got != "/family" {
		t.Fatalf("signing in without JavaScript: on %s, want /family\n%s", got, browsertest.PageState(tab))
	}
	if lang, dir := htmlLang(t, tab), htmlDir(t, tab); lang != "ar" || dir != "rtl" {
		t.Errorf("/family: <html lang=%q dir=%q>, want ar rtl", lang, dir)
	}
	if !visible(t, tab, "main", "Lina") {
		t.Errorf("Lina is not on /family\n%s", browsertest.PageState(tab))
	}

	// Switching the language works for a signed-in person too, and
	// signing out.
	clickAndLoad(t, tab, `footer form[action="/language"] button[name=lang][value="nb"]`)
	if got := htmlLang(t, tab); got != "nb" || path(t, tab) != "/family" {
		t.Errorf("after pressing Norsk bokmål: <html lang=%q> on %s, want nb on /family", got, path(t, tab))
	}
	clickAndLoad(t, tab, `header nav form[action="/logout"] button[type=submit]`)
	s.open(t, tab, "/family")
	if got := path(t, tab); !strings.HasPrefix(got, "/login") {
		t.Errorf("/family after signing out without JavaScript: on %s, want /login", got)
	}
	noScript("after the test")
}
