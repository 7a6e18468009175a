package admin_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

func TestManagerAdministers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")

		r := m.Get("/admin")
		status(t, r, http.StatusSeeOther, "GET /admin")
		if want := path("/k/%d/admin", w.Kg); r.Location != want {
			t.Fatalf("/admin sends the manager to %q, want %q", r.Location, want)
		}

		kgURL := path("/k/%d/admin", w.Kg)
		r = m.Get(kgURL)
		status(t, r, http.StatusOK, "overview")
		contains(t, r, "overview", "Fixture barnehage", "Blåbær", "Tyttebær", nb("count.children", "Count", 2), nb("admin.count.staff", "Count", 1),
			path(`action="/k/%d/groups"`, w.Kg), path(`href="/k/%d/import"`, w.Kg), path(`href="/k/%d/staff"`, w.Kg))

		// A group.
		r = m.PostForm(path("/k/%d/groups", w.Kg), url.Values{"name": {"  Rev   og bjørn "}})
		status(t, r, http.StatusSeeOther, "create group")
		if n := e.count(`SELECT COUNT(*) FROM groups WHERE kindergarten_id = $1 AND name = $2`, w.Kg, "Rev og bjørn"); n != 1 {
			t.Fatalf("group saved %d times", n)
		}
		r = m.Get(r.Location)
		status(t, r, http.StatusOK, "overview after group")
		contains(t, r, "overview after group", "Rev og bjørn", nb("form.saved"))

		// The same name again, in other letters' case, is refused.
		r = m.PostForm(path("/k/%d/groups", w.Kg), url.Values{"name": {"rev OG bjørn"}})
		status(t, r, http.StatusBadRequest, "duplicate group")
		contains(t, r, "duplicate group", nb("admin.groups.taken"), `value="rev OG bjørn"`)
		if n := e.count(`SELECT COUNT(*) FROM groups WHERE kindergarten_id = $1`, w.Kg); n != 3 {
			t.Fatalf("%d groups after a refused duplicate, want 3", n)
		}

		// A child.
		birth := time.Now().AddDate(-3, 0, 0).Format(time.DateOnly)
		r = m.PostForm(path("/k/%d/children", w.Kg), url.Values{"first_name": {"Nora"}, "last_name": {"Nilsen"},
			"birth_date": {birth}, "group": {strconv.FormatInt(w.GroupB, 10)}, "confidential_address": {"fortrolig"}})
		status(t, r, http.StatusSeeOther, "create child")
		var childID int64
		if err := d.R.QueryRow(`SELECT id FROM children WHERE first_name = 'Nora' AND kindergarten_id = $1 AND group_id = $2 AND birth_date = $3 AND confidential_address = 'fortrolig'`,
			w.Kg, w.GroupB, birth).Scan(&childID); err != nil {
			t.Fatalf("child not saved as given: %v", err)
		}
		if want := path("/children/%d/edit?saved=1", childID); r.Location != want {
			t.Errorf("after adding a child: to %q, want %q", r.Location, want)
		}
		r = m.Get(path("/k/%d/children", w.Kg))
		status(t, r, http.StatusOK, "children")
		contains(t, r, "children", "Nora Nilsen", "Amina Fixture", nb("conf.fortrolig"), "04.03.2022", nb("count.guardians", "Count", 3),
			path(`href="/children/%d/edit"`, childID))

		// The child's page: details and the form to add a guardian.
		r = m.Get(path("/children/%d/edit", childID))
		status(t, r, http.StatusOK, "child page")
		contains(t, r, "child page", `value="Nora"`, `value="`+birth+`"`, nb("admin.conf.warning"),
			path(`action="/children/%d/guardians"`, childID), `name="languages" value="fa-AF"`, nb("lang.fa-AF"))

		// A staff member, invited in one go.
		r = m.PostForm(path("/k/%d/staff", w.Kg), url.Values{"name": {"Siri Staff"}, "email": {"siri@example.org"}, "phone": {"912 34 567"},
			"role": {"assistant"}, "groups": {strconv.FormatInt(w.GroupA, 10), strconv.FormatInt(w.GroupB, 10)}})
		status(t, r, http.StatusOK, "invite staff")
		contains(t, r, "invitation page", "Siri Staff")
		var pid int64
		if err := d.R.QueryRow(`SELECT id FROM people WHERE name = 'Siri Staff' AND email = 'siri@example.org' AND phone = '+4791234567' AND login IS NULL`).Scan(&pid); err != nil {
			t.Fatalf("staff member not saved: %v", err)
		}
		if n := e.count(`SELECT COUNT(*) FROM staff_roles WHERE person_id = $1 AND kindergarten_id = $2 AND organisation_id = $3 AND role = 'assistant'`, pid, w.Kg, w.Org); n != 1 {
			t.Errorf("staff role rows: %d", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM staff_groups WHERE person_id = $1`, pid); n != 2 {
			t.Errorf("staff groups: %d, want 2", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM invitations WHERE person_id = $1 AND kindergarten_id = $2 AND created_by = $3 AND accepted_at IS NULL`, pid, w.Kg, w.Manager); n != 1 {
			t.Errorf("invitations: %d, want 1", n)
		}
		// Reloading the invitation page posts the form again: no second person.
		r = m.PostForm(path("/k/%d/staff", w.Kg), url.Values{"name": {"siri staff"}, "email": {"SIRI@example.org"}, "role": {"assistant"}})
		status(t, r, http.StatusBadRequest, "invite the same staff member again")
		contains(t, r, "invite again", nb("admin.staff.duplicate_name"), nb("admin.staff.duplicate_email"))
		if n := e.count(`SELECT COUNT(*) FROM people WHERE LOWER(name) = 'siri staff'`); n != 1 {
			t.Fatalf("%d people named Siri Staff", n)
		}
		var invID int64
		if err := d.R.QueryRow(`SELECT id FROM invitations WHERE person_id = $1`, pid).Scan(&invID); err != nil {
			t.Fatal(err)
		}
		r = m.Get(path("/k/%d/staff/%d", w.Kg, pid))
		status(t, r, http.StatusOK, "new staff member's page")
		contains(t, r, "new staff member's page", path(`href="/invitations/%d"`, invID), `value="assistant" selected`,
			path(`value="%d" checked`, w.GroupA), path(`value="%d" checked`, w.GroupB))
		r = m.Get(path("/k/%d/staff", w.Kg))
		status(t, r, http.StatusOK, "staff list")
		contains(t, r, "staff list", "Siri Staff", nb("role.assistant"), "Lars Leader", nb("role.pedagogical_leader"), nb("admin.status.invited"),
			path(`href="/k/%d/staff/%d"`, w.Kg, pid))

		// Rename a group.
		r = m.PostForm(path("/groups/%d/edit", w.GroupA), url.Values{"name": {"Blåbærtua"}})
		status(t, r, http.StatusSeeOther, "rename group")
		if got := e.str(`SELECT name FROM groups WHERE id = $1`, w.GroupA); got != "Blåbærtua" {
			t.Errorf("group name %q after rename", got)
		}
		r = m.PostForm(path("/groups/%d/edit", w.GroupA), url.Values{"name": {"tyttebær"}})
		status(t, r, http.StatusBadRequest, "rename to a taken name")
		contains(t, r, "rename to a taken name", nb("admin.groups.taken"), `value="tyttebær"`)
		if got := e.str(`SELECT name FROM groups WHERE id = $1`, w.GroupA); got != "Blåbærtua" {
			t.Errorf("group name %q after a refused rename", got)
		}
	})
}

