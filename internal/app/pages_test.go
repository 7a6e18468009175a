package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db/dbtest"
	"tillit/internal/demo"
	"tillit/internal/i18n"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

// Budgets, in bytes after gzip.
const (
	pageBudget   = 14 << 10 // one page's HTML: fits the first round trips of a slow connection
	staticBudget = 30 << 10 // all CSS and JS together
)

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

var htmlTag = regexp.MustCompile(`<html lang="([^"]+)" dir="([^"]+)">`)

// Every page of every persona's walk answers 200 in the persona's
// language and direction, shows no untranslated key, and fits the budget.
func TestDemoPages(t *testing.T) {
	d := dbtest.SQLite(t)
	r, err := demo.Seed(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	s := webtest.NewServer(t, d, app.Handler)
	keys := map[string]bool{}
	for _, ks := range i18n.Keys() {
		for _, k := range ks {
			keys[k] = true
		}
	}
	keyLike := regexp.MustCompile(`\b[a-z_]+(\.[a-z0-9_]+){1,4}\b`)
	for _, w := range demo.Walks(r) {
		c := s.Anonymous(t)
		if w.Login != "" {
			c = s.Login(t, w.Login, demo.Password)
		}
		for _, p := range w.Paths {
			res := c.Get(p)
			if res.Status != http.StatusOK {
				t.Errorf("%s %s: %d %s", w.Login, p, res.Status, res.Location)
				continue
			}
			m := htmlTag.FindStringSubmatch(res.Body)
			l, _ := i18n.Lookup(w.Lang)
			wantDir := "ltr"
			if l.RTL {
				wantDir = "rtl"
			}
			if m == nil || m[1] != w.Lang || m[2] != wantDir {
				t.Errorf("%s %s: <html> %v, want lang=%s dir=%s", w.Login, p, m, w.Lang, wantDir)
			}
			for _, k := range keyLike.FindAllString(res.Text(), -1) {
				if keys[k] || strings.HasPrefix(k, "admin.") || strings.HasPrefix(k, "family.") {
					t.Errorf("%s %s: untranslated key %q shown", w.Login, p, k)
				}
			}
			n := gzipSize([]byte(res.Body))
			if n > pageBudget {
				t.Errorf("%s %s: %d bytes gzipped, budget %d", w.Login, p, n, pageBudget)
			}
			t.Logf("%s %s: %d bytes gzipped", w.Login, p, n)
		}
	}
}

func TestStaticBudget(t *testing.T) {
	total := 0
	for name, b := range web.StaticFiles() {
		if strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".js") {
			total += gzipSize(b)
		}
	}
	if total > staticBudget {
		t.Errorf("CSS and JS: %d bytes gzipped, budget %d", total, staticBudget)
	}
	t.Logf("CSS and JS together: %d bytes gzipped", total)
}

func TestHealthz(t *testing.T) {
	d := dbtest.SQLite(t)
	s := webtest.NewServer(t, d, app.Handler)
	if res := s.Anonymous(t).Get("/healthz"); res.Status != 200 {
		t.Fatalf("healthz: %d", res.Status)
	}
	d.Close()
	if res := s.Anonymous(t).Get("/healthz"); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", res.Status)
	}
}

func TestNotFoundInReadersLanguage(t *testing.T) {
	d := dbtest.SQLite(t)
	s := webtest.NewServer(t, d, app.Handler)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/no/such/page", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	res := s.Anonymous(t).Do(req)
	if res.Status != 404 || !strings.Contains(res.Body, "We could not find that page") || !strings.Contains(res.Body, `lang="en"`) {
		t.Fatalf("404: %d", res.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	d := dbtest.SQLite(t)
	s := webtest.NewServer(t, d, app.Handler)
	res := s.Anonymous(t).Get("/login")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", res.Header)
	}
	// No third-party hosts anywhere in the page.
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(res.Body) {
		t.Error("page loads something from another host")
	}
}

func TestLanguageSwitcher(t *testing.T) {
	d := dbtest.SQLite(t)
	webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	// A visitor's choice is kept in a cookie.
	c := s.Anonymous(t)
	res := c.PostForm("/language", url.Values{"lang": {"ar"}, "next": {"/invite"}})
	if res.Status != http.StatusSeeOther || res.Location != "/invite" {
		t.Fatalf("switch: %d %s", res.Status, res.Location)
	}
	if got := c.Get("/invite"); !strings.Contains(got.Body, `<html lang="ar" dir="rtl">`) {
		t.Fatal("visitor's language not kept")
	}
	// A signed-in person's choice is saved in their profile.
	p := s.Login(t, "leader", webtest.Password)
	p.PostForm("/language", url.Values{"lang": {"ti"}, "next": {"/profile"}})
	var ui string
	d.R.QueryRow(`SELECT ui_language FROM people WHERE login = 'leader'`).Scan(&ui)
	if ui != "ti" {
		t.Fatalf("saved %q", ui)
	}
	if got := p.Get("/profile"); !strings.Contains(got.Body, `<html lang="ti" dir="ltr">`) {
		t.Fatal("profile not in Tigrinya")
	}
	// The switcher returns to the same page with its query (a chosen
	// phrase and preview are kept).
	if body := c.Get("/login?next=%2Ffamily").Body; !strings.Contains(body, `name="next" value="/login?next=%2Ffamily"`) {
		t.Error("the language switcher loses the query string")
	}
	// Every page offers every language, each named in itself.
	body := c.Get("/login").Body
	for _, l := range i18n.Languages {
		if !strings.Contains(body, `value="`+l.Code+`" lang="`+l.Code+`"`) || !strings.Contains(body, l.Native) {
			t.Errorf("switcher lacks %s", l.Code)
		}
	}
}
