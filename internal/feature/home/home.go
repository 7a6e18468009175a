// Package home serves the front door: the health check, the start page
// that sends each person to their own place, and the language switcher.
package home

import (
	"net/http"
	"time"

	"tillit/internal/i18n"
	"tillit/internal/web"
)

// Health answers 200 when the database answers, 503 when it does not.
func Health(c *web.Ctx) error {
	if err := c.Env.DB.Ping(c.Context()); err != nil {
		c.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.W.WriteHeader(http.StatusServiceUnavailable)
		c.W.Write([]byte("database unavailable\n"))
		return nil
	}
	c.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.W.Write([]byte("ok\n"))
	return nil
}

// Get sends a guardian to their family, staff to their groups, and
// visitors to sign in.
func Get(c *web.Ctx) error {
	switch {
	case c.Actor == nil:
		return c.Redirect("/login")
	case c.Actor.IsStaff():
		return c.Redirect("/groups")
	case c.Actor.IsGuardian():
		return c.Redirect("/family")
	}
	return c.Redirect("/profile")
}

// SetLanguage switches the interface language: for a signed-in person it
// is saved in their profile, for a visitor in a cookie.
func SetLanguage(c *web.Ctx) error {
	lang := c.R.PostFormValue("lang")
	l, ok := i18n.Lookup(lang)
	if !ok {
		return &web.HTTPError{Status: http.StatusBadRequest, Key: "form.unknown_language"}
	}
	if c.Person != nil {
		if _, err := c.Env.DB.W.ExecContext(c.Context(), `UPDATE people SET ui_language = $1 WHERE id = $2`, l.Code, c.Person.ID); err != nil {
			return err
		}
	}
	c.SetCookie(web.LangCookie, l.Code, 365*24*time.Hour)
	return c.Redirect(web.SafeNext(c.R.PostFormValue("next"), "/"))
}
