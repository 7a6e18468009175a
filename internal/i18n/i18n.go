// Package i18n holds Tillit's interface strings in every launch language
// and renders them: CLDR plural forms, {{.Name}} placeholders, and dates
// and times in Europe/Oslo written the reader's way.
//
// Strings live in locales/DOMAIN.LANG.json in the go-i18n v2 JSON format
// (which Weblate reads): "key": "text", or "key": {"one": "…", "other": "…"}
// for plurals. nb is the source language. The key "_meta.native_review"
// records whether a native speaker has reviewed the file ("no", or who and
// when).
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Oslo inside the binary

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Language is a launch language.
type Language struct {
	Code   string // BCP 47: nb, fa-AF, …
	Native string // its own name, as shown in the language switcher
	RTL    bool
}

// Languages are the launch languages, in the switcher's order.
var Languages = []Language{
	{"nb", "Norsk bokmål", false},
	{"nn", "Norsk nynorsk", false},
	{"en", "English", false},
	{"pl", "Polski", false},
	{"lt", "Lietuvių", false},
	{"uk", "Українська", false},
	{"ru", "Русский", false},
	{"ar", "العربية", true},
	{"ti", "ትግርኛ", false},
	{"so", "Soomaali", false},
	{"fa-AF", "دری", true},
	{"ps", "پښتو", true},
	{"kmr", "Kurmancî", false},
}

// Source is the language every string is written in first.
const Source = "nb"

// MetaReview is the key that records native-speaker review.
const MetaReview = "_meta.native_review"

// Oslo is the time zone every date is shown in.
var Oslo = func() *time.Location {
	l, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic(err)
	}
	return l
}()

// Lookup returns the launch language with this code (case-insensitive).
func Lookup(code string) (Language, bool) {
	for _, l := range Languages {
		if strings.EqualFold(l.Code, code) {
			return l, true
		}
	}
	return Language{}, false
}

// Valid reports whether code is a launch language.
func Valid(code string) bool { _, ok := Lookup(code); return ok }

// message is one string: plain (other only) or with plural forms.
type message map[string]string // "other", "one", "few", …

//go:embed locales/*.json
var files embed.FS

type catalog struct {
	msgs   map[string]map[string]message // lang → key → message
	review map[string]string             // lang → review note
	keys   map[string][]string           // domain → keys in the source language
}

var (
	loadOnce sync.Once
	cat      *catalog
	loadErr  error
)

func load() (*catalog, error) {
	loadOnce.Do(func() { cat, loadErr = parse(files) })
	return cat, loadErr
}

func parse(fsys fs.FS) (*catalog, error) {
	c := &catalog{msgs: map[string]map[string]message{}, review: map[string]string{}, keys: map[string][]string{}}
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "locales/"), ".json")
		domain, lang, ok := strings.Cut(base, ".")
		if !ok || !Valid(lang) {
			return nil, fmt.Errorf("%s: name must be DOMAIN.LANG.json with a launch language", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if c.msgs[lang] == nil {
			c.msgs[lang] = map[string]message{}
		}
		for k, v := range raw {
			var m message
			var s string
			if json.Unmarshal(v, &s) == nil {
				m = message{"other": s}
			} else if err := json.Unmarshal(v, &m); err != nil || m["other"] == "" {
				return nil, fmt.Errorf("%s: %s: want a string or plural forms with \"other\"", n, k)
			}
			if k == MetaReview {
				if domain == "core" {
					c.review[lang] = m["other"]
				}
				continue
			}
			if _, dup := c.msgs[lang][k]; dup {
				return nil, fmt.Errorf("%s: key %s is defined in two files", n, k)
			}
			c.msgs[lang][k] = m
			if lang == Source {
				c.keys[domain] = append(c.keys[domain], k)
			}
		}
	}
	for d := range c.keys {
		sort.Strings(c.keys[d])
	}
	return c, nil
}

// Check loads the catalogue and reports its first problem; the server
// calls it at start so that a broken file stops it there.
func Check() error { _, err := load(); return err }

// Keys returns every source key by domain.
func Keys() map[string][]string { c, _ := load(); return c.keys }

