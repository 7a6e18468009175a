// Package admin is the kindergarten's administration, for the manager
// (styrer) and the owner admin: groups, children and their guardians' link
// rights, staff and their invitations, guardians' contact and language
// details, and the owner's list of kindergartens.
//
// The router has already checked the route's permission; every list query
// here is still scoped to the kindergarten in the path, and every id that
// arrives in a form (a group, say) is checked to belong to it.
package admin

import (
	"embed"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tillit/internal/i18n"
	"tillit/internal/importcsv"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// Roles a manager may give in a kindergarten, in the order offered.
var staffRoles = []string{"pedagogical_leader", "assistant", "manager"}

// Confidentiality choices for addresses, in the order offered.
var confChoices = []string{importcsv.ConfidentialNone, importcsv.Confidential, importcsv.StrictlyConfidential}

// Information preferences.
var infoPrefs = []string{"text", "audio", "pictures"}

// base is what every page inside a kindergarten shares: its name for the
// heading and the section navigation.
type base struct {
	Kg      *kgInfo
	Section string
	// OrgAdmin: the reader is the organisation's owner admin and gets a
	// link back to the organisation.
	OrgAdmin bool
	// Roles, Confs, Prefs and Langs fill selects and checkbox groups.
	Roles []string
	Confs []string
	Prefs []string
	Langs []i18n.Language
}

func newBase(c *web.Ctx, kg *kgInfo, section string) base {
	return base{Kg: kg, Section: section, OrgAdmin: c.Actor.AdminsOrganisation(kg.OrgID),
		Roles: staffRoles, Confs: confChoices, Prefs: infoPrefs, Langs: i18n.Languages}
}

// pathID reads a numeric path parameter (0 when malformed; the router's
// permission check has already refused those).
func pathID(c *web.Ctx, name string) int64 {
	n, err := strconv.ParseInt(c.R.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// notice shows "saved" after a redirect from a successful POST.
func notice(c *web.Ctx) string {
	if c.R.URL.Query().Get("saved") == "1" {
		return "form.saved"
	}
	return ""
}

// codeKey turns an importcsv validation code into a form message key.
func codeKey(code string) string {
	switch code {
	case importcsv.CodeRequired, importcsv.CodeTooLong, importcsv.CodeBidiChars, importcsv.CodeControlChars,
		importcsv.CodeMarkupChars, importcsv.CodeInvalidEmail, importcsv.CodeInvalidPhone,
		importcsv.CodeUnknownLanguage, importcsv.CodeInvalidDate:
		return "form." + code
	case importcsv.CodeInvalidUTF8:
		return "error.invalid_utf8"
	case importcsv.CodeFutureDate:
		return "admin.child.future_date"
	case importcsv.CodeTooOld:
		return "admin.child.too_old"
	}
	return "form.invalid"
}

// form collects a POST's values (as typed, to show again) and its
// problems (field → message key).
type form struct {
	c    *web.Ctx
	Vals map[string]string
	Errs map[string]string
}

func newForm(c *web.Ctx) *form {
	return &form{c: c, Vals: map[string]string{}, Errs: map[string]string{}}
}

// raw returns a field as typed and remembers it.
func (f *form) raw(field string) string {
	v := f.c.R.PostFormValue(field)
	f.Vals[field] = v
	return v
}

func (f *form) fail(field, key string) {
	if _, ok := f.Errs[field]; !ok {
		f.Errs[field] = key
	}
}

func (f *form) ok() bool { return len(f.Errs) == 0 }

// name validates a required name.
func (f *form) name(field string) string {
	v, code := importcsv.ValidateName(f.raw(field))
	if code != "" {
		f.fail(field, codeKey(code))
	}
	return v
}

// text validates optional free text; markup characters are refused too,
// since nothing here needs them.
func (f *form) text(field string) string {
	v, code := importcsv.ValidateText(f.raw(field))
	if code == "" && strings.ContainsAny(v, "<>") {
		code = importcsv.CodeMarkupChars
	}
	if code != "" {
		f.fail(field, codeKey(code))
		return ""
	}
	return v
}

func (f *form) email(field string) string {
	v, code := importcsv.ValidateEmail(f.raw(field))
	if code != "" {
		f.fail(field, codeKey(code))
	}
	return v
}

func (f *form) phone(field string) string {
	v, code := importcsv.NormalizePhone(f.raw(field))
	if code != "" {
		f.fail(field, codeKey(code))
	}
	return v
}

// check reads a checkbox: present and not "0"/"false" means checked.
func (f *form) check(field string) bool {
	v := f.c.R.PostFormValue(field)
	on := v != "" && v != "0" && v != "false"
	if on {
		f.Vals[field] = "1"
	}
	return on
}

// confidentiality reads the confidential-address select.
func (f *form) confidentiality(field string) string {
	v, code := importcsv.ParseConfidentiality(f.raw(field))
	if code != "" {
		f.fail(field, "form.invalid")
	}
	return v
}

// birthDate reads a child's birth date: a YYYY-MM-DD date, not in the
// future and not more than seven years ago (the same rule as the import).
func (f *form) birthDate(field string) string {
	v, code := importcsv.ValidateText(f.raw(field))
	if code != "" {
		f.fail(field, codeKey(code))
		return ""
	}
	if v == "" {
		f.fail(field, "form.required")
		return ""
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		f.fail(field, "form.invalid_date")
		return ""
	}
	y, m, day := time.Now().In(i18n.Oslo).Date()
	today := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	switch {
	case d.After(today):
		f.fail(field, "admin.child.future_date")
	case d.AddDate(importcsv.MaxChildAgeYears, 0, 0).Before(today):
		f.fail(field, "admin.child.too_old")
	}
	return d.Format(time.DateOnly)
}

// groupIn reads a select or checkbox value that must be the id of one of
// the kindergarten's groups. Anything else (another kindergarten's group,
// garbage) is refused, never silently accepted.
func (f *form) groupIn(field, value string, groups []groupRow) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err == nil {
		for _, g := range groups {
			if g.ID == id {
				return id
			}
		}
	}
	f.fail(field, "form.invalid")
	return 0
}

// groupSet reads the "groups" checkboxes into the form as group_ID keys.
func (f *form) groupSet(groups []groupRow) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, v := range f.c.R.PostForm["groups"] {
		id := f.groupIn("groups", v, groups)
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
			f.Vals["group_"+strconv.FormatInt(id, 10)] = "1"
		}
	}
	return out
}

