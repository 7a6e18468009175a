package phrasebook_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"tillit/internal/i18n"
	"tillit/internal/phrasebook"
)

func load(t testing.TB) *phrasebook.Book {
	t.Helper()
	b, err := phrasebook.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadWithout loads the shipped data without some language files, so a
// test can show what a reader of an untranslated language gets even after
// that language has a file.
func loadWithout(t testing.TB, langs ...string) *phrasebook.Book {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir("data")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		lang := strings.TrimSuffix(e.Name(), ".json")
		if slices.Contains(langs, lang) {
			continue
		}
		data, err := os.ReadFile(filepath.Join("data", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == phrasebook.ReviewFile {
			var review map[string]json.RawMessage
			if err := json.Unmarshal(data, &review); err != nil {
				t.Fatal(err)
			}
			for _, l := range langs {
				delete(review, l)
			}
			if data, err = json.Marshal(review); err != nil {
				t.Fatal(err)
			}
		}
		fsys[e.Name()] = &fstest.MapFile{Data: data}
	}
	b, err := phrasebook.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadAndCount(t *testing.T) {
	b := load(t)
	es := b.Entries()
	if len(es) < 80 {
		t.Fatalf("%d entries, want at least 80", len(es))
	}
	for _, e := range es {
		if e.Text == "" || e.Title == "" || e.Pictogram == "" || e.Keywords == "" {
			t.Errorf("%s: incomplete entry %+v", e.Key, e)
		}
		if g, ok := b.Get(e.Key); !ok || g.Key != e.Key {
			t.Errorf("Get(%q) = %v, %v", e.Key, g.Key, ok)
		}
	}
	if _, ok := b.Get("no.such_entry"); ok {
		t.Error("Get found a missing entry")
	}
	// Every browsing category the issue names has entries.
	counts := map[string]int{}
	for _, c := range b.Categories() {
		counts[c.Key] = c.Count
		if c.Label == "" {
			t.Errorf("category %s has no label", c.Key)
		}
		if len(b.InCategory(c.Key)) != c.Count {
			t.Errorf("category %s: InCategory gives %d, Count %d", c.Key, len(b.InCategory(c.Key)), c.Count)
		}
	}
	for _, c := range []string{"clothing", "food", "health", "trips", "pickup", "planning", "events", "settling", "consent", "praise", "practical", "urgent"} {
		if counts[c] == 0 {
			t.Errorf("category %s has no entries", c)
		}
	}
	// Every messaging category a phrasebook message can be sent as is used.
	used := map[string]bool{}
	for _, e := range es {
		used[e.MessageCategory] = true
	}
	for _, c := range phrasebook.MessageCategories {
		if !used[c] {
			t.Errorf("no entry is sent as %s", c)
		}
	}
	if n := len(b.Items("")); n < 30 {
		t.Errorf("%d items, want about 30", n)
	}
	for _, k := range []string{"item.clothing.wool_underwear", "item.clothing.rain_trousers", "item.clothing.mittens", "item.clothing.hat",
		"item.clothing.winter_boots", "item.clothing.rubber_boots", "item.clothing.spare_socks", "item.clothing.sun_hat",
		"item.food.packed_lunch", "item.food.fruit", "item.food.water_bottle", "item.things.sun_cream", "item.things.sleeping_bag", "item.things.nappies"} {
		if !slices.Contains(b.Items(""), k) {
			t.Errorf("item %s missing", k)
		}
	}
	for _, k := range []string{"place.forest", "place.library", "place.playground", "place.swimming_pool", "place.museum", "place.school", "place.fire_station", "place.farm"} {
		if !slices.Contains(b.Places(), k) {
			t.Errorf("place %s missing", k)
		}
	}
	if got := b.ItemLists(); !slices.Equal(got, []string{"clothing", "food", "things"}) {
		t.Errorf("ItemLists = %v", got)
	}
	if b.Label("item.clothing.mittens", "en") != "mittens" || b.Label("item.clothing.mittens", "nb") != "votter" ||
		loadWithout(t, "ar").Label("item.clothing.mittens", "ar") != "mittens" || b.Label("clothes.label", "nb") != "" {
		t.Error("Label")
	}
}

// Every entry exists in Norwegian and English, and Languages says so.
func TestEveryEntryInNbAndEn(t *testing.T) {
	b := load(t)
	for _, e := range b.Entries() {
		got := b.Languages(e.Key)
		if !slices.Contains(got, "nb") || !slices.Contains(got, "en") {
			t.Errorf("%s exists in %v", e.Key, got)
		}
	}
	if got := b.Languages("no.such_entry"); len(got) != 0 {
		t.Errorf("Languages of a missing entry = %v", got)
	}
}

// The files that exist have the same keys, and each plural text has every
// CLDR form its language needs.
func TestSameKeysInEveryLanguageFile(t *testing.T) {
	b := load(t)
	src := b.Keys("nb")
	slices.Sort(src)
	langs := b.FileLanguages()
	if !slices.Contains(langs, "nb") || !slices.Contains(langs, "en") {
		t.Fatalf("languages %v", langs)
	}
	raw := map[string]map[string]json.RawMessage{}
	for _, lang := range langs {
		keys := b.Keys(lang)
		slices.Sort(keys)
		if !slices.Equal(keys, src) {
			t.Errorf("%s.json keys differ from nb.json: missing %v, extra %v", lang, minus(src, keys), minus(keys, src))
		}
		var m map[string]json.RawMessage
		data, err := os.ReadFile(filepath.Join("data", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		raw[lang] = m
		if b.NativeReview(lang) == "" {
			t.Errorf("%s.json has no %s", lang, i18n.MetaReview)
		}
	}
	for _, lang := range langs {
		loc := i18n.New(lang)
		need := map[string]bool{}
		for n := 0; n < 1000; n++ {
			need[loc.PluralForm(n)] = true
		}
		for _, k := range src {
			var forms map[string]string
			if json.Unmarshal(raw["nb"][k], &forms) != nil {
				continue // not a plural text in the source
			}
			if json.Unmarshal(raw[lang][k], &forms) != nil {
				t.Errorf("%s.json: %s should have plural forms", lang, k)
				continue
			}
			for f := range need {
				if forms[f] == "" {
					t.Errorf("%s.json: %s lacks the plural form %q", lang, k, f)
				}
			}
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// The language files are go-i18n v2 JSON: go-i18n (which translation
// platforms such as Weblate target) parses them, and renders each text,
// given the formatted slot values, to the same words as Render.
func TestFilesAreGoI18nJSON(t *testing.T) {
	b := load(t)
	for _, lang := range b.FileLanguages() {
		data, err := os.ReadFile(filepath.Join("data", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		bundle := goi18n.NewBundle(language.Norwegian)
		bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
		// go-i18n knows Kurmanji's plural rules as Kurdish (ku), as CLDR does.
		tag := lang
		if tag == "kmr" {
			tag = "ku"
		}
		if _, err := bundle.ParseMessageFileBytes(data, tag+".json"); err != nil {
			t.Fatalf("%s: go-i18n: %v", lang, err)
		}
		loc := goi18n.NewLocalizer(bundle, tag)
		for _, e := range b.Entries() {
			slots := sample(b, e)
			r, err := b.Render(e.Key, slots, lang)
			if err != nil {
				t.Fatal(err)
			}
			data := map[string]any{}
			cfg := &goi18n.LocalizeConfig{MessageID: e.Key, TemplateData: data}
			for _, s := range r.Segments {
				if s.Slot != "" {
					data[s.Slot] = s.Text
				}
			}
			for _, s := range e.Slots {
				if s.Type == phrasebook.SlotNumber {
					cfg.PluralCount = slots[s.Name]
				}
			}
			got, err := loc.Localize(cfg)
			if err != nil {
				t.Fatalf("%s %s: go-i18n: %v", lang, e.Key, err)
			}
			if got != r.Text {
				t.Errorf("%s %s:\ngo-i18n %q\nRender  %q", lang, e.Key, got, r.Text)
			}
		}
	}
}

// sample gives valid values for every slot of an entry.
func sample(b *phrasebook.Book, e phrasebook.Entry) map[string]string {
	v := map[string]string{}
	for _, s := range e.Slots {
		switch s.Type {
		case phrasebook.SlotDate:
			v[s.Name] = "2027-01-01"
		case phrasebook.SlotWeekday:
			v[s.Name] = "friday"
		case phrasebook.SlotTime:
			v[s.Name] = "08:15"
		case phrasebook.SlotItem:
			v[s.Name] = b.Items(s.Items)[0]
		case phrasebook.SlotPlace:
			v[s.Name] = "place.forest"
		case phrasebook.SlotChild:
			v[s.Name] = "Amina"
		case phrasebook.SlotNumber:
			v[s.Name] = "3"
		}
	}
	return v
}

// A small, valid data set for validation tests; files are replaced or
// added by the caller.
func mini(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"catalogue.json": {Data: []byte(`[
 {"key": "clothes.spare_needed", "category": "clothing", "message_category": "practical", "pictogram": "🧦", "slots": [{"name": "Child", "type": "child"}, {"name": "Item", "type": "item", "items": "clothing"}], "title_nb": "Skiftetøy mangler", "keywords_nb": "ekstra klær"},
 {"key": "trips.trip", "category": "trips", "message_category": "practical", "pictogram": "🚶", "slots": [{"name": "Place", "type": "place"}, {"name": "Date", "type": "date"}, {"name": "Count", "type": "number"}], "title_nb": "Tur", "keywords_nb": "tur"}
]`)},
		"nb.json": {Data: []byte(`{
 "_meta.native_review": "no",
 "clothes.spare_needed": "{{.Child}} trenger: {{.Item}}.",
 "trips.trip": {"one": "Tur til {{.Place}} {{.Date}}, {{.Count}} time.", "other": "Tur til {{.Place}} {{.Date}}, {{.Count}} timer."},
 "category.clothing": "Klær",
 "category.trips": "Turer",
 "item.clothing.mittens": "votter",
 "item.food.fruit": "frukt",
 "place.forest": "skogen"
}`)},
		"en.json": {Data: []byte(`{
 "_meta.native_review": "no",
 "clothes.spare_needed": "{{.Child}} needs: {{.Item}}.",
 "trips.trip": {"one": "Trip to {{.Place}} on {{.Date}}, {{.Count}} hour.", "other": "Trip to {{.Place}} on {{.Date}}, {{.Count}} hours."},
 "category.clothing": "Clothing",
 "category.trips": "Trips",
 "item.clothing.mittens": "mittens",
 "item.food.fruit": "fruit",
 "place.forest": "the forest"
}`)},
		"review.json": {Data: []byte(`{"nb": {}, "en": {}}`)},
	}
	for n, s := range files {
		if s == "" {
			delete(fsys, n)
			continue
		}
		fsys[n] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

func TestMiniLoads(t *testing.T) {
	if _, err := phrasebook.LoadFS(mini(nil)); err != nil {
		t.Fatal(err)
	}
}

// Broken data stops Load with an error naming the problem.
func TestValidation(t *testing.T) {
	nb := func(old, new string) string {
		s := string(mini(nil)["nb.json"].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("nb.json lacks %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	cat := func(old, new string) string {
		s := string(mini(nil)["catalogue.json"].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("catalogue.json lacks %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no nb text", map[string]string{"nb.json": nb(`"clothes.spare_needed": "{{.Child}} trenger: {{.Item}}.",`, "")}, "no text in nb.json"},
		{"no nb file", map[string]string{"nb.json": ""}, "nb.json is missing"},
		{"placeholder not a slot", map[string]string{"nb.json": nb("{{.Item}}.", "{{.Item}} {{.Place}}.")}, "{{.Place}} is not a slot"},
		{"slot not in text", map[string]string{"nb.json": nb("{{.Child}} trenger: {{.Item}}.", "{{.Child}} trenger votter.")}, "lacks the slot {{.Item}}"},
		{"slot not in other translation", map[string]string{"en.json": strings.Replace(string(mini(nil)["en.json"].Data), "{{.Child}} needs", "Needs", 1)}, "en.json: clothes.spare_needed: form \"other\" lacks the slot {{.Child}}"},
		{"plural form drops a slot", map[string]string{"nb.json": nb("Tur til {{.Place}} {{.Date}}, {{.Count}} time.", "Tur {{.Date}}, en time.")}, "lacks the slot {{.Place}}"},
		{"bad placeholder", map[string]string{"nb.json": nb("{{.Item}}.", "{{ .Item }}.")}, "write {{.Name}}"},
		{"template action", map[string]string{"nb.json": nb("{{.Item}}.", `{{.Item}} {{if .Child}}x{{end}}.`)}, "write {{.Name}}"},
		{"unclosed", map[string]string{"nb.json": nb("{{.Item}}.", "{{.Item}}. {{.Child")}, "unclosed"},
		{"stray close", map[string]string{"nb.json": nb("{{.Item}}.", "{{.Item}}. }}")}, "stray"},
		{"duplicate key", map[string]string{"nb.json": nb(`"place.forest": "skogen"`, `"place.forest": "skogen", "place.forest": "skauen"`)}, "defined twice"},
		{"key not in catalogue", map[string]string{"nb.json": nb(`"place.forest": "skogen"`, `"place.forest": "skogen", "clothes.other": "x"`)}, "clothes.other is not in catalogue.json"},
		{"key not in nb", map[string]string{"en.json": strings.Replace(string(mini(nil)["en.json"].Data), `"place.forest": "the forest"`, `"place.forest": "the forest", "place.moon": "the moon"`, 1)}, "place.moon is not in nb.json"},
		{"bad plural form", map[string]string{"nb.json": nb(`{"one":`, `{"single":`)}, "not a CLDR plural form"},
		{"plural without number", map[string]string{"catalogue.json": cat(`, {"name": "Count", "type": "number"}`, ""), "nb.json": nb("{{.Count}} time.", "time."), "en.json": ""}, "plural forms but no number slot"},
		{"unknown item list", map[string]string{"catalogue.json": cat(`"items": "clothing"`, `"items": "shoes"`)}, `item list "shoes" does not exist`},
		{"unknown slot type", map[string]string{"catalogue.json": cat(`"type": "date"`, `"type": "colour"`)}, `unknown type "colour"`},
		{"two number slots", map[string]string{"catalogue.json": cat(`{"name": "Date", "type": "date"}`, `{"name": "Date", "type": "number"}`)}, "at most one number slot"},
		{"unknown message category", map[string]string{"catalogue.json": cat(`"message_category": "practical"`, `"message_category": "gossip"`)}, "message_category"},
		{"unknown category", map[string]string{"catalogue.json": cat(`"category": "trips"`, `"category": "travel"`)}, "category.travel"},
		{"pictogram is text", map[string]string{"catalogue.json": cat(`"🧦"`, `"socks"`)}, "not an emoji"},
		{"image pictogram", map[string]string{"catalogue.json": cat(`"🧦"`, `"<img src=x>"`)}, "not an emoji"},
		{"duplicate entry", map[string]string{"catalogue.json": cat(`"key": "trips.trip"`, `"key": "clothes.spare_needed"`)}, "listed twice"},
		{"unknown catalogue field", map[string]string{"catalogue.json": cat(`"title_nb": "Tur"`, `"title": "Tur"`)}, "unknown field"},
		{"not a launch language", map[string]string{"xx.json": `{}`}, "not a launch language"},
		{"bidi override in a text", map[string]string{"nb.json": nb("trenger:", "trenger\u202e:")}, "bidirectional"},
		{"review of a missing entry", map[string]string{"review.json": `{"nb": {"clothes.nothing": "Kari/2026-01-01"}}`}, "clothes.nothing is not an entry"},
		{"review of a missing language", map[string]string{"review.json": `{"ar": {"clothes.spare_needed": "Omar/2026-01-01"}}`}, "no ar.json"},
		{"label with a placeholder", map[string]string{"nb.json": nb(`"votter"`, `"{{.Child}}s votter"`)}, "labels have no placeholders"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := phrasebook.LoadFS(mini(c.files))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReview(t *testing.T) {
	b := load(t)
	for _, lang := range b.FileLanguages() {
		if got := b.NativeReview(lang); got != "no" {
			t.Errorf("%s: native review %q, want no until a native speaker has read it", lang, got)
		}
		for _, e := range b.Entries() {
			if b.Reviewed(lang, e.Key) {
				t.Errorf("%s %s is marked reviewed", lang, e.Key)
			}
		}
	}
	if len(b.FileLanguages()) != 13 {
		t.Errorf("phrasebook files for %d languages, want all 13 launch languages", len(b.FileLanguages()))
	}
	m, err := phrasebook.LoadFS(mini(map[string]string{"review.json": `{"en": {"trips.trip": "Jane Doe/2026-11-02"}, "nb": {}}`}))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Reviewed("en", "trips.trip") || m.Reviewed("nb", "trips.trip") || m.Reviewed("en", "clothes.spare_needed") {
		t.Error("Reviewed does not follow review.json")
	}
	if m.ReviewedBy("en", "trips.trip") != "Jane Doe/2026-11-02" {
		t.Error("ReviewedBy")
	}
}

// The phrasebook never reaches a translation provider: neither it nor
// anything it imports from Tillit imports internal/translate.
func TestNoTranslationProvider(t *testing.T) {
	seen := map[string]bool{}
	var walk func(pkg, dir string)
	walk = func(pkg, dir string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files in %s", pkg, dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p := strings.Trim(im.Path.Value, `"`)
				if p == "tillit/internal/translate" || strings.HasPrefix(p, "tillit/internal/translate/") {
					t.Errorf("%s imports %s", f, p)
				}
				if rest, ok := strings.CutPrefix(p, "tillit/internal/"); ok {
					walk(p, filepath.Join("..", filepath.FromSlash(rest)))
				}
			}
		}
	}
	walk("tillit/internal/phrasebook", ".")
	if !seen["tillit/internal/i18n"] {
		t.Error("the walk did not reach internal/i18n; is it still imported?")
	}
}

func TestScript(t *testing.T) {
	b, err := phrasebook.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := b.Script("clothes.spare_needed", "nb")
	if !ok || strings.Contains(s, "{{") || strings.Count(s, "…") != 2 || !strings.HasPrefix(s, "Skiftetøykassen til …") {
		t.Errorf("Script = %q, %v", s, ok)
	}
	if _, ok := b.Script("no.such.entry", "nb"); ok {
		t.Error("an unknown entry has a script")
	}
	if _, ok := b.Script("clothes.spare_needed", "xx"); ok {
		t.Error("an unknown language has a script")
	}
}
