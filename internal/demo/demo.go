// Package demo seeds "Solsikken barnehage", the demo kindergarten: three
// groups, their staff, about forty children and their families — twelve
// of them refugee families speaking Tigrinya, Arabic, Dari, Somali,
// Ukrainian, Russian, Kurmanji and Pashto — with split custody, a
// guardian without parental responsibility and a child with a
// confidential address. Every person is made up.
package demo

import (
	"context"
	"database/sql"
	"fmt"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/directory"
)

// Password is every demo person's password.
const Password = "demo-password"

// Persona is a demo login worth trying, listed in docs/demo.md and
// printed when the demo starts.
type Persona struct {
	Login, Name, Who string
}

// Personas are the logins the README and docs/demo.md point to.
var Personas = []Persona{
	{"tesfay", "Tesfay Haile", "father, speaks Tigrinya (ti); two children in Blåbær and Tyttebær"},
	{"amal", "Amal Haddad", "mother, speaks Arabic (ar): right-to-left pages"},
	{"farida", "Farida Ahmadi", "mother, speaks Dari (fa-AF); prefers pictures, needs an interpreter"},
	{"olena", "Olena Kovalenko", "mother from Ukraine, speaks Russian at home (ru)"},
	{"jonas", "Jonas Berg", "father in split custody, no parental responsibility (nb)"},
	{"kari", "Kari Solberg", "pedagogical leader of Blåbær"},
	{"ahmed", "Ahmed Yusuf", "assistant in Tyttebær, speaks Somali and Arabic"},
	{"styrer", "Ingrid Dahl", "manager (styrer) of Solsikken barnehage"},
	{"eier", "Per Lunde", "owner admin of Eksempel kommune"},
}

// Result names what was made, for tests.
type Result struct {
	Org, Kindergarten int64
	Groups            map[string]int64
	People            map[string]int64 // by login
	Children          map[string]int64 // by "First Last"
	// SelamThread is Selam Haile's thread; TripMessage the Tyttebær trip
	// announcement some families did not understand; SMSThread Amal
	// Haddad's private thread with Tyttebær, where her SMS answer is.
	SelamThread, TripMessage, SMSThread int64
}

type family struct {
	last     string
	children []kid
	adults   []adult
	conf     string // confidential address of the children
}

type kid struct {
	first, group, born string
}

type adult struct {
	login, name string
	langs       []string
	pref        string
	interp      string // interpreter language, "" if none
	dialect     string
	pr, lives   bool
	noInfo      bool
	noPickup    bool
	phone       string
	conf        string
}

var refugees = []family{
	{last: "Haile", children: []kid{{"Selam", "Blåbær", "2024-02-11"}, {"Yonas", "Tyttebær", "2021-06-30"}}, adults: []adult{
		{login: "tesfay", name: "Tesfay Haile", langs: []string{"ti"}, pref: "audio", interp: "ti", dialect: "Eritrean Tigrinya", pr: true, lives: true, phone: "+4790000101"},
		{login: "mehret", name: "Mehret Tesfamariam", langs: []string{"ti", "en"}, pr: true, lives: true}}},
	{last: "Haddad", children: []kid{{"Lina", "Tyttebær", "2021-09-14"}}, adults: []adult{
		{login: "amal", name: "Amal Haddad", langs: []string{"ar"}, pr: true, lives: true, phone: "+4790000102"},
		{login: "omar", name: "Omar Haddad", langs: []string{"ar", "en"}, pr: true, lives: true}}},
	{last: "Al-Masri", children: []kid{{"Yusuf", "Multe", "2020-12-02"}, {"Maryam", "Blåbær", "2023-08-20"}}, adults: []adult{
		{login: "rania", name: "Rania Al-Masri", langs: []string{"ar"}, pref: "pictures", interp: "ar", dialect: "Syrian (Levantine)", pr: true, lives: true}}},
	{last: "Hassan", children: []kid{{"Nour", "Multe", "2021-03-05"}}, adults: []adult{
		{login: "khaled", name: "Khaled Hassan", langs: []string{"ar", "en"}, pr: true, lives: true},
		{login: "dina", name: "Dina Saleh", langs: []string{"ar"}, pr: true, lives: true}}},
	{last: "Ahmadi", children: []kid{{"Zahra", "Tyttebær", "2022-01-19"}}, adults: []adult{
		{login: "farida", name: "Farida Ahmadi", langs: []string{"fa-AF"}, pref: "pictures", interp: "fa-AF", dialect: "Dari (Kabul)", pr: true, lives: true, phone: "+4790000103"},
		{login: "habib", name: "Habib Ahmadi", langs: []string{"fa-AF", "en"}, pr: true, lives: true}}},
	{last: "Rahimi", children: []kid{{"Omid", "Blåbær", "2023-11-07"}}, adults: []adult{
		{login: "soraya", name: "Soraya Rahimi", langs: []string{"fa-AF"}, interp: "fa-AF", dialect: "Dari (Herat)", pr: true, lives: true}}},
	{last: "Warsame", children: []kid{{"Hodan", "Multe", "2020-10-25"}, {"Abdi", "Tyttebær", "2022-05-03"}}, adults: []adult{
		{login: "faadumo", name: "Faadumo Warsame", langs: []string{"so"}, pref: "audio", interp: "so", dialect: "Northern Somali", pr: true, lives: true}}},
	{last: "Kovalenko", children: []kid{{"Sofiia", "Multe", "2021-02-14"}}, adults: []adult{
		{login: "olena", name: "Olena Kovalenko", langs: []string{"ru", "uk"}, pr: true, lives: true, phone: "+4790000104"}}},
	{last: "Shevchenko", children: []kid{{"Mykola", "Tyttebær", "2022-07-09"}}, adults: []adult{
		{login: "iryna", name: "Iryna Shevchenko", langs: []string{"uk"}, pr: true, lives: true},
		{login: "taras", name: "Taras Shevchenko", langs: []string{"uk", "en"}, pr: true, lives: true}}},
	{last: "Demir", children: []kid{{"Rojin", "Blåbær", "2023-05-28"}}, adults: []adult{
		{login: "berivan", name: "Berivan Demir", langs: []string{"kmr"}, interp: "kmr", dialect: "Kurmanji (Bahdini)", pr: true, lives: true}}},
	{last: "Stanikzai", children: []kid{{"Malalai", "Multe", "2021-04-16"}}, adults: []adult{
		{login: "gulalai", name: "Gulalai Stanikzai", langs: []string{"ps"}, pref: "audio", interp: "ps", dialect: "Kandahari Pashto", pr: true, lives: true}}},
	{last: "Ghebremedhin", children: []kid{{"Senait", "Tyttebær", "2021-12-21"}}, adults: []adult{
		{login: "abrehet", name: "Abrehet Ghebremedhin", langs: []string{"ti", "ar"}, pr: true, lives: true}}},
}

