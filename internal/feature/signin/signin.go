// Package signin lets people in: the sign-in form, accepting an
// invitation (by link or by the short code staff hand out on paper), the
// JSON API's login, me and logout, and signing out.
package signin

import (
	"embed"
	"net/http"
	"strings"
	"unicode/utf8"

	"tillit/internal/auth"
	"tillit/internal/feature/passkey"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// Form shows the sign-in form.
func Form(c *web.Ctx) error {
	if c.Person != nil {
		return c.Redirect(web.SafeNext(c.R.URL.Query().Get("next"), "/"))
	}
	loginPage(c, http.StatusOK, nil, map[string]string{"next": c.R.URL.Query().Get("next")})
	return nil
}

// loginPage renders the sign-in form; the passkey button is offered only
// where this server can do passkeys (see passkey.Available).
func loginPage(c *web.Ctx, status int, errs, form map[string]string) {
	c.Render(status, pages, "login", &web.Page{Title: c.T("signin.title"), Errors: errs, Form: form, Data: passkey.Available(c.Env)})
}

// attempt checks a login and password under the throttle. It returns the
// person id, or an error key for the form.
func attempt(c *web.Ctx, login, password string) (int64, string, error) {
	ctx := c.Context()
	d := c.Env.DB
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		return 0, "signin.missing", nil
	}
	if len(login) > 200 || !utf8.ValidString(login) {
		return 0, "signin.failed", nil
	}
	lk, ak := auth.LoginKey(login), auth.AddrKey(c.R.RemoteAddr)
	if blocked, err := auth.Throttled(ctx, d, lk, ak); err != nil || blocked {
		return 0, "error.too_many_tries", err
	}
	id, ok, err := auth.VerifyLogin(ctx, d, login, password)
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return 0, "signin.failed", auth.RecordFailure(ctx, d, lk, ak)
	}
	return id, "", auth.ClearFailures(ctx, d, lk)
}

// Submit checks the form and signs in.
func Submit(c *web.Ctx) error {
	login, password := c.R.PostFormValue("login"), c.R.PostFormValue("password")
	next := c.R.PostFormValue("next")
	id, problem, err := attempt(c, login, password)
	if err != nil {
		return err
	}
	if problem != "" {
		status := http.StatusUnauthorized
		if problem == "error.too_many_tries" {
			status = http.StatusTooManyRequests
		}
		loginPage(c, status, map[string]string{"login": problem}, map[string]string{"login": login, "next": next})
		return nil
	}
	if err := c.StartSession(id, "password"); err != nil {
		return err
	}
	return c.Redirect(web.SafeNext(next, "/"))
}

// Logout ends the session on the server and clears the cookie.
func Logout(c *web.Ctx) error {
	if err := auth.EndSession(c.Context(), c.Env.DB, c.SessionToken); err != nil {
		return err
	}
	c.ClearCookie(web.SessionCookie)
	return c.Redirect("/login")
}
