package web

import (
	"errors"
	"log/slog"
	"net/http"

	"tillit/internal/db"
)

// HTTPError is an error with a status and a translation key for the page.
type HTTPError struct {
	Status int
	Key    string // i18n key of the message shown
}

func (e *HTTPError) Error() string { return http.StatusText(e.Status) }

// The errors handlers return.
var (
	// ErrNotFound is also the answer for objects one has no right to.
	ErrNotFound     = &HTTPError{http.StatusNotFound, "error.not_found"}
	ErrBadRequest   = &HTTPError{http.StatusBadRequest, "error.bad_request"}
	ErrTooLarge     = &HTTPError{http.StatusRequestEntityTooLarge, "error.too_large"}
	ErrInvalidUTF8  = &HTTPError{http.StatusBadRequest, "error.invalid_utf8"}
	ErrTooManyTries = &HTTPError{http.StatusTooManyRequests, "error.too_many_tries"}
)

// renderError writes an error page (or JSON for the API).
func (c *Ctx) renderError(err error) {
	var he *HTTPError
	switch {
	case errors.As(err, &he):
	case errors.Is(err, db.ErrNotFound):
		he = ErrNotFound
	default:
		c.Env.Log.Error("request failed", "method", c.R.Method, "route", c.R.Pattern, "err", err)
		he = &HTTPError{http.StatusInternalServerError, "error.internal"}
	}
	if IsAPI(c.R) {
		c.JSON(he.Status, map[string]string{"error": he.Key, "message": c.T(he.Key)})
		return
	}
	c.Render(he.Status, shared, "error", &Page{Title: c.T("error.title"), Data: he.Key})
}

// shared are the pages of this package (the error page).
var shared = MustTemplates(nil, "")

// logAttrs keeps personal data out of logs: route patterns, never paths
// with ids or query strings, never names, logins or addresses.
func logAttrs(r *http.Request, status int) []any {
	return []any{slog.String("method", r.Method), slog.String("route", r.Pattern), slog.Int("status", status)}
}
