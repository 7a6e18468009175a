package signin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

func sessionCookie(t *testing.T, s *webtest.Server, c *webtest.Client) string {
	u, _ := url.Parse(s.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

func TestSignInAndOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		c := s.Anonymous(t)
		// A session cookie set before sign-in (fixation attempt) is not kept.
		u, _ := url.Parse(s.URL)
		c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: "attacker-chosen", Path: "/"}})
		res := c.PostForm("/login", url.Values{"login": {"  PARENT "}, "password": {webtest.Password}, "next": {"/family"}})
		if res.Status != http.StatusSeeOther || res.Location != "/family" {
			t.Fatalf("sign in: %d %s", res.Status, res.Location)
		}
		tok := sessionCookie(t, s, c)
		if tok == "" || tok == "attacker-chosen" {
			t.Fatalf("session cookie %q", tok)
		}
		var stored int
		d.R.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = $1`, tok).Scan(&stored)
		if stored != 0 {
			t.Fatal("the raw session token is stored in the database")
		}
		ck := res.Header.Values("Set-Cookie")
		if !strings.Contains(strings.Join(ck, ";"), "HttpOnly") || !strings.Contains(strings.Join(ck, ";"), "SameSite=Lax") {
			t.Errorf("cookie flags: %v", ck)
		}
		if got := c.Get("/api/v1/me"); got.Status != 200 || !strings.Contains(got.Body, `"login":"parent"`) {
			t.Fatalf("me: %d %s", got.Status, got.Body)
		}
		// Sign out ends the session on the server: the old cookie is dead.
		if res := c.PostForm("/logout", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", res.Status)
		}
		replay := s.Anonymous(t)
		replay.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
		if got := replay.Get("/api/v1/me"); got.Status != http.StatusUnauthorized {
			t.Fatalf("session survived logout: %d", got.Status)
		}
	})
}

func TestWrongPasswordAndThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		c := s.Anonymous(t)
		res := c.PostForm("/login", url.Values{"login": {"parent"}, "password": {"wrong-password-123"}})
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, `value="parent"`) {
			t.Fatalf("wrong password: %d (login kept: %v)", res.Status, strings.Contains(res.Body, `value="parent"`))
		}
		unknown := c.PostForm("/login", url.Values{"login": {"nobody"}, "password": {"wrong-password-123"}})
		if unknown.Status != res.Status || !strings.Contains(unknown.Body, "passordet er feil") {
			t.Fatalf("unknown login answered differently: %d", unknown.Status)
		}
		for i := 0; i < auth.MaxFailuresPerLogin; i++ {
			c.PostForm("/login", url.Values{"login": {"parent"}, "password": {"wrong-password-123"}})
		}
		// Now even the right password is refused for this login.
		res = c.PostForm("/login", url.Values{"login": {"parent"}, "password": {webtest.Password}})
		if res.Status != http.StatusTooManyRequests {
			t.Fatalf("throttle: %d", res.Status)
		}
		// Another login from the same address still works (per-account limit).
		if res := s.Anonymous(t).PostForm("/login", url.Values{"login": {"leader"}, "password": {webtest.Password}}); res.Status != http.StatusSeeOther {
			t.Fatalf("other account: %d", res.Status)
		}
	})
}

func TestAPILogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		c := s.Anonymous(t)
		res := c.Post("/api/v1/login", "application/json", strings.NewReader(`{"login":"leader","password":"`+webtest.Password+`"}`))
		if res.Status != 200 {
			t.Fatalf("api login: %d %s", res.Status, res.Body)
		}
		var me struct {
			ID        int64
			Languages []string
			Roles     []struct {
				Role           string
				KindergartenID int64 `json:"kindergarten_id"`
			}
		}
		if err := json.Unmarshal([]byte(res.Body), &me); err != nil {
			t.Fatal(err)
		}
		if me.ID != w.Leader || len(me.Roles) != 1 || me.Roles[0].Role != "pedagogical_leader" || me.Roles[0].KindergartenID != w.Kg || strings.Join(me.Languages, " ") != "nb ar" {
			t.Fatalf("me: %+v", me)
		}
		if res := c.Post("/api/v1/logout", "application/json", nil); res.Status != 200 {
			t.Fatalf("api logout: %d", res.Status)
		}
		if res := c.Get("/api/v1/me"); res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, "error.signed_out") {
			t.Fatalf("me after logout: %d %s", res.Status, res.Body)
		}
		for _, body := range []string{`{"login":"leader","password":"nope-nope-nope"}`, `{"login":`, `not json`, `{"login":"leader"}`} {
			if res := c.Post("/api/v1/login", "application/json", strings.NewReader(body)); res.Status == 200 || res.Status >= 500 {
				t.Errorf("%s: %d", body, res.Status)
			}
		}
		big := `{"login":"` + strings.Repeat("a", 100<<10) + `","password":"x"}`
		if res := c.Post("/api/v1/login", "application/json", strings.NewReader(big)); res.Status != http.StatusRequestEntityTooLarge && res.Status != http.StatusBadRequest {
			t.Errorf("oversized body: %d", res.Status)
		}
	})
}

func TestCrossSitePostRefused(t *testing.T) {
	d := dbtest.SQLite(t)
	webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader("login=parent&password="+webtest.Password))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", res.StatusCode)
	}
}

func TestSessionTimeouts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		c := s.Login(t, "leader", webtest.Password)
		tok := sessionCookie(t, s, c)
		// Idle past the staff idle timeout.
		past := time.Now().Add(-auth.StaffIdle - time.Minute).Unix()
		d.W.Exec(`UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, past, auth.Hash(tok))
		if res := c.Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
			t.Fatalf("idle session still valid: %d", res.Status)
		}
		// Past the absolute timeout, however active.
		c = s.Login(t, "parent", webtest.Password)
		tok = sessionCookie(t, s, c)
		d.W.Exec(`UPDATE sessions SET expires_at = $1 WHERE id_hash = $2`, time.Now().Unix()-1, auth.Hash(tok))
		if res := c.Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
			t.Fatalf("expired session still valid: %d", res.Status)
		}
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM sessions WHERE person_id = $1`, w.Parent).Scan(&n)
		if n != 0 {
			t.Fatalf("expired session row kept")
		}
	})
}

func TestNextCannotLeaveTheSite(t *testing.T) {
	d := dbtest.SQLite(t)
	webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res := s.Anonymous(t).PostForm("/login", url.Values{"login": {"parent"}, "password": {webtest.Password}, "next": {next}})
		if res.Location != "/" {
			t.Errorf("next=%q redirected to %q", next, res.Location)
		}
	}
}

func TestInvitationByCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		c := s.Anonymous(t)
		code := strings.ToLower(strings.ReplaceAll(w.PendingInvitation.Code, "-", " "))
		res := c.PostForm("/invite", url.Values{"code": {code}})
		if res.Status != 200 || !strings.Contains(res.Body, "Petra Pending") {
			t.Fatalf("code: %d", res.Status)
		}
		action := "/invite/" + w.PendingInvitation.Code
		// Weak, mismatched and bidi input is refused; what was typed stays.
		for _, bad := range []url.Values{
			{"login": {"petra"}, "password": {"short"}, "password2": {"short"}},
			{"login": {"petra"}, "password": {"password1234"}, "password2": {"password1234"}},
			{"login": {"petra"}, "password": {"a good long passphrase"}, "password2": {"another long passphrase"}},
			{"login": {"pe\u202etra"}, "password": {"a good long passphrase"}, "password2": {"a good long passphrase"}},
			{"login": {"parent"}, "password": {"a good long passphrase"}, "password2": {"a good long passphrase"}},
		} {
			res := c.PostForm(action, bad)
			if res.Status < 400 || res.Status >= 500 || !strings.Contains(res.Body, "aria-invalid") {
				t.Errorf("%v: %d", bad, res.Status)
			}
		}
		var hasLogin int
		d.R.QueryRow(`SELECT COUNT(*) FROM people WHERE id = $1 AND login IS NOT NULL`, w.Pending).Scan(&hasLogin)
		if hasLogin != 0 {
			t.Fatal("a refused attempt set a login")
		}
		res = c.PostForm(action, url.Values{"login": {"Petra"}, "password": {"a good long passphrase"}, "password2": {"a good long passphrase"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", res.Status, res.Body)
		}
		if got := c.Get("/api/v1/me"); !strings.Contains(got.Body, `"login":"petra"`) {
			t.Fatalf("not signed in after accepting: %s", got.Body)
		}
		// The same invitation cannot be used twice, by link or by code.
		if res := s.Anonymous(t).Get("/invite/" + w.PendingInvitation.Token); res.Status != http.StatusNotFound {
			t.Errorf("used link: %d", res.Status)
		}
		if res := s.Anonymous(t).PostForm("/invite", url.Values{"code": {w.PendingInvitation.Code}}); res.Status != http.StatusBadRequest {
			t.Errorf("used code: %d", res.Status)
		}
		// And the new account signs in with its password.
		s.Login(t, "petra", "a good long passphrase")
	})
}

func TestExpiredInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		d.W.Exec(`UPDATE invitations SET expires_at = $1`, time.Now().Add(-time.Hour).Unix())
		res := s.Anonymous(t).Get("/invite/" + w.PendingInvitation.Token)
		if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "utløpt") {
			t.Fatalf("expired: %d", res.Status)
		}
		res = s.Anonymous(t).PostForm("/invite/"+w.PendingInvitation.Token, url.Values{"login": {"petra"}, "password": {"a good long passphrase"}, "password2": {"a good long passphrase"}})
		if res.Status != http.StatusGone {
			t.Fatalf("accept expired: %d", res.Status)
		}
	})
}

func TestCodeGuessingThrottled(t *testing.T) {
	d := dbtest.SQLite(t)
	webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	c := s.Anonymous(t)
	var last int
	for i := 0; i < auth.MaxFailuresPerAddr+1; i++ {
		last = c.PostForm("/invite", url.Values{"code": {"AAA-AAA-AAA"}}).Status
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong codes: %d", auth.MaxFailuresPerAddr+1, last)
	}
}

func TestMalformedRequests(t *testing.T) {
	d := dbtest.SQLite(t)
	webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	c := s.Anonymous(t)
	res := c.Post("/login", "application/x-www-form-urlencoded", strings.NewReader("login=%ff%fe&password=x"))
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "ugyldige tegn") {
		t.Errorf("invalid UTF-8: %d", res.Status)
	}
	res = c.Post("/login", "application/x-www-form-urlencoded", strings.NewReader("login="+strings.Repeat("a", 200<<10)))
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", res.Status)
	}
	res = c.PostForm("/language", url.Values{"lang": {"xx"}})
	if res.Status != http.StatusBadRequest {
		t.Errorf("unknown language: %d", res.Status)
	}
}

// An invitation for a person who already has an account cannot be used to
// take that account over.
func TestInvitationCannotTakeOverAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		inv, err := auth.CreateInvitation(context.Background(), d.W, w.Parent, w.Kg, w.Manager)
		if err != nil {
			t.Fatal(err)
		}
		res := s.Anonymous(t).PostForm("/invite/"+inv.Token, url.Values{"login": {"thief"}, "password": {"a good long passphrase"}, "password2": {"a good long passphrase"}})
		if res.Status != http.StatusGone {
			t.Fatalf("takeover attempt: %d", res.Status)
		}
		s.Login(t, "parent", webtest.Password)
	})
}