func TestStaffMemberAndLastManager(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")
		me := path("/k/%d/staff/%d", w.Kg, w.Manager)

		r := m.Get(me)
		status(t, r, http.StatusOK, "own staff page")
		r = m.PostForm(me, url.Values{"role": {"assistant"}})
		status(t, r, http.StatusBadRequest, "demote the last manager")
		contains(t, r, "demote the last manager", nb("admin.staff.last_manager"))
		if got := e.str(`SELECT role FROM staff_roles WHERE person_id = $1 AND kindergarten_id = $2`, w.Manager, w.Kg); got != "manager" {
			t.Fatalf("the last manager became %q", got)
		}

		// Groups of the leader: only this kindergarten's, and the other's is refused.
		leader := path("/k/%d/staff/%d", w.Kg, w.Leader)
		r = m.PostForm(leader, url.Values{"role": {"pedagogical_leader"}, "groups": {strconv.FormatInt(w.OtherGroup, 10)}})
		status(t, r, http.StatusBadRequest, "assign another kindergarten's group")
		contains(t, r, "assign another kindergarten's group", nb("form.invalid"))
		if n := e.count(`SELECT COUNT(*) FROM staff_groups WHERE person_id = $1 AND group_id = $2`, w.Leader, w.OtherGroup); n != 0 {
			t.Fatal("another kindergarten's group was assigned")
		}
		if n := e.count(`SELECT COUNT(*) FROM staff_groups WHERE person_id = $1 AND group_id = $2`, w.Leader, w.GroupA); n != 1 {
			t.Fatal("a refused change removed the leader's group")
		}
		r = m.PostForm(leader, url.Values{"role": {"owner_admin"}})
		status(t, r, http.StatusBadRequest, "give owner_admin")
		if got := e.str(`SELECT role FROM staff_roles WHERE person_id = $1 AND kindergarten_id = $2`, w.Leader, w.Kg); got != "pedagogical_leader" {
			t.Fatalf("leader became %q", got)
		}

		// Make the leader manager, and move them to group B.
		r = m.PostForm(leader, url.Values{"role": {"manager"}, "groups": {strconv.FormatInt(w.GroupB, 10)}})
		status(t, r, http.StatusSeeOther, "promote leader")
		if got := e.str(`SELECT role FROM staff_roles WHERE person_id = $1 AND kindergarten_id = $2`, w.Leader, w.Kg); got != "manager" {
			t.Fatalf("leader is %q", got)
		}
		if n := e.count(`SELECT COUNT(*) FROM staff_groups WHERE person_id = $1 AND group_id = $2`, w.Leader, w.GroupB); n != 1 {
			t.Error("leader not in group B")
		}
		if n := e.count(`SELECT COUNT(*) FROM staff_groups WHERE person_id = $1 AND group_id = $2`, w.Leader, w.GroupA); n != 0 {
			t.Error("leader still in group A")
		}
		r = m.Get(leader)
		contains(t, r, "leader's page", path(`value="%d" checked`, w.GroupB), `value="manager" selected`)

		// Now the first manager may step down, and leaves the administration.
		r = m.PostForm(me, url.Values{"role": {"pedagogical_leader"}})
		status(t, r, http.StatusSeeOther, "step down")
		if r.Location != "/admin" {
			t.Errorf("after stepping down: to %q, want /admin", r.Location)
		}
		status(t, m.Get(path("/k/%d/admin", w.Kg)), http.StatusNotFound, "former manager's overview")
	})
}

func TestLeaderIsNotAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		for _, who := range []string{"leader", "assistant"} {
			c := e.login(who)
			r := c.Get("/admin")
			status(t, r, http.StatusOK, who+" /admin")
			contains(t, r, who+" /admin", nb("admin.home.none"), `href="/groups"`)
			status(t, c.Get(path("/k/%d/admin", w.Kg)), http.StatusNotFound, who+" overview")
			status(t, c.Get(path("/k/%d/children", w.Kg)), http.StatusNotFound, who+" children")
			r = c.PostForm(path("/k/%d/children", w.Kg), url.Values{"first_name": {"Sneaky"}, "last_name": {"Child"},
				"birth_date": {"2022-01-01"}, "group": {strconv.FormatInt(w.GroupA, 10)}})
			status(t, r, http.StatusNotFound, who+" adds a child")
			status(t, c.PostForm(path("/k/%d/staff/%d", w.Kg, w.Manager), url.Values{"role": {"assistant"}}), http.StatusNotFound, who+" demotes the manager")
		}
		if n := e.count(`SELECT COUNT(*) FROM children WHERE first_name = 'Sneaky'`); n != 0 {
			t.Fatal("a leader added a child")
		}
		// Guardians are not staff at all.
		p := e.login("parent")
		status(t, p.Get("/admin"), http.StatusNotFound, "parent /admin")
		status(t, p.Get(path("/children/%d/edit", w.ChildA1)), http.StatusNotFound, "parent edits own child")
	})
}

