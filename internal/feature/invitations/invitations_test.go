package invitations_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/webtest"
)

const newPassword = "three little kittens 42"

var nb = i18n.New("nb")

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// counts are the rows an add-guardian post may create.
func counts(t *testing.T, d *db.DB) [3]int {
	t.Helper()
	return [3]int{count(t, d, "people"), count(t, d, "guardianships"), count(t, d, "invitations")}
}

var (
	codeRE   = regexp.MustCompile(`<p class="code">([A-Z0-9-]+)</p>`)
	statusRE = regexp.MustCompile(`href="/invitations/(\d+)"`)
)

// presented checks an invitation page and returns its code and id.
func presented(t *testing.T, res *webtest.Response) (code string, id int64) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", res.Status, res.Body)
	}
	m := codeRE.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no code on the page:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.Contains(res.Body, `role="img"`) || !strings.Contains(res.Body, `<path fill="#000" d="M`) {
		t.Fatalf("no SVG QR code on the page:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, "/invite/") {
		t.Fatal("no invitation link on the page")
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	s := statusRE.FindStringSubmatch(res.Body)
	if s == nil {
		t.Fatal("no status link on the page")
	}
	id, _ = strconv.ParseInt(s[1], 10, 64)
	return m[1], id
}

func guardianForm(name, email string, langs ...string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "phone": {"412 34 567"}, "languages": langs,
		"parental_responsibility": {"1"}, "lives_with": {"1"}}
}

