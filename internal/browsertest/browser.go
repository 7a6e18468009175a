// Package browsertest drives a real, headless Chromium from Go tests, and
// checks pages with axe-core for WCAG 2.1 A and AA problems.
//
// A test starts a browser with New, opens tabs with NewTab or NewIncognito,
// and runs chromedp actions in them with Run and Get:
//
//	b := browsertest.New(t)
//	tab := b.NewTab(t)
//	browsertest.Run(t, tab,
//		chromedp.Navigate(srv.URL+"/login"),
//		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
//		chromedp.Click(chromedp.CSS("button[type=submit]")),
//		chromedp.WaitVisible(chromedp.CSS("#welcome")),
//	)
//	title := browsertest.Get(t, tab, chromedp.Title())
//	b.AssertNoAxeViolations(t, tab, "welcome page")
//
// When Chromium is not installed, New skips the test. When the environment
// variable TILLIT_REQUIRE_BROWSER is set (as in CI), New fails the test
// instead, so that a missing browser cannot pass unnoticed.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// EnvChromium names the environment variable that holds the path of the
	// Chromium binary. When it is set, no other place is searched.
	EnvChromium = "TILLIT_CHROMIUM"

	// EnvRequireBrowser names the environment variable that turns a skip
	// (no Chromium, no axe-core) into a test failure. CI sets it.
	EnvRequireBrowser = "TILLIT_REQUIRE_BROWSER"

	// DefaultWidth and DefaultHeight are the window size of a new browser:
	// a phone, because most parents use the app on a phone.
	DefaultWidth  = 390
	DefaultHeight = 844

	// RunTimeout is the longest time that one call of Run or Get may take.
	RunTimeout = 30 * time.Second
)

// defaultChromiumPath is where Debian's chromium package puts its launcher.
const defaultChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium process. Its tabs come from NewTab and
// NewIncognito. It stops when the test that made it ends.
type Browser struct {
	// ctx is the chromedp context of the first tab. It owns the browser
	// process, and new tabs are made from it.
	ctx      context.Context
	execPath string
	width    int
	height   int
	output   *lockedBuffer
}

// Option changes how New starts the browser.
type Option func(*config)

type config struct {
	width, height int
}

// WithWindowSize sets the size of the browser window, in CSS pixels. The
// default is DefaultWidth x DefaultHeight.
func WithWindowSize(width, height int) Option {
	return func(c *config) {
		c.width, c.height = width, height
	}
}

// FindChromium returns the path of the Chromium binary. It uses the
// environment variable TILLIT_CHROMIUM when that is set, and otherwise
// /usr/bin/chromium, and otherwise "chromium" on the PATH. The error says
// where it looked.
func FindChromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%s=%q is not an executable file", EnvChromium, p)
	}
	if isExecutable(defaultChromiumPath) {
		return defaultChromiumPath, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no %s and no \"chromium\" on the PATH", defaultChromiumPath)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// unavailable skips the test because a part of the browser suite is missing.
// When TILLIT_REQUIRE_BROWSER is set, it fails the test instead.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(EnvRequireBrowser) != "" {
		t.Fatalf("browser suite cannot run: %s [%s is set, so this is an error and not a skip]", msg, EnvRequireBrowser)
	}
	t.Skip("browser suite skipped: " + msg)
}

// New starts a headless Chromium for the test t, and stops it when t ends.
//
// When Chromium is not found, New skips the test, or fails it when
// TILLIT_REQUIRE_BROWSER is set. When Chromium is found but does not start,
// New always fails the test.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	cfg := config{width: DefaultWidth, height: DefaultHeight}
	for _, o := range opts {
		o(&cfg)
	}

	execPath, err := FindChromium()
	if err != nil {
		unavailable(t, "Chromium not found (install Debian's chromium, or set TILLIT_CHROMIUM): "+err.Error())
	}

	userDataDir, err := os.MkdirTemp("", "tillit-chromium-")
	if err != nil {
		t.Fatalf("browsertest: making the profile directory: %v", err)
	}

	output := &lockedBuffer{}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A fake microphone (a beep) that needs no permission prompt:
		// the voice recorder records real audio in tests.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.UserDataDir(userDataDir),
		chromedp.WindowSize(cfg.width, cfg.height),
		chromedp.CombinedOutput(output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)

	t.Cleanup(func() {
		// Close the browser gracefully first, so that it flushes and
		// releases its profile, then stop whatever is left.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelBrowser()
		cancelAlloc()
		if err := removeAllRetry(userDataDir); err != nil {
			t.Logf("browsertest: removing the profile directory: %v", err)
		}
	})

	// The first Do starts the browser. Its context must have no timeout,
	// because the browser lives as long as the context of the first Do. A
	// watchdog stops a start that hangs.
	timer := time.AfterFunc(RunTimeout, cancelBrowser)
	err = chromedp.Do(ctx)
	timer.Stop()
	if err != nil {
		t.Fatalf("browsertest: starting Chromium %s: %v\nbrowser output:\n%s", execPath, err, tail(output.String(), 2000))
	}

	return &Browser{ctx: ctx, execPath: execPath, width: cfg.width, height: cfg.height, output: output}
}