// adminRoutes are every admin route of the fixture's kindergarten, with a
// harmless form for the POSTs.
func adminRoutes(e *env) [][3]string {
	w := e.w
	return [][3]string{
		{"GET", path("/k/%d/admin", w.Kg), ""},
		{"POST", path("/k/%d/groups", w.Kg), "name=Intruder"},
		{"POST", path("/groups/%d/edit", w.GroupA), "name=Intruder"},
		{"GET", path("/k/%d/children", w.Kg), ""},
		{"POST", path("/k/%d/children", w.Kg), "first_name=Intruder&last_name=X&birth_date=2022-01-01&group=" + strconv.FormatInt(w.GroupA, 10)},
		{"GET", path("/children/%d/edit", w.ChildA1), ""},
		{"POST", path("/children/%d/edit", w.ChildA1), "first_name=Intruder&last_name=X&birth_date=2022-01-01&group=" + strconv.FormatInt(w.GroupA, 10)},
		{"POST", path("/children/%d/guardians/%d", w.ChildA1, w.Blocked), "parental_responsibility=1"},
		{"GET", path("/k/%d/staff", w.Kg), ""},
		{"POST", path("/k/%d/staff", w.Kg), "name=Intruder&role=manager"},
		{"GET", path("/k/%d/staff/%d", w.Kg, w.Manager), ""},
		{"POST", path("/k/%d/staff/%d", w.Kg, w.Manager), "role=assistant"},
		{"GET", path("/k/%d/guardians", w.Kg), ""},
		{"GET", path("/k/%d/guardians/%d", w.Kg, w.Parent), ""},
		{"POST", path("/k/%d/guardians/%d", w.Kg, w.Parent), "name=Intruder&info_preference=text"},
		{"GET", path("/o/%d", w.Org), ""},
		{"POST", path("/o/%d/kindergartens", w.Org), "name=Intruder"},
	}
}

