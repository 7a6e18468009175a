package phrasebook_test

import (
	"testing"

	"tillit/internal/phrasebook"
)

func BenchmarkRender(b *testing.B) {
	book := load(b)
	slots := map[string]string{"Place": "place.forest", "Date": "2027-01-01", "Time": "09:30"}
	for _, lang := range []string{"nb", "ar"} {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := book.Render("trips.trip_to_place", slots, lang); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("plural+child", func(b *testing.B) {
		s := map[string]string{"Child": "Amina", "Count": "3"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := book.Render("practical.nappies_low", s, "en"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// An announcement to a kindergarten renders each entry once per language:
// all entries in all 13 launch languages.
func BenchmarkRenderAllLanguages(b *testing.B) {
	book := load(b)
	entries := book.Entries()
	samples := make([]map[string]string, len(entries))
	for i, e := range entries {
		samples[i] = sample(book, e)
	}
	langs := []string{"nb", "nn", "en", "pl", "lt", "uk", "ru", "ar", "ti", "so", "fa-AF", "ps", "kmr"}
	b.ReportAllocs()
	for b.Loop() {
		for i, e := range entries {
			for _, l := range langs {
				if _, err := book.Render(e.Key, samples[i], l); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	book := load(b)
	b.ReportAllocs()
	for b.Loop() {
		book.Search("ekstra klær")
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := phrasebook.Load(); err != nil {
			b.Fatal(err)
		}
	}
}
