package translate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLibreTranslateTranslates(t *testing.T) {
	f := newFakeLibre(t)
	f.apiKey = "k3y"
	c, _ := newLibre(t, f, "k3y", 0)
	ctx := context.Background()
	out, err := c.Translate(ctx, "Hei, husk matpakke i morgen.", "nb", "en")
	if err != nil {
		t.Fatal(err)
	}
	if out != "Hello, remember packed lunch in tomorrow." {
		t.Errorf("translation = %q", out)
	}
	req := f.lastRequest()
	if req.Q != "Hei, husk matpakke i morgen." || req.Source != "nb" || req.Target != "en" || req.Format != "text" || req.APIKey != "k3y" {
		t.Errorf("request = %+v", req)
	}
	// Right-to-left output, line breaks kept.
	out, err = c.Translate(ctx, "Hei\nhusk matpakke", "nb", "ar")
	if err != nil || out != "مرحبا\nتذكر علبة الغداء" {
		t.Errorf("nb→ar = %q, %v", out, err)
	}
	// Case-insensitive launch codes.
	if _, err := c.Translate(ctx, "Hello", "EN", "NB"); err != nil {
		t.Error(err)
	}
	if c.Approximate("nb", "en") {
		t.Error("nb→en marked approximate")
	}
}

func TestLibreTranslateAPIKeyRefused(t *testing.T) {
	f := newFakeLibre(t)
	f.apiKey = "right"
	c, logs := newLibre(t, f, "wrong", 0)
	text := "Husk matpakke i morgen"
	_, err := c.Translate(context.Background(), text, "nb", "en")
	if !errors.Is(err, ErrUnavailable) || !Retryable(err) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "API key") {
		t.Errorf("error does not say the key was refused: %v", err)
	}
	if !strings.Contains(logs.String(), "API key") {
		t.Errorf("no warning logged: %q", logs.String())
	}
	noText(t, text, err.Error(), logs.String())
	// Without a key the JSON has no api_key at all.
	f.apiKey = ""
	c2, _ := newLibre(t, f, "", 0)
	if _, err := c2.Translate(context.Background(), text, "nb", "en"); err != nil {
		t.Fatal(err)
	}
	if k := f.lastRequest().APIKey; k != "" {
		t.Errorf("api_key = %q", k)
	}
}

// noText fails when the text, or a word of it, appears in errors or logs.
func noText(t *testing.T, text string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, w := range strings.Fields(text) {
			if len(w) >= 5 && strings.Contains(out, w) {
				t.Errorf("text %q leaked: %q", w, out)
			}
		}
	}
}

func TestLibreTranslateLanguageMapping(t *testing.T) {
	f := newFakeLibre(t)
	c, _ := newLibre(t, f, "", 0)
	ctx := context.Background()

	// Before the list is known, Supports goes by the code table.
	for _, p := range [][2]string{{"nb", "ti"}, {"ps", "nb"}, {"nb", "so"}, {"nb", "kmr"}, {"nb", "fa-AF"}} {
		if !c.Supports(p[0], p[1]) {
			t.Errorf("before loading: Supports(%s, %s) = false", p[0], p[1])
		}
	}
	if c.Supports("nb", "nb") || c.Supports("nb", "xx") || c.Supports("de", "nb") {
		t.Error("supports a non-pair")
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if f.languages.Load() != 1 {
		t.Errorf("languages requests = %d", f.languages.Load())
	}
	// The fake lists neither ti, ps, so nor any Kurdish.
	for _, p := range [][2]string{{"nb", "ti"}, {"ps", "nb"}, {"nb", "so"}, {"nb", "kmr"}, {"nb", "nn"}} {
		if c.Supports(p[0], p[1]) {
			t.Errorf("Supports(%s, %s) = true, the server does not list it", p[0], p[1])
		}
		before := f.translate.Load()
		_, err := c.Translate(ctx, "Hei", p[0], p[1])
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s→%s: err = %v, want ErrUnsupported", p[0], p[1], err)
		}
		if f.translate.Load() != before {
			t.Errorf("%s→%s: sent a request for a pair the server does not list", p[0], p[1])
		}
	}
	// Dari goes to the server as Persian, and is approximate.
	out, err := c.Translate(ctx, "Hei", "nb", "fa-AF")
	if err != nil || out != "سلام" {
		t.Fatalf("nb→fa-AF = %q, %v", out, err)
	}
	if r := f.lastRequest(); r.Target != "fa" {
		t.Errorf("target sent = %q, want fa", r.Target)
	}
	if !c.Approximate("nb", "fa-AF") {
		t.Error("nb→fa-AF (via Persian) not marked approximate")
	}

	// A server that lists Tigrinya, Dari (prs) and Kurdish (ku): ti exact,
	// prs exact, kmr via ku approximate.
	codes := []string{"nb", "en", "ti", "prs", "fa", "ku"}
	var langs []map[string]any
	for _, code := range codes {
		langs = append(langs, map[string]any{"code": code, "name": code, "targets": codes})
	}
	f.setLanguages(langs)
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Supports("ti", "nb") || !c.Supports("nb", "kmr") || c.Supports("nb", "ar") {
		t.Error("Supports does not follow the refreshed list")
	}
	if _, err := c.Translate(ctx, "ሰላም", "ti", "nb"); err != nil || c.Approximate("ti", "nb") {
		t.Errorf("ti→nb: %v, approximate %v", err, c.Approximate("ti", "nb"))
	}
	if _, err := c.Translate(ctx, "Hei", "nb", "fa-AF"); err != nil || f.lastRequest().Target != "prs" || c.Approximate("nb", "fa-AF") {
		t.Errorf("nb→fa-AF with prs listed: %v, target %q", err, f.lastRequest().Target)
	}
	if out, err := c.Translate(ctx, "Hei", "nb", "kmr"); err != nil || out != "Silav" || f.lastRequest().Target != "ku" || !c.Approximate("nb", "kmr") {
		t.Errorf("nb→kmr: %q, %v, target %q", out, err, f.lastRequest().Target)
	}
}