func path(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func TestAddGuardianInviteAccept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := s.Login(t, "leader", webtest.Password)
		before := counts(t, d)
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Sara  Nyland", "Sara@Example.ORG", "en", "ti", "en"))
		code, invID := presented(t, res)
		if !strings.Contains(res.Body, "Sara Nyland") {
			t.Fatal("the page does not say whom the invitation is for")
		}
		// The leader reads Norwegian; the guardian's guide is in English.
		if !strings.Contains(res.Body, `<section class="guide" lang="en" dir="ltr">`) || !strings.Contains(res.Body, `<section class="guide" lang="nb" dir="ltr">`) {
			t.Fatalf("want guides in en and nb:\n%s", res.Body)
		}
		if got := counts(t, d); got != [3]int{before[0] + 1, before[1] + 1, before[2] + 1} {
			t.Fatalf("rows %v → %v", before, got)
		}
		var pid int64
		var email, phone, ui, langs string
		var pr, lives, noInfo bool
		if err := d.R.QueryRow(`SELECT p.id, p.email, p.phone, p.ui_language, p.languages, g.parental_responsibility, g.lives_with, g.no_information
			FROM people p JOIN guardianships g ON g.person_id = p.id WHERE g.child_id = $1 AND p.name = $2`, w.ChildA1, "Sara Nyland").
			Scan(&pid, &email, &phone, &ui, &langs, &pr, &lives, &noInfo); err != nil {
			t.Fatal(err)
		}
		if email != "Sara@example.org" || phone != "+4741234567" || ui != "en" || langs != "en ti" || !pr || !lives || noInfo {
			t.Fatalf("stored %q %q %q %q %v %v %v", email, phone, ui, langs, pr, lives, noInfo)
		}
		// The secret is not stored.
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM invitations WHERE code_hash = $1 OR token_hash = $1`, code).Scan(&n)
		if n != 0 {
			t.Fatal("the code is stored in clear")
		}

		// The parent types the code at /invite, then chooses a login.
		parent := s.Anonymous(t)
		res = parent.PostForm("/invite", url.Values{"code": {strings.ToLower(strings.ReplaceAll(code, "-", " "))}})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Sara Nyland") {
			t.Fatalf("code at /invite: %d\n%s", res.Status, res.Body)
		}
		res = parent.PostForm("/invite/"+auth.NormalizeCode(code), url.Values{"login": {"sara"}, "password": {newPassword}, "password2": {newPassword}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("accept: %d\n%s", res.Status, res.Body)
		}
		if r := parent.Get("/profile"); r.Status == http.StatusSeeOther {
			t.Fatal("not signed in after accepting")
		}
		if id, ok, _ := auth.VerifyLogin(context.Background(), d, "sara", newPassword); !ok || id != pid {
			t.Fatal("the new login does not work")
		}
		// Accepting twice fails.
		again := s.Anonymous(t)
		res = again.PostForm("/invite/"+auth.NormalizeCode(code), url.Values{"login": {"sara2"}, "password": {newPassword}, "password2": {newPassword}})
		if res.Status == http.StatusSeeOther || res.Status == http.StatusOK {
			t.Fatalf("second accept: %d", res.Status)
		}
		res = again.PostForm("/invite", url.Values{"code": {code}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("invite.accepted")) {
			t.Fatalf("used code at /invite: %d\n%s", res.Status, res.Body)
		}

		// The status page says accepted and offers no new code.
		res = leader.Get(path("/invitations/%d", invID))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, nb.T("invitations.state.accepted")) || strings.Contains(res.Body, "/renew") {
			t.Fatalf("status after accepting: %d\n%s", res.Status, res.Body)
		}
		if strings.Contains(res.Body, code) {
			t.Fatal("status page shows the code")
		}
		res = leader.PostForm(path("/invitations/%d/renew", invID), nil)
		if res.Status != http.StatusConflict || codeRE.MatchString(res.Body) {
			t.Fatalf("renew accepted: %d", res.Status)
		}
	})
}

func TestAddGuardianAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		before := counts(t, d)
		for _, login := range []string{"assistant", "parent", "otherparent", "othermanager"} {
			c := s.Login(t, login, webtest.Password)
			res := c.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Eve Intruder", "eve@example.org", "nb"))
			if res.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", login, res.Status)
			}
		}
		// The other kindergarten's child, by our manager.
		res := s.Login(t, "manager", webtest.Password).PostForm(path("/children/%d/guardians", w.OtherChild), guardianForm("Eve Intruder", "eve@example.org", "nb"))
		if res.Status != http.StatusNotFound {
			t.Errorf("manager on other child: %d", res.Status)
		}
		if got := counts(t, d); got != before {
			t.Fatalf("rows changed %v → %v", before, got)
		}
		// The manager may add to any child of the kindergarten.
		res = s.Login(t, "manager", webtest.Password).PostForm(path("/children/%d/guardians", w.ChildB1), guardianForm("Mia Mor", "", "ar"))
		presented(t, res)
	})
}

func TestAddGuardianDuplicate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := s.Login(t, "leader", webtest.Password)
		before := counts(t, d)
		// parent@example.org is Pedro Parent, already linked to A1.
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("Pedro P.", "PARENT@example.org", "ti"))
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, nb.T("invitations.add.duplicate_email")) {
			t.Fatalf("duplicate e-mail: %d\n%s", res.Status, res.Body)
		}
		if !strings.Contains(res.Body, `value="PARENT@example.org"`) || !strings.Contains(res.Body, `value="ti" selected`) {
			t.Fatal("typed values lost")
		}
		// Reloading the invitation page re-posts the form: the same name
		// (any case) is refused too.
		res = leader.PostForm(path("/children/%d/guardians", w.ChildA1), guardianForm("cora  COPARENT", "", "ar"))
		if res.Status != http.StatusConflict {
			t.Fatalf("duplicate name: %d", res.Status)
		}
		if got := counts(t, d); got != before {
			t.Fatalf("rows changed %v → %v", before, got)
		}
		// The same e-mail on another child is not a duplicate of this one.
		res = leader.PostForm(path("/children/%d/guardians", w.ChildA2), guardianForm("Pedro Parent", "parent@example.org", "ti"))
		presented(t, res)
	})
}

func TestAddGuardianBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := s.Login(t, "leader", webtest.Password)
		before := counts(t, d)
		cases := []struct {
			form  url.Values
			field string
			key   string
		}{
			{guardianForm("<script>alert(1)</script>", "ok@example.org", "nb"), "name", "form.markup_chars"},
			{guardianForm("Evil\u202Egnp.exe", "ok@example.org", "nb"), "name", "form.bidi_chars"},
			{guardianForm("Ok Name", "not-an-email", "nb"), "email", "form.invalid_email"},
			{guardianForm("Ok Name", "ok@example.org", "xx"), "languages", "form.unknown_language"},
			{guardianForm("", "", "nb"), "name", "form.required"},
			{url.Values{"name": {"Ok Name"}, "phone": {"12-34"}}, "phone", "form.invalid_phone"},
		}
		for _, tc := range cases {
			res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), tc.form)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%q: status %d, want 400", tc.form.Get(tc.field), res.Status)
				continue
			}
			if !strings.Contains(res.Body, `id="e-`+tc.field+`">`+template.HTMLEscapeString(nb.T(tc.key))) {
				t.Errorf("%q: no %s message on %s", tc.form.Get(tc.field), tc.key, tc.field)
			}
			if strings.Contains(res.Body, "<script>alert") {
				t.Error("script not escaped")
			}
			if codeRE.MatchString(res.Body) {
				t.Error("a code was shown")
			}
		}
		res := leader.PostForm(path("/children/%d/guardians", w.ChildA1), cases[0].form)
		if !strings.Contains(res.Body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) || !strings.Contains(res.Body, `value="ok@example.org"`) {
			t.Fatalf("typed values not kept (escaped):\n%s", res.Body)
		}
		if got := counts(t, d); got != before {
			t.Fatalf("rows changed %v → %v", before, got)
		}
	})
}

func TestRenewAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		leader := s.Login(t, "leader", webtest.Password)
		old := w.PendingInvitation

		// Status: pending, for Petra, no secrets.
		res := leader.Get(path("/invitations/%d", old.ID))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Petra Pending") || !strings.Contains(res.Body, nb.T("invitations.state.pending")) {
			t.Fatalf("status: %d\n%s", res.Status, res.Body)
		}
		if strings.Contains(res.Body, old.Code) || strings.Contains(res.Body, old.Token) {
			t.Fatal("status page shows a secret")
		}
		for _, login := range []string{"assistant", "parent", "othermanager", "otherparent"} {
			c := s.Login(t, login, webtest.Password)
			if r := c.Get(path("/invitations/%d", old.ID)); r.Status != http.StatusNotFound {
				t.Errorf("%s sees the invitation: %d", login, r.Status)
			}
			if r := c.PostForm(path("/invitations/%d/renew", old.ID), nil); r.Status != http.StatusNotFound {
				t.Errorf("%s renews the invitation: %d", login, r.Status)
			}
		}

		// Expired.
		if _, err := d.W.Exec(`UPDATE invitations SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Hour).Unix(), old.ID); err != nil {
			t.Fatal(err)
		}
		res = leader.Get(path("/invitations/%d", old.ID))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, nb.T("invitations.state.expired")) {
			t.Fatalf("expired status: %d\n%s", res.Status, res.Body)
		}
		anon := s.Anonymous(t)
		res = anon.PostForm("/invite", url.Values{"code": {old.Code}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("invite.expired")) {
			t.Fatalf("expired code: %d\n%s", res.Status, res.Body)
		}

		// Renew: a new code that works; the old one is unknown.
		res = leader.PostForm(path("/invitations/%d/renew", old.ID), nil)
		code, newID := presented(t, res)
		if code == old.Code {
			t.Fatal("renew returned the old code")
		}
		if newID != old.ID {
			t.Fatalf("renewed invitation has id %d, want to keep %d", newID, old.ID)
		}
		if !strings.Contains(res.Body, "Petra Pending") || !strings.Contains(res.Body, `<section class="guide" lang="uk" dir="ltr">`) {
			t.Fatal("renewed page: wrong person, or no guide in Petra's language (uk)")
		}
		res = anon.PostForm("/invite", url.Values{"code": {old.Code}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("invite.unknown")) {
			t.Fatalf("old code after renew: %d", res.Status)
		}
		if r := anon.Get("/invite/" + old.Token); r.Status != http.StatusNotFound {
			t.Fatalf("old link after renew: %d", r.Status)
		}
		res = anon.PostForm("/invite", url.Values{"code": {code}})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Petra Pending") {
			t.Fatalf("new code: %d", res.Status)
		}
		// The status page is where it was, waiting again, still the leader's.
		r := leader.Get(path("/invitations/%d", old.ID))
		if r.Status != http.StatusOK || !strings.Contains(r.Body, nb.T("invitations.state.pending")) || !strings.Contains(r.Body, "Lars Leader") {
			t.Fatalf("status page after renew: %d\n%s", r.Status, r.Body)
		}
		if n := count(t, d, "invitations WHERE person_id = "+strconv.FormatInt(w.Pending, 10)); n != 1 {
			t.Fatalf("%d invitations for Petra, want 1", n)
		}
		// The manager renews too: the leader's code stops working.
		res = s.Login(t, "manager", webtest.Password).PostForm(path("/invitations/%d/renew", old.ID), nil)
		code2, _ := presented(t, res)
		if r := anon.PostForm("/invite", url.Values{"code": {code}}); r.Status != http.StatusBadRequest {
			t.Fatalf("code after second renew: %d", r.Status)
		}
		if r := anon.PostForm("/invite", url.Values{"code": {code2}}); r.Status != http.StatusOK {
			t.Fatalf("second new code: %d", r.Status)
		}
	})
}

