package family_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/webtest"
)

// setup starts Tillit over the fixture; everyone reads Norwegian so the
// tests can look for the source strings.
func setup(t *testing.T, d *db.DB) (*webtest.Server, *webtest.World) {
	t.Helper()
	w := webtest.NewWorld(t, d)
	exec(t, d, `UPDATE people SET ui_language = 'nb'`)
	return webtest.NewServer(t, d, app.Handler), w
}

func exec(t *testing.T, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.W.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func get(t *testing.T, s *webtest.Server, login, path string, want int) *webtest.Response {
	t.Helper()
	res := s.Login(t, login, webtest.Password).Get(path)
	if res.Status != want {
		t.Fatalf("%s GET %s: status %d, want %d\n%s", login, path, res.Status, want, res.Body)
	}
	return res
}

func has(t *testing.T, what string, res *webtest.Response, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(res.Body, w) {
			t.Errorf("%s: want %q in the page\n%s", what, w, res.Text())
		}
	}
}

func hasNot(t *testing.T, what string, res *webtest.Response, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(res.Body, n) {
			t.Errorf("%s: %q must not be in the page\n%s", what, n, res.Text())
		}
	}
}

func child(id int64) string { return fmt.Sprintf("/children/%d", id) }

// Restrictions of other people's links, in every wording the feature has.
var restrictions = []string{"MÅ IKKE HENTE", "SKAL IKKE FÅ INFORMASJON", "Må ikke hente", "Skal ikke få informasjon"}

func TestFamilyShowsOwnChildrenOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE people SET phone = '+4790000002' WHERE id = $1`, w.Coparent)
		res := get(t, s, "parent", "/family", http.StatusOK)
		has(t, "parent's family", res, "Min familie", "Amina", fmt.Sprintf(`href="/children/%d"`, w.ChildA1), "Blåbær", "Fixture barnehage",
			"Cora Coparent", "arabisk", "Har ikke foreldreansvar",
			// Pedro has parental responsibility: he may call Cora.
			"coparent@example.org", `href="tel:&#43;4790000002"`,
			// The group's staff, with their role and no contact details.
			"Lars Leader", "Pedagogisk leder",
			// His own settings, with the way to change them.
			"Mine språk", "tigrinja, engelsk", "Tekst", "Trenger ikke tolk", `href="/profile"`,
			// The birth date in Oslo, written the reader's way.
			"4. mars 2022")
		hasNot(t, "parent's family", res, "Birk", "Aron", "Olav", "Asta Assistant", "leader@example.org", "Tyttebær")
		// Boris is a guardian too, but Pedro must not learn that he is cut off.
		has(t, "parent's family", res, "Boris Blocked")
		hasNot(t, "parent's family", res, restrictions...)
		// No addresses, not even the child's.
		exec(t, d, `UPDATE children SET address = 'Barnets vei 7' WHERE id = $1`, w.ChildA1)
		exec(t, d, `UPDATE people SET address = 'Coras vei 9' WHERE id = $1`, w.Coparent)
		res = get(t, s, "parent", "/family", http.StatusOK)
		hasNot(t, "addresses", res, "Barnets vei", "Coras vei")

		res = get(t, s, "parentb", "/family", http.StatusOK)
		has(t, "parentb's family", res, "Birk", "Asta Assistant")
		hasNot(t, "parentb's family", res, "Amina", "Pedro", "Cora", "Lars Leader")
	})
}

func TestBlockedGuardianSeesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		// Boris's only link says "no access to information": he is not a
		// guardian of anything he may see, so the router refuses /family.
		res := get(t, s, "blocked", "/family", http.StatusNotFound)
		hasNot(t, "blocked's family", res, "Amina", "Pedro", "Cora")
		res = get(t, s, "blocked", child(w.ChildA1), http.StatusNotFound)
		hasNot(t, "blocked's child page", res, "Amina", "Pedro", "Cora")

		// With a second child he may see, /family shows that one only.
		exec(t, d, `INSERT INTO guardianships (child_id, person_id, parental_responsibility, lives_with, no_information, no_pickup) VALUES ($1, $2, TRUE, TRUE, FALSE, FALSE)`, w.ChildA2, w.Blocked)
		res = get(t, s, "blocked", "/family", http.StatusOK)
		has(t, "blocked's family", res, "Aron", "Petra Pending")
		hasNot(t, "blocked's family", res, "Amina", "Pedro", "Cora")
		get(t, s, "blocked", child(w.ChildA1), http.StatusNotFound)
	})
}

func TestOtherFamiliesChildIsNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		for _, login := range []string{"parentb", "otherparent", "othermanager", "assistant"} {
			res := get(t, s, login, child(w.ChildA1), http.StatusNotFound)
			hasNot(t, login, res, "Amina", "Pedro", "Cora")
		}
		get(t, s, "parent", child(w.ChildB1), http.StatusNotFound)
		get(t, s, "parent", child(w.OtherChild), http.StatusNotFound)
		get(t, s, "parent", "/children/999999", http.StatusNotFound)
		get(t, s, "parent", "/children/abc", http.StatusNotFound)
		// Staff have no family of their own here.
		get(t, s, "leader", "/family", http.StatusNotFound)
		if res := s.Anonymous(t).Get(child(w.ChildA1)); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("anonymous: %d %q, want a redirect to sign in", res.Status, res.Location)
		}
	})
}

func TestGuardianWithoutParentalResponsibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE people SET phone = '+4790000001' WHERE id = $1`, w.Parent)
		for _, path := range []string{"/family", child(w.ChildA1)} {
			res := get(t, s, "coparent", path, http.StatusOK)
			// Cora sees Amina and who the other guardians are ...
			has(t, "coparent "+path, res, "Amina", "Pedro Parent", "tigrinja", "Har foreldreansvar",
				"Du har ikke foreldreansvar")
			// ... but not how to reach them: she has no parental responsibility.
			hasNot(t, "coparent "+path, res, "parent@example.org", "90000001", "blocked@example.org")
			hasNot(t, "coparent "+path, res, restrictions...)
		}
	})
}

