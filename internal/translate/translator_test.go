package translate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

// chain is the production order: Apertium (here a stand-in command) for
// Bokmål ↔ Nynorsk, then LibreTranslate (here the fake server), then none.
func chain(t *testing.T, d *db.DB, f *fakeLibre) *Translator {
	t.Helper()
	c, _ := newLibre(t, f, "", 0)
	log, _ := newLogger()
	a := NewApertium(ApertiumConfig{Command: fakeApertiumTranslating(t), Log: log})
	tr := &Translator{Providers: []Provider{a, c, None{}}}
	if d != nil {
		tr.Memory = NewMemory(d)
	}
	return tr
}

func TestTranslatorNeverTranslatesTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		tr := chain(t, d, f)
		var hooked []string
		tr.OnProviderCall = func(p, s, tg string) { hooked = append(hooked, p+" "+s+"→"+tg) }
		before := ProviderCalls()

		r, err := tr.Translate(ctx, "Husk matpakke i morgen", "nb", "en")
		if err != nil {
			t.Fatal(err)
		}
		want := Result{Text: "Remember packed lunch in tomorrow", Provider: "libretranslate", Machine: true, MemoryID: r.MemoryID}
		if r != want || r.MemoryID == 0 {
			t.Errorf("first = %+v, want %+v", r, want)
		}
		if n := f.translate.Load(); n != 1 {
			t.Fatalf("%d requests", n)
		}
		// The same text, and trivial variants of it: from the memory, no request.
		for _, again := range []string{"Husk matpakke i morgen", " Husk  matpakke\ni morgen\n"} {
			r2, err := tr.Translate(ctx, again, "nb", "en")
			if err != nil {
				t.Fatal(err)
			}
			if !r2.FromMemory || r2.Text != r.Text || !r2.Machine || r2.MemoryID != r.MemoryID {
				t.Errorf("again = %+v", r2)
			}
		}
		if n := f.translate.Load(); n != 1 {
			t.Errorf("the same text was sent %d times", n)
		}
		if tr.Calls() != 1 || len(hooked) != 1 || hooked[0] != "libretranslate nb→en" || ProviderCalls()-before != 1 {
			t.Errorf("calls %d, hook %v, total %d", tr.Calls(), hooked, ProviderCalls()-before)
		}
		// Nynorsk goes to Apertium, English to LibreTranslate.
		r, err = tr.Translate(ctx, "Jeg liker ikke fisk", "nb", "nn")
		if err != nil || r.Text != "Eg liker ikkje fisk" || r.Provider != "apertium" || !r.Machine {
			t.Errorf("nb→nn = %+v, %v", r, err)
		}
		if n := f.translate.Load(); n != 1 {
			t.Errorf("nb→nn went to LibreTranslate")
		}
	})
}

func TestTranslatorShortcuts(t *testing.T) {
	f := newFakeLibre(t)
	tr := chain(t, nil, f)
	ctx := context.Background()
	for _, tc := range []struct{ text, src, dst string }{
		{"Husk matpakke", "nb", "nb"},
		{"Husk matpakke", "fa-AF", "FA-af"},
		{"", "nb", "en"},
		{" \n ", "nb", "ar"},
	} {
		r, err := tr.Translate(ctx, tc.text, tc.src, tc.dst)
		if err != nil || r != (Result{Text: tc.text}) {
			t.Errorf("%q %s→%s = %+v, %v", tc.text, tc.src, tc.dst, r, err)
		}
	}
	for _, tc := range []struct{ text, src, dst string }{
		{"Hei", "nb", "de"},
		{"Hei", "", "en"},
		{"Hei \xff", "nb", "en"},
		{"Hei\x00", "nb", "en"},
		{strings.Repeat("Hei ", MaxTextBytes), "nb", "en"},
	} {
		if _, err := tr.Translate(ctx, tc.text, tc.src, tc.dst); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%.20q %s→%s: err = %v", tc.text, tc.src, tc.dst, err)
		}
	}
	if tr.Calls() != 0 || f.translate.Load() != 0 {
		t.Errorf("%d provider calls, %d requests", tr.Calls(), f.translate.Load())
	}
}

func TestTranslatorUntranslated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t) // lists no Tigrinya
		tr := chain(t, d, f)
		text := "ሰላም፣ ልጄ ሓሚሙ እዩ።"
		r, err := tr.Translate(ctx, text, "ti", "nb")
		if err != nil {
			t.Fatal(err)
		}
		if r != (Result{Text: text, Untranslated: true}) {
			t.Errorf("= %+v", r)
		}
		// Not remembered: a provider configured later may offer the pair.
		if _, ok, _ := tr.Memory.Lookup(ctx, text, "ti", "nb"); ok {
			t.Error("an untranslated text was stored")
		}
		// Only "none": nothing is asked at all.
		none := &Translator{Memory: tr.Memory, Providers: []Provider{None{}}}
		if r, err := none.Translate(ctx, "Husk matpakke", "nb", "ar"); err != nil || !r.Untranslated || r.Text != "Husk matpakke" || none.Calls() != 0 {
			t.Errorf("none = %+v, %v, %d calls", r, err, none.Calls())
		}
		// No provider at all: the same.
		empty := &Translator{}
		if r, err := empty.Translate(ctx, "Husk matpakke", "nb", "ar"); err != nil || !r.Untranslated {
			t.Errorf("no providers = %+v, %v", r, err)
		}
	})
}

func TestTranslatorFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		tr := chain(t, d, f)
		text := "Barnet hadde en fin dag"
		f.setFault("500")
		_, err := tr.Translate(ctx, text, "nb", "en")
		if !errors.Is(err, ErrUnavailable) || !Retryable(err) {
			t.Fatalf("server error: %v", err)
		}
		if countRows(t, d) != 0 {
			t.Error("a failure was stored")
		}
		f.setFault("garbage")
		_, err = tr.Translate(ctx, text, "nb", "en")
		if !errors.Is(err, ErrBadResponse) || Retryable(err) {
			t.Fatalf("garbage: %v", err)
		}
		// The server recovers; the retry translates.
		f.setFault("")
		r, err := tr.Translate(ctx, text, "nb", "en")
		if err != nil || r.Text != "The child had a good day" || r.FromMemory {
			t.Errorf("after recovery: %+v, %v", r, err)
		}
	})
}

// flaky is a provider that fails with err.
type flaky struct{ err error }

func (p flaky) Name() string                        { return "flaky" }
func (p flaky) Supports(source, target string) bool { return true }
func (p flaky) Translate(ctx context.Context, text, source, target string) (string, error) {
	return "", p.err
}

// An unavailable or unsupporting provider falls through to the next one;
// the error that is returned when none succeeds is the retryable one.
func TestTranslatorFallsThrough(t *testing.T) {
	ctx := context.Background()
	f := newFakeLibre(t)
	c, _ := newLibre(t, f, "", 0)
	for _, first := range []error{ErrUnavailable, ErrUnsupported, ErrBadResponse, errors.New("boom")} {
		tr := &Translator{Providers: []Provider{flaky{first}, c}}
		r, err := tr.Translate(ctx, "Hei", "nb", "en")
		if err != nil || r.Provider != "libretranslate" || r.Text != "Hello" || tr.Calls() != 2 {
			t.Errorf("after %v: %+v, %v", first, r, err)
		}
	}
	tr := &Translator{Providers: []Provider{flaky{ErrBadResponse}, flaky{ErrUnavailable}, flaky{ErrUnsupported}}}
	if _, err := tr.Translate(ctx, "Hei", "nb", "en"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want the retryable one", err)
	}
	tr = &Translator{Providers: []Provider{flaky{errors.New("boom")}}}
	if _, err := tr.Translate(ctx, "Hei", "nb", "en"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unclassified error: %v, want ErrUnavailable", err)
	}
	tr = &Translator{Providers: []Provider{flaky{ErrUnsupported}}}
	if r, err := tr.Translate(ctx, "Hei", "nb", "en"); err != nil || !r.Untranslated {
		t.Errorf("only unsupported: %+v, %v", r, err)
	}
}

// A provider that returns an empty or runaway answer without an error is
// caught by the chain.
type sloppy struct{ out string }

func (p sloppy) Name() string                        { return "sloppy" }
func (p sloppy) Supports(source, target string) bool { return true }
func (p sloppy) Translate(ctx context.Context, text, source, target string) (string, error) {
	return p.out, nil
}

func TestTranslatorChecksProviders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, out := range []string{"", "\xff", strings.Repeat("x", 1000)} {
			tr := &Translator{Memory: NewMemory(d), Providers: []Provider{sloppy{out}}}
			if _, err := tr.Translate(context.Background(), "Hei", "nb", "en"); !errors.Is(err, ErrBadResponse) {
				t.Errorf("%.10q: err = %v", out, err)
			}
		}
		if countRows(t, d) != 0 {
			t.Error("a bad answer was stored")
		}
	})
}

func TestTranslatorCorrections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		tr := chain(t, d, f)
		text := "Husk matpakke i morgen"
		machine, err := tr.Translate(ctx, text, "nb", "ar")
		if err != nil || !machine.Machine {
			t.Fatalf("%+v, %v", machine, err)
		}
		amal := newPerson(t, d, "Amal")
		if _, err := tr.Memory.Correct(ctx, text, "nb", "ar", "لا تنسوا علبة الغداء غداً", amal); err != nil {
			t.Fatal(err)
		}
		r, err := tr.Translate(ctx, text, "nb", "ar")
		want := Result{Text: "لا تنسوا علبة الغداء غداً", Provider: ProviderPerson, CheckedByPerson: true, CheckedBy: amal, FromMemory: true, MemoryID: machine.MemoryID}
		if err != nil || r != want {
			t.Errorf("after correction = %+v, %v; want %+v", r, err, want)
		}
		// A correction made before any machine translation is used as is.
		if _, err := tr.Memory.Correct(ctx, "Barnet har feber", "nb", "en", "The child has a fever", amal); err != nil {
			t.Fatal(err)
		}
		r, err = tr.Translate(ctx, "Barnet har feber", "nb", "en")
		if err != nil || r.Text != "The child has a fever" || r.Machine || !r.CheckedByPerson {
			t.Errorf("%+v, %v", r, err)
		}
		if n := f.translate.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

