package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

func TestChildFormRefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")
		ok := url.Values{"first_name": {"Nora"}, "last_name": {"Nilsen"}, "birth_date": {"2022-05-06"},
			"group": {strconv.FormatInt(w.GroupA, 10)}, "confidential_address": {""}}
		with := func(k, v string) url.Values {
			out := url.Values{}
			for kk, vv := range ok {
				out[kk] = vv
			}
			out.Set(k, v)
			return out
		}
		future := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
		old := time.Now().AddDate(-8, 0, 0).Format(time.DateOnly)
		cases := []struct {
			name, field, value, msg string
		}{
			{"script", "first_name", "<script>alert(1)</script>", "form.markup_chars"},
			{"bidi", "last_name", "Nil\u202Esen", "form.bidi_chars"},
			{"empty", "first_name", "   ", "form.required"},
			{"long", "last_name", longName(), "form.too_long"},
			{"control", "first_name", "No\x07ra", "form.control_chars"},
			{"bad date", "birth_date", "06.05.2022", "form.invalid_date"},
			{"no such day", "birth_date", "2022-02-30", "form.invalid_date"},
			{"future", "birth_date", future, "admin.child.future_date"},
			{"too old", "birth_date", old, "admin.child.too_old"},
			{"other kindergarten's group", "group", strconv.FormatInt(w.OtherGroup, 10), "form.invalid"},
			{"no group", "group", "", "form.required"},
			{"garbage group", "group", "1 OR 1=1", "form.invalid"},
			{"bad confidentiality", "confidential_address", "secret", "form.invalid"},
		}
		before := e.count(`SELECT COUNT(*) FROM children`)
		for _, tc := range cases {
			v := with(tc.field, tc.value)
			r := m.PostForm(path("/k/%d/children", w.Kg), v)
			status(t, r, http.StatusBadRequest, "add child: "+tc.name)
			contains(t, r, "add child: "+tc.name, nb(tc.msg), nb("form.has_errors"), `aria-invalid="true"`)
			// What was typed is still there (escaped), in every field.
			if tc.field != "group" && tc.field != "confidential_address" {
				contains(t, r, "add child: "+tc.name, `value="`+html.EscapeString(tc.value)+`"`)
			}
			if tc.field != "first_name" {
				contains(t, r, "add child: "+tc.name, `value="Nora"`)
			}
			lacks(t, r, "add child: "+tc.name, "<script>alert")

			// The same on the child's own page.
			r = m.PostForm(path("/children/%d/edit", w.ChildA1), v)
			status(t, r, http.StatusBadRequest, "edit child: "+tc.name)
			contains(t, r, "edit child: "+tc.name, nb(tc.msg))
			lacks(t, r, "edit child: "+tc.name, "<script>alert")
		}
		if after := e.count(`SELECT COUNT(*) FROM children`); after != before {
			t.Fatalf("%d children saved from bad forms", after-before)
		}
		if n := e.count(`SELECT COUNT(*) FROM children WHERE id = $1 AND first_name = 'Amina' AND group_id = $2`, w.ChildA1, w.GroupA); n != 1 {
			t.Fatal("a refused edit changed the child")
		}

		// A good edit: moved to group B, with a confidential address.
		v := with("group", strconv.FormatInt(w.GroupB, 10))
		v.Set("first_name", "Amina")
		v.Set("last_name", "Ali")
		v.Set("address", "Skjult vei 3")
		v.Set("confidential_address", "strengt_fortrolig")
		r := m.PostForm(path("/children/%d/edit", w.ChildA1), v)
		status(t, r, http.StatusSeeOther, "edit child")
		if n := e.count(`SELECT COUNT(*) FROM children WHERE id = $1 AND last_name = 'Ali' AND group_id = $2 AND address = 'Skjult vei 3' AND confidential_address = 'strengt_fortrolig'`, w.ChildA1, w.GroupB); n != 1 {
			t.Fatal("edit not saved")
		}
		r = m.Get(path("/children/%d/edit", w.ChildA1))
		contains(t, r, "child page", `value="Skjult vei 3"`, nb("conf.strengt_fortrolig"), nb("admin.conf.warning"))
		r = m.Get(path("/k/%d/children", w.Kg))
		contains(t, r, "children list", "Amina Ali", nb("conf.strengt_fortrolig"))
		lacks(t, r, "children list", "Skjult vei")
	})
}

