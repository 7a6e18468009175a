// Package phrasebook holds Tillit's ready-made messages: texts staff use
// every day ("the spare-clothes box needs topping up", "we are going on a
// trip to the forest on …", "Amina had a good day"), written once in
// Norwegian and translated by people into each launch language, so a
// message built from the phrasebook is translated by construction and
// never passes through machine translation.
//
// An entry has typed slots — a date, a weekday, a time, an item or place
// from a closed translated list, a number, the child's first name — that
// are filled in by staff through pickers and rendered in the reader's
// language: dates, weekdays and times through the i18n Localizer
// (Europe/Oslo, the reader's month and weekday names), numbers with the
// reader's CLDR plural form, items and places from the reader's list, and
// names as given, isolated for bidirectional text.
//
// The data lives in data/: catalogue.json describes the entries (category,
// messaging category, pictogram, slots, Norwegian title and search
// keywords); LANG.json holds one language's texts in the go-i18n v2 JSON
// format that translation platforms read; review.json records, per
// language and entry, which native speaker reviewed the text and when.
// See docs/phrasebook.md.
//
// The package never calls a translation provider: a language that lacks
// an entry falls back to English, then to Norwegian, and says so.
package phrasebook

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"tillit/internal/i18n"
)

// SlotType says what a slot holds and how its value is checked and shown.
type SlotType string

// Slot types.
const (
	SlotDate    SlotType = "date"    // "YYYY-MM-DD", shown as the reader's long date
	SlotWeekday SlotType = "weekday" // "monday"…"sunday" or "YYYY-MM-DD", shown as the weekday name
	SlotTime    SlotType = "time"    // "HH:MM", shown as the reader's time of day
	SlotItem    SlotType = "item"    // a key such as "item.clothing.mittens"
	SlotPlace   SlotType = "place"   // a key such as "place.forest"
	SlotChild   SlotType = "child"   // a first name, inserted as given and bidi-isolated
	SlotNumber  SlotType = "number"  // 0…999, selects the reader's plural form
)

var slotTypes = []SlotType{SlotDate, SlotWeekday, SlotTime, SlotItem, SlotPlace, SlotChild, SlotNumber}

// Message categories an entry is sent as (the messaging feature's
// categories).
var MessageCategories = []string{"practical", "health", "incident", "consent", "urgent", "general"}

// Slot is one typed gap in an entry's text, written {{.Name}} in it.
type Slot struct {
	Name string   `json:"name"`
	Type SlotType `json:"type"`
	// Items narrows an item slot to one list ("clothing" allows only
	// item.clothing.*); empty allows every item.
	Items string `json:"items,omitempty"`
}

// Entry is one phrasebook message as described by the catalogue.
type Entry struct {
	Key             string `json:"key"`
	Category        string `json:"category"`         // for browsing: clothing, food, health, …
	MessageCategory string `json:"message_category"` // sent as: practical, health, incident, consent, urgent, general
	Pictogram       string `json:"pictogram"`        // a Unicode emoji
	Slots           []Slot `json:"slots"`
	Title           string `json:"title_nb"`    // short Norwegian title for browsing
	Keywords        string `json:"keywords_nb"` // Norwegian search words
	// Text is the Norwegian source text (its "other" form), with the
	// {{.Name}} placeholders, for browsing.
	Text string `json:"-"`
}

// Category is one browsing category with its Norwegian label.
type Category struct {
	Key   string
	Label string // Norwegian
	Count int    // entries in it
}

// Book is a loaded, validated phrasebook. It is read-only and safe for
// concurrent use.
type Book struct {
	entries    []Entry
	byKey      map[string]int
	texts      map[string]map[string]*message // lang → key → message
	order      map[string][]string            // lang → keys in file order
	meta       map[string]string              // lang → _meta.native_review
	review     map[string]map[string]string   // lang → key → "who/date"
	langs      []string                       // languages with a file, in i18n.Languages order
	categories []Category
	items      map[string][]string // list ("clothing", "" for all) → item keys in nb order
	places     []string
	locs       map[string]*i18n.Localizer
	index      []searchDoc
}

// message is one parsed text: its plural forms ("other", and "one", "few",
// … when it varies with a number), each split into pieces.
type message struct {
	forms map[string][]piece
}

