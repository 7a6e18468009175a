package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/i18n"
	"tillit/internal/policy"
)

// Cookie names.
const (
	SessionCookie = "tillit_session"
	LangCookie    = "tillit_lang"
)

// DefaultMaxBody bounds a request body; routes that take files say more.
const DefaultMaxBody = 64 << 10

var startTime = time.Now()

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Wrap turns a handler into an http.Handler that first establishes who is
// asking and in which language, then asks perm, and answers 404 when the
// answer is no — exactly as for an object that does not exist.
func Wrap(env *Env, perm policy.Permission, maxBody int64, h Handler) http.Handler {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		c := &Ctx{W: sw, R: r, Env: env, Started: time.Now()}
		defer func() {
			if v := recover(); v != nil {
				env.Log.Error("panic", "route", r.Pattern, "panic", v)
				if sw.status == 0 {
					c.renderError(errors.New("panic"))
				}
			}
			env.Log.Info("request", append(logAttrs(r, sw.status), "ms", time.Since(c.Started).Milliseconds())...)
		}()
		securityHeaders(w.Header())
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := c.identify(); err != nil {
			c.L = i18n.New(i18n.Source)
			c.renderError(err)
			return
		}
		ok, err := perm.Allowed(r.Context(), env.DB.R, c.Actor, r.PathValue)
		if err != nil {
			c.renderError(err)
			return
		}
		if !ok {
			if c.Actor == nil && perm.SignedIn && !IsAPI(r) && r.Method == http.MethodGet {
				c.Redirect("/login?next=" + url.QueryEscape(r.URL.RequestURI()))
				return
			}
			if c.Actor == nil && perm.SignedIn && IsAPI(r) {
				c.JSON(http.StatusUnauthorized, map[string]string{"error": "error.signed_out", "message": c.T("error.signed_out")})
				return
			}
			c.renderError(ErrNotFound)
			return
		}
		if err := c.checkForm(); err != nil {
			c.renderError(err)
			return
		}
		if err := h(c); err != nil {
			c.renderError(err)
		}
	})
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(), geolocation=(), microphone=(self)")
}

// identify loads the session, the person and their rights, and picks the
// language: the person's choice, else the language cookie, else the
// browser's Accept-Language.
func (c *Ctx) identify() error {
	if ck, err := c.R.Cookie(SessionCookie); err == nil {
		s, err := auth.LookupSession(c.Context(), c.Env.DB, ck.Value)
		switch {
		case err == nil:
			a, err := policy.Load(c.Context(), c.Env.DB.R, s.PersonID)
			if err != nil && !errors.Is(err, db.ErrNotFound) {
				return err
			}
			if a != nil {
				p := &Person{ID: s.PersonID, Name: a.Name}
				if err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT ui_language FROM people WHERE id = $1`, s.PersonID).Scan(&p.UILanguage); err != nil {
					return err
				}
				c.Actor, c.Person, c.SessionToken = a, p, ck.Value
			}
		case errors.Is(err, db.ErrNotFound):
			c.ClearCookie(SessionCookie)
		default:
			return err
		}
	}
	switch {
	case c.Person != nil && i18n.Valid(c.Person.UILanguage):
		c.L = i18n.New(c.Person.UILanguage)
	default:
		if ck, err := c.R.Cookie(LangCookie); err == nil && i18n.Valid(ck.Value) {
			c.L = i18n.New(ck.Value)
		} else {
			c.L = i18n.New(i18n.FromAcceptLanguage(c.R.Header.Get("Accept-Language")))
		}
	}
	return nil
}

// checkForm parses a submitted form and refuses invalid UTF-8 anywhere in
// it (names, values, files' names), and bodies over the route's limit.
func (c *Ctx) checkForm() error {
	r := c.R
	if r.Method != http.MethodPost || IsAPI(r) {
		return nil
	}
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrTooLarge
		}
		return ErrBadRequest
	}
	for k, vs := range r.PostForm {
		if !utf8.ValidString(k) {
			return ErrInvalidUTF8
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return ErrInvalidUTF8
			}
		}
	}
	return nil
}

// SetCookie sets an HttpOnly, SameSite=Lax cookie for the whole site.
func (c *Ctx) SetCookie(name, value string, maxAge time.Duration) {
	http.SetCookie(c.W, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: c.Env.Secure, SameSite: http.SameSiteLaxMode})
}

// ClearCookie removes a cookie.
func (c *Ctx) ClearCookie(name string) {
	http.SetCookie(c.W, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.Env.Secure, SameSite: http.SameSiteLaxMode})
}

// SafeNext returns next if it is a local path, else fallback: the
// sign-in form's "next" never sends anyone to another site.
func SafeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return fallback
	}
	return next
}