func longName() string {
	b := make([]byte, 201)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestStaffInviteRefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")
		before := e.count(`SELECT COUNT(*) FROM people`)
		cases := []struct {
			name string
			v    url.Values
			msg  string
			kept string
		}{
			{"script", url.Values{"name": {"<script>x</script>"}, "role": {"assistant"}}, "form.markup_chars", `value="&lt;script&gt;x&lt;/script&gt;"`},
			{"bidi", url.Values{"name": {"Siri \u202Egnal"}, "role": {"assistant"}}, "form.bidi_chars", "Siri \u202Egnal"},
			{"email", url.Values{"name": {"Siri"}, "email": {"siri@"}, "role": {"assistant"}}, "form.invalid_email", `value="siri@"`},
			{"phone", url.Values{"name": {"Siri"}, "phone": {"12ab"}, "role": {"assistant"}}, "form.invalid_phone", `value="12ab"`},
			{"role", url.Values{"name": {"Siri"}, "role": {"owner_admin"}}, "form.invalid", `value="Siri"`},
			{"other group", url.Values{"name": {"Siri"}, "role": {"assistant"}, "groups": {strconv.FormatInt(w.GroupA, 10), strconv.FormatInt(w.OtherGroup, 10)}}, "form.invalid", `value="Siri"`},
		}
		for _, tc := range cases {
			r := m.PostForm(path("/k/%d/staff", w.Kg), tc.v)
			status(t, r, http.StatusBadRequest, tc.name)
			contains(t, r, tc.name, nb(tc.msg), tc.kept)
		}
		// The valid group of a refused form stays ticked.
		r := m.PostForm(path("/k/%d/staff", w.Kg), cases[len(cases)-1].v)
		contains(t, r, "kept group", path(`value="%d" checked`, w.GroupA))
		if after := e.count(`SELECT COUNT(*) FROM people`); after != before {
			t.Fatalf("%d people saved from bad forms", after-before)
		}
		if n := e.count(`SELECT COUNT(*) FROM invitations`); n != 1 {
			t.Fatalf("%d invitations, want only the fixture's", n)
		}
	})
}

func TestLinkRights(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")
		r := m.Get(path("/children/%d/edit", w.ChildA1))
		status(t, r, http.StatusOK, "child page")
		contains(t, r, "child page", "Pedro Parent", "Cora Coparent", "Boris Blocked",
			path(`action="/children/%d/guardians/%d"`, w.ChildA1, w.Blocked), nb("admin.link.no_information"))

		link := func(pid int64) (pr, lives, noInfo, noPickup bool) {
			t.Helper()
			if err := d.R.QueryRow(`SELECT parental_responsibility, lives_with, no_information, no_pickup FROM guardianships WHERE child_id = $1 AND person_id = $2`,
				w.ChildA1, pid).Scan(&pr, &lives, &noInfo, &noPickup); err != nil {
				t.Fatal(err)
			}
			return
		}
		if _, _, noInfo, _ := link(w.Blocked); !noInfo {
			t.Fatal("fixture: blocked should have no_information")
		}
		// Unticking everything but lives_with lifts no_information.
		r = m.PostForm(path("/children/%d/guardians/%d", w.ChildA1, w.Blocked), url.Values{"lives_with": {"1"}})
		status(t, r, http.StatusSeeOther, "lift no_information")
		if pr, lives, noInfo, noPickup := link(w.Blocked); pr || !lives || noInfo || noPickup {
			t.Fatalf("after lifting: pr=%v lives=%v noInfo=%v noPickup=%v", pr, lives, noInfo, noPickup)
		}
		// And back: no information, no pickup.
		r = m.PostForm(path("/children/%d/guardians/%d", w.ChildA1, w.Blocked), url.Values{"no_information": {"1"}, "no_pickup": {"on"}})
		status(t, r, http.StatusSeeOther, "set no_information")
		if pr, lives, noInfo, noPickup := link(w.Blocked); pr || lives || !noInfo || !noPickup {
			t.Fatalf("after setting: pr=%v lives=%v noInfo=%v noPickup=%v", pr, lives, noInfo, noPickup)
		}
		r = m.Get(path("/children/%d/edit", w.ChildA1))
		contains(t, r, "child page", `name="no_information" value="1" checked`)
		// The parent's link is untouched.
		if pr, lives, noInfo, _ := link(w.Parent); !pr || !lives || noInfo {
			t.Fatal("another guardian's link changed")
		}
		// A guardian of another child cannot be linked through this route.
		status(t, m.PostForm(path("/children/%d/guardians/%d", w.ChildA1, w.OtherParent), url.Values{"lives_with": {"1"}}), http.StatusNotFound, "other kindergarten's guardian")
	})
}