// piece is literal text (name == "") or a placeholder {{.name}}.
type piece struct {
	lit  string
	name string
}

//go:embed data/*.json
var dataFS embed.FS

// Default is the embedded phrasebook, loaded and checked once. It panics
// if the embedded data is broken, which the package's tests catch.
var Default = sync.OnceValue(func() *Book {
	b, err := Load()
	if err != nil {
		panic(err)
	}
	return b
})

// Load reads and validates the phrasebook built into the binary.
func Load() (*Book, error) {
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// Files in the data directory.
const (
	CatalogueFile = "catalogue.json"
	ReviewFile    = "review.json"
)

var (
	keyRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	slotNameRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	pluralForm = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}
)

// LoadFS reads and validates a phrasebook from fsys, which holds
// catalogue.json, review.json and LANG.json files side by side. A broken
// file is an error naming the file and the key.
func LoadFS(fsys fs.FS) (*Book, error) {
	b := &Book{
		byKey:  map[string]int{},
		texts:  map[string]map[string]*message{},
		order:  map[string][]string{},
		meta:   map[string]string{},
		review: map[string]map[string]string{},
		items:  map[string][]string{},
		locs:   map[string]*i18n.Localizer{},
	}
	for _, l := range i18n.Languages {
		b.locs[l.Code] = i18n.New(l.Code)
	}

	raw, err := fs.ReadFile(fsys, CatalogueFile)
	if err != nil {
		return nil, fmt.Errorf("phrasebook: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.entries); err != nil {
		return nil, fmt.Errorf("phrasebook: %s: %w", CatalogueFile, err)
	}
	if len(b.entries) == 0 {
		return nil, fmt.Errorf("phrasebook: %s: no entries", CatalogueFile)
	}

	// Language files.
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == CatalogueFile || n == ReviewFile {
			continue
		}
		code := strings.TrimSuffix(path.Base(n), ".json")
		l, ok := i18n.Lookup(code)
		if !ok || l.Code != code {
			return nil, fmt.Errorf("phrasebook: %s: not a launch language file (LANG.json)", n)
		}
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("phrasebook: %w", err)
		}
		if err := b.parseLang(code, data); err != nil {
			return nil, fmt.Errorf("phrasebook: %s: %w", n, err)
		}
	}
	if b.texts[i18n.Source] == nil {
		return nil, fmt.Errorf("phrasebook: %s.json is missing", i18n.Source)
	}
	for _, l := range i18n.Languages {
		if b.texts[l.Code] != nil {
			b.langs = append(b.langs, l.Code)
		}
	}

	// Lists, from the source language, in its file order.
	for _, k := range b.order[i18n.Source] {
		switch {
		case strings.HasPrefix(k, "item."):
			list, _, ok := strings.Cut(strings.TrimPrefix(k, "item."), ".")
			if !ok {
				return nil, fmt.Errorf("phrasebook: %s.json: %s: items are item.LIST.NAME", i18n.Source, k)
			}
			b.items[list] = append(b.items[list], k)
			b.items[""] = append(b.items[""], k)
		case strings.HasPrefix(k, "place."):
			b.places = append(b.places, k)
		case strings.HasPrefix(k, "category."):
			b.categories = append(b.categories, Category{Key: strings.TrimPrefix(k, "category."), Label: b.texts[i18n.Source][k].forms["other"][0].lit})
		}
	}

	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("phrasebook: %w", err)
	}
	if err := b.parseReview(fsys); err != nil {
		return nil, fmt.Errorf("phrasebook: %s: %w", ReviewFile, err)
	}
	b.buildIndex()
	return b, nil
}

