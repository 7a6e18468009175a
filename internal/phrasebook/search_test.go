package phrasebook_test

import (
	"slices"
	"testing"

	"tillit/internal/phrasebook"
)

func keys(es []phrasebook.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

func TestSearch(t *testing.T) {
	b := load(t)
	cases := []struct {
		query   string
		first   string   // the best hit
		has     []string // also found
		hasNot  []string // not found
		minHits int
	}{
		{query: "klær", first: "clothes.wet_sent_home", has: []string{"clothes.spare_needed", "clothes.winter_kit", "clothes.label"}, hasNot: []string{"health.fever_rule"}, minHits: 10},
		{query: "KLÆR", first: "clothes.wet_sent_home"},
		{query: "klaer", first: "clothes.wet_sent_home", minHits: 10}, // typed without æ
		{query: "feber", first: "health.fever_rule", has: []string{"health.fever_pick_up"}, hasNot: []string{"praise.good_day"}},
		{query: "tur", has: []string{"trips.trip_to_place", "trips.trip_day_pack", "trips.bus_trip", "trips.outdoor_day"}, hasNot: []string{"clothes.spring_autumn_kit", "health.fever_rule"}},
		{query: "matpakke", first: "food.packed_lunch_day", has: []string{"food.packed_lunch_tomorrow", "trips.trip_day_pack"}},
		{query: "votter", first: "clothes.mittens_two_pairs"},
		{query: "lus", first: "health.head_lice"},
		{query: "skiftetoy", first: "clothes.spare_needed"}, // ø typed as o
		{query: "17 mai", first: "events.may_17"},
		{query: "lucia", first: "events.lucia"},
		{query: "bursdag", first: "events.birthday", has: []string{"events.birthday_invitations"}},
		{query: "planleggingsdag", first: "planning.day_closed"},
		{query: "tilvenning", first: "settling.starts"},
		{query: "samtykke bilder", first: "consent.photos"},
		{query: "stengt i dag", first: "urgent.closed_today"},
		{query: "oppkast", first: "health.vomit_diarrhoea_48h", has: []string{"health.vomited_pick_up"}},
		{query: "sov", has: []string{"praise.slept_well", "trips.sleeping_outdoors"}},
		{query: "foreldremøte", first: "events.parents_meeting"},
		{query: "tolk", has: []string{"practical.interpreter", "events.parents_meeting"}},
	}
	for _, c := range cases {
		got := keys(b.Search(c.query))
		if len(got) == 0 {
			t.Errorf("%q: nothing found", c.query)
			continue
		}
		if c.first != "" && got[0] != c.first {
			t.Errorf("%q: first hit %s, want %s (all: %v)", c.query, got[0], c.first, got)
		}
		for _, k := range c.has {
			if !slices.Contains(got, k) {
				t.Errorf("%q: %s not found (got %v)", c.query, k, got)
			}
		}
		for _, k := range c.hasNot {
			if slices.Contains(got, k) {
				t.Errorf("%q: %s found", c.query, k)
			}
		}
		if len(got) < c.minHits {
			t.Errorf("%q: %d hits, want at least %d", c.query, len(got), c.minHits)
		}
	}
}

// Title matches come before keyword and text matches.
func TestSearchRanksTitlesFirst(t *testing.T) {
	b := load(t)
	for _, q := range []string{"klær", "feber", "tur", "matpakke", "hente"} {
		got := b.Search(q)
		inTitle := true
		for _, e := range got {
			title := matches(e.Title, q)
			if title && !inTitle {
				t.Errorf("%q: %s matches in its title but comes after entries that do not", q, e.Key)
			}
			if !title {
				inTitle = false
			}
		}
	}
}

func matches(s, q string) bool {
	for _, w := range wordsOf(s) {
		if len([]rune(q)) >= 4 && contains(w, phrasebook.Fold(q)) || hasPrefix(w, phrasebook.Fold(q)) {
			return true
		}
	}
	return false
}

func wordsOf(s string) []string {
	var out []string
	cur := []rune{}
	for _, r := range phrasebook.Fold(s) {
		if r == ' ' || r == '-' || r == '–' || r == '.' || r == '?' || r == ':' || r == ',' {
			if len(cur) > 0 {
				out = append(out, string(cur))
			}
			cur = cur[:0]
			continue
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func TestSearchEdges(t *testing.T) {
	b := load(t)
	if got := b.Search(""); len(got) != len(b.Entries()) {
		t.Errorf("empty query: %d of %d entries", len(got), len(b.Entries()))
	}
	if got := b.Search("  ,. "); len(got) != len(b.Entries()) {
		t.Errorf("blank query: %d entries", len(got))
	}
	if got := b.Search("xyzzy"); len(got) != 0 {
		t.Errorf("nonsense found %v", keys(got))
	}
	// Every word must match.
	if got := keys(b.Search("feber xyzzy")); len(got) != 0 {
		t.Errorf("feber xyzzy found %v", got)
	}
	// Short words match word beginnings only: "tur" is not "natur" or
	// "temperatur".
	for _, e := range b.Search("tur") {
		if e.Key == "planning.play_is_learning" {
			t.Errorf("tur found %s", e.Key)
		}
	}
	for in, want := range map[string]string{"Klær": "klaer", "SKØYTER": "skoyter", "Påske": "paske", "Café": "cafe"} {
		if got := phrasebook.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