// Norwegian-speaking families, one with split custody and one child with
// a confidential address.
var locals = []family{
	{last: "Berg", children: []kid{{"Emma", "Tyttebær", "2021-08-12"}}, adults: []adult{
		{login: "marte", name: "Marte Berg", langs: []string{"nb"}, pr: true, lives: true, phone: "+4790000105"},
		{login: "jonas", name: "Jonas Berg", langs: []string{"nb"}, pr: false, lives: false}}},
	{last: "Lie", children: []kid{{"Noah", "Blåbær", "2023-10-03"}}, conf: "strengt_fortrolig", adults: []adult{
		{login: "hanne", name: "Hanne Lie", langs: []string{"nb"}, pr: true, lives: true, conf: "strengt_fortrolig"},
		{login: "geir", name: "Geir Lie", langs: []string{"nb"}, pr: true, lives: false, noInfo: true, noPickup: true}}},
}

var norwegianFirst = []string{"Olivia", "Jakob", "Nora", "Emil", "Ella", "Lukas", "Sofie", "Filip", "Ingrid", "Oskar", "Maja", "Henrik",
	"Leah", "Isak", "Frida", "Aksel", "Astrid", "Mathias", "Tiril", "Sander", "Selma", "Johannes", "Thea", "Elias", "Sigrid", "Theodor"}
var norwegianLast = []string{"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
	"Johnsen", "Pettersen", "Eriksen", "Haugen", "Hagen", "Jacobsen", "Strand", "Bakken", "Halvorsen", "Moen", "Lund", "Solheim", "Nygård", "Aas"}

var staff = []struct {
	login, name, role string
	groups            []string
	langs             []string
}{
	{"styrer", "Ingrid Dahl", "manager", nil, []string{"nb", "en"}},
	{"kari", "Kari Solberg", "pedagogical_leader", []string{"Blåbær"}, []string{"nb", "en"}},
	{"sindre", "Sindre Vik", "pedagogical_leader", []string{"Blåbær"}, []string{"nb"}},
	{"mariam", "Mariam Tekle", "pedagogical_leader", []string{"Tyttebær"}, []string{"nb", "ti", "en"}},
	{"tone", "Tone Aasen", "pedagogical_leader", []string{"Tyttebær"}, []string{"nb", "nn"}},
	{"bjorn", "Bjørn Fjeld", "pedagogical_leader", []string{"Multe"}, []string{"nb", "en"}},
	{"agnieszka", "Agnieszka Nowak", "pedagogical_leader", []string{"Multe"}, []string{"nb", "pl", "en"}},
	{"ahmed", "Ahmed Yusuf", "assistant", []string{"Tyttebær"}, []string{"nb", "so", "ar"}},
	{"vilde", "Vilde Brekke", "assistant", []string{"Blåbær"}, []string{"nb"}},
	{"oksana", "Oksana Melnyk", "assistant", []string{"Multe"}, []string{"nb", "uk", "ru"}},
	{"rune", "Rune Hauge", "assistant", []string{"Blåbær", "Multe"}, []string{"nb"}},
}