// Dari through Persian is marked approximate, in the result and the memory.
func TestTranslatorApproximate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		tr := chain(t, d, f)
		r, err := tr.Translate(ctx, "Hei", "nb", "fa-AF")
		if err != nil || !r.Approximate || r.Text != "سلام" {
			t.Fatalf("%+v, %v", r, err)
		}
		r, err = tr.Translate(ctx, "Hei", "nb", "fa-AF")
		if err != nil || !r.Approximate || !r.FromMemory {
			t.Errorf("from memory: %+v, %v", r, err)
		}
		r, err = tr.Translate(ctx, "Hei", "nb", "ar")
		if err != nil || r.Approximate {
			t.Errorf("nb→ar: %+v, %v", r, err)
		}
	})
}

// Many goroutines translating the same text in one process: one provider
// call, one row, one answer.
func TestTranslatorConcurrentSameText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		f.setFault("numbered") // each request answers differently
		tr := chain(t, d, f)
		const n = 8
		results := make([]Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = tr.Translate(ctx, "Husk matpakke", "nb", "en")
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if results[i].Text != "Remember packed lunch (1)" {
				t.Errorf("goroutine %d got %q", i, results[i].Text)
			}
		}
		if c := f.translate.Load(); c != 1 {
			t.Errorf("%d requests for one text", c)
		}
		if c := countRows(t, d); c != 1 {
			t.Errorf("%d rows", c)
		}
	})
}

// Two processes (two Translators on one database) translate the same text
// at the same moment: both ask the server, both answers differ, one row is
// kept and both callers get it.
func TestTranslatorRaceAcrossProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeLibre(t)
		f.barrier = 2
		c1, _ := newLibre(t, f, "", 0)
		c2, _ := newLibre(t, f, "", 0)
		for _, c := range []*LibreTranslate{c1, c2} {
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
		f.setFault("barrier")
		trs := []*Translator{{Memory: NewMemory(d), Providers: []Provider{c1}}, {Memory: NewMemory(d), Providers: []Provider{c2}}}
		results := make([]Result, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, tr := range trs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = tr.Translate(ctx, "Husk matpakke", "nb", "en")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := f.translate.Load(); n != 2 {
			t.Fatalf("%d requests; the barrier needs both", n)
		}
		if results[0].Text != results[1].Text || results[0].MemoryID != results[1].MemoryID {
			t.Errorf("the two processes disagree: %q vs %q", results[0].Text, results[1].Text)
		}
		if c := countRows(t, d); c != 1 {
			t.Errorf("%d rows", c)
		}
	})
}

func TestCheckOutputBounds(t *testing.T) {
	in20 := strings.Repeat("å", 20)
	for _, tc := range []struct {
		in, out string
		ok      bool
	}{
		{in20, strings.Repeat("ø", 200), true},
		{in20, strings.Repeat("ø", 201), false},
		{"Ja", strings.Repeat("ø", 100), true},
		{"Ja", strings.Repeat("ø", 101), false},
		{"Ja", " \n", false},
		{"Ja", "Yes\x00", false},
		{"Ja", "Yes \xc3", false},
		{"Ja", "Yes", true},
	} {
		err := CheckOutput(tc.in, tc.out)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadResponse)) {
			t.Errorf("CheckOutput(%d runes, %.8q…) = %v", len([]rune(tc.in)), tc.out, err)
		}
	}
}

func TestNew(t *testing.T) {
	d := dbtest.SQLite(t)
	names := func(tr *Translator) string {
		var n []string
		for _, p := range tr.Providers {
			n = append(n, p.Name())
		}
		return strings.Join(n, " ")
	}
	tr, err := New(d, Config{})
	if err != nil || names(tr) != "none" || tr.Memory == nil {
		t.Errorf("zero config: %v, %v", names(tr), err)
	}
	f := newFakeLibre(t)
	tr, err = New(d, Config{LibreTranslateURL: f.URL, LibreTranslateKey: "k", Apertium: true})
	if err != nil || names(tr) != "apertium libretranslate none" {
		t.Errorf("full config: %v, %v", names(tr), err)
	}
	r, err := tr.Translate(context.Background(), "Hei", "nb", "en")
	if err != nil || r.Text != "Hello" || f.lastRequest().APIKey != "k" {
		t.Errorf("%+v, %v", r, err)
	}
	if _, err := New(d, Config{LibreTranslateURL: "localhost:5000"}); err == nil {
		t.Error("accepted a URL without a scheme")
	}
}