func TestInviteGuardian(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		manager := s.Login(t, "manager", webtest.Password)
		res := manager.PostForm(path("/k/%d/guardians/%d/invite", w.Kg, w.Pending), nil)
		code, _ := presented(t, res)
		anon := s.Anonymous(t)
		if r := anon.PostForm("/invite", url.Values{"code": {w.PendingInvitation.Code}}); r.Status != http.StatusBadRequest {
			t.Fatalf("old code still works: %d", r.Status)
		}
		if r := anon.PostForm("/invite", url.Values{"code": {code}}); r.Status != http.StatusOK {
			t.Fatalf("new code: %d", r.Status)
		}
		// Someone with an account gets 409, and no invitation.
		before := count(t, d, "invitations")
		res = manager.PostForm(path("/k/%d/guardians/%d/invite", w.Kg, w.Parent), nil)
		if res.Status != http.StatusConflict || !strings.Contains(res.Body, nb.T("invitations.has_account")) || codeRE.MatchString(res.Body) {
			t.Fatalf("has account: %d\n%s", res.Status, res.Body)
		}
		for _, tc := range []struct {
			login   string
			kg, pid int64
		}{{"leader", w.Kg, w.Pending}, {"othermanager", w.Kg, w.Pending}, {"othermanager", w.OtherKg, w.Pending}, {"manager", w.OtherKg, w.OtherParent}} {
			if r := s.Login(t, tc.login, webtest.Password).PostForm(path("/k/%d/guardians/%d/invite", tc.kg, tc.pid), nil); r.Status != http.StatusNotFound {
				t.Errorf("%s on /k/%d/guardians/%d/invite: %d", tc.login, tc.kg, tc.pid, r.Status)
			}
		}
		if got := count(t, d, "invitations"); got != before {
			t.Fatalf("invitations %d → %d", before, got)
		}
	})
}

func TestGuideInReadersLanguageOnlyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		res := s.Login(t, "leader", webtest.Password).PostForm(path("/children/%d/guardians", w.ChildA2), guardianForm("Nora Norsk", "", "nb"))
		presented(t, res)
		if n := strings.Count(res.Body, `<section class="guide"`); n != 1 {
			t.Fatalf("%d guides, want 1 when both read nb", n)
		}
	})
}