func TestConfidentialCoGuardianContactIsHidden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE people SET phone = '+4790000002', address = 'Skjult vei 1' WHERE id = $1`, w.Coparent)
		res := get(t, s, "parent", child(w.ChildA1), http.StatusOK)
		has(t, "before", res, "coparent@example.org", "4790000002", "arabisk")
		hasNot(t, "before", res, "Skjult vei", "Adressen er skjermet.")

		for _, level := range []string{"fortrolig", "strengt_fortrolig"} {
			exec(t, d, `UPDATE people SET confidential_address = $1 WHERE id = $2`, level, w.Coparent)
			for _, path := range []string{"/family", child(w.ChildA1)} {
				res := get(t, s, "parent", path, http.StatusOK)
				has(t, level+" "+path, res, "Cora Coparent", "Adressen er skjermet.")
				// The level itself is not for the other parent either.
				hasNot(t, level+" "+path, res, "coparent@example.org", "90000002", "Skjult vei", "Fortrolig adresse", "Strengt fortrolig")
			}
		}
		// Staff still reach her, but only the administration sees where she lives.
		exec(t, d, `UPDATE people SET confidential_address = 'fortrolig' WHERE id = $1`, w.Coparent)
		res = get(t, s, "leader", child(w.ChildA1), http.StatusOK)
		has(t, "leader", res, "coparent@example.org", "4790000002", "Fortrolig adresse")
		hasNot(t, "leader", res, "Skjult vei")
		res = get(t, s, "manager", child(w.ChildA1), http.StatusOK)
		has(t, "manager", res, "Skjult vei 1", "Fortrolig adresse")
	})
}

func TestStaffSeeWhoMustNotPickUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE guardianships SET no_pickup = TRUE WHERE person_id = $1`, w.Blocked)
		exec(t, d, `UPDATE people SET needs_interpreter = TRUE, interpreter_language = 'ti', interpreter_dialect = 'Asmara', info_preference = 'audio' WHERE id = $1`, w.Parent)
		res := get(t, s, "leader", child(w.ChildA1), http.StatusOK)
		has(t, "leader", res, "Amina", "Pedro Parent", "Cora Coparent", "Boris Blocked",
			"MÅ IKKE HENTE BARNET", "SKAL IKKE FÅ INFORMASJON OM BARNET", `class="tag warn"`,
			"russisk", "Trenger tolk: tigrinja (<span dir=\"auto\">Asmara</span>)", "Lest høyt",
			"parent@example.org", "Har ikke foreldreansvar", "Bor ikke sammen med barnet",
			// The form to add a guardian, with the launch languages.
			fmt.Sprintf(`action="/children/%d/guardians"`, w.ChildA1), `name="parental_responsibility"`, `name="lives_with"`,
			`value="fa-AF"`, "kurmanji (kurdisk)", "<legend>")
		// The warning names Boris at the top, before the list of guardians.
		top := res.Body[:strings.Index(res.Body, "<h2")]
		if !strings.Contains(top, "MÅ IKKE HENTE BARNET") || !strings.Contains(top, "Boris Blocked") {
			t.Errorf("the no-pickup warning is not at the top:\n%s", top)
		}
		// Pedro and Cora may pick up.
		if n := strings.Count(res.Body, "MÅ IKKE HENTE BARNET"); n != 2 {
			t.Errorf("%d no-pickup marks, want 2 (Boris, at the top and on his card)", n)
		}
		// Only the manager edits the child.
		hasNot(t, "leader", res, fmt.Sprintf(`/children/%d/edit`, w.ChildA1))
		res = get(t, s, "manager", child(w.ChildA1), http.StatusOK)
		has(t, "manager", res, fmt.Sprintf(`href="/children/%d/edit"`, w.ChildA1), "MÅ IKKE HENTE BARNET")

		// A guardian sees none of it.
		for _, login := range []string{"parent", "coparent"} {
			res := get(t, s, login, child(w.ChildA1), http.StatusOK)
			hasNot(t, login, res, restrictions...)
			hasNot(t, login, res, "/guardians", fmt.Sprintf(`action="/children/%d/edit"`, w.ChildA1))
		}
	})
}