// The server drops a language after we fetched its list: its 400 answer
// makes the next call fetch the list again.
func TestLibreTranslateLanguageDropped(t *testing.T) {
	f := newFakeLibre(t)
	c, _ := newLibre(t, f, "", 0)
	ctx := context.Background()
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var langs []map[string]any
	for _, l := range fakeLanguages() {
		if l["code"] != "ar" {
			langs = append(langs, l)
		}
	}
	f.setLanguages(langs)
	if !c.Supports("nb", "ar") {
		t.Fatal("the old list lacks ar")
	}
	_, err := c.Translate(ctx, "Hei", "nb", "ar")
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "ar is not supported") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Translate(ctx, "Hei", "nb", "en"); err != nil {
		t.Fatal(err)
	}
	if n := f.languages.Load(); n != 2 || c.Supports("nb", "ar") {
		t.Errorf("list not fetched again (%d requests) or still offers ar", n)
	}
}

func TestLibreTranslateOldServerWithoutTargets(t *testing.T) {
	f := newFakeLibre(t)
	f.setLanguages([]map[string]any{{"code": "en", "name": "English"}, {"code": "nb", "name": "Norwegian"}, {"code": "ar", "name": "Arabic"}})
	c, _ := newLibre(t, f, "", 0)
	if _, err := c.Translate(context.Background(), "Hei", "nb", "ar"); err != nil {
		t.Fatal(err)
	}
	if !c.Supports("ar", "en") || c.Supports("nb", "pl") {
		t.Error("a list without targets should pair every listed language, and only those")
	}
}

func TestLibreTranslateLanguagesCachedHourly(t *testing.T) {
	f := newFakeLibre(t)
	c, logs := newLibre(t, f, "", 0)
	clock := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	ctx := context.Background()
	translate := func() {
		t.Helper()
		if _, err := c.Translate(ctx, "Hei", "nb", "en"); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		translate()
	}
	if n := f.languages.Load(); n != 1 {
		t.Fatalf("GET /languages %d times for 3 translations, want 1", n)
	}
	advance(59 * time.Minute)
	translate()
	if n := f.languages.Load(); n != 1 {
		t.Fatalf("refreshed after 59 minutes (%d requests)", n)
	}
	advance(2 * time.Minute)
	translate()
	if n := f.languages.Load(); n != 2 {
		t.Fatalf("not refreshed after an hour (%d requests)", n)
	}
	// A failed refresh keeps the old list and waits a minute to try again.
	f.setFault("languages-500")
	advance(61 * time.Minute)
	translate()
	translate()
	if n := f.languages.Load(); n != 3 {
		t.Fatalf("after a failed refresh: %d requests, want 3", n)
	}
	if !strings.Contains(logs.String(), "refresh") {
		t.Errorf("failed refresh not logged: %q", logs.String())
	}
	advance(2 * time.Minute)
	f.setFault("")
	translate()
	if n := f.languages.Load(); n != 4 {
		t.Fatalf("no new attempt a minute after the failure (%d requests)", n)
	}
}