// parseLang reads one go-i18n v2 JSON file, keeping the file's order and
// refusing duplicate keys.
func (b *Book) parseLang(lang string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("want a JSON object of key: text")
	}
	msgs := map[string]*message{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if _, dup := msgs[k]; dup || (k == i18n.MetaReview && b.meta[lang] != "") {
			return fmt.Errorf("%s: defined twice", k)
		}
		var forms map[string]string
		var s string
		if json.Unmarshal(v, &s) == nil {
			forms = map[string]string{"other": s}
		} else if err := json.Unmarshal(v, &forms); err != nil || forms["other"] == "" {
			return fmt.Errorf("%s: want a string or plural forms with \"other\"", k)
		}
		if k == i18n.MetaReview {
			b.meta[lang] = s
			continue
		}
		if !keyRE.MatchString(k) {
			return fmt.Errorf("%s: keys are lower-case words joined by dots", k)
		}
		m := &message{forms: map[string][]piece{}}
		for f, text := range forms {
			if !pluralForm[f] {
				return fmt.Errorf("%s: %q is not a CLDR plural form", k, f)
			}
			if strings.TrimSpace(text) == "" {
				return fmt.Errorf("%s: form %q is empty", k, f)
			}
			if !utf8.ValidString(text) || hasBidiFormatting(text) {
				return fmt.Errorf("%s: invalid UTF-8 or a bidirectional embedding, override or isolate", k)
			}
			p, err := parsePieces(text)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			m.forms[f] = p
		}
		msgs[k] = m
		b.order[lang] = append(b.order[lang], k)
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	b.texts[lang] = msgs
	return nil
}

// parsePieces splits a text at its {{.Name}} placeholders; any other use
// of {{ or }} is an error, so a translator's typo is caught at load.
func parsePieces(s string) ([]piece, error) {
	var out []piece
	for s != "" {
		i := strings.Index(s, "{{")
		j := strings.Index(s, "}}")
		if i < 0 {
			if j >= 0 {
				return nil, errors.New("a stray }}")
			}
			out = append(out, piece{lit: s})
			break
		}
		if j >= 0 && j < i {
			return nil, errors.New("a stray }}")
		}
		if i > 0 {
			out = append(out, piece{lit: s[:i]})
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return nil, errors.New("an unclosed {{")
		}
		inner := s[i+2 : i+end]
		name, ok := strings.CutPrefix(inner, ".")
		if !ok || !slotNameRE.MatchString(name) {
			return nil, fmt.Errorf("placeholder {{%s}}: write {{.Name}}", inner)
		}
		out = append(out, piece{name: name})
		s = s[i+end+2:]
	}
	return out, nil
}

