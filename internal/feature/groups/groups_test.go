package groups_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/webtest"
)

func setup(t testing.TB, d *db.DB) (*webtest.Server, *webtest.World) {
	t.Helper()
	w := webtest.NewWorld(t, d)
	exec(t, d, `UPDATE people SET ui_language = 'nb'`)
	return webtest.NewServer(t, d, app.Handler), w
}

func exec(t testing.TB, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.W.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func get(t testing.TB, s *webtest.Server, login, path string, want int) *webtest.Response {
	t.Helper()
	res := s.Login(t, login, webtest.Password).Get(path)
	if res.Status != want {
		t.Fatalf("%s GET %s: status %d, want %d\n%s", login, path, res.Status, want, res.Body)
	}
	return res
}

func has(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: want %q in\n%s", what, w, body)
		}
	}
}

func hasNot(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s: %q must not be in\n%s", what, n, body)
		}
	}
}

func group(id int64) string { return fmt.Sprintf("/groups/%d", id) }

// row returns the table row of the child whose page is /children/id.
func row(t *testing.T, body string, id int64) string {
	t.Helper()
	for _, r := range strings.Split(body, "<tr>") {
		if strings.Contains(r, fmt.Sprintf(`href="/children/%d"`, id)) {
			return r[:strings.Index(r, "</tr>")]
		}
	}
	t.Fatalf("no row for child %d in\n%s", id, body)
	return ""
}

func TestWhoSeesWhichGroup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		a, b, other := group(w.GroupA), group(w.GroupB), group(w.OtherGroup)
		cases := []struct {
			login         string
			list, notList []string
			see, notFound []string
		}{
			{"leader", []string{"Blåbær", `href="` + a + `"`}, []string{"Tyttebær", "Rev"}, []string{a}, []string{b, other}},
			{"assistant", []string{"Tyttebær", `href="` + b + `"`}, []string{"Blåbær", "Rev"}, []string{b}, []string{a, other}},
			{"manager", []string{"Blåbær", "Tyttebær", "Fixture barnehage"}, []string{"Rev", "Annen"}, []string{a, b}, []string{other}},
			{"owner", []string{"Blåbær", "Tyttebær"}, []string{"Rev", "Annen"}, []string{a, b}, []string{other}},
			{"othermanager", []string{"Rev", "Annen barnehage"}, []string{"Blåbær", "Tyttebær"}, []string{other}, []string{a, b}},
		}
		for _, c := range cases {
			cl := s.Login(t, c.login, webtest.Password)
			res := cl.Get("/groups")
			if res.Status != http.StatusOK {
				t.Fatalf("%s /groups: %d", c.login, res.Status)
			}
			has(t, c.login+" /groups", res.Body, c.list...)
			hasNot(t, c.login+" /groups", res.Body, c.notList...)
			for _, p := range c.see {
				if res := cl.Get(p); res.Status != http.StatusOK {
					t.Errorf("%s GET %s: %d, want 200", c.login, p, res.Status)
				}
			}
			for _, p := range c.notFound {
				res := cl.Get(p)
				if res.Status != http.StatusNotFound {
					t.Errorf("%s GET %s: %d, want 404", c.login, p, res.Status)
				}
				hasNot(t, c.login+" "+p, res.Body, "Amina", "Birk", "Olav")
			}
		}
		// Guardians and visitors have no groups.
		get(t, s, "parent", "/groups", http.StatusNotFound)
		get(t, s, "parent", a, http.StatusNotFound)
		get(t, s, "leader", "/groups/999999", http.StatusNotFound)
		get(t, s, "leader", "/groups/x", http.StatusNotFound)
		if res := s.Anonymous(t).Get(a); res.Status != http.StatusSeeOther {
			t.Errorf("anonymous: %d, want a redirect to sign in", res.Status)
		}
	})
}

func TestGroupListCountsChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		res := get(t, s, "manager", "/groups", http.StatusOK)
		has(t, "manager", res.Text(), "2 barn", "1 barn")
		// A single group is still a list, not a redirect: it is the staff's home.
		res = get(t, s, "leader", "/groups", http.StatusOK)
		has(t, "leader", res.Body, "Mine avdelinger", "2 barn", `href="`+group(w.GroupA)+`"`)
		// A leader not (yet) assigned to a group is told so.
		exec(t, d, `DELETE FROM staff_groups WHERE person_id = $1`, w.Leader)
		res = get(t, s, "leader", "/groups", http.StatusOK)
		has(t, "unassigned leader", res.Body, "ingen avdelinger")
		hasNot(t, "unassigned leader", res.Body, "Blåbær")
		get(t, s, "leader", group(w.GroupA), http.StatusNotFound)
		// The owner of several kindergartens sees them by name.
		kg2, err := directory.CreateKindergarten(context.Background(), d.W, w.Org, "Andre barnehage")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := directory.CreateGroup(context.Background(), d.W, kg2, "Multe"); err != nil {
			t.Fatal(err)
		}
		res = get(t, s, "owner", "/groups", http.StatusOK)
		has(t, "owner", res.Body, `<h2 dir="auto">Fixture barnehage</h2>`, `<h2 dir="auto">Andre barnehage</h2>`, "Multe", "0 barn")
		res = get(t, s, "manager", "/groups", http.StatusOK)
		hasNot(t, "manager", res.Body, "Multe", "Andre barnehage")
	})
}

