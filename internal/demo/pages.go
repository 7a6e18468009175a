package demo

import "fmt"

// Walk is one persona's tour of the pages of the core: the page tests,
// the size budgets and the browser and accessibility tests all walk it.
type Walk struct {
	Login string // "" for a visitor
	Lang  string // the interface language the persona's pages come in
	Paths []string
}

// Walks lists every page of the core for the personas who see it.
func Walks(r *Result) []Walk {
	kg := r.Kindergarten
	id := func(format string, v ...any) string { return fmt.Sprintf(format, v...) }
	return []Walk{
		{"", "nb", []string{"/login", "/invite"}},
		{"tesfay", "ti", []string{"/family", id("/children/%d", r.Children["Selam Haile"]), "/profile", "/inbox", id("/threads/%d", r.SelamThread)}},
		{"amal", "ar", []string{"/family", id("/children/%d", r.Children["Lina Haddad"]), "/profile", "/inbox", id("/threads/%d", r.SMSThread)}},
		{"farida", "fa-AF", []string{"/family", "/profile"}},
		{"jonas", "nb", []string{"/family", id("/children/%d", r.Children["Emma Berg"])}},
		{"kari", "nb", []string{"/groups", id("/groups/%d", r.Groups["Blåbær"]), id("/children/%d", r.Children["Selam Haile"]), "/admin", "/profile",
			id("/groups/%d/messages", r.Groups["Blåbær"]), id("/threads/%d", r.SelamThread),
			id("/groups/%d/compose?q=votter", r.Groups["Blåbær"]),
			id("/groups/%d/compose?phrase=trips.trip_to_place&Place=place.forest&Date=2026-12-03&Time=09:30&preview=1", r.Groups["Blåbær"])}},
		{"mariam", "nb", []string{id("/groups/%d/messages", r.Groups["Tyttebær"]), id("/messages/%d/receipts", r.TripMessage), id("/threads/%d", r.SMSThread),
			id("/k/%d/recordings", kg), id("/k/%d/recordings/trips.trip_to_place", kg)}},
		{"styrer", "nb", []string{
			id("/k/%d/admin", kg), id("/k/%d/children", kg), id("/k/%d/staff", kg), id("/k/%d/guardians", kg), id("/k/%d/import", kg),
			id("/children/%d/edit", r.Children["Noah Lie"]), id("/k/%d/staff/%d", kg, r.People["kari"]),
			id("/k/%d/guardians/%d", kg, r.People["tesfay"]), id("/groups/%d", r.Groups["Tyttebær"]),
			id("/k/%d/messages", kg), id("/k/%d/compose?q=stengt", kg),
			id("/k/%d/compose?phrase=planning.day_closed&Date=2026-12-04&preview=1", kg),
			id("/children/%d", r.Children["Noah Lie"]),
		}},
		{"eier", "nb", []string{id("/o/%d", r.Org), "/admin"}},
	}
}
