package phrasebook_test

import (
	"errors"
	"html"
	"strings"
	"testing"

	"tillit/internal/i18n"
	"tillit/internal/phrasebook"
)

func render(t *testing.T, b *phrasebook.Book, key string, slots map[string]string, lang string) phrasebook.Rendered {
	t.Helper()
	r, err := b.Render(key, slots, lang)
	if err != nil {
		t.Fatalf("Render(%s, %s): %v", key, lang, err)
	}
	return r
}

func TestRenderNbEn(t *testing.T) {
	b := load(t)
	slots := map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Time": "09:30"}

	nb := render(t, b, "trips.trip_to_place", slots, "nb")
	want := "Vi skal på tur til skogen fredag 1. januar 2027. Vi går fra barnehagen kl. 09:30. Kom i god tid, så barnet kan være med."
	if nb.Text != want || nb.Lang != "nb" || nb.Fallback || nb.Dir != "ltr" {
		t.Errorf("nb: %+v", nb)
	}
	if nb.Pictogram != "🚶" || nb.Category != "practical" || nb.Key != "trips.trip_to_place" {
		t.Errorf("nb: pictogram %q category %q key %q", nb.Pictogram, nb.Category, nb.Key)
	}

	en := render(t, b, "trips.trip_to_place", slots, "en")
	want = "We are going on a trip to the forest on Friday 1 January 2027. We leave the kindergarten at 09:30. Please come in good time so your child can join us."
	if en.Text != want || en.Lang != "en" || en.Fallback {
		t.Errorf("en: %+v", en)
	}
	if string(en.HTML) != want {
		t.Errorf("en HTML %q", en.HTML)
	}

	// Items come from the reader's list.
	r := render(t, b, "clothes.spare_needed", map[string]string{"Child": "Amina", "Item": "item.clothing.rain_trousers"}, "nb")
	if r.Text != "Skiftetøykassen til Amina trenger påfyll. Ta gjerne med: regnbukse." {
		t.Errorf("nb item: %q", r.Text)
	}
	if string(r.HTML) != "Skiftetøykassen til <bdi>Amina</bdi> trenger påfyll. Ta gjerne med: regnbukse." {
		t.Errorf("nb item HTML: %q", r.HTML)
	}
	r = render(t, b, "clothes.spare_needed", map[string]string{"Child": "Amina", "Item": "item.clothing.rain_trousers"}, "en")
	if r.Text != "Amina's spare-clothes box needs topping up. Please bring: rain trousers." {
		t.Errorf("en item: %q", r.Text)
	}
}

// Without an Arabic phrasebook file the reader gets English and is told.
func TestRenderArFallsBackToEnglish(t *testing.T) {
	b := loadWithout(t, "ar")
	r := render(t, b, "praise.good_day", map[string]string{"Child": "Amina"}, "ar")
	if r.Lang != "en" || !r.Fallback || r.Dir != "ltr" {
		t.Errorf("ar: lang %q fallback %v dir %q", r.Lang, r.Fallback, r.Dir)
	}
	if r.Text != "Amina had a good day at the kindergarten today." {
		t.Errorf("ar: %q", r.Text)
	}
	if string(r.HTML) != "<bdi>Amina</bdi> had a good day at the kindergarten today." {
		t.Errorf("ar HTML: %q", r.HTML)
	}
	// The date follows the language actually used, not the one asked for.
	r = render(t, b, "planning.day_closed", map[string]string{"Date": "2027-01-01"}, "ar")
	if !strings.Contains(r.Text, "Friday 1 January 2027") {
		t.Errorf("ar fallback date: %q", r.Text)
	}
}