// Has reports whether lang has key.
func Has(lang, key string) bool {
	c, _ := load()
	_, ok := c.msgs[lang][key]
	return ok
}

// Forms returns the plural forms lang defines for key.
func Forms(lang, key string) map[string]string {
	c, _ := load()
	return c.msgs[lang][key]
}

// Review returns the native-review note of a language ("no" when none).
func Review(lang string) string {
	c, _ := load()
	if r := c.review[lang]; r != "" {
		return r
	}
	return "no"
}

// Localizer renders strings for one language, falling back to English and
// then to the source language.
type Localizer struct {
	Lang Language
	tag  language.Tag
}

// New returns a Localizer for a launch language (Source if unknown).
func New(code string) *Localizer {
	l, ok := Lookup(code)
	if !ok {
		l, _ = Lookup(Source)
	}
	pt := l.Code
	if pt == "kmr" {
		pt = "ku" // CLDR has Kurdish plural rules under ku
	}
	return &Localizer{Lang: l, tag: language.Make(pt)}
}

// Arg is a placeholder value: T("key", "Name", name, "Count", 3).
// A "Count" argument selects the plural form.

// T renders key with placeholder pairs.
func (l *Localizer) T(key string, args ...any) string {
	c, err := load()
	if err != nil {
		return key
	}
	m, ok := c.msgs[l.Lang.Code][key]
	if !ok {
		if m, ok = c.msgs["en"][key]; !ok {
			if m, ok = c.msgs[Source][key]; !ok {
				return key
			}
		}
	}
	s := m["other"]
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "Count" {
			if n, ok := toInt(args[i+1]); ok {
				if f := m[l.PluralForm(n)]; f != "" {
					s = f
				}
			}
		}
	}
	if !strings.Contains(s, "{{") {
		return s
	}
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		s = strings.ReplaceAll(s, "{{."+name+"}}", fmt.Sprint(args[i+1]))
	}
	return s
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

var formNames = map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}

// PluralForm names the CLDR cardinal category of n in this language.
func (l *Localizer) PluralForm(n int) string {
	if n < 0 {
		n = -n
	}
	return formNames[plural.Cardinal.MatchPlural(l.tag, n, 0, 0, 0, 0)]
}

// Date writes t as a long date in Europe/Oslo: "mandag 23. november 2026".
func (l *Localizer) Date(t time.Time) string {
	t = t.In(Oslo)
	return l.T("date.long", "Weekday", l.T("date.weekday."+strconv.Itoa(int(t.Weekday()))),
		"Day", t.Day(), "Month", l.T("date.month."+strconv.Itoa(int(t.Month()))), "Year", t.Year())
}

// ShortDate writes t as a numeric date in Europe/Oslo.
func (l *Localizer) ShortDate(t time.Time) string {
	t = t.In(Oslo)
	return l.T("date.short", "Day", fmt.Sprintf("%02d", t.Day()), "MonthNum", fmt.Sprintf("%02d", int(t.Month())), "Year", t.Year())
}

// Time writes the time of day in Europe/Oslo (24-hour clock).
func (l *Localizer) Time(t time.Time) string {
	t = t.In(Oslo)
	return l.T("time.short", "Hour", fmt.Sprintf("%02d", t.Hour()), "Minute", fmt.Sprintf("%02d", t.Minute()))
}

// DateTime writes a date and time.
func (l *Localizer) DateTime(t time.Time) string {
	return l.T("datetime", "Date", l.ShortDate(t), "Time", l.Time(t))
}

// Dir is "rtl" or "ltr".
func (l *Localizer) Dir() string {
	if l.Lang.RTL {
		return "rtl"
	}
	return "ltr"
}

// FromAcceptLanguage picks the best launch language for a header value.
func FromAcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Source
	}
	for _, t := range tags {
		s := t.String()
		if l, ok := Lookup(s); ok {
			return l.Code
		}
		b, _ := t.Base()
		switch b.String() {
		case "no":
			return "nb"
		case "fa", "prs":
			return "fa-AF" // Dari is the Persian we offer
		case "ku":
			return "kmr"
		}
		if l, ok := Lookup(b.String()); ok {
			return l.Code
		}
	}
	return Source
}