func TestOtherKindergartenGets404(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		for _, who := range []string{"othermanager", "leader", "otherparent", "blocked"} {
			c := e.login(who)
			for _, rt := range adminRoutes(e) {
				var r = c.Get(rt[1])
				if rt[0] == "POST" {
					v, _ := url.ParseQuery(rt[2])
					r = c.PostForm(rt[1], v)
				}
				status(t, r, http.StatusNotFound, who+" "+rt[0]+" "+rt[1])
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM people WHERE name = 'Intruder'`) + e.count(`SELECT COUNT(*) FROM groups WHERE name = 'Intruder'`) +
			e.count(`SELECT COUNT(*) FROM children WHERE first_name = 'Intruder'`) + e.count(`SELECT COUNT(*) FROM kindergartens WHERE name = 'Intruder'`); n != 0 {
			t.Fatalf("%d intruder rows saved", n)
		}
		if got := e.str(`SELECT role FROM staff_roles WHERE person_id = $1`, e.w.Manager); got != "manager" {
			t.Fatalf("manager became %q", got)
		}
		// The manager is the manager of this kindergarten only.
		m := e.login("manager")
		w := e.w
		status(t, m.Get(path("/k/%d/admin", w.OtherKg)), http.StatusNotFound, "manager on the other kindergarten")
		status(t, m.Get(path("/children/%d/edit", w.OtherChild)), http.StatusNotFound, "manager on the other child")
		status(t, m.Get(path("/o/%d", w.Org)), http.StatusNotFound, "manager on the organisation page")
		status(t, m.Get(path("/k/%d/staff/%d", w.Kg, w.Parent)), http.StatusNotFound, "a guardian as staff member")
		status(t, m.Get(path("/k/%d/guardians/%d", w.Kg, w.Leader)), http.StatusNotFound, "a staff member as guardian")
		status(t, m.Get(path("/k/%d/guardians/%d", w.Kg, w.OtherParent)), http.StatusNotFound, "the other kindergarten's guardian")
		status(t, m.PostForm(path("/children/%d/guardians/%d", w.ChildA1, w.ParentB), url.Values{"no_information": {"1"}}), http.StatusNotFound, "link a stranger")
		if n := e.count(`SELECT COUNT(*) FROM guardianships WHERE child_id = $1 AND person_id = $2`, w.ChildA1, w.ParentB); n != 0 {
			t.Fatal("LinkEdit created a link")
		}
	})
}

func TestOwnerAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		o := e.login("owner")
		r := o.Get("/admin")
		status(t, r, http.StatusOK, "owner /admin")
		contains(t, r, "owner /admin", path(`href="/o/%d"`, w.Org), path(`href="/k/%d/admin"`, w.Kg), "Fixture kommune")
		lacks(t, r, "owner /admin", "Annen barnehage")

		r = o.Get(path("/o/%d", w.Org))
		status(t, r, http.StatusOK, "organisation")
		contains(t, r, "organisation", "Fixture barnehage", path(`action="/o/%d/kindergartens"`, w.Org))

		r = o.PostForm(path("/o/%d/kindergartens", w.Org), url.Values{"name": {"Fixture barnehage"}})
		status(t, r, http.StatusBadRequest, "duplicate kindergarten")
		contains(t, r, "duplicate kindergarten", nb("admin.org.taken"))
		r = o.PostForm(path("/o/%d/kindergartens", w.Org), url.Values{"name": {"<b>Sol</b>"}})
		status(t, r, http.StatusBadRequest, "markup in a kindergarten name")
		contains(t, r, "markup", nb("form.markup_chars"), `value="&lt;b&gt;Sol&lt;/b&gt;"`)

		r = o.PostForm(path("/o/%d/kindergartens", w.Org), url.Values{"name": {"Solsikken barnehage"}})
		status(t, r, http.StatusSeeOther, "create kindergarten")
		var kg int64
		if err := d.R.QueryRow(`SELECT id FROM kindergartens WHERE name = 'Solsikken barnehage' AND organisation_id = $1`, w.Org).Scan(&kg); err != nil {
			t.Fatalf("kindergarten not saved: %v", err)
		}
		if want := path("/k/%d/admin?saved=1", kg); r.Location != want {
			t.Errorf("to %q, want %q", r.Location, want)
		}
		r = o.Get(path("/k/%d/admin", kg))
		status(t, r, http.StatusOK, "new kindergarten")
		contains(t, r, "new kindergarten", "Solsikken barnehage", nb("admin.groups.none"), path(`href="/o/%d"`, w.Org))
		status(t, o.Get(path("/k/%d/children", w.Kg)), http.StatusOK, "owner on children")

		// The other organisation is not theirs.
		status(t, o.Get(path("/o/%d", w.OtherOrg)), http.StatusNotFound, "other organisation")
		status(t, o.PostForm(path("/o/%d/kindergartens", w.OtherOrg), url.Values{"name": {"Snik"}}), http.StatusNotFound, "create in the other organisation")
		status(t, o.Get(path("/k/%d/admin", w.OtherKg)), http.StatusNotFound, "other organisation's kindergarten")
		status(t, o.Get(path("/children/%d/edit", w.OtherChild)), http.StatusNotFound, "other organisation's child")
		if n := e.count(`SELECT COUNT(*) FROM kindergartens WHERE name = 'Snik'`); n != 0 {
			t.Fatal("kindergarten created in another organisation")
		}
		// And the manager of the new kindergarten's neighbour cannot reach it.
		status(t, e.login("manager").Get(path("/k/%d/admin", kg)), http.StatusNotFound, "manager on the new kindergarten")
	})
}