// With an Arabic file, the text is Arabic, right to left, with the date in
// Arabic and the Latin name isolated.
func TestRenderArabic(t *testing.T) {
	b, err := phrasebook.LoadFS(mini(map[string]string{"ar.json": `{
 "_meta.native_review": "no",
 "clothes.spare_needed": "{{.Child}} يحتاج إلى: {{.Item}}.",
 "trips.trip": {"zero": "رحلة إلى {{.Place}} {{.Date}}.", "one": "رحلة إلى {{.Place}} {{.Date}}، ساعة واحدة.", "two": "رحلة إلى {{.Place}} {{.Date}}، ساعتان.", "few": "رحلة إلى {{.Place}} {{.Date}}، {{.Count}} ساعات.", "many": "رحلة إلى {{.Place}} {{.Date}}، {{.Count}} ساعة.", "other": "رحلة إلى {{.Place}} {{.Date}}، {{.Count}} ساعة."},
 "category.clothing": "ملابس",
 "category.trips": "رحلات",
 "item.clothing.mittens": "قفازات",
 "item.food.fruit": "فاكهة",
 "place.forest": "الغابة"
}`}))
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, b, "clothes.spare_needed", map[string]string{"Child": "Amina", "Item": "item.clothing.mittens"}, "ar")
	if r.Lang != "ar" || r.Fallback || r.Dir != "rtl" {
		t.Errorf("lang %q fallback %v dir %q", r.Lang, r.Fallback, r.Dir)
	}
	if string(r.HTML) != "<bdi>Amina</bdi> يحتاج إلى: قفازات." {
		t.Errorf("HTML %q", r.HTML)
	}
	if len(r.Segments) != 4 || !r.Segments[0].Isolate || r.Segments[0].Text != "Amina" || r.Segments[0].Slot != "Child" || r.Segments[2].Isolate || r.Segments[2].Slot != "Item" {
		t.Errorf("segments %+v", r.Segments)
	}
	r = render(t, b, "trips.trip", map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Count": "3"}, "ar")
	if r.Text != "رحلة إلى الغابة الجمعة، 1 يناير 2027، 3 ساعات." {
		t.Errorf("ar few: %q", r.Text)
	}
	r = render(t, b, "trips.trip", map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Count": "2"}, "ar")
	if !strings.HasSuffix(r.Text, "ساعتان.") {
		t.Errorf("ar two: %q", r.Text)
	}
	r = render(t, b, "trips.trip", map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Count": "11"}, "ar")
	if !strings.HasSuffix(r.Text, "11 ساعة.") {
		t.Errorf("ar many: %q", r.Text)
	}
	if got := b.Languages("trips.trip"); strings.Join(got, " ") != "nb en ar" {
		t.Errorf("Languages = %v", got)
	}
}

// A language that has the entry but not the item chosen falls back as a
// whole: a sentence is never a mix of two languages.
func TestFallbackForMissingItem(t *testing.T) {
	b, err := phrasebook.LoadFS(mini(map[string]string{"pl.json": `{
 "_meta.native_review": "no",
 "clothes.spare_needed": "{{.Child}} potrzebuje: {{.Item}}.",
 "trips.trip": {"one": "Wycieczka: {{.Place}}, {{.Date}}, {{.Count}} godzina.", "few": "Wycieczka: {{.Place}}, {{.Date}}, {{.Count}} godziny.", "many": "Wycieczka: {{.Place}}, {{.Date}}, {{.Count}} godzin.", "other": "Wycieczka: {{.Place}}, {{.Date}}, {{.Count}} godziny."},
 "item.clothing.mittens": "rękawiczki"
}`}))
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, b, "clothes.spare_needed", map[string]string{"Child": "Ola", "Item": "item.clothing.mittens"}, "pl")
	if r.Lang != "pl" || r.Fallback || r.Text != "Ola potrzebuje: rękawiczki." {
		t.Errorf("pl: %+v", r)
	}
	// pl has the entry but not the place "the forest".
	r = render(t, b, "trips.trip", map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Count": "1"}, "pl")
	if r.Lang != "en" || !r.Fallback || r.Text != "Trip to the forest on Friday 1 January 2027, 1 hour." {
		t.Errorf("pl without the place: %+v", r)
	}
	// lt has no file at all.
	r = render(t, b, "trips.trip", map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Count": "2"}, "lt")
	if r.Lang != "en" || !r.Fallback || r.Text != "Trip to the forest on Friday 1 January 2027, 2 hours." {
		t.Errorf("lt: %+v", r)
	}
	// English lacking: Norwegian.
	b, err = phrasebook.LoadFS(mini(map[string]string{"en.json": `{"_meta.native_review": "no", "place.forest": "the forest"}`}))
	if err != nil {
		t.Fatal(err)
	}
	r = render(t, b, "clothes.spare_needed", map[string]string{"Child": "Ola", "Item": "item.clothing.mittens"}, "en")
	if r.Lang != "nb" || !r.Fallback || r.Text != "Ola trenger: votter." {
		t.Errorf("en without the entry: %+v", r)
	}
}

func TestDatesTimesWeekdays(t *testing.T) {
	b := load(t)
	cases := []struct {
		key   string
		slots map[string]string
		lang  string
		want  string
	}{
		{"planning.day_closed", map[string]string{"Date": "2027-01-01"}, "en", "closed on Friday 1 January 2027 for"},
		{"planning.day_closed", map[string]string{"Date": "2027-01-01"}, "nb", "stengt fredag 1. januar 2027 fordi"},
		// Leap day, and the days daylight saving time starts and ends in Oslo.
		{"planning.day_closed", map[string]string{"Date": "2028-02-29"}, "nb", "tirsdag 29. februar 2028"},
		{"planning.day_closed", map[string]string{"Date": "2027-03-28"}, "en", "Sunday 28 March 2027"},
		{"planning.day_closed", map[string]string{"Date": "2027-10-31"}, "nb", "søndag 31. oktober 2027"},
		{"planning.closed_period", map[string]string{"From": "2027-12-24", "To": "2028-01-02"}, "en",
			"The kindergarten is closed from Friday 24 December 2027 to Sunday 2 January 2028."},
		{"events.parents_meeting", map[string]string{"Date": "2027-09-14", "Time": "18:00"}, "nb", "foreldremøte tirsdag 14. september 2027 kl. 18:00."},
		{"pickup.opening_hours", map[string]string{"Opens": "07:00", "Closes": "16:30"}, "en", "open from 07:00 to 16:30."},
		{"pickup.opening_hours", map[string]string{"Opens": "00:00", "Closes": "23:59"}, "nb", "fra kl. 00:00 til kl. 23:59."},
		{"food.packed_lunch_day", map[string]string{"Weekday": "wednesday"}, "nb", "Hver onsdag har vi matpakkedag."},
		{"food.packed_lunch_day", map[string]string{"Weekday": "Sunday"}, "en", "Every Sunday is packed-lunch day."},
		{"food.packed_lunch_day", map[string]string{"Weekday": "2027-01-01"}, "en", "Every Friday is"},
		{"food.packed_lunch_day", map[string]string{"Weekday": "monday"}, "en", "Every Monday is"},
		{"food.packed_lunch_day", map[string]string{"Weekday": "saturday"}, "nb", "Hver lørdag har"},
	}
	for _, c := range cases {
		r := render(t, b, c.key, c.slots, c.lang)
		if !strings.Contains(r.Text, c.want) {
			t.Errorf("%s %s %v:\n got %q\nwant …%q…", c.key, c.lang, c.slots, r.Text, c.want)
		}
	}
}

func TestPlurals(t *testing.T) {
	b := load(t)
	cases := []struct {
		lang, count, want string
	}{
		{"nb", "1", "Amina har bare 1 bleie igjen"},
		{"nb", "0", "Amina har bare 0 bleier igjen"},
		{"nb", "2", "Amina har bare 2 bleier igjen"},
		{"en", "1", "Amina has only 1 nappy left"},
		{"en", "5", "Amina has only 5 nappies left"},
		{"en", "0", "Amina has only 0 nappies left"},
		{"en", "999", "Amina has only 999 nappies left"},
	}
	for _, c := range cases {
		r := render(t, b, "practical.nappies_low", map[string]string{"Child": "Amina", "Count": c.count}, c.lang)
		if !strings.HasPrefix(r.Text, c.want) {
			t.Errorf("%s %s: %q, want %q…", c.lang, c.count, r.Text, c.want)
		}
	}
	if r := render(t, b, "settling.days", map[string]string{"Count": "1"}, "en"); !strings.HasPrefix(r.Text, "Settling in usually takes 1 day.") {
		t.Errorf("settling 1: %q", r.Text)
	}
	if r := render(t, b, "settling.days", map[string]string{"Count": "5"}, "nb"); !strings.HasPrefix(r.Text, "Tilvenningen tar vanligvis 5 dager.") {
		t.Errorf("settling 5: %q", r.Text)
	}
}

// Every slot error code, with the slot's name, so the UI can point at the
// field.
func TestSlotErrors(t *testing.T) {
	b := load(t)
	type want struct{ slot, code string }
	cases := []struct {
		key   string
		slots map[string]string
		want  []want
	}{
		{"trips.trip_to_place", map[string]string{"Place": "place.forest", "Time": "09:30"}, []want{{"Date", "missing"}}},
		{"trips.trip_to_place", map[string]string{"Place": "place.forest", "Date": "   ", "Time": "09:30"}, []want{{"Date", "missing"}}},
		{"trips.trip_to_place", nil, []want{{"Place", "missing"}, {"Date", "missing"}, {"Time", "missing"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-02-29"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-02-30"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-13-01"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-00-10"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "01.01.2027"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-1-1"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "2027-01-01T10:00"}, []want{{"Date", "invalid_date"}}},
		{"planning.day_closed", map[string]string{"Date": "tomorrow"}, []want{{"Date", "invalid_date"}}},
		{"food.packed_lunch_day", map[string]string{"Weekday": "fri"}, []want{{"Weekday", "invalid_date"}}},
		{"pickup.closes_at", map[string]string{"Time": "24:00"}, []want{{"Time", "invalid_time"}}},
		{"pickup.closes_at", map[string]string{"Time": "12:60"}, []want{{"Time", "invalid_time"}}},
		{"pickup.closes_at", map[string]string{"Time": "9:30"}, []want{{"Time", "invalid_time"}}},
		{"pickup.closes_at", map[string]string{"Time": "09.30"}, []want{{"Time", "invalid_time"}}},
		{"pickup.closes_at", map[string]string{"Time": "4 pm"}, []want{{"Time", "invalid_time"}}},
		{"clothes.bring_item", map[string]string{"Child": "Ola", "Item": "mittens"}, []want{{"Item", "unknown_item"}}},
		{"clothes.bring_item", map[string]string{"Child": "Ola", "Item": "item.food.fruit"}, []want{{"Item", "unknown_item"}}}, // not a clothing item
		{"clothes.bring_item", map[string]string{"Child": "Ola", "Item": "place.forest"}, []want{{"Item", "unknown_item"}}},
		{"clothes.bring_item", map[string]string{"Child": "Ola", "Item": "<b>socks</b>"}, []want{{"Item", "unknown_item"}}},
		{"urgent.moved_elsewhere", map[string]string{"Place": "place.moon"}, []want{{"Place", "unknown_place"}}},
		{"urgent.moved_elsewhere", map[string]string{"Place": "item.food.fruit"}, []want{{"Place", "unknown_place"}}},
		{"urgent.moved_elsewhere", map[string]string{"Place": "the school"}, []want{{"Place", "unknown_place"}}},
		{"praise.good_day", map[string]string{"Child": "<script>"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "<script>alert(1)</script>"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "Amina\u202e"}, []want{{"Child", "invalid_name"}}},       // right-to-left override
		{"praise.good_day", map[string]string{"Child": "\u2067Amina\u2069"}, []want{{"Child", "invalid_name"}}}, // isolate
		{"praise.good_day", map[string]string{"Child": "Ami\u200fna"}, []want{{"Child", "invalid_name"}}},       // right-to-left mark
		{"praise.good_day", map[string]string{"Child": "Ami\u061cna"}, []want{{"Child", "invalid_name"}}},       // Arabic letter mark
		{"praise.good_day", map[string]string{"Child": "Amina\nHi"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "R2D2"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "Ola & Kari"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": `Ola"`}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "{{.Child}}"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "--"}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": strings.Repeat("a", 61)}, []want{{"Child", "invalid_name"}}},
		{"praise.good_day", map[string]string{"Child": "Ola\xff"}, []want{{"Child", "invalid_name"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "1000"}, []want{{"Count", "invalid_number"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "-1"}, []want{{"Count", "invalid_number"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "+3"}, []want{{"Count", "invalid_number"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "2.5"}, []want{{"Count", "invalid_number"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "three"}, []want{{"Count", "invalid_number"}}},
		{"practical.nappies_low", map[string]string{"Child": "Ola", "Count": "٣"}, []want{{"Count", "invalid_number"}}},
		{"praise.good_day", map[string]string{"Child": "Ola", "Date": "2027-01-01"}, []want{{"Date", "unknown_slot"}}},
		{"practical.nappies_low", map[string]string{"Child": "<i>", "Count": "x", "Zed": "1", "Alpha": "2"},
			[]want{{"Child", "invalid_name"}, {"Count", "invalid_number"}, {"Alpha", "unknown_slot"}, {"Zed", "unknown_slot"}}},
	}
	for _, c := range cases {
		_, err := b.Render(c.key, c.slots, "nb")
		if err == nil {
			t.Errorf("%s %q: no error", c.key, c.slots)
			continue
		}
		if cerr := b.Check(c.key, c.slots); cerr == nil || cerr.Error() != err.Error() {
			t.Errorf("%s %q: Check %v, Render %v", c.key, c.slots, cerr, err)
		}
		var first *phrasebook.SlotError
		if !errors.As(err, &first) || first.Slot != c.want[0].slot || first.Code != c.want[0].code || first.Key != c.key {
			t.Errorf("%s %q: errors.As gives %+v, want %v", c.key, c.slots, first, c.want[0])
		}
		got := phrasebook.SlotErrors(err)
		if len(got) != len(c.want) {
			t.Errorf("%s %q: %d errors (%v), want %v", c.key, c.slots, len(got), err, c.want)
			continue
		}
		for i, w := range c.want {
			if got[i].Slot != w.slot || got[i].Code != w.code {
				t.Errorf("%s %q: error %d is %s/%s, want %s/%s", c.key, c.slots, i, got[i].Slot, got[i].Code, w.slot, w.code)
			}
		}
	}
}

func TestUnknownEntryAndLanguage(t *testing.T) {
	b := load(t)
	if _, err := b.Render("no.such_entry", nil, "nb"); !errors.Is(err, phrasebook.ErrUnknownEntry) {
		t.Errorf("unknown entry: %v", err)
	}
	if err := b.Check("no.such_entry", nil); !errors.Is(err, phrasebook.ErrUnknownEntry) {
		t.Errorf("Check unknown entry: %v", err)
	}
	for _, lang := range []string{"xx", "", "de", "<script>"} {
		if _, err := b.Render("praise.good_day", map[string]string{"Child": "Ola"}, lang); !errors.Is(err, phrasebook.ErrUnknownLanguage) {
			t.Errorf("language %q: %v", lang, err)
		}
	}
	// Codes are matched case-insensitively and reported canonically.
	if r := render(t, b, "praise.good_day", map[string]string{"Child": "Ola"}, "EN"); r.Lang != "en" || r.Fallback {
		t.Errorf("EN: %+v", r)
	}
	if r := render(t, b, "praise.good_day", map[string]string{"Child": "Ola"}, "fa-af"); r.Lang != "fa-AF" || r.Fallback {
		t.Errorf("fa-af: %+v", r)
	}
}

func TestNames(t *testing.T) {
	b := load(t)
	cases := map[string]string{
		"Amina":                 "Amina",
		"  Anne   Marie ":       "Anne Marie",
		"Zoe\u0308":             "Zoë", // NFC
		"O'Brien":               "O'Brien",
		"Jean-Luc":              "Jean-Luc",
		"أمينة":                 "أمينة",
		"ዮናስ":                   "ዮናስ",
		"Ма\u0301ша":            "Ма\u0301ша",
		"مهر\u200cناز":          "مهر\u200cناز", // Persian with a zero-width non-joiner
		strings.Repeat("a", 60): strings.Repeat("a", 60),
	}
	for in, want := range cases {
		got, ok := phrasebook.CleanName(in)
		if !ok || got != want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", in, got, ok, want)
		}
		r := render(t, b, "praise.good_day", map[string]string{"Child": in}, "nb")
		if !strings.HasPrefix(string(r.HTML), "<bdi>"+html.EscapeString(want)+"</bdi> ") {
			t.Errorf("HTML for %q: %q", in, r.HTML)
		}
	}
}

// Whatever the data says, HTML is escaped; only <bdi> is markup.
func TestHTMLEscapesData(t *testing.T) {
	b, err := phrasebook.LoadFS(mini(map[string]string{"en.json": `{
 "_meta.native_review": "no",
 "clothes.spare_needed": "<i>{{.Child}}</i> needs: {{.Item}} & more.",
 "item.clothing.mittens": "<script>alert(1)</script>",
 "place.forest": "the forest"
}`}))
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, b, "clothes.spare_needed", map[string]string{"Child": "O'Neil", "Item": "item.clothing.mittens"}, "en")
	want := "&lt;i&gt;<bdi>O&#39;Neil</bdi>&lt;/i&gt; needs: &lt;script&gt;alert(1)&lt;/script&gt; &amp; more."
	if string(r.HTML) != want {
		t.Errorf("HTML\n got %s\nwant %s", r.HTML, want)
	}
	if r.Text != "<i>O'Neil</i> needs: <script>alert(1)</script> & more." {
		t.Errorf("Text %q", r.Text)
	}
}

// Every entry renders in every launch language with no placeholder left,
// no markup but <bdi>, and the language used being the one asked for, or
// English, or Norwegian.
func TestEveryEntryRendersEverywhere(t *testing.T) {
	b := load(t)
	for _, e := range b.Entries() {
		for _, l := range i18n.Languages {
			r, err := b.Render(e.Key, sample(b, e), l.Code)
			if err != nil {
				t.Fatalf("%s %s: %v", e.Key, l.Code, err)
			}
			if strings.Contains(r.Text, "{{") || strings.Contains(r.Text, "}}") || strings.TrimSpace(r.Text) == "" {
				t.Errorf("%s %s: %q", e.Key, l.Code, r.Text)
			}
			h := strings.ReplaceAll(strings.ReplaceAll(string(r.HTML), "<bdi>", ""), "</bdi>", "")
			if strings.ContainsAny(h, "<>") {
				t.Errorf("%s %s: markup in %q", e.Key, l.Code, r.HTML)
			}
			if r.Lang != l.Code && r.Lang != "en" && r.Lang != "nb" || r.Fallback != (r.Lang != l.Code) {
				t.Errorf("%s %s: lang %s fallback %v", e.Key, l.Code, r.Lang, r.Fallback)
			}
			var joined strings.Builder
			for _, s := range r.Segments {
				joined.WriteString(s.Text)
			}
			if joined.String() != r.Text {
				t.Errorf("%s %s: segments do not add up to the text", e.Key, l.Code)
			}
			if r.Pictogram != e.Pictogram || r.Category != e.MessageCategory {
				t.Errorf("%s %s: pictogram/category", e.Key, l.Code)
			}
		}
	}
}