// oneOf reads a select whose value must be one of choices.
func (f *form) oneOf(field string, choices []string) string {
	v := f.raw(field)
	for _, ch := range choices {
		if v == ch {
			return v
		}
	}
	f.fail(field, "form.invalid")
	return ""
}

// languages reads the guardian's languages, most preferred first: the
// "languages" select (the first choice) and then the "languages"
// checkboxes (the others), as the add-guardian form of the invitations
// feature posts them. The form remembers them as lang_first and lang_CODE.
func (f *form) languages() []string {
	var typed []string
	for _, v := range f.c.R.PostForm["languages"] {
		typed = append(typed, strings.Fields(v)...)
	}
	langs, code := importcsv.ParseLanguages(strings.Join(typed, " "))
	if code != "" {
		f.fail("languages", codeKey(code))
		langs = nil
		for _, v := range typed { // keep the valid choices
			if l, ok := i18n.Lookup(v); ok {
				langs = append(langs, l.Code)
			}
		}
	}
	setLanguages(f.Vals, langs)
	return langs
}

// setLanguages puts languages into form values: the first as lang_first,
// the others as lang_CODE.
func setLanguages(vals map[string]string, langs []string) {
	for i, l := range langs {
		if i == 0 {
			vals["lang_first"] = l
		} else {
			vals["lang_"+l] = "1"
		}
	}
}

// render shows a page; a page with errors is a 400.
func render(c *web.Ctx, name, title string, data any, f *form) error {
	p := &web.Page{Title: title, Data: data, Notice: notice(c)}
	status := http.StatusOK
	if f != nil {
		p.Form = f.Vals
		if !f.ok() {
			p.Errors = f.Errs
			p.Notice = ""
			status = http.StatusBadRequest
		}
	}
	c.Render(status, pages, name, p)
	return nil
}

// birth turns a stored YYYY-MM-DD into a time for Page.ShortDate (noon in
// Oslo, so the date never shifts); zero if it does not parse.
func birth(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, i18n.Oslo)
}