// validate checks the catalogue against the language files.
func (b *Book) validate() error {
	src := b.texts[i18n.Source]
	cats := map[string]int{}
	for i, c := range b.categories {
		cats[c.Key] = i
	}
	for i := range b.entries {
		e := &b.entries[i]
		if !keyRE.MatchString(e.Key) || isListKey(e.Key) {
			return fmt.Errorf("%s: entry key %q: lower-case words joined by dots, not item./place./category.", CatalogueFile, e.Key)
		}
		if _, dup := b.byKey[e.Key]; dup {
			return fmt.Errorf("%s: %s: listed twice", CatalogueFile, e.Key)
		}
		b.byKey[e.Key] = i
		ci, ok := cats[e.Category]
		if !ok {
			return fmt.Errorf("%s: %s: category %q has no label category.%s in %s.json", CatalogueFile, e.Key, e.Category, e.Category, i18n.Source)
		}
		b.categories[ci].Count++
		if !slices.Contains(MessageCategories, e.MessageCategory) {
			return fmt.Errorf("%s: %s: message_category %q is not one of %v", CatalogueFile, e.Key, e.MessageCategory, MessageCategories)
		}
		if !isPictogram(e.Pictogram) {
			return fmt.Errorf("%s: %s: pictogram %q is not an emoji", CatalogueFile, e.Key, e.Pictogram)
		}
		if strings.TrimSpace(e.Title) == "" || strings.TrimSpace(e.Keywords) == "" {
			return fmt.Errorf("%s: %s: title_nb and keywords_nb are required", CatalogueFile, e.Key)
		}
		numbers := 0
		seen := map[string]bool{}
		for _, s := range e.Slots {
			if !slotNameRE.MatchString(s.Name) || seen[s.Name] {
				return fmt.Errorf("%s: %s: slot name %q must be unique and written like Date or Child", CatalogueFile, e.Key, s.Name)
			}
			seen[s.Name] = true
			if !slices.Contains(slotTypes, s.Type) {
				return fmt.Errorf("%s: %s: slot %s: unknown type %q", CatalogueFile, e.Key, s.Name, s.Type)
			}
			if s.Items != "" && (s.Type != SlotItem || len(b.items[s.Items]) == 0) {
				return fmt.Errorf("%s: %s: slot %s: item list %q does not exist (no item.%s.* in %s.json)", CatalogueFile, e.Key, s.Name, s.Items, s.Items, i18n.Source)
			}
			if s.Type == SlotItem && len(b.items[""]) == 0 || s.Type == SlotPlace && len(b.places) == 0 {
				return fmt.Errorf("%s: %s: slot %s: its list is empty", CatalogueFile, e.Key, s.Name)
			}
			if s.Type == SlotNumber {
				numbers++
			}
		}
		if numbers > 1 {
			return fmt.Errorf("%s: %s: at most one number slot", CatalogueFile, e.Key)
		}
		m, ok := src[e.Key]
		if !ok {
			return fmt.Errorf("%s: %s has no text in %s.json", CatalogueFile, e.Key, i18n.Source)
		}
		e.Text = joinPieces(m.forms["other"])
		for _, lang := range b.langs {
			m, ok := b.texts[lang][e.Key]
			if !ok {
				continue
			}
			if err := checkPlaceholders(e, m); err != nil {
				return fmt.Errorf("%s.json: %s: %w", lang, e.Key, err)
			}
		}
	}
	// Every key of every language file is an entry, a list item, a place
	// or a category label that the source language also has.
	for _, lang := range b.langs {
		for _, k := range b.order[lang] {
			_, isEntry := b.byKey[k]
			if !isEntry && !isListKey(k) {
				return fmt.Errorf("%s.json: %s is not in %s", lang, k, CatalogueFile)
			}
			if _, ok := src[k]; !ok {
				return fmt.Errorf("%s.json: %s is not in %s.json", lang, k, i18n.Source)
			}
			if isListKey(k) && len(b.texts[lang][k].forms) != 1 {
				return fmt.Errorf("%s.json: %s: labels have no plural forms", lang, k)
			}
			if isListKey(k) && len(b.texts[lang][k].forms["other"]) != 1 {
				return fmt.Errorf("%s.json: %s: labels have no placeholders", lang, k)
			}
		}
	}
	return nil
}

func isListKey(k string) bool {
	return strings.HasPrefix(k, "item.") || strings.HasPrefix(k, "place.") || strings.HasPrefix(k, "category.")
}

// checkPlaceholders: every placeholder names a slot, every slot appears in
// the "other" form, and a text with plural forms has a number slot. Forms
// other than "other" may leave the number out ("one day" may be written
// without the 1), but never another slot.
func checkPlaceholders(e *Entry, m *message) error {
	slots := map[string]SlotType{}
	for _, s := range e.Slots {
		slots[s.Name] = s.Type
	}
	hasNumber := false
	for _, t := range slots {
		hasNumber = hasNumber || t == SlotNumber
	}
	if len(m.forms) > 1 && !hasNumber {
		return errors.New("plural forms but no number slot")
	}
	for form, ps := range m.forms {
		used := map[string]bool{}
		for _, p := range ps {
			if p.name == "" {
				continue
			}
			if _, ok := slots[p.name]; !ok {
				return fmt.Errorf("placeholder {{.%s}} is not a slot of the entry", p.name)
			}
			used[p.name] = true
		}
		for name, t := range slots {
			if !used[name] && (form == "other" || t != SlotNumber) {
				return fmt.Errorf("form %q lacks the slot {{.%s}}", form, name)
			}
		}
	}
	return nil
}

func joinPieces(ps []piece) string {
	var sb strings.Builder
	for _, p := range ps {
		if p.name != "" {
			sb.WriteString("{{." + p.name + "}}")
		} else {
			sb.WriteString(p.lit)
		}
	}
	return sb.String()
}

// isPictogram accepts emoji: symbols, flags, keycaps, skin tones,
// variation selectors and zero-width joiners, with no letters or spaces.
func isPictogram(s string) bool {
	if s == "" || len(s) > 40 || !utf8.ValidString(s) {
		return false
	}
	symbol := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.So, r):
			symbol = true
		case r == 0x200D || r == 0xFE0F || r == 0x20E3 || unicode.Is(unicode.Sk, r) && r > 0x1F000:
		default:
			return false
		}
	}
	return symbol
}