// ExecPath returns the path of the Chromium binary that the browser runs.
func (b *Browser) ExecPath() string { return b.execPath }

// WindowSize returns the window size that the browser started with.
func (b *Browser) WindowSize() (width, height int) { return b.width, b.height }

// NewTab opens a new tab and returns its chromedp context. The tab shares
// cookies and storage with the other tabs of NewTab. It closes when t ends.
func (b *Browser) NewTab(t testing.TB) context.Context {
	t.Helper()
	return b.open(t, "tab")
}

// NewIncognito opens a tab in a new browser context, which has its own
// cookies, storage and cache, like a separate incognito window. Use one for
// each user when a test needs several users signed in at once. The tab and
// its browser context close when t ends.
func (b *Browser) NewIncognito(t testing.TB) context.Context {
	t.Helper()
	return b.open(t, "incognito tab", chromedp.WithNewBrowserContext())
}

func (b *Browser) open(t testing.TB, what string, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	t.Cleanup(cancel)
	// Create the tab now, with no timeout: the first Do on a context binds
	// the tab to the context of that call, so a later Run with a timeout
	// must not be the first.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("browsertest: opening a new %s: %v\nbrowser output:\n%s", what, err, tail(b.output.String(), 2000))
		}
	case <-time.After(RunTimeout):
		cancel()
		t.Fatalf("browsertest: opening a new %s took more than %v\nbrowser output:\n%s", what, RunTimeout, tail(b.output.String(), 2000))
	}
	// Each tab gets a window of its own, and Chromium does not give it the
	// --window-size of the first window (a new window measured 500x701), so
	// set the viewport of every tab. Orientation follows the shape.
	orientation := chromedp.EmulatePortrait
	if b.width > b.height {
		orientation = chromedp.EmulateLandscape
	}
	Run(t, ctx, chromedp.EmulateViewport(int64(b.width), int64(b.height), orientation))
	return ctx
}

// Run runs the chromedp actions in order in the tab ctx, and fails the test
// on the first error. The message names the page that the tab shows. All
// the actions together may take RunTimeout at most.
func Run(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatalf("browser action failed: %v\n%s", explain(err), PageState(ctx))
	}
}

// Get runs one chromedp action that returns a value in the tab ctx, and
// returns the value. It fails the test on error, as Run does.
//
//	title := browsertest.Get(t, tab, chromedp.Title())
//	n := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.forms.length`))
func Get[T any](t testing.TB, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, action)
	if err != nil {
		t.Fatalf("browser action failed: %v\n%s", explain(err), PageState(ctx))
	}
	return v
}

func explain(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%v (gave up after %v: the page did not reach the expected state)", err, RunTimeout)
	}
	return err.Error()
}

// PageState describes what the tab ctx shows: the URL, the title and the
// start of the visible text. Run and Get add it to their failure messages.
func PageState(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	type state struct {
		URL   string `json:"url"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	s, err := chromedp.Run(sctx, chromedp.Evaluate[state](
		`({url: location.href, title: document.title, text: document.body ? document.body.innerText : ""})`))
	if err != nil {
		url, uerr := chromedp.Run(sctx, chromedp.Location())
		if uerr != nil {
			return fmt.Sprintf("current URL: unknown (%v)", err)
		}
		return "current URL: " + url
	}
	text := strings.Join(strings.Fields(s.Text), " ")
	return fmt.Sprintf("current URL: %s\npage title: %q\npage text: %q", s.URL, s.Title, head(text, 500))
}

// head returns at most the first n bytes of s, with a mark when it cuts.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " …[cut]"
}

// tail returns at most the last n bytes of s, with a mark when it cuts.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[cut]… " + s[len(s)-n:]
}

// lockedBuffer collects the output of the browser process. The allocator
// writes to it from other goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Keep the memory bounded: a long test can make Chromium chatty.
	if b.buf.Len() > 1<<20 {
		b.buf.Reset()
		b.buf.WriteString("[earlier output dropped]\n")
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// removeAllRetry removes dir. Chromium's helper processes can hold files in
// the profile for a moment after the browser exits, so it tries a few times.
func removeAllRetry(dir string) error {
	var err error
	for range 20 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
