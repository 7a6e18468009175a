package phrasebook

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tillit/internal/i18n"
)

// Errors of Render besides slot errors.
var (
	ErrUnknownEntry    = errors.New("phrasebook: no such entry")
	ErrUnknownLanguage = errors.New("phrasebook: not a launch language")
)

// Slot error codes, for the UI to turn into a clear message.
const (
	CodeMissing       = "missing"        // the slot has no value
	CodeInvalidDate   = "invalid_date"   // not a real date as YYYY-MM-DD (or, for a weekday slot, a weekday name)
	CodeInvalidTime   = "invalid_time"   // not HH:MM on a 24-hour clock
	CodeUnknownItem   = "unknown_item"   // not a key of the slot's item list
	CodeUnknownPlace  = "unknown_place"  // not a key of the place list
	CodeInvalidName   = "invalid_name"   // not a plain first name (markup, digits, control or bidi characters, over 60 characters)
	CodeInvalidNumber = "invalid_number" // not a whole number from 0 to 999
	CodeUnknownSlot   = "unknown_slot"   // a value was given for a slot the entry does not have
)

// SlotError says which slot value was wrong and how. Render returns all of
// them joined (errors.Join); SlotErrors unpacks them.
type SlotError struct {
	Key  string // the entry
	Slot string // the slot's name, e.g. "Date"
	Code string // one of the Code… constants
}

func (e *SlotError) Error() string {
	return fmt.Sprintf("phrasebook: %s: slot %s: %s", e.Key, e.Slot, e.Code)
}

// SlotErrors returns every *SlotError inside err, in slot order.
func SlotErrors(err error) []*SlotError {
	var out []*SlotError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if se, ok := err.(*SlotError); ok {
			out = append(out, se)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Segment is one run of rendered text: literal text or one slot's value.
// Renderers other than HTML can use Isolate to wrap names in U+2068 FIRST
// STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE.
type Segment struct {
	Text    string
	Slot    string // the slot's name; "" for the entry's own text
	Isolate bool   // a name whose direction is its own (child names)
}

// Rendered is an entry in one reader's language with its slots filled.
type Rendered struct {
	Key string
	// Text is the plain text, with no markup and no control characters.
	Text string
	// HTML is the same text escaped for HTML, with child names in <bdi>.
	// Put it inside an element with lang=Lang and dir=Dir.
	HTML     template.HTML
	Segments []Segment
	// Lang is the language actually used; Fallback is true when it is not
	// the one asked for (the entry, or an item or place it names, lacks a
	// text in that language).
	Lang      string
	Dir       string // "rtl" or "ltr", of Lang
	Fallback  bool
	Pictogram string
	// Category is the messaging category to send it as (practical,
	// health, incident, consent, urgent, general).
	Category string
}

// value is a checked slot value.
type value struct {
	slot   Slot
	date   time.Time
	hour   int
	minute int
	key    string // item or place key
	name   string
	n      int
}

// Check validates slot values for an entry without rendering it; the
// error is nil, ErrUnknownEntry, or slot errors (see SlotErrors).
func (b *Book) Check(key string, slots map[string]string) error {
	i, ok := b.byKey[key]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownEntry, key)
	}
	_, err := b.values(&b.entries[i], slots)
	return err
}

