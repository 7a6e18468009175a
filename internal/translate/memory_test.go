package translate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

// newPerson adds a person (a bilingual staff member) and returns the id.
func newPerson(t testing.TB, d *db.DB, name string) int64 {
	t.Helper()
	var id int64
	err := d.W.QueryRowContext(context.Background(),
		`INSERT INTO people (name, languages, created_at) VALUES ($1, $2, $3) RETURNING id`, name, "nb ar", db.Now()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func countRows(t testing.TB, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM translation_memory`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNormalization(t *testing.T) {
	same := [][]string{
		{"Husk matpakke i morgen", "  Husk matpakke i morgen\n", "Husk  matpakke\ti\r\nmorgen", "Husk\u00a0matpakke i morgen"},
		// NFC and NFD spellings of å and é.
		{"Vi går på kafé", "Vi ga\u030ar pa\u030a kafe\u0301"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if Hash(s) != Hash(group[0]) {
				t.Errorf("Hash(%q) != Hash(%q)", s, group[0])
			}
		}
	}
	for _, pair := range [][2]string{{"Husk matpakke", "husk matpakke"}, {"Husk matpakke", "Husk matpakke!"}, {"a b", "ab"}} {
		if Hash(pair[0]) == Hash(pair[1]) {
			t.Errorf("Hash(%q) == Hash(%q)", pair[0], pair[1])
		}
	}
	if h := Hash("x"); len(h) != 64 || strings.ToLower(h) != h {
		t.Errorf("hash %q is not lower-case SHA-256 hex", h)
	}
	if got := cleanText(" Hei  \r\n\r\nHusk\tmatpakke \t\n"); got != "Hei\n\nHusk\tmatpakke" {
		t.Errorf("cleanText = %q", got)
	}
}

func TestMemory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := NewMemory(d)
		m.Now = func() int64 { return 1_700_000_000 }
		text := "Husk matpakke i morgen"

		if _, ok, err := m.Lookup(ctx, text, "nb", "ar"); ok || err != nil {
			t.Fatalf("empty memory: found %v, err %v", ok, err)
		}
		e, err := m.Store(ctx, MachineTranslation{Source: "nb", Target: "ar", Text: text, Translated: "تذكر علبة الغداء غدا", Provider: "libretranslate"})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.Text != "تذكر علبة الغداء غدا" || e.Provider != "libretranslate" || e.CheckedByPerson || e.CreatedAt != 1_700_000_000 {
			t.Errorf("stored %+v", e)
		}
		// Normalization: trivial differences hit the same row; other
		// directions and languages do not.
		for _, variant := range []string{text, "  Husk   matpakke\ni morgen ", "Husk matpakke i morgen\u00a0"} {
			got, ok, err := m.Lookup(ctx, variant, "NB", "ar")
			if err != nil || !ok || got.ID != e.ID {
				t.Errorf("Lookup(%q) = %+v, %v, %v", variant, got, ok, err)
			}
		}
		for _, p := range [][2]string{{"ar", "nb"}, {"nb", "fa-AF"}, {"nn", "ar"}} {
			if _, ok, _ := m.Lookup(ctx, text, p[0], p[1]); ok {
				t.Errorf("found %s→%s", p[0], p[1])
			}
		}
		// A second machine result does not replace the first.
		e2, err := m.Store(ctx, MachineTranslation{Source: "nb", Target: "ar", Text: " " + text, Translated: "نص آخر", Provider: "other"})
		if err != nil || e2.ID != e.ID || e2.Text != e.Text || e2.Provider != "libretranslate" {
			t.Errorf("second Store = %+v, %v", e2, err)
		}

		// A person's correction replaces the machine result in the same row.
		amal := newPerson(t, d, "Amal")
		m.Now = func() int64 { return 1_700_000_100 }
		c, err := m.Correct(ctx, text, "nb", "ar", "  لا تنسوا علبة الغداء غداً  ", amal)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != e.ID || c.Text != "لا تنسوا علبة الغداء غداً" || !c.CheckedByPerson || c.CheckedBy != amal || c.CheckedAt != 1_700_000_100 ||
			c.Provider != ProviderPerson || c.Approximate || c.CreatedAt != 1_700_000_000 || c.SourceText != text {
			t.Errorf("corrected %+v", c)
		}
		if got, err := m.Get(ctx, e.ID); err != nil || got != c {
			t.Errorf("Get = %+v, %v", got, err)
		}
		// A later machine result never overwrites the correction.
		e3, err := m.Store(ctx, MachineTranslation{Source: "nb", Target: "ar", Text: text, Translated: "ترجمة آلية", Provider: "libretranslate"})
		if err != nil || e3 != c {
			t.Errorf("Store after correction = %+v, %v", e3, err)
		}
		// A later correction does, and records who.
		omar := newPerson(t, d, "Omar")
		c2, err := m.Correct(ctx, text, "nb", "ar", "تذكير: علبة الغداء غداً", omar)
		if err != nil || c2.ID != e.ID || c2.CheckedBy != omar || c2.Text != "تذكير: علبة الغداء غداً" {
			t.Errorf("second correction %+v, %v", c2, err)
		}
		// Correcting a text that was never machine translated creates the row.
		c3, err := m.Correct(ctx, "Barnet har feber", "nb", "ar", "الطفل مصاب بالحمى", amal)
		if err != nil || c3.ID == e.ID || !c3.CheckedByPerson {
			t.Errorf("fresh correction %+v, %v", c3, err)
		}
		if n := countRows(t, d); n != 2 {
			t.Errorf("%d rows, want 2", n)
		}
		// The person is deleted: the row stays checked, without a name.
		if _, err := d.W.Exec(`DELETE FROM people WHERE id = $1`, omar); err != nil {
			t.Fatal(err)
		}
		if got, err := m.Get(ctx, e.ID); err != nil || !got.CheckedByPerson || got.CheckedBy != 0 || got.Text != c2.Text {
			t.Errorf("after deleting the person: %+v, %v", got, err)
		}
		if _, err := m.Get(ctx, 999999); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Get(missing) = %v", err)
		}
	})
}

func TestMemoryRejects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := NewMemory(d)
		person := newPerson(t, d, "Per")
		good := MachineTranslation{Source: "nb", Target: "en", Text: "Hei", Translated: "Hello", Provider: "libretranslate"}
		bad := map[string]MachineTranslation{}
		for name, f := range map[string]func(*MachineTranslation){
			"unknown language": func(m *MachineTranslation) { m.Target = "de" },
			"same language":    func(m *MachineTranslation) { m.Target = "nb" },
			"empty text":       func(m *MachineTranslation) { m.Text = "  " },
			"empty result":     func(m *MachineTranslation) { m.Translated = "" },
			"invalid result":   func(m *MachineTranslation) { m.Translated = "\xff" },
			"no provider":      func(m *MachineTranslation) { m.Provider = "" },
			"as a person":      func(m *MachineTranslation) { m.Provider = ProviderPerson },
		} {
			mt := good
			f(&mt)
			bad[name] = mt
		}
		for name, mt := range bad {
			if _, err := m.Store(ctx, mt); err == nil {
				t.Errorf("%s: stored", name)
			}
		}
		for name, c := range map[string]struct {
			corrected string
			person    int64
		}{
			"no person":      {"Hello", 0},
			"unknown person": {"Hello", person + 1000},
			"empty":          {" \n ", person},
			"invalid UTF-8":  {"Hel\xfflo", person},
		} {
			if _, err := m.Correct(ctx, "Hei", "nb", "en", c.corrected, c.person); err == nil {
				t.Errorf("%s: corrected", name)
			}
		}
		if n := countRows(t, d); n != 0 {
			t.Errorf("%d rows after rejected writes", n)
		}
	})
}

// Writers racing on one text (two workers, two processes) leave one row,
// and every one of them gets that row back.
func TestMemoryStoreRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := NewMemory(d)
		const n = 8
		entries := make([]Entry, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				entries[i], errs[i] = m.Store(ctx, MachineTranslation{Source: "nb", Target: "en", Text: "Husk matpakke",
					Translated: fmt.Sprintf("Remember the packed lunch (%d)", i), Provider: "libretranslate"})
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if entries[i] != entries[0] {
				t.Errorf("writer %d got %+v, writer 0 got %+v", i, entries[i], entries[0])
			}
		}
		if c := countRows(t, d); c != 1 {
			t.Errorf("%d rows, want 1", c)
		}
	})
}
