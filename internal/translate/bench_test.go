package translate

import (
	"context"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

// BenchmarkMemoryHit is the cost of showing an already translated message:
// normalize, hash, one indexed SELECT.
func BenchmarkMemoryHit(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			d := engine.open(b)
			ctx := context.Background()
			tr := &Translator{Memory: NewMemory(d), Providers: []Provider{None{}}}
			text := "Hei! I morgen går vi på tur til skogen. Husk matpakke, drikkeflaske og regntøy. Vi er tilbake kl. 14:30."
			if _, err := tr.Memory.Store(ctx, MachineTranslation{Source: "nb", Target: "ar", Text: text,
				Translated: "مرحبا! غدا سنذهب في رحلة إلى الغابة. تذكروا علبة الغداء وزجاجة الماء وملابس المطر. سنعود الساعة 14:30.",
				Provider:   "libretranslate"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				r, err := tr.Translate(ctx, text, "nb", "ar")
				if err != nil || !r.FromMemory {
					b.Fatalf("%+v, %v", r, err)
				}
			}
		})
	}
}

// BenchmarkApertium is one Bokmål → Nynorsk translation by the installed
// apertium (a new pipeline per call).
func BenchmarkApertium(b *testing.B) {
	a := realApertium(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := a.Translate(ctx, "Hei! I morgen går vi på tur til skogen. Husk matpakke og regntøy.", "nb", "nn"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibreTranslateRoundTrip is the client's own cost against the
// fake server on loopback (a real server adds the model's time).
func BenchmarkLibreTranslateRoundTrip(b *testing.B) {
	f := newFakeLibre(b)
	log, _ := newLogger()
	c, err := NewLibreTranslate(LibreTranslateConfig{URL: f.URL, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Translate(ctx, "Hei, husk matpakke i morgen.", "nb", "en"); err != nil {
			b.Fatal(err)
		}
	}
}