func TestLibreTranslateLanguagesUnavailable(t *testing.T) {
	f := newFakeLibre(t)
	c, _ := newLibre(t, f, "", 0)
	f.setFault("languages-500")
	_, err := c.Translate(context.Background(), "Hei", "nb", "en")
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("no language list, server error: err = %v, want ErrUnavailable", err)
	}
	f.setFault("languages-garbage")
	_, err = c.Translate(context.Background(), "Hei", "nb", "en")
	if !errors.Is(err, ErrBadResponse) || errors.Is(err, ErrUnsupported) {
		t.Errorf("language list is HTML: err = %v, want ErrBadResponse only", err)
	}
	if f.translate.Load() != 0 {
		t.Error("translated without a language list")
	}
}

func TestLibreTranslateFaults(t *testing.T) {
	text := "Husk matpakke og regntøy i morgen, barnet hadde en fin dag"
	cases := []struct {
		fault string
		want  error
	}{
		{"429", ErrUnavailable},
		{"500", ErrUnavailable},
		{"500-echo", ErrUnavailable},
		{"502-html", ErrUnavailable},
		{"slow", ErrUnavailable},
		{"garbage", ErrBadResponse},
		{"wrongtype", ErrBadResponse},
		{"missing", ErrBadResponse},
		{"empty", ErrBadResponse},
		{"invalidutf8", ErrBadResponse},
		{"huge", ErrBadResponse},
		{"toolarge", ErrBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			f := newFakeLibre(t)
			c, logs := newLibre(t, f, "", 300*time.Millisecond)
			if err := c.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			f.setFault(tc.fault)
			out, err := c.Translate(context.Background(), text, "nb", "en")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", out, err, tc.want)
			}
			for _, other := range []error{ErrUnavailable, ErrBadResponse, ErrUnsupported} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("error is also %v: %v", other, err)
				}
			}
			if Retryable(err) != (tc.want == ErrUnavailable) {
				t.Errorf("Retryable = %v", Retryable(err))
			}
			noText(t, text, err.Error(), logs.String())
			if tc.fault == "429" {
				if d, ok := RetryAfter(err); !ok || d != 7*time.Second {
					t.Errorf("RetryAfter = %v, %v; want 7s", d, ok)
				}
			}
			if tc.fault == "toolarge" && !strings.Contains(err.Error(), "larger than") {
				t.Errorf("over-size answer not reported as such: %v", err)
			}
			if tc.fault == "500" && !strings.Contains(err.Error(), "model crashed") {
				t.Errorf("server's message not in the error: %v", err)
			}
		})
	}
}

func TestLibreTranslateRefusals(t *testing.T) {
	f := newFakeLibre(t)
	f.charLimit = 20
	c, _ := newLibre(t, f, "", 0)
	// Over the server's character limit: 400, not offered.
	_, err := c.Translate(context.Background(), strings.Repeat("hei ", 10), "nb", "en")
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "exceeds text limit") {
		t.Errorf("over the char limit: %v", err)
	}
	// Invalid input never reaches the server.
	before := f.translate.Load()
	for _, bad := range []string{"hei \xff", "a\x00b", strings.Repeat("a", MaxTextBytes+1)} {
		if _, err := c.Translate(context.Background(), bad, "nb", "en"); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("bad input: err = %v", err)
		}
	}
	if _, err := c.Translate(context.Background(), "hei", "nb", "de"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown language: %v", err)
	}
	if f.translate.Load() != before {
		t.Error("invalid input was sent")
	}
}

func TestLibreTranslateDownAndCancelled(t *testing.T) {
	f := newFakeLibre(t)
	c, _ := newLibre(t, f, "", 0)
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The caller gives up (shutdown): unavailable, retry later.
	f.setFault("slow")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.translate.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := c.Translate(ctx, "Hei", "nb", "en"); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// The server is gone.
	f.release()
	f.Close()
	if _, err := c.Translate(context.Background(), "Hei", "nb", "en"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("server down: %v", err)
	}
}

func TestNewLibreTranslateRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:5000", "ftp://x", "http://", "http://h/?a=b", "http://h/#x"} {
		if _, err := NewLibreTranslate(LibreTranslateConfig{URL: u}); err == nil {
			t.Errorf("accepted %q", u)
		}
	}
	c, err := NewLibreTranslate(LibreTranslateConfig{URL: " http://127.0.0.1:5000/lt/ "})
	if err != nil || c.base != "http://127.0.0.1:5000/lt" {
		t.Errorf("base = %q, %v", c.base, err)
	}
}

func TestNone(t *testing.T) {
	var n None
	if n.Supports("nb", "en") || n.Name() != "none" {
		t.Error("None supports something")
	}
	if _, err := n.Translate(context.Background(), "Hei", "nb", "en"); !errors.Is(err, ErrUnsupported) {
		t.Error(err)
	}
}
