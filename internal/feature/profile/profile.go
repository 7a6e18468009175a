// Package profile is everyone's own page: their name, languages, how they
// like to get information, interpreter, phone and e-mail; their address
// (read-only: the kindergarten's manager keeps it); changing the password;
// the browsers they are signed in on; and their passkeys (package passkey
// does the passkey ceremonies, this page lists them).
package profile

import (
	"database/sql"
	"embed"
	"net/http"
	"slices"
	"strings"
	"time"

	"tillit/internal/auth"
	"tillit/internal/directory"
	"tillit/internal/feature/passkey"
	"tillit/internal/feature/push"
	"tillit/internal/i18n"
	"tillit/internal/importcsv"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// Preferences are the ways to get information, in the form's order.
var Preferences = []string{"text", "audio", "pictures"}

// notices maps ?saved= values to the confirmation shown.
var notices = map[string]string{
	"1":               "form.saved",
	"password":        "profile.password_changed",
	"session":         "profile.session_ended",
	"passkey_added":   "passkey.added",
	"passkey_deleted": "passkey.deleted",
}

type sessionRow struct {
	IDHash     string
	Started    time.Time
	LastActive time.Time
	Device     string
	Method     string // i18n key
	Current    bool
}

type pageData struct {
	Person    *directory.Person
	Languages []i18n.Language
	// Others are preferred languages after the second (from the
	// kindergarten's import); they are kept when the form is saved.
	Others      []string
	Preferences []string
	Sessions    []sessionRow
	Passkeys    []passkey.Passkey
	// PasskeysOn: this server can offer passkeys.
	PasskeysOn bool
	// PushKey is the Web Push key ("" when push is off); Prefs are the
	// person's notification channels and quiet hours.
	PushKey string
	Prefs   push.Preferences
}

// formOf is the profile form filled with what is stored.
func formOf(p *directory.Person) map[string]string {
	f := map[string]string{
		"name": p.Name, "ui_language": p.UILanguage, "info_preference": p.InfoPreference,
		"interpreter_language": p.InterpreterLanguage, "interpreter_dialect": p.InterpreterDialect,
		"phone": p.Phone, "email": p.Email,
	}
	if len(p.Languages) > 0 {
		f["lang1"] = p.Languages[0]
	}
	if len(p.Languages) > 1 {
		f["lang2"] = p.Languages[1]
	}
	if p.NeedsInterpreter {
		f["needs_interpreter"] = "1"
	}
	return f
}

// render shows the profile page. form holds submitted values that replace
// the stored ones (after an error), errs the problems.
func render(c *web.Ctx, status int, form, errs map[string]string) error {
	ctx := c.Context()
	p, err := directory.GetPerson(ctx, c.Env.DB.R, c.Actor.PersonID)
	if err != nil {
		return err
	}
	d := pageData{Person: p, Languages: i18n.Languages, Preferences: Preferences, PasskeysOn: passkey.Available(c.Env), PushKey: push.ApplicationKey(c.Env)}
	if d.Prefs, err = push.LoadPreferences(ctx, c.Env.DB.R, c.Actor.PersonID); err != nil {
		return err
	}
	if form == nil {
		form = formOf(p)
	}
	if _, typed := form["quiet_from"]; !typed && d.Prefs.QuietFrom != d.Prefs.QuietTo {
		form["quiet_from"], form["quiet_to"] = push.Clock(d.Prefs.QuietFrom), push.Clock(d.Prefs.QuietTo)
	}
	if len(p.Languages) > 2 {
		d.Others = p.Languages[2:]
	}
	ss, err := auth.ListSessions(ctx, c.Env.DB, c.Actor.PersonID)
	if err != nil {
		return err
	}
	current := auth.Hash(c.SessionToken)
	for _, s := range ss {
		d.Sessions = append(d.Sessions, sessionRow{IDHash: s.IDHash, Started: s.CreatedAt, LastActive: s.LastSeenAt,
			Device: passkey.Device(c, s.UserAgent), Method: methodKey(s.Method), Current: s.IDHash == current})
	}
	if d.Passkeys, err = passkey.List(ctx, c.Env.DB, c.Actor.PersonID); err != nil {
		return err
	}
	f := formOf(p)
	for k, v := range form {
		f[k] = v
	}
	page := &web.Page{Title: c.T("profile.title"), Data: d, Form: f, Errors: errs}
	if status == http.StatusOK {
		page.Notice = notices[c.R.URL.Query().Get("saved")]
	}
	c.Render(status, pages, "profile", page)
	return nil
}

func methodKey(m string) string {
	switch m {
	case "password", "passkey", "api":
		return "profile.method." + m
	}
	return ""
}

// Get shows the person's own profile.
func Get(c *web.Ctx) error { return render(c, http.StatusOK, nil, nil) }

// codeKey turns an importcsv validation code into a form message key.
func codeKey(code string) string {
	if code == importcsv.CodeInvalidUTF8 {
		return "error.invalid_utf8"
	}
	return "form." + code
}

// language checks a language code from a select: "" is allowed when
// optional; anything else must be a launch language.
func language(v string, optional bool) (string, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		if optional {
			return "", ""
		}
		return "", "form.required"
	}
	l, ok := i18n.Lookup(v)
	if !ok {
		return "", "form.unknown_language"
	}
	return l.Code, ""
}

