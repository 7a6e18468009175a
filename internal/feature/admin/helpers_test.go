package admin_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/i18n"
	"tillit/internal/webtest"
)

// env is one test's server, fixture and signed-in clients.
type env struct {
	t *testing.T
	s *webtest.Server
	w *webtest.World
	d *db.DB
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	w := webtest.NewWorld(t, d)
	return &env{t: t, s: webtest.NewServer(t, d, app.Handler), w: w, d: d}
}

func (e *env) login(name string) *webtest.Client {
	e.t.Helper()
	return e.s.Login(e.t, name, webtest.Password)
}

// count runs a COUNT(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// str reads one string.
func (e *env) str(query string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.R.QueryRowContext(context.Background(), query, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return s
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.d.W.ExecContext(context.Background(), query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

// nb is a string as the (Norwegian) pages show it, HTML-escaped.
func nb(key string, args ...any) string {
	return html.EscapeString(i18n.New("nb").T(key, args...))
}

func status(t *testing.T, r *webtest.Response, want int, what string) {
	t.Helper()
	if r.Status != want {
		body := r.Body
		if len(body) > 3000 {
			body = body[:3000]
		}
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, want, body)
	}
}

func contains(t *testing.T, r *webtest.Response, what string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Errorf("%s: page lacks %q", what, w)
		}
	}
}

func lacks(t *testing.T, r *webtest.Response, what string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(r.Body, u) {
			t.Errorf("%s: page shows %q", what, u)
		}
	}
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }
