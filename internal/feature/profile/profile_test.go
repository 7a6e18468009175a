package profile_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

func setup(t *testing.T, d *db.DB) (*webtest.Server, *webtest.World) {
	t.Helper()
	s, w := webtest.NewServer(t, d, app.Handler), webtest.NewWorld(t, d)
	// The fixture's parent reads Tigrinya; these tests read Norwegian.
	if _, err := d.W.Exec(`UPDATE people SET ui_language = 'nb'`); err != nil {
		t.Fatal(err)
	}
	return s, w
}

// form is a complete, valid profile form for Pedro Parent.
func form() url.Values {
	return url.Values{
		"name": {"Pedro Parent"}, "ui_language": {"nb"}, "lang1": {"ti"}, "lang2": {"en"},
		"info_preference": {"text"}, "interpreter_language": {""}, "interpreter_dialect": {""},
		"phone": {""}, "email": {"parent@example.org"},
	}
}

func person(t *testing.T, d *db.DB, id int64) *directory.Person {
	t.Helper()
	p, err := directory.GetPerson(context.Background(), d.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sessionHash is the stored id of a client's session.
func sessionHash(t *testing.T, s *webtest.Server, c *webtest.Client) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			return auth.Hash(ck.Value)
		}
	}
	t.Fatal("client has no session cookie")
	return ""
}