// Save checks and stores the profile form. Nothing is stored unless every
// field is right; on an error the page comes back with what was typed.
func Save(c *web.Ctx) error {
	r := c.R
	fields := []string{"name", "ui_language", "lang1", "lang2", "info_preference", "needs_interpreter",
		"interpreter_language", "interpreter_dialect", "phone", "email"}
	form := map[string]string{}
	for _, k := range fields {
		form[k] = r.PostFormValue(k)
	}
	errs := map[string]string{}
	check := func(field string) func(v, code string) string {
		return func(v, code string) string {
			if code != "" {
				errs[field] = codeKey(code)
			}
			return v
		}
	}
	name := check("name")(importcsv.ValidateName(form["name"]))
	phone := check("phone")(importcsv.NormalizePhone(form["phone"]))
	email := check("email")(importcsv.ValidateEmail(form["email"]))
	dialect := check("interpreter_dialect")(importcsv.ValidateText(form["interpreter_dialect"]))
	lang := func(field string, optional bool) string {
		v, key := language(form[field], optional)
		if key != "" {
			errs[field] = key
		}
		return v
	}
	ui := lang("ui_language", false)
	l1 := lang("lang1", true)
	l2 := lang("lang2", true)
	interp := lang("interpreter_language", true)
	pref := form["info_preference"]
	if !slices.Contains(Preferences, pref) {
		errs["info_preference"] = "form.invalid"
	}
	needs := form["needs_interpreter"] != ""
	prefs, perrs := push.ParsePreferences(r.PostFormValue)
	for k, v := range perrs {
		errs[k] = v
	}
	form["quiet_from"], form["quiet_to"] = r.PostFormValue("quiet_from"), r.PostFormValue("quiet_to")
	if len(errs) > 0 {
		return render(c, http.StatusBadRequest, form, errs)
	}

	ctx := c.Context()
	var langs []string
	for _, l := range []string{l1, l2} {
		if l != "" && !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	// Languages after the second choice came from the kindergarten; the
	// form does not show them as choices, so they are kept.
	var stored string
	if err := c.Env.DB.R.QueryRowContext(ctx, `SELECT languages FROM people WHERE id = $1`, c.Actor.PersonID).Scan(&stored); err != nil {
		return err
	}
	if old := strings.Fields(stored); len(old) > 2 {
		for _, l := range old[2:] {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	_, err := c.Env.DB.W.ExecContext(ctx, `UPDATE people SET name = $1, ui_language = $2, languages = $3, info_preference = $4,
		needs_interpreter = $5, interpreter_language = $6, interpreter_dialect = $7, phone = $8, email = $9 WHERE id = $10`,
		name, ui, strings.Join(langs, " "), pref, needs, interp, dialect, phone, email, c.Actor.PersonID)
	if err != nil {
		return err
	}
	if err := push.SavePreferences(ctx, c.Env.DB.W, c.Actor.PersonID, prefs); err != nil {
		return err
	}
	// The chosen language now rules; a visitor's language cookie is not
	// needed any more.
	c.ClearCookie(web.LangCookie)
	return c.Redirect("/profile?saved=1")
}

// Password changes the password: the current one must be right (wrong
// guesses count against the sign-in throttle of the person's login), the
// new one must follow the rules, and every other session of the person
// ends, so a browser someone else may have is signed out.
func Password(c *web.Ctx) error {
	ctx := c.Context()
	d := c.Env.DB
	cur, pw, pw2 := c.R.PostFormValue("current_password"), c.R.PostFormValue("new_password"), c.R.PostFormValue("new_password2")
	var login sql.NullString
	var hash string
	if err := d.R.QueryRowContext(ctx, `SELECT login, password_hash FROM people WHERE id = $1`, c.Actor.PersonID).Scan(&login, &hash); err != nil {
		return err
	}
	lk := auth.LoginKey(login.String)
	if blocked, err := auth.Throttled(ctx, d, lk); err != nil {
		return err
	} else if blocked {
		return render(c, http.StatusTooManyRequests, nil, map[string]string{"current_password": "error.too_many_tries"})
	}
	errs := map[string]string{}
	switch {
	case cur == "":
		errs["current_password"] = "form.required"
	case !auth.VerifyPassword(hash, cur):
		if err := auth.RecordFailure(ctx, d, lk); err != nil {
			return err
		}
		errs["current_password"] = "profile.password_wrong"
	}
	if err := auth.CheckPasswordRules(pw); err != nil {
		errs["new_password"] = "invite." + err.Error()
	} else if pw != pw2 {
		errs["new_password2"] = "invite.password_mismatch"
	} else if pw == cur {
		errs["new_password"] = "profile.password_same"
	}
	if len(errs) > 0 {
		return render(c, http.StatusBadRequest, nil, errs)
	}
	newHash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE people SET password_hash = $1 WHERE id = $2`, newHash, c.Actor.PersonID); err != nil {
			return err
		}
		return auth.EndAllSessions(ctx, tx, c.Actor.PersonID, auth.Hash(c.SessionToken))
	})
	if err != nil {
		return err
	}
	if err := auth.ClearFailures(ctx, d, lk); err != nil {
		return err
	}
	return c.Redirect("/profile?saved=password")
}

// EndSession signs one of the person's browsers out (the route has checked
// that the session is theirs). Ending the current one signs out here.
func EndSession(c *web.Ctx) error {
	id := c.R.PathValue("id")
	ok, err := auth.EndPersonSession(c.Context(), c.Env.DB, c.Actor.PersonID, id)
	if err != nil {
		return err
	}
	if !ok {
		return web.ErrNotFound
	}
	if id == auth.Hash(c.SessionToken) {
		c.ClearCookie(web.SessionCookie)
		return c.Redirect("/login")
	}
	return c.Redirect("/profile?saved=session")
}
