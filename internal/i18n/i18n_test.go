package i18n_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"tillit/internal/i18n"
)

func TestCatalogueLoads(t *testing.T) {
	if err := i18n.Check(); err != nil {
		t.Fatal(err)
	}
}

var placeholder = regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)

func placeholders(s string) string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return strings.Join(p, " ")
}

// Every string of the source language exists in every launch language,
// with the same placeholders, and plural strings have every form the
// language needs.
func TestEveryStringInEveryLanguage(t *testing.T) {
	missing := 0
	for domain, keys := range i18n.Keys() {
		for _, l := range i18n.Languages {
			for _, k := range keys {
				if !i18n.Has(l.Code, k) {
					missing++
					if missing <= 40 {
						t.Errorf("%s: %q missing in %s (locales/%s.%s.json)", domain, k, l.Code, domain, l.Code)
					}
					continue
				}
				src := i18n.Forms(i18n.Source, k)
				got := i18n.Forms(l.Code, k)
				if placeholders(src["other"]) != placeholders(got["other"]) {
					t.Errorf("%s.%s %q: placeholders %q, source has %q", domain, l.Code, k, placeholders(got["other"]), placeholders(src["other"]))
				}
				if len(src) > 1 {
					for _, form := range neededForms(l.Code) {
						if got[form] == "" {
							t.Errorf("%s.%s %q: plural form %q missing", domain, l.Code, k, form)
						}
					}
				}
			}
		}
	}
	if missing > 40 {
		t.Errorf("... %d strings missing in all", missing)
	}
}

// neededForms lists the CLDR categories a language uses for integers.
func neededForms(code string) []string {
	loc := i18n.New(code)
	seen := map[string]bool{}
	var out []string
	for n := 0; n < 200; n++ {
		f := loc.PluralForm(n)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func TestEveryLanguageRecordsReview(t *testing.T) {
	for _, l := range i18n.Languages {
		if r := i18n.Review(l.Code); r == "" {
			t.Errorf("%s: no native review note", l.Code)
		}
		if !i18n.Has(l.Code, "layout.skip") {
			t.Errorf("%s: core file missing", l.Code)
		}
	}
}

func TestPluralRules(t *testing.T) {
	cases := []struct {
		lang string
		n    int
		want string
	}{
		{"nb", 1, "one"}, {"nb", 2, "other"}, {"pl", 3, "few"}, {"pl", 5, "many"}, {"pl", 22, "few"},
		{"ru", 21, "one"}, {"uk", 11, "many"}, {"lt", 2, "few"}, {"ar", 0, "zero"}, {"ar", 2, "two"},
		{"ar", 3, "few"}, {"ar", 11, "many"}, {"ar", 100, "other"}, {"ti", 0, "one"}, {"kmr", 1, "one"}, {"kmr", 2, "other"},
		{"fa-AF", 0, "one"}, {"so", 1, "one"}, {"ps", 1, "one"},
	}
	for _, c := range cases {
		if got := i18n.New(c.lang).PluralForm(c.n); got != c.want {
			t.Errorf("%s %d: %s, want %s", c.lang, c.n, got, c.want)
		}
	}
	// Our rules agree with CLDR's through x/text for the languages it knows by their own code.
	for _, code := range []string{"pl", "ru", "ar", "lt"} {
		for n := 0; n < 120; n++ {
			want := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}[plural.Cardinal.MatchPlural(language.Make(code), n, 0, 0, 0, 0)]
			if got := i18n.New(code).PluralForm(n); got != want {
				t.Fatalf("%s %d: %s want %s", code, n, got, want)
			}
		}
	}
}

func TestPluralMessageAndPlaceholders(t *testing.T) {
	en := i18n.New("en")
	if got := en.T("count.children", "Count", 1); got != "1 child" {
		t.Errorf("got %q", got)
	}
	if got := en.T("count.children", "Count", 3); got != "3 children" {
		t.Errorf("got %q", got)
	}
	// A value is inserted as text, never interpreted as a placeholder.
	if got := en.T("invite.welcome", "Kindergarten", "{{.Kindergarten}} <b>"); !strings.Contains(got, "{{.Kindergarten}} <b>") {
		t.Errorf("got %q", got)
	}
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key gave %q", got)
	}
}

func TestDatesInOslo(t *testing.T) {
	// 23:30 UTC on 31 December is already 1 January in Oslo.
	ts := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	if got := i18n.New("nb").Date(ts); got != "fredag 1. januar 2027" {
		t.Errorf("nb: %q", got)
	}
	if got := i18n.New("nb").Time(ts); got != "00:30" {
		t.Errorf("nb time: %q", got)
	}
	if got := i18n.New("en").Date(ts); got != "Friday 1 January 2027" {
		t.Errorf("en: %q", got)
	}
	for _, l := range i18n.Languages {
		s := i18n.New(l.Code).Date(ts)
		if strings.Contains(s, "{{") || strings.Contains(s, "date.") || !strings.Contains(s, "2027") {
			t.Errorf("%s: date rendered as %q", l.Code, s)
		}
	}
}

func TestDirection(t *testing.T) {
	for code, want := range map[string]string{"ar": "rtl", "fa-AF": "rtl", "ps": "rtl", "ti": "ltr", "kmr": "ltr", "nb": "ltr", "xx": "ltr"} {
		if got := i18n.New(code).Dir(); got != want {
			t.Errorf("%s: %s", code, got)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"ar-SY,ar;q=0.9,en;q=0.5": "ar", "no": "nb", "nn-NO": "nn", "fa-IR": "fa-AF", "prs": "fa-AF", "ku": "kmr",
		"ti-ER": "ti", "de-DE,en;q=0.4": "en", "": "nb", "zz": "nb", "so-SO": "so", "uk-UA,ru;q=0.8": "uk", "\xff\xfe": "nb",
	} {
		if got := i18n.FromAcceptLanguage(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
}