// parseReview reads review.json: {"LANG": {"entry.key": "who/date"}}.
func (b *Book) parseReview(fsys fs.FS) error {
	raw, err := fs.ReadFile(fsys, ReviewFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &b.review); err != nil {
		return err
	}
	for lang, keys := range b.review {
		if b.texts[lang] == nil {
			return fmt.Errorf("%s: no %s.json", lang, lang)
		}
		for k, who := range keys {
			if _, ok := b.texts[lang][k]; !ok || isListKey(k) {
				return fmt.Errorf("%s: %s is not an entry of %s.json", lang, k, lang)
			}
			if strings.TrimSpace(who) == "" {
				return fmt.Errorf("%s: %s: say who reviewed it and when", lang, k)
			}
		}
	}
	return nil
}

// Entries returns every entry in catalogue order.
func (b *Book) Entries() []Entry { return slices.Clone(b.entries) }

// Get returns the entry with this key.
func (b *Book) Get(key string) (Entry, bool) {
	i, ok := b.byKey[key]
	if !ok {
		return Entry{}, false
	}
	return b.entries[i], true
}

// Categories returns the browsing categories in their order in the source
// file, with Norwegian labels and entry counts.
func (b *Book) Categories() []Category { return slices.Clone(b.categories) }

// InCategory returns the entries of one browsing category.
func (b *Book) InCategory(cat string) []Entry {
	var out []Entry
	for _, e := range b.entries {
		if e.Category == cat {
			out = append(out, e)
		}
	}
	return out
}

// Languages returns the languages an entry exists in, in the order of
// i18n.Languages.
func (b *Book) Languages(key string) []string {
	var out []string
	for _, l := range b.langs {
		if _, ok := b.texts[l][key]; ok {
			out = append(out, l)
		}
	}
	return out
}

// FileLanguages returns the languages that have a data file.
func (b *Book) FileLanguages() []string { return slices.Clone(b.langs) }

// Keys returns every key of a language file (entries, items, places and
// category labels) in file order, without _meta keys.
func (b *Book) Keys(lang string) []string { return slices.Clone(b.order[lang]) }

// Items returns the item keys of one list ("clothing", "food", "things"),
// or of every list for "", in the source file's order — for a picker.
func (b *Book) Items(list string) []string { return slices.Clone(b.items[list]) }

// ItemLists returns the names of the item lists.
func (b *Book) ItemLists() []string {
	var out []string
	for k := range b.items {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Places returns the place keys in the source file's order.
func (b *Book) Places() []string { return slices.Clone(b.places) }

// Label returns the text of an item, place or category label key in lang,
// falling back to English and then Norwegian; "" if the key is unknown.
func (b *Book) Label(key, lang string) string {
	if !isListKey(key) {
		return ""
	}
	for _, l := range []string{lang, "en", i18n.Source} {
		if m, ok := b.texts[l][key]; ok {
			return m.forms["other"][0].lit
		}
	}
	return ""
}

// Reviewed reports whether a native speaker has reviewed the entry in
// this language (recorded in review.json).
func (b *Book) Reviewed(lang, key string) bool { return b.review[lang][key] != "" }

// ReviewedBy returns the review note ("who/date") or "".
func (b *Book) ReviewedBy(lang, key string) string { return b.review[lang][key] }

// NativeReview returns a language file's _meta.native_review note ("no"
// when it has none, "" when the language has no file).
func (b *Book) NativeReview(lang string) string {
	if b.texts[lang] == nil {
		return ""
	}
	if m := b.meta[lang]; m != "" {
		return m
	}
	return "no"
}

// Script is an entry's text in lang as it is read aloud for a recording:
// its general ("other") form, with each slot as "…" — the recording is
// played with every message from the entry, whatever its slot values,
// which the reader sees written beside it. ok is false when lang lacks
// the entry.
func (b *Book) Script(key, lang string) (string, bool) {
	m, ok := b.texts[lang][key]
	if !ok {
		return "", false
	}
	var sb strings.Builder
	for _, p := range m.forms["other"] {
		if p.name != "" {
			sb.WriteString("…")
		} else {
			sb.WriteString(p.lit)
		}
	}
	return sb.String(), true
}