// Render fills an entry's slots and writes it in lang, falling back to
// English and then Norwegian when lang lacks the entry or one of the
// items or places chosen. Slot values are checked by type: date
// "YYYY-MM-DD" (a real date), weekday "monday"…"sunday" or a date, time
// "HH:MM", item and place a list key ("item.clothing.mittens",
// "place.forest"), child a plain first name, number 0…999. Wrong or
// missing values give slot errors with codes (see SlotErrors).
func (b *Book) Render(key string, slots map[string]string, lang string) (Rendered, error) {
	i, ok := b.byKey[key]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: %q", ErrUnknownEntry, key)
	}
	l, ok := i18n.Lookup(lang)
	if !ok {
		return Rendered{}, fmt.Errorf("%w: %q", ErrUnknownLanguage, lang)
	}
	e := &b.entries[i]
	vals, err := b.values(e, slots)
	if err != nil {
		return Rendered{}, err
	}

	used, m := b.pick(e, vals, l.Code)
	if m == nil { // the source language is validated to have everything
		return Rendered{}, fmt.Errorf("phrasebook: %s: no language has this entry", key)
	}
	loc := b.locs[used]
	pieces := m.forms["other"]
	if len(m.forms) > 1 {
		for _, v := range vals {
			if v.slot.Type == SlotNumber {
				if p, ok := m.forms[loc.PluralForm(v.n)]; ok {
					pieces = p
				}
			}
		}
	}

	r := Rendered{
		Key: key, Lang: used, Dir: loc.Dir(), Fallback: used != l.Code,
		Pictogram: e.Pictogram, Category: e.MessageCategory,
		Segments: make([]Segment, 0, len(pieces)),
	}
	var text, h strings.Builder
	for _, p := range pieces {
		if p.name == "" {
			text.WriteString(p.lit)
			h.WriteString(html.EscapeString(p.lit))
			r.Segments = append(r.Segments, Segment{Text: p.lit})
			continue
		}
		v := vals[p.name]
		s := b.show(v, used, loc)
		text.WriteString(s)
		if v.slot.Type == SlotChild {
			h.WriteString("<bdi>")
			h.WriteString(html.EscapeString(s))
			h.WriteString("</bdi>")
		} else {
			h.WriteString(html.EscapeString(s))
		}
		r.Segments = append(r.Segments, Segment{Text: s, Slot: p.name, Isolate: v.slot.Type == SlotChild})
	}
	r.Text = text.String()
	r.HTML = template.HTML(h.String()) // every part was escaped above
	return r, nil
}

// pick chooses the first of lang, en, nb that has the entry and every item
// and place label the values need, so a sentence is never a mix of
// languages.
func (b *Book) pick(e *Entry, vals map[string]value, lang string) (string, *message) {
	for _, l := range [...]string{lang, "en", i18n.Source} {
		texts := b.texts[l]
		m, ok := texts[e.Key]
		if !ok {
			continue
		}
		complete := true
		for _, v := range vals {
			if v.key != "" {
				if _, ok := texts[v.key]; !ok {
					complete = false
				}
			}
		}
		if complete {
			return l, m
		}
	}
	return "", nil
}

// show writes one checked value in the language used.
func (b *Book) show(v value, lang string, loc *i18n.Localizer) string {
	switch v.slot.Type {
	case SlotDate:
		return loc.Date(v.date)
	case SlotWeekday:
		return loc.T("date.weekday." + strconv.Itoa(int(v.date.Weekday())))
	case SlotTime:
		return loc.Time(time.Date(2000, 1, 1, v.hour, v.minute, 0, 0, i18n.Oslo))
	case SlotItem, SlotPlace:
		return b.texts[lang][v.key].forms["other"][0].lit
	case SlotChild:
		return v.name
	case SlotNumber:
		return strconv.Itoa(v.n)
	}
	return ""
}