// Seed fills an empty, migrated database with the demo kindergarten.
func Seed(ctx context.Context, d *db.DB) (*Result, error) {
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	r := &Result{Groups: map[string]int64{}, People: map[string]int64{}, Children: map[string]int64{}}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r.Org, err = directory.CreateOrganisation(ctx, tx, "Eksempel kommune", "municipality"); err != nil {
			return err
		}
		if r.Kindergarten, err = directory.CreateKindergarten(ctx, tx, r.Org, "Solsikken barnehage"); err != nil {
			return err
		}
		for _, g := range []string{"Blåbær", "Tyttebær", "Multe"} {
			if r.Groups[g], err = directory.CreateGroup(ctx, tx, r.Kindergarten, g); err != nil {
				return err
			}
		}
		person := func(p *directory.Person) (int64, error) {
			if p.Email == "" && p.Login != "" {
				p.Email = p.Login + "@demo.tillit.example"
			}
			id, err := directory.CreatePerson(ctx, tx, p)
			if err == nil && p.Login != "" {
				err = directory.SetLogin(ctx, tx, id, p.Login, hash)
				r.People[p.Login] = id
			}
			return id, err
		}
		owner, err := person(&directory.Person{Name: "Per Lunde", Login: "eier", Languages: []string{"nb"}})
		if err != nil {
			return err
		}
		if err := directory.AddStaffRole(ctx, tx, owner, r.Org, 0, "owner_admin"); err != nil {
			return err
		}
		for _, s := range staff {
			id, err := person(&directory.Person{Name: s.name, Login: s.login, Languages: s.langs, UILanguage: "nb"})
			if err != nil {
				return err
			}
			if err := directory.AddStaffRole(ctx, tx, id, r.Org, r.Kindergarten, s.role); err != nil {
				return err
			}
			for _, g := range s.groups {
				if err := directory.AssignGroup(ctx, tx, id, r.Groups[g]); err != nil {
					return err
				}
			}
		}
		families := append(append([]family{}, refugees...), locals...)
		// Norwegian-speaking families fill the groups to about forty children.
		for i := 0; len(families) < 36; i++ {
			last := norwegianLast[i%len(norwegianLast)]
			first := norwegianFirst[i%len(norwegianFirst)]
			group := []string{"Blåbær", "Tyttebær", "Multe"}[i%3]
			born := []string{"2023-04-10", "2021-11-22", "2020-09-15"}[i%3]
			f := family{last: last, children: []kid{{first, group, born}}, adults: []adult{
				{name: norwegianFirst[(i+7)%len(norwegianFirst)] + " " + last, langs: []string{"nb"}, pr: true, lives: true, login: fmt.Sprintf("forelder%02d", i+1)},
			}}
			if i%4 == 0 {
				f.children = append(f.children, kid{norwegianFirst[(i+13)%len(norwegianFirst)], []string{"Multe", "Blåbær", "Tyttebær"}[i%3], "2022-06-01"})
			}
			if i%2 == 1 {
				f.adults = append(f.adults, adult{name: norwegianFirst[(i+3)%len(norwegianFirst)] + " " + last, langs: []string{"nb"}, pr: true, lives: true})
			}
			families = append(families, f)
		}
		for _, f := range families {
			var kids []int64
			for _, k := range f.children {
				c := &directory.Child{KindergartenID: r.Kindergarten, GroupID: r.Groups[k.group], FirstName: k.first, LastName: f.last, BirthDate: k.born, ConfidentialAddress: f.conf}
				if f.conf != "" {
					c.Address = "Skjermet adresse 1, 0000 Eksempel"
				} else {
					c.Address = "Solsikkeveien " + fmt.Sprint(len(r.Children)+1) + ", 1234 Eksempel"
				}
				id, err := directory.CreateChild(ctx, tx, c)
				if err != nil {
					return err
				}
				r.Children[k.first+" "+f.last] = id
				kids = append(kids, id)
			}
			for _, a := range f.adults {
				p := &directory.Person{Name: a.name, Login: a.login, Languages: a.langs, InfoPreference: a.pref, Phone: a.phone,
					NeedsInterpreter: a.interp != "", InterpreterLanguage: a.interp, InterpreterDialect: a.dialect, ConfidentialAddress: a.conf}
				if a.conf != "" {
					p.Address = "Skjermet adresse 1, 0000 Eksempel"
				}
				id, err := person(p)
				if err != nil {
					return err
				}
				for _, k := range kids {
					if err := directory.SetLink(ctx, tx, directory.Link{ChildID: k, PersonID: id, ParentalResponsibility: a.pr,
						LivesWith: a.lives, NoInformation: a.noInfo, NoPickup: a.noPickup}); err != nil {
						return err
					}
				}
			}
		}
		// One family has not accepted their invitation yet.
		pending, err := directory.CreatePerson(ctx, tx, &directory.Person{Name: "Ayaan Warsame", Languages: []string{"so"}, Phone: "+4790000199"})
		if err != nil {
			return err
		}
		if err := directory.SetLink(ctx, tx, directory.Link{ChildID: r.Children["Hodan Warsame"], PersonID: pending, ParentalResponsibility: true}); err != nil {
			return err
		}
		_, err = auth.CreateInvitation(ctx, tx, pending, r.Kindergarten, r.People["bjorn"])
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := seedMessages(ctx, d, r); err != nil {
		return nil, err
	}
	return r, nil
}
