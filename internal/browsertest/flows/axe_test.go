package flows_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
	"tillit/internal/demo"
	"tillit/internal/i18n"
)

// axeLanguages are the languages every page is checked in besides the
// persona's own: Norwegian, and the two scripts that break layouts most
// easily — Arabic (right to left) and Tigrinya (Ge'ez).
var axeLanguages = []string{"nb", "ar", "ti"}

// Every page of every persona's walk has no WCAG 2.1 A/AA violation that
// axe-core finds, in the persona's own language and in nb, ar and ti.
func TestWalkEveryPageAxe(t *testing.T) {
	b := browsertest.New(t)
	s := newSite(t)

	for _, w := range demo.Walks(s.demo) {
		who := w.Login
		if who == "" {
			who = "visitor"
		}
		t.Run(who, func(t *testing.T) {
			// The personas run side by side, each in its own tabs. The
			// languages of one persona run one after the other: the
			// switcher saves the language in the person's profile.
			t.Parallel()
			langs := []string{w.Lang}
			for _, l := range axeLanguages {
				if !slices.Contains(langs, l) {
					langs = append(langs, l)
				}
			}
			for i, lang := range langs {
				t.Run(lang, func(t *testing.T) {
					walkAxe(t, s, b, w, lang, i == 0)
				})
			}
		})
	}
}

// walkAxe walks w in one fresh incognito tab in the language lang: it runs
// axe-core on every page, and checks that the page fits the phone's width.
// own says that lang is the persona's own language, which a signed-in
// persona's pages must come in without switching.
func walkAxe(t *testing.T, s *site, b *browsertest.Browser, w demo.Walk, lang string, own bool) {
	tab := b.NewIncognito(t)
	if w.Login != "" {
		s.signIn(t, tab, w.Login)
	}
	s.open(t, tab, w.Paths[0])
	if got := htmlLang(t, tab); got != lang {
		if own && w.Login != "" {
			t.Errorf("%s %s: <html lang=%q>, want the persona's language %q", w.Login, w.Paths[0], got, lang)
		}
		switchLanguage(t, tab, lang)
	}
	l, _ := i18n.Lookup(lang)
	wantDir := "ltr"
	if l.RTL {
		wantDir = "rtl"
	}
	who := w.Login
	if who == "" {
		who = "visitor"
	}
	for i, p := range w.Paths {
		if i > 0 {
			s.open(t, tab, p)
		}
		if got := path(t, tab); got != p {
			t.Errorf("%s: opening %s ended on %s", who, p, got)
			continue
		}
		if gl, gd := htmlLang(t, tab), htmlDir(t, tab); gl != lang || gd != wantDir {
			t.Errorf("%s %s: <html lang=%q dir=%q>, want %s %s", who, p, gl, gd, lang, wantDir)
		}
		label := fmt.Sprintf("%s %s (%s)", who, p, lang)
		b.AssertNoAxeViolations(t, tab, label)
		// The walk runs in a phone's window: no page may scroll sideways.
		assertNoSidewaysScroll(t, tab, label)
		screenshot(t, tab, fmt.Sprintf("walk-%s%s-%s.png", who, strings.ReplaceAll(p, "/", "_"), lang))
	}
}

// The check can fail: axe-core runs on Tillit's real pages, under their
// Content-Security-Policy, and reports a field that loses its label.
func TestAxeSeesABrokenPage(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	tab := b.NewIncognito(t)
	s.open(t, tab, "/login")
	if vs := b.Axe(t, tab); len(vs) != 0 {
		t.Fatalf("/login: %s", browsertest.FormatViolations(vs))
	}
	browsertest.Run(t, tab, chromedp.Evaluate[chromedp.Void](`document.querySelector('label[for=f-login]').remove()`))
	var ids []string
	for _, v := range b.Axe(t, tab) {
		ids = append(ids, v.ID)
	}
	if !slices.Contains(ids, "label") {
		t.Errorf("/login with the login field's label removed: axe-core reports %v, want the rule \"label\"", ids)
	}
}