func TestGroupOverviewTags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		res := get(t, s, "leader", group(w.GroupA), http.StatusOK)
		amina := row(t, res.Body, w.ChildA1)
		// Languages at home: the first language of each guardian who gets
		// information (Cora: ar, Pedro: ti; by name), not Boris's (he is cut off).
		has(t, "Amina", amina, "Språk hjemme: arabisk, tigrinja", `dir="auto">Amina Fixture</a>`)
		hasNot(t, "Amina", amina, "russisk", "tolk", "Foretrekker", "registrert", "Må ikke hente")
		// Petra has not accepted her invitation.
		has(t, "Aron", row(t, res.Body, w.ChildA2), "1 foresatt har ikke registrert seg", "ukrainsk")
		// Boris's link cuts him off from information.
		has(t, "Amina", amina, "Skal ikke få informasjon:", "Boris Blocked")
		has(t, "staff", res.Body, "Lars Leader", "Pedagogisk leder", "2 barn")
		hasNot(t, "staff", res.Body, "Asta", "Birk", "Olav", "@example.org")

		exec(t, d, `UPDATE people SET needs_interpreter = TRUE, interpreter_language = 'ti', interpreter_dialect = 'Asmara' WHERE id = $1`, w.Parent)
		exec(t, d, `UPDATE people SET info_preference = 'pictures' WHERE id = $1`, w.Coparent)
		exec(t, d, `UPDATE guardianships SET no_pickup = TRUE WHERE person_id = $1`, w.Blocked)
		exec(t, d, `UPDATE children SET confidential_address = 'strengt_fortrolig', address = 'Hemmelig vei 3' WHERE id = $1`, w.ChildA2)
		exec(t, d, `UPDATE people SET confidential_address = 'fortrolig' WHERE id = $1`, w.Coparent)
		res = get(t, s, "leader", group(w.GroupA), http.StatusOK)
		amina = row(t, res.Body, w.ChildA1)
		has(t, "Amina", amina, `<span class="tag warn">Trenger tolk: tigrinja (<span dir="auto">Asmara</span>)</span>`,
			"Foretrekker: Bilder", `<span class="tag warn">Må ikke hente: <b dir="auto">Boris Blocked</b></span>`,
			`<span class="tag warn">Fortrolig adresse</span>`)
		aron := row(t, res.Body, w.ChildA2)
		has(t, "Aron", aron, "Strengt fortrolig adresse")
		hasNot(t, "Aron", aron, "Hemmelig vei")
		hasNot(t, "Aron", res.Body, "Hemmelig vei")

		// The manager (not assigned) sees the same; the assistant of the
		// other group does not get in.
		res = get(t, s, "manager", group(w.GroupA), http.StatusOK)
		has(t, "manager", row(t, res.Body, w.ChildA1), "Må ikke hente")
		get(t, s, "assistant", group(w.GroupA), http.StatusNotFound)
	})
}

func TestGroupOverviewEscapes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		exec(t, d, `UPDATE children SET first_name = '<script>alert(1)</script>' WHERE id = $1`, w.ChildA1)
		exec(t, d, `UPDATE people SET name = '<img src=x>' WHERE id = $1`, w.Blocked)
		exec(t, d, `UPDATE groups SET name = '<b>Blå</b>' WHERE id = $1`, w.GroupA)
		exec(t, d, `UPDATE people SET name = 'Lars '||$1||'Leader', needs_interpreter = TRUE, interpreter_dialect = '<u>x' WHERE id = $2`, "\u202e", w.Leader)
		exec(t, d, `UPDATE people SET needs_interpreter = TRUE, interpreter_dialect = '<u>x' WHERE id = $1`, w.Parent)
		for _, p := range []string{"/groups", group(w.GroupA)} {
			res := get(t, s, "manager", p, http.StatusOK)
			hasNot(t, p, res.Body, "<script>alert", "<img src=x>", "<b>Blå", "<u>x")
			has(t, p, res.Body, "&lt;b&gt;Blå&lt;/b&gt;")
		}
		res := get(t, s, "manager", group(w.GroupA), http.StatusOK)
		has(t, "group", res.Body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x&gt;", "&lt;u&gt;x", `<span dir="auto">Lars `+"\u202e"+`Leader</span>`)
	})
}
