package flows_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
)

// The busiest pages fit a phone's width: nothing makes the page scroll
// sideways. Set TILLIT_SCREENSHOTS to a directory to keep a picture of
// each page.
func TestPhoneWidthNoHorizontalScroll(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t, browsertest.WithWindowSize(390, 844))
	s := newSite(t)
	kg := s.demo.Kindergarten

	for _, tc := range []struct {
		login, path, lang, shot string
	}{
		{"kari", fmt.Sprintf("/groups/%d", s.demo.Groups["Blåbær"]), "nb", "groups-kari.png"},
		{"styrer", fmt.Sprintf("/k/%d/children", kg), "nb", "children-styrer.png"},
		{"amal", "/family", "ar", "family-ar.png"},
		{"amal", fmt.Sprintf("/children/%d", s.demo.Children["Lina Haddad"]), "ar", "child-ar.png"},
		{"tesfay", "/family", "ti", "family-ti.png"},
	} {
		t.Run(tc.login+tc.path, func(t *testing.T) {
			tab := b.NewIncognito(t)
			s.signIn(t, tab, tc.login)
			s.open(t, tab, tc.path)
			if got := path(t, tab); got != tc.path {
				t.Fatalf("on %s, want %s", got, tc.path)
			}
			if got := htmlLang(t, tab); got != tc.lang {
				t.Errorf(`<html lang=%q>, want %q`, got, tc.lang)
			}
			if w := measureWidth(t, tab); w.Inner != 390 {
				t.Errorf("window.innerWidth is %d, want 390", w.Inner)
			}
			assertNoSidewaysScroll(t, tab, tc.login+" "+tc.path)
			screenshot(t, tab, tc.shot)
		})
	}
}

// widths is how wide a page is and how wide its window is.
type widths struct {
	Scroll int      `json:"scroll"`
	Inner  int      `json:"inner"`
	Wide   []string `json:"wide"` // the elements that stick out, to say what to fix
}

func measureWidth(t testing.TB, tab context.Context) widths {
	t.Helper()
	// An element sticks out at the end of the lines: on the right in a
	// left-to-right page, on the left in a right-to-left one. (What sticks
	// out at the start, like the hidden skip link, makes no scrolling.)
	return browsertest.Get(t, tab, chromedp.Evaluate[widths](`(() => {
		const inner = window.innerWidth, rtl = getComputedStyle(document.documentElement).direction === 'rtl', wide = [];
		for (const e of document.body.querySelectorAll('*')) {
			const r = e.getBoundingClientRect();
			if (r.width > 0 && (rtl ? r.left < -1 : r.right > inner + 1)) {
				wide.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(r.left) + '–' + Math.round(r.right));
			}
		}
		return {scroll: document.documentElement.scrollWidth, inner, wide: wide.slice(0, 8)};
	})()`))
}

// assertNoSidewaysScroll checks that the page the tab shows is no wider
// than the window.
func assertNoSidewaysScroll(t testing.TB, tab context.Context, label string) {
	t.Helper()
	if w := measureWidth(t, tab); w.Scroll > w.Inner+1 {
		t.Errorf("%s is %d px wide in a %d px window: it scrolls sideways. Too wide: %q", label, w.Scroll, w.Inner, w.Wide)
	}
}
