// Package webtest runs the real Tillit handler on a real HTTP server
// (httptest) over a real database, with signed-in clients, for every
// feature's tests.
package webtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"tillit/internal/db"
	"tillit/internal/media"
	"tillit/internal/web"
)

// Server is a running Tillit over a test database.
type Server struct {
	*httptest.Server
	DB  *db.DB
	Env *web.Env
}

// NewServer starts h (normally app.Handler) over d. The handler is passed
// in so that this package does not import app (app's tests use it too).
func NewServer(t testing.TB, d *db.DB, handler func(*web.Env) http.Handler) *Server {
	t.Helper()
	files, err := media.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &web.Env{DB: d, Log: slog.New(slog.DiscardHandler), BaseURL: "http://127.0.0.1", Files: files}
	s := &Server{DB: d, Env: env}
	s.Server = httptest.NewServer(handler(env))
	env.BaseURL = s.URL
	t.Cleanup(s.Close)
	return s
}

// Logs is what a server logged, safe to read while it runs.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far, as slog's text lines.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// CaptureLogs sends what the server logs from now on to the returned
// Logs, for tests of what is (and is not) logged.
func (s *Server) CaptureLogs() *Logs {
	l := &Logs{}
	s.Env.Log = slog.New(slog.NewTextHandler(l, nil))
	return l
}

// Client is a browser-like client with its own cookie jar.
type Client struct {
	t    testing.TB
	s    *Server
	HTTP *http.Client
}

// Anonymous returns a client that is not signed in.
func (s *Server) Anonymous(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, s: s, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Login signs in with the form and fails the test if that does not work.
func (s *Server) Login(t testing.TB, login, password string) *Client {
	t.Helper()
	c := s.Anonymous(t)
	res := c.PostForm("/login", url.Values{"login": {login}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%s", login, res.Status, res.Body)
	}
	return c
}

// Response is a read response.
type Response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

// Do sends a request (following no redirects).
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Response{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.s.URL+path, nil)
	return c.Do(req)
}

// PostForm posts a form as a browser on the same site would.
func (c *Client) PostForm(path string, v url.Values) *Response {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.s.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

// Post sends body with a content type, as a same-site request.
func (c *Client) Post(path, contentType string, body io.Reader) *Response {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.s.URL+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// Text is a page's body without tags, for "does the page say X" checks.
func (r *Response) Text() string { return tagRE.ReplaceAllString(r.Body, " ") }

// Upload is a file of a multipart form.
type Upload struct {
	Name string // the file name the browser sends
	Data []byte
}

// PostMultipart posts a multipart form (fields and files) as a browser
// on the same site would.
func (c *Client) PostMultipart(path string, fields url.Values, files map[string]Upload) *Response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for field, f := range files {
		fw, err := mw.CreateFormFile(field, f.Name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(f.Data)
	}
	mw.Close()
	return c.Post(path, mw.FormDataContentType(), &b)
}