func sessionExists(t *testing.T, d *db.DB, hash string) bool {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = $1`, hash).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestProfilePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		ctx := context.Background()
		if _, err := d.W.ExecContext(ctx, `UPDATE people SET address = 'Hemmeligveien 7', confidential_address = 'fortrolig' WHERE id = $1`, w.Parent); err != nil {
			t.Fatal(err)
		}
		c := s.Login(t, "parent", webtest.Password)
		res := c.Get("/profile")
		if res.Status != http.StatusOK {
			t.Fatalf("GET /profile: %d", res.Status)
		}
		for _, want := range []string{
			`value="Pedro Parent"`,
			`<option value="ti" lang="ti" dir="ltr" selected>ትግርኛ</option>`, // first choice
			`<option value="ar" lang="ar" dir="rtl">العربية</option>`,
			`value="text" checked`,
			"Hemmeligveien 7", "Fortrolig adresse", // their own address, with the tag
			`action="/profile/password"`,
			"Denne enheten",
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("profile page lacks %q", want)
			}
		}
		// The server's address is an IP: no passkeys offered.
		if strings.Contains(res.Body, "passkey.js") {
			t.Error("passkeys offered on a server whose address is an IP")
		}
		// Anonymous visitors are sent to sign in.
		if res := s.Anonymous(t).Get("/profile"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("anonymous GET /profile: %d %s", res.Status, res.Location)
		}
	})
}

func TestSaveInNewLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		c := s.Login(t, "parent", webtest.Password)
		f := form()
		f.Set("ui_language", "ar")
		f.Set("lang1", "fa-af") // any case
		f.Set("lang2", "")
		f.Set("info_preference", "audio")
		f.Set("needs_interpreter", "1")
		f.Set("interpreter_language", "fa-AF")
		f.Set("interpreter_dialect", "Hazaragi")
		f.Set("phone", "912 34 567")
		f.Set("name", "  Pedro   Parent-Páez ")
		res := c.PostForm("/profile", f)
		if res.Status != http.StatusSeeOther || res.Location != "/profile?saved=1" {
			t.Fatalf("save: %d %q\n%s", res.Status, res.Location, res.Text())
		}
		res = c.Get(res.Location)
		if !strings.Contains(res.Body, `<html lang="ar" dir="rtl">`) {
			t.Errorf("next page is not in Arabic, right to left:\n%.300s", res.Body)
		}
		if !strings.Contains(res.Body, `class="notice"`) {
			t.Error("no confirmation after saving")
		}
		p := person(t, d, w.Parent)
		if p.UILanguage != "ar" || strings.Join(p.Languages, " ") != "fa-AF" || p.InfoPreference != "audio" ||
			!p.NeedsInterpreter || p.InterpreterLanguage != "fa-AF" || p.InterpreterDialect != "Hazaragi" ||
			p.Phone != "+4791234567" || p.Name != "Pedro Parent-Páez" {
			t.Errorf("stored %+v", p)
		}
		// Back to Norwegian, and the page follows.
		f = form()
		if res := c.PostForm("/profile", f); res.Status != http.StatusSeeOther {
			t.Fatalf("save: %d", res.Status)
		}
		if res := c.Get("/profile"); !strings.Contains(res.Body, `<html lang="nb" dir="ltr">`) {
			t.Error("language did not change back")
		}
		if p := person(t, d, w.Parent); p.NeedsInterpreter || p.Phone != "" {
			t.Errorf("unchecking and emptying did not store: %+v", p)
		}
	})
}

func TestSaveKeepsLanguagesBeyondSecond(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		if _, err := d.W.Exec(`UPDATE people SET languages = 'ti en ar so' WHERE id = $1`, w.Parent); err != nil {
			t.Fatal(err)
		}
		c := s.Login(t, "parent", webtest.Password)
		if res := c.Get("/profile"); !strings.Contains(res.Text(), "arabisk, somali") {
			t.Error("the other registered languages are not shown")
		}
		f := form()
		f.Set("lang1", "so")
		f.Set("lang2", "ti")
		if res := c.PostForm("/profile", f); res.Status != http.StatusSeeOther {
			t.Fatalf("save: %d", res.Status)
		}
		if got := strings.Join(person(t, d, w.Parent).Languages, " "); got != "so ti ar" {
			t.Errorf("languages = %q, want so ti ar", got)
		}
	})
}

func TestSaveErrorsKeepTypedValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		c := s.Login(t, "parent", webtest.Password)
		before := person(t, d, w.Parent)
		cases := []struct {
			field, value, message string
		}{
			{"phone", "12ab", "Telefonnummeret ser ikke riktig ut."},
			{"email", "parent@", "E-postadressen ser ikke riktig ut."},
			{"ui_language", "xx", "Ukjent språk."},
			{"lang1", "klingon", "Ukjent språk."},
			{"interpreter_language", "sv", "Ukjent språk."},
			{"interpreter_dialect", "Dari\u202eirad", "usynlige tegn som snur skriveretningen"},
			{"interpreter_dialect", strings.Repeat("x", 201), "Teksten er for lang."},
			{"name", "<script>alert(1)</script>", "Tegnene &lt; og &gt; kan ikke brukes her."},
			{"name", "   ", "Fyll ut dette feltet."},
			{"info_preference", "smoke", "Verdien er ikke gyldig."},
		}
		for _, tc := range cases {
			f := form()
			f.Set("name", "Pedro Typed")
			f.Set("interpreter_dialect", "Typed dialect")
			f.Set(tc.field, tc.value)
			res := c.PostForm("/profile", f)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s=%q: status %d, want 400", tc.field, tc.value, res.Status)
				continue
			}
			if !strings.Contains(res.Body, tc.message) {
				t.Errorf("%s=%q: message %q missing", tc.field, tc.value, tc.message)
			}
			if !strings.Contains(res.Body, `aria-invalid="true"`) && tc.field != "info_preference" {
				t.Errorf("%s: field not marked invalid", tc.field)
			}
			if strings.Contains(res.Body, "<script>alert") {
				t.Errorf("%s: typed markup echoed unescaped", tc.field)
			}
			// What was typed in the other fields is still there.
			if tc.field != "name" && !strings.Contains(res.Body, `value="Pedro Typed"`) {
				t.Errorf("%s: typed name lost", tc.field)
			}
			if tc.field == "phone" && !strings.Contains(res.Body, `value="12ab"`) {
				t.Error("typed phone lost")
			}
			if after := person(t, d, w.Parent); after.Name != before.Name || after.Phone != before.Phone ||
				after.UILanguage != before.UILanguage || after.InterpreterDialect != before.InterpreterDialect {
				t.Errorf("%s: the person changed although the form was refused: %+v", tc.field, after)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		c1 := s.Login(t, "parent", webtest.Password)
		c2 := s.Login(t, "parent", webtest.Password)
		h1, h2 := sessionHash(t, s, c1), sessionHash(t, s, c2)
		page := c1.Get("/profile").Body
		forms := regexp.MustCompile(`/profile/sessions/([0-9a-f]{64})/end`).FindAllStringSubmatch(page, -1)
		if len(forms) != 2 {
			t.Fatalf("want 2 sessions listed, got %d", len(forms))
		}
		if strings.Count(page, "Denne enheten") != 1 {
			t.Error("want exactly one session marked as this device")
		}
		// Another person's session: 404, and it lives on.
		mgr := s.Login(t, "manager", webtest.Password)
		hm := sessionHash(t, s, mgr)
		if res := c1.PostForm("/profile/sessions/"+hm+"/end", nil); res.Status != http.StatusNotFound {
			t.Errorf("ending the manager's session: %d, want 404", res.Status)
		}
		if !sessionExists(t, d, hm) || mgr.Get("/groups").Status != http.StatusOK {
			t.Error("the manager's session was ended by a parent")
		}
		// The other session of the parent.
		res := c1.PostForm("/profile/sessions/"+h2+"/end", nil)
		if res.Status != http.StatusSeeOther || res.Location != "/profile?saved=session" {
			t.Fatalf("end other session: %d %s", res.Status, res.Location)
		}
		if res := c2.Get("/family"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("ended session still works: %d %s", res.Status, res.Location)
		}
		if sessionExists(t, d, h2) {
			t.Error("ended session still stored")
		}
		if res := c1.Get("/family"); res.Status != http.StatusOK {
			t.Errorf("own session ended too: %d", res.Status)
		}
		// Ending the current session signs out here.
		res = c1.PostForm("/profile/sessions/"+h1+"/end", nil)
		if res.Status != http.StatusSeeOther || res.Location != "/login" {
			t.Errorf("end current session: %d %s", res.Status, res.Location)
		}
		if res := c1.Get("/family"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("after ending the current session: %d %s", res.Status, res.Location)
		}
	})
}

func TestDeviceNames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		c := s.Anonymous(t)
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader(url.Values{"login": {"parent"}, "password": {webtest.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36")
		if res := c.Do(req); res.Status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.Status)
		}
		other := s.Login(t, "parent", webtest.Password) // Go's own client
		body := other.Get("/profile").Text()
		for _, want := range []string{"Chrome på Android", "Ukjent enhet", "med passord"} {
			if !strings.Contains(body, want) {
				t.Errorf("sessions list lacks %q", want)
			}
		}
	})
}

func TestChangePassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		c1 := s.Login(t, "parent", webtest.Password)
		c2 := s.Login(t, "parent", webtest.Password)
		mgr := s.Login(t, "manager", webtest.Password)
		const newPW = "tre blå hester i snøen"
		change := func(cur, pw, pw2 string) *webtest.Response {
			return c1.PostForm("/profile/password", url.Values{"current_password": {cur}, "new_password": {pw}, "new_password2": {pw2}})
		}
		for _, tc := range []struct{ cur, pw, pw2, message string }{
			{"wrong-password-1", newPW, newPW, "Passordet er feil."},
			{"", newPW, newPW, "Fyll ut dette feltet."},
			{webtest.Password, "kort", "kort", "minst 12 tegn"},
			{webtest.Password, "123456789012", "123456789012", "for vanlig"},
			{webtest.Password, "passwordpassword", "passwordpassword", "for vanlig"},
			{webtest.Password, newPW, newPW + "x", "ikke like"},
			{webtest.Password, webtest.Password, webtest.Password, "et annet enn det du har nå"},
		} {
			res := change(tc.cur, tc.pw, tc.pw2)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, tc.message) {
				t.Errorf("%q/%q: %d, want 400 with %q", tc.cur, tc.pw, res.Status, tc.message)
			}
			if strings.Contains(res.Body, `value="`+tc.pw+`"`) {
				t.Error("a password was echoed into the page")
			}
		}
		if res := c2.Get("/family"); res.Status != http.StatusOK {
			t.Fatalf("a refused change ended sessions: %d", res.Status)
		}
		res := change(webtest.Password, newPW, newPW)
		if res.Status != http.StatusSeeOther || res.Location != "/profile?saved=password" {
			t.Fatalf("change: %d %s\n%s", res.Status, res.Location, res.Text())
		}
		if res := c1.Get(res.Location); res.Status != http.StatusOK || !strings.Contains(res.Body, "Passordet er byttet") {
			t.Errorf("this browser should stay signed in with a notice: %d", res.Status)
		}
		if res := c2.Get("/family"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("other session survived the password change: %d %s", res.Status, res.Location)
		}
		if res := mgr.Get("/groups"); res.Status != http.StatusOK {
			t.Errorf("another person's session ended: %d", res.Status)
		}
		if res := s.Anonymous(t).PostForm("/login", url.Values{"login": {"parent"}, "password": {webtest.Password}}); res.Status == http.StatusSeeOther {
			t.Error("the old password still works")
		}
		s.Login(t, "parent", newPW)
	})
}

func TestPasswordThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		c := s.Login(t, "parent", webtest.Password)
		wrong := url.Values{"current_password": {"not-the-password"}, "new_password": {"tre blå hester i snøen"}, "new_password2": {"tre blå hester i snøen"}}
		for i := 0; i < auth.MaxFailuresPerLogin; i++ {
			if res := c.PostForm("/profile/password", wrong); res.Status != http.StatusBadRequest {
				t.Fatalf("attempt %d: %d", i+1, res.Status)
			}
		}
		right := url.Values{"current_password": {webtest.Password}, "new_password": {"tre blå hester i snøen"}, "new_password2": {"tre blå hester i snøen"}}
		if res := c.PostForm("/profile/password", right); res.Status != http.StatusTooManyRequests {
			t.Errorf("after %d wrong guesses: %d, want 429", auth.MaxFailuresPerLogin, res.Status)
		}
		// The sign-in form is throttled for this login too.
		if res := s.Anonymous(t).PostForm("/login", url.Values{"login": {"parent"}, "password": {webtest.Password}}); res.Status != http.StatusTooManyRequests {
			t.Errorf("sign-in after guesses: %d, want 429", res.Status)
		}
	})
}
