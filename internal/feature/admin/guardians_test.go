package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

func TestGuardiansList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		e.exec(`UPDATE people SET phone = '+4790000001', address = 'Hemmelig gate 1', confidential_address = 'fortrolig' WHERE id = $1`, w.Parent)
		e.exec(`UPDATE people SET phone = '+4790000002', address = 'Åpen gate 2', needs_interpreter = TRUE, interpreter_language = 'arabisk', interpreter_dialect = 'sudansk' WHERE id = $1`, w.Coparent)
		m := e.login("manager")
		r := m.Get(path("/k/%d/guardians", w.Kg))
		status(t, r, http.StatusOK, "guardians")
		contains(t, r, "guardians", "Pedro Parent", "Cora Coparent", "Boris Blocked", "Bea ParentB", "Petra Pending",
			nb("conf.fortrolig"), nb("admin.guardians.contact_hidden"),
			// the co-parent's contact and interpreter need are there
			"&#43;4790000002", ">coparent@example.org<", nb("admin.guardians.interpreter"), "arabisk", "sudansk",
			// languages by name, most preferred first
			nb("lang.ti")+", "+nb("lang.en"),
			nb("pref.text"), nb("admin.status.active"), nb("admin.status.invited"),
			nb("admin.link.no_information_short"), path(`href="/k/%d/guardians/%d"`, w.Kg, w.Parent))
		// The confidential guardian's contact is hidden, and no address is listed.
		lacks(t, r, "guardians", "4790000001", "mailto:parent@", ">parent@example.org", "Hemmelig gate", "Åpen gate",
			// nobody from the other kindergarten
			"Oda OtherParent", "Olav")

		// The edit page shows the confidential address to the manager, with the warning.
		r = m.Get(path("/k/%d/guardians/%d", w.Kg, w.Parent))
		status(t, r, http.StatusOK, "guardian page")
		contains(t, r, "guardian page", `value="Hemmelig gate 1"`, nb("admin.conf.warning"), `value="&#43;4790000001"`,
			`<option value="ti" selected>`, `name="languages" value="en" checked`)
		lacks(t, r, "guardian page", path(`action="/k/%d/guardians/%d/invite"`, w.Kg, w.Parent))
		// Someone without a login gets the button for a new invitation.
		r = m.Get(path("/k/%d/guardians/%d", w.Kg, w.Pending))
		contains(t, r, "pending guardian", path(`action="/k/%d/guardians/%d/invite"`, w.Kg, w.Pending))
	})
}

func TestGuardianSave(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		w := e.w
		m := e.login("manager")
		u := path("/k/%d/guardians/%d", w.Kg, w.Coparent)
		good := func() url.Values {
			return url.Values{"name": {"Cora Coparent"}, "phone": {"+46 70 123 45 67"}, "email": {"cora@Example.ORG"},
				"languages": {"fa-AF", "en", "ar", "fa-AF"}, "info_preference": {"audio"}, "needs_interpreter": {"1"},
				"interpreter_language": {"dari"}, "interpreter_dialect": {"Herat"}, "address": {"Ny vei 1"}, "confidential_address": {"fortrolig"}}
		}
		bad := []struct {
			name, field, value, msg string
		}{
			{"script", "name", "<script>alert(1)</script>", "form.markup_chars"},
			{"bidi", "name", "Cora \u202Etnerapoc", "form.bidi_chars"},
			{"phone", "phone", "123", "form.invalid_phone"},
			{"email", "email", "cora at example", "form.invalid_email"},
			{"language", "languages", "xx", "form.unknown_language"},
			{"preference", "info_preference", "telepathy", "form.invalid"},
			{"interpreter", "interpreter_language", "", "admin.guardian.interpreter_required"},
			{"dialect", "interpreter_dialect", "a\u202Eb", "form.bidi_chars"},
			{"confidentiality", "confidential_address", "hemmelig", "form.invalid"},
		}
		for _, tc := range bad {
			v := good()
			if tc.field == "languages" {
				v.Add(tc.field, tc.value) // the valid choices are kept
			} else {
				v.Set(tc.field, tc.value)
			}
			r := m.PostForm(u, v)
			status(t, r, http.StatusBadRequest, tc.name)
			contains(t, r, tc.name, nb(tc.msg), `value="Ny vei 1"`, `<option value="fa-AF" selected>`, `name="languages" value="en" checked`)
			if tc.field != "interpreter_language" {
				contains(t, r, tc.name, `value="dari"`)
			}
			lacks(t, r, tc.name, "<script>alert")
		}
		if n := e.count(`SELECT COUNT(*) FROM people WHERE id = $1 AND name = 'Cora Coparent' AND languages = 'ar' AND phone = '' AND confidential_address = ''`, w.Coparent); n != 1 {
			t.Fatal("a refused form changed the guardian")
		}
		r := m.PostForm(u, good())
		status(t, r, http.StatusSeeOther, "save guardian")
		var langs, phone, email, pref, addr, conf, il string
		var needs bool
		if err := d.R.QueryRow(`SELECT languages, phone, email, info_preference, needs_interpreter, interpreter_language, address, confidential_address FROM people WHERE id = $1`, w.Coparent).
			Scan(&langs, &phone, &email, &pref, &needs, &il, &addr, &conf); err != nil {
			t.Fatal(err)
		}
		if langs != "fa-AF en ar" || phone != "+46701234567" || email != "cora@example.org" || pref != "audio" || !needs || il != "dari" || addr != "Ny vei 1" || conf != "fortrolig" {
			t.Fatalf("saved %q %q %q %q %v %q %q %q", langs, phone, email, pref, needs, il, addr, conf)
		}
		// Now confidential: the list hides her contact.
		r = m.Get(path("/k/%d/guardians", w.Kg))
		lacks(t, r, "guardians", "46701234567", "cora@example.org", "Ny vei 1")
	})
}
