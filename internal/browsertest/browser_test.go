package browsertest

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

const accessiblePage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign up for the kindergarten newsletter</title></head>
<body>
<main>
<h1>Newsletter</h1>
<form method="post" action="/greet">
<label for="name">Your name</label>
<input id="name" name="name" type="text" autocomplete="name">
<button id="send" type="submit">Send</button>
</form>
</main>
</body>
</html>`

// brokenPage breaks WCAG rules on purpose: no lang attribute, an image
// without alt text and an input without a label (level A), and grey text on
// white (level AA, which needs the rendered page).
const brokenPage = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>Broken</title></head>
<body>
<img src="/pixel.gif">
<input type="text" name="q">
<p style="color:#bbb;background:#fff">Faint text</p>
</body>
</html>`

// testServer serves the pages of the tests. /greet records the names that
// forms post. /login?user=X sets a cookie, and /whoami shows it.
type testServer struct {
	*httptest.Server
	mu     sync.Mutex
	posted []string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	s := &testServer{}
	mux := http.NewServeMux()
	page := func(title, body string) string {
		return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` +
			html.EscapeString(title) + `</title></head><body><main>` + body + `</main></body></html>`
	}
	mux.HandleFunc("GET /accessible", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, accessiblePage)
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, brokenPage)
	})
	mux.HandleFunc("GET /pixel.gif", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		// A 1x1 transparent GIF.
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	})
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		name := r.PostFormValue("name")
		s.mu.Lock()
		s.posted = append(s.posted, name)
		s.mu.Unlock()
		http.Redirect(w, r, "/greeted?name="+r.PostFormValue("name"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /greeted", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, page("Greeted", `<p id="greeting">Hello, `+html.EscapeString(r.FormValue("name"))+`!</p>`))
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "user", Value: r.FormValue("user"), Path: "/", HttpOnly: true})
		fmt.Fprint(w, page("Signed in", `<p id="status">signed in</p>`))
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		who := "nobody"
		if c, err := r.Cookie("user"); err == nil {
			who = c.Value
		}
		fmt.Fprint(w, page("Who am I", `<p id="who">`+html.EscapeString(who)+`</p>`))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) postedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posted)
}

func violationIDs(vs []Violation) []string {
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	return ids
}

func TestAxeAccessiblePage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)
	tab := b.NewTab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/accessible"))

	if vs := b.Axe(t, tab); len(vs) != 0 {
		t.Errorf("accessible page: want no violations, got %d:\n%s", len(vs), FormatViolations(vs))
	}
	b.AssertNoAxeViolations(t, tab, "accessible page")
}

func TestAxeBrokenPage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)
	tab := b.NewTab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/broken"))

	vs := b.Axe(t, tab)
	ids := violationIDs(vs)
	for _, want := range []string{"image-alt", "label", "html-has-lang", "color-contrast"} {
		if !slices.Contains(ids, want) {
			t.Errorf("broken page: want violation %q, got %v", want, ids)
		}
	}
	for _, v := range vs {
		if v.Help == "" || v.Impact == "" || len(v.Nodes) == 0 {
			t.Errorf("violation %q lacks help, impact or nodes: %+v", v.ID, v)
		}
		if v.ID == "image-alt" {
			n := v.Nodes[0]
			if !slices.Contains(n.Target, "img") || !strings.Contains(n.HTML, `<img src="/pixel.gif">`) {
				t.Errorf("image-alt node: want target [img] and the img html, got %+v", n)
			}
		}
	}

	// Run axe a second time on the same document: axe-core is injected
	// once, and the result must not change.
	if again := violationIDs(b.Axe(t, tab)); !slices.Equal(again, ids) {
		t.Errorf("second run: got %v, first run got %v", again, ids)
	}

	// AssertNoAxeViolations must report the violations.
	ft := runFake(t, func(tb testing.TB) { b.AssertNoAxeViolations(tb, tab, "broken page") })
	if !ft.failed || ft.fatal {
		t.Fatalf("AssertNoAxeViolations on the broken page: want a non-fatal failure, got failed=%v fatal=%v", ft.failed, ft.fatal)
	}
	for _, want := range []string{"broken page:", "image-alt", "html-has-lang", "<img src=\"/pixel.gif\">", "current URL: " + srv.URL + "/broken"} {
		if !strings.Contains(ft.msg, want) {
			t.Errorf("report lacks %q:\n%s", want, ft.msg)
		}
	}

	// Axe must see the new document after a navigation in the same tab.
	Run(t, tab, chromedp.Navigate(srv.URL+"/accessible"))
	if vs := b.Axe(t, tab); len(vs) != 0 {
		t.Errorf("accessible page after the broken page: want no violations, got:\n%s", FormatViolations(vs))
	}
}

func TestClickAndNavigate(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)
	tab := b.NewTab(t)

	Run(t, tab,
		chromedp.Navigate(srv.URL+"/accessible"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Olena"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
	if got, want := Get(t, tab, chromedp.Text(chromedp.CSS("#greeting"))), "Hello, Olena!"; got != want {
		t.Errorf("greeting: got %q, want %q", got, want)
	}
	if got, want := Get(t, tab, chromedp.Location()), srv.URL+"/greeted?name=Olena"; got != want {
		t.Errorf("URL after the submit: got %q, want %q", got, want)
	}
	if got := srv.postedNames(); !slices.Equal(got, []string{"Olena"}) {
		t.Errorf("server got posts %q, want [Olena]", got)
	}
}

func TestWindowSizeIsAPhone(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)
	for _, tc := range []struct {
		name string
		open func(testing.TB) context.Context
	}{
		{"tab", b.NewTab},
		{"incognito", b.NewIncognito},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := tc.open(t)
			Run(t, tab, chromedp.Navigate(srv.URL+"/accessible"))
			w := Get(t, tab, chromedp.Evaluate[int](`window.innerWidth`))
			h := Get(t, tab, chromedp.Evaluate[int](`window.innerHeight`))
			if w != DefaultWidth || h != DefaultHeight {
				t.Errorf("viewport: got %dx%d, want %dx%d", w, h, DefaultWidth, DefaultHeight)
			}
			if o := Get(t, tab, chromedp.Evaluate[string](`screen.orientation.type`)); !strings.HasPrefix(o, "portrait") {
				t.Errorf("screen orientation: got %q, want portrait", o)
			}
		})
	}
}

func TestIncognitoTabsHaveSeparateCookies(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)

	login := func(t *testing.T, tab context.Context, user string) {
		t.Helper()
		Run(t, tab, chromedp.Navigate(srv.URL+"/login?user="+user), chromedp.WaitVisible(chromedp.CSS("#status")))
	}
	who := func(t *testing.T, tab context.Context) string {
		t.Helper()
		Run(t, tab, chromedp.Navigate(srv.URL+"/whoami"))
		return Get(t, tab, chromedp.Text(chromedp.CSS("#who")))
	}

	alice := b.NewIncognito(t)
	bob := b.NewIncognito(t)
	login(t, alice, "alice")
	login(t, bob, "bob")
	if got := who(t, alice); got != "alice" {
		t.Errorf("first incognito tab: got user %q, want alice", got)
	}
	if got := who(t, bob); got != "bob" {
		t.Errorf("second incognito tab: got user %q, want bob", got)
	}
	if got := who(t, b.NewIncognito(t)); got != "nobody" {
		t.Errorf("fresh incognito tab: got user %q, want nobody", got)
	}

	// Plain tabs share one cookie jar, which no incognito tab sees.
	tab1, tab2 := b.NewTab(t), b.NewTab(t)
	login(t, tab1, "carol")
	if got := who(t, tab2); got != "carol" {
		t.Errorf("second plain tab: got user %q, want carol (plain tabs share cookies)", got)
	}
	if got := who(t, alice); got != "alice" {
		t.Errorf("incognito tab after a plain sign-in: got user %q, want alice", got)
	}
}

func TestRunFailureNamesThePage(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	b := New(t)
	tab := b.NewTab(t)
	Run(t, tab, chromedp.Navigate(srv.URL+"/accessible"))

	ft := runFake(t, func(tb testing.TB) {
		Run(tb, tab, chromedp.Evaluate[chromedp.Void](`throw new Error("boom from the page")`))
	})
	if !ft.fatal {
		t.Fatal("Run with a failing action did not fail the test")
	}
	for _, want := range []string{"boom from the page", "current URL: " + srv.URL + "/accessible", "Newsletter"} {
		if !strings.Contains(ft.msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, ft.msg)
		}
	}
}

func TestMissingChromium(t *testing.T) {
	t.Setenv(EnvChromium, "/nonexistent/chromium")

	t.Run("skips", func(t *testing.T) {
		t.Setenv(EnvRequireBrowser, "")
		ft := runFake(t, func(tb testing.TB) { New(tb) })
		if !ft.skipped || ft.failed {
			t.Fatalf("want a skip, got skipped=%v failed=%v msg=%q", ft.skipped, ft.failed, ft.msg)
		}
		if !strings.Contains(ft.msg, "browser suite skipped: Chromium not found (install Debian's chromium, or set TILLIT_CHROMIUM)") {
			t.Errorf("skip message: got %q", ft.msg)
		}
	})
	t.Run("fails when required", func(t *testing.T) {
		t.Setenv(EnvRequireBrowser, "1")
		ft := runFake(t, func(tb testing.TB) { New(tb) })
		if !ft.fatal || ft.skipped {
			t.Fatalf("want a fatal failure, got fatal=%v skipped=%v msg=%q", ft.fatal, ft.skipped, ft.msg)
		}
		if !strings.Contains(ft.msg, "/nonexistent/chromium") || !strings.Contains(ft.msg, EnvRequireBrowser) {
			t.Errorf("failure message: got %q", ft.msg)
		}
	})
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(mod), "module tillit\n") {
		t.Errorf("repoRoot found %s, which is not the tillit module", root)
	}
}

// fakeTB records what a helper does to a test, so that a test can check the
// failures and skips of the helpers. Fatal and Skip stop the goroutine, as
// they do in a real test.
type fakeTB struct {
	testing.TB
	mu                     sync.Mutex
	failed, fatal, skipped bool
	msg                    string
}

func (f *fakeTB) record(failed, fatal, skipped bool, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = f.failed || failed
	f.fatal = f.fatal || fatal
	f.skipped = f.skipped || skipped
	f.msg += msg
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Fail()             { f.record(true, false, false, "") }
func (f *fakeTB) Error(args ...any) { f.record(true, false, false, fmt.Sprint(args...)) }
func (f *fakeTB) Errorf(format string, a ...any) {
	f.record(true, false, false, fmt.Sprintf(format, a...))
}
func (f *fakeTB) FailNow() { f.record(true, true, false, ""); runtime.Goexit() }
func (f *fakeTB) Fatal(args ...any) {
	f.record(true, true, false, fmt.Sprint(args...))
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.record(true, true, false, fmt.Sprintf(format, a...))
	runtime.Goexit()
}
func (f *fakeTB) SkipNow() { f.record(false, false, true, ""); runtime.Goexit() }
func (f *fakeTB) Skip(args ...any) {
	f.record(false, false, true, fmt.Sprint(args...))
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, a ...any) {
	f.record(false, false, true, fmt.Sprintf(format, a...))
	runtime.Goexit()
}

// runFake runs f with a fakeTB on its own goroutine, so that Fatal and Skip
// end only that goroutine, and returns what f did.
func runFake(t *testing.T, f func(tb testing.TB)) *fakeTB {
	t.Helper()
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ft)
	}()
	<-done
	return ft
}
