// Package web is the shared machinery every feature's handlers use: the
// request context (who is asking, in which language), rendering pages in
// the common layout, errors, forms and the middleware around every route.
// It knows no routes: those are in internal/app/routes.go.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/i18n"
	"tillit/internal/media"
	"tillit/internal/policy"
)

// Env is what handlers share: the database and the server's settings.
type Env struct {
	DB  *db.DB
	Log *slog.Logger
	// BaseURL is how people reach this server (for links in invitations
	// and for passkeys): "http://127.0.0.1:8080".
	BaseURL string
	// Secure marks cookies Secure (everything but local demo use).
	Secure bool
	// Demo shows the demo banner.
	Demo bool
	// Mail sends e-mail (invitation links); nil when no SMTP server is
	// configured.
	Mail MailSender
	// Files keeps uploaded pictures and sound (DATA/files).
	Files *media.Store
}

// MailSender sends one plain-text e-mail; *channels.Mailer is one.
type MailSender interface {
	SendMail(ctx context.Context, m channels.Mail) error
}

// Person is the signed-in person as the layout needs them.
type Person struct {
	ID         int64
	Name       string
	UILanguage string
}

// Ctx is one request: the handler's only argument.
type Ctx struct {
	W      http.ResponseWriter
	R      *http.Request
	Env    *Env
	Actor  *policy.Actor // nil when nobody is signed in
	Person *Person       // nil when nobody is signed in
	// SessionToken is the signed-in session's cookie value.
	SessionToken string
	L            *i18n.Localizer
	Started      time.Time
}

// Handler handles a request; a returned error is rendered as an error page.
type Handler func(c *Ctx) error

// Context is the request's context.
func (c *Ctx) Context() context.Context { return c.R.Context() }

// T translates for the reader.
func (c *Ctx) T(key string, args ...any) string { return c.L.T(key, args...) }

// Redirect sends the browser to url with 303 See Other.
func (c *Ctx) Redirect(url string) error {
	http.Redirect(c.W, c.R, url, http.StatusSeeOther)
	return nil
}