// values checks every slot value; the error joins one *SlotError per bad
// slot, in the entry's slot order, then unknown slots in name order.
func (b *Book) values(e *Entry, in map[string]string) (map[string]value, error) {
	vals := make(map[string]value, len(e.Slots))
	var errs []error
	for _, s := range e.Slots {
		v, code := b.check(s, in[s.Name])
		if code != "" {
			errs = append(errs, &SlotError{Key: e.Key, Slot: s.Name, Code: code})
			continue
		}
		vals[s.Name] = v
	}
	var extra []string
	for name := range in {
		if !e.hasSlot(name) {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		errs = append(errs, &SlotError{Key: e.Key, Slot: name, Code: CodeUnknownSlot})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return vals, nil
}

func (e *Entry) hasSlot(name string) bool {
	for _, s := range e.Slots {
		if s.Name == name {
			return true
		}
	}
	return false
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// check validates one raw value; code is "" when it is good.
func (b *Book) check(s Slot, raw string) (value, string) {
	v := value{slot: s}
	if strings.TrimSpace(raw) == "" {
		return v, CodeMissing
	}
	switch s.Type {
	case SlotDate:
		t, ok := parseDate(raw)
		if !ok {
			return v, CodeInvalidDate
		}
		v.date = t
	case SlotWeekday:
		if d, ok := weekdays[strings.ToLower(raw)]; ok {
			// 2023-01-01 was a Sunday; any date with that weekday will do.
			v.date = time.Date(2023, 1, 1+int(d), 12, 0, 0, 0, i18n.Oslo)
		} else if t, ok := parseDate(raw); ok {
			v.date = t
		} else {
			return v, CodeInvalidDate
		}
	case SlotTime:
		h, m, ok := parseClock(raw)
		if !ok {
			return v, CodeInvalidTime
		}
		v.hour, v.minute = h, m
	case SlotItem:
		if !strings.HasPrefix(raw, "item.") || !slices.Contains(b.items[s.Items], raw) {
			return v, CodeUnknownItem
		}
		v.key = raw
	case SlotPlace:
		if !slices.Contains(b.places, raw) {
			return v, CodeUnknownPlace
		}
		v.key = raw
	case SlotChild:
		name, ok := CleanName(raw)
		if !ok {
			return v, CodeInvalidName
		}
		v.name = name
	case SlotNumber:
		if len(raw) > 3 || !allDigits(raw) {
			return v, CodeInvalidNumber
		}
		v.n, _ = strconv.Atoi(raw)
	}
	return v, ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDate reads "YYYY-MM-DD" as that day in Europe/Oslo; 2027-02-30 is
// refused.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s[:4]) || !allDigits(s[5:7]) || !allDigits(s[8:]) {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if y < 1900 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	// Noon, so that no daylight-saving change moves the day.
	t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, i18n.Oslo)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, false // normalised: the day does not exist
	}
	return t, true
}

// parseClock reads "HH:MM" on a 24-hour clock.
func parseClock(s string) (int, int, bool) {
	if len(s) != 5 || s[2] != ':' || !allDigits(s[:2]) || !allDigits(s[3:]) {
		return 0, 0, false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if h > 23 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// MaxNameLength is the longest child name accepted, in characters.
const MaxNameLength = 60

// CleanName checks a child's first name for a slot and returns it
// normalised (NFC, surrounding space trimmed, inner runs of spaces made
// one). A name is letters and combining marks in any script, with spaces,
// hyphens, apostrophes and full stops between them, and the zero-width
// (non-)joiners some scripts need; anything else — markup, digits,
// control or bidirectional formatting characters — makes it invalid.
func CleanName(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if s == "" || utf8.RuneCountInString(s) > MaxNameLength {
		return "", false
	}
	var sb strings.Builder
	letters, space := 0, false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.Is(unicode.M, r):
		case r == ' ':
			if space {
				continue
			}
			space = true
			sb.WriteRune(r)
			continue
		case r == '-' || r == '\'' || r == '\u2019' || r == '.' || r == '\u200C' || r == '\u200D':
		default:
			return "", false
		}
		space = false
		sb.WriteRune(r)
	}
	if letters == 0 {
		return "", false
	}
	return sb.String(), true
}

// hasBidiFormatting reports explicit directional embeddings, overrides
// and isolates, which could reorder the text around them. (The invisible
// marks U+200E, U+200F and U+061C are allowed in data files, where a
// translator may need them; names refuse them too.)
func hasBidiFormatting(s string) bool {
	for _, r := range s {
		if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {
			return true
		}
	}
	return false
}