// A staff member whose own child is in another group is a parent there,
// not staff: she gets the guardian's view of that child.
func TestStaffWhoIsAlsoAGuardian(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `INSERT INTO guardianships (child_id, person_id, parental_responsibility, lives_with, no_information, no_pickup) VALUES ($1, $2, TRUE, TRUE, FALSE, FALSE)`, w.ChildB1, w.Leader)
		exec(t, d, `UPDATE guardianships SET no_pickup = TRUE WHERE person_id = $1`, w.ParentB)
		res := get(t, s, "leader", child(w.ChildB1), http.StatusOK)
		has(t, "leader as parent", res, "Birk", "Bea ParentB", "Asta Assistant")
		hasNot(t, "leader as parent", res, restrictions...)
		hasNot(t, "leader as parent", res, "/guardians")
		res = get(t, s, "leader", "/family", http.StatusOK)
		has(t, "leader's family", res, "Birk")
		hasNot(t, "leader's family", res, "Amina")
		// In her own group she is staff.
		res = get(t, s, "leader", child(w.ChildA1), http.StatusOK)
		has(t, "leader as staff", res, "SKAL IKKE FÅ INFORMASJON")
	})
}

func TestChildAddressOnlyForTheAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE children SET address = 'Storgata 1' WHERE id = $1`, w.ChildA1)
		exec(t, d, `UPDATE people SET address = 'Pedros gate 2' WHERE id = $1`, w.Parent)
		for _, login := range []string{"manager", "owner"} {
			res := get(t, s, login, child(w.ChildA1), http.StatusOK)
			has(t, login, res, "Storgata 1", "Pedros gate 2")
		}
		for _, login := range []string{"leader", "parent", "coparent"} {
			res := get(t, s, login, child(w.ChildA1), http.StatusOK)
			hasNot(t, login, res, "Storgata 1", "Pedros gate 2")
		}
		exec(t, d, `UPDATE children SET confidential_address = 'fortrolig' WHERE id = $1`, w.ChildA1)
		res := get(t, s, "manager", child(w.ChildA1), http.StatusOK)
		has(t, "manager, fortrolig", res, "Storgata 1", "Fortrolig adresse")
		res = get(t, s, "leader", child(w.ChildA1), http.StatusOK)
		has(t, "leader, fortrolig", res, "Fortrolig adresse")
		hasNot(t, "leader, fortrolig", res, "Storgata 1")
		// A strictly confidential address is shown only on the edit page.
		exec(t, d, `UPDATE children SET confidential_address = 'strengt_fortrolig' WHERE id = $1`, w.ChildA1)
		res = get(t, s, "manager", child(w.ChildA1), http.StatusOK)
		has(t, "manager, strengt fortrolig", res, "Strengt fortrolig adresse")
		hasNot(t, "manager, strengt fortrolig", res, "Storgata 1")
	})
}

func TestNamesAreEscaped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE children SET first_name = '<script>alert(1)</script>', last_name = 'ﺃﺣﻤﺪ' || $1 WHERE id = $2`, "\u202e", w.ChildA1)
		exec(t, d, `UPDATE people SET name = '<img src=x onerror=alert(2)>', interpreter_dialect = '"><b>x' , needs_interpreter = TRUE WHERE id = $1`, w.Coparent)
		exec(t, d, `UPDATE groups SET name = '<i>Blå</i>' WHERE id = $1`, w.GroupA)
		for _, c := range []struct{ login, path string }{{"parent", "/family"}, {"parent", child(w.ChildA1)}, {"leader", child(w.ChildA1)}, {"manager", child(w.ChildA1)}} {
			res := get(t, s, c.login, c.path, http.StatusOK)
			hasNot(t, c.login+" "+c.path, res, "<script>alert", "<img src=x", "<i>Blå", "\"><b>x")
			has(t, c.login+" "+c.path, res, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "&lt;i&gt;Blå&lt;/i&gt;",
				// Typed text is isolated, so a bidi override cannot spill into the page.
				`<h`, `dir="auto">&lt;script&gt;`)
		}
	})
}

// A guardian writes to the kindergarten from the child's page.
func TestWriteFromChildPage(t *testing.T) {
	d := dbtest.SQLite(t)
	w := webtest.NewWorld(t, d)
	s := webtest.NewServer(t, d, app.Handler)
	p := s.Login(t, "parent", webtest.Password)
	page := p.Get(fmt.Sprintf("/children/%d", w.ChildA1))
	action := fmt.Sprintf(`action="/children/%d/messages"`, w.ChildA1)
	if !strings.Contains(page.Body, action) {
		t.Fatal("no form to write to the kindergarten")
	}
	res := p.PostForm(fmt.Sprintf("/children/%d/messages", w.ChildA1), url.Values{"body": {"ሰላም"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/threads/") {
		t.Fatalf("write: %d %s", res.Status, res.Location)
	}
}
