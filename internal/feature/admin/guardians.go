package admin

import (
	"strconv"
	"strings"

	"tillit/internal/directory"
	"tillit/internal/web"
)

type guardiansData struct {
	base
	Guardians []guardianRow
}

// Guardians lists the guardians of the kindergarten's children: their
// children, languages, how they want information, interpreter needs,
// whether they have signed in, and their contact — hidden when their
// address is confidential. Addresses are never listed.
func Guardians(c *web.Ctx) error {
	ctx := c.Context()
	kg, err := loadKg(ctx, c.Env.DB.R, pathID(c, "kg"))
	if err != nil {
		return err
	}
	gs, err := listGuardians(ctx, c.Env.DB.R, kg.ID)
	if err != nil {
		return err
	}
	return render(c, "guardians", c.T("admin.guardians.title"), guardiansData{newBase(c, kg, "guardians"), gs}, nil)
}

type guardianData struct {
	base
	Person   *directory.Person
	HasLogin bool
	Invited  bool
	Children []guardianChild
}

func guardianPage(c *web.Ctx, kg *kgInfo, p *directory.Person, f *form) error {
	links, err := kgLinks(c.Context(), c.Env.DB.R, kg.ID, p.ID)
	if err != nil {
		return err
	}
	d := guardianData{base: newBase(c, kg, ""), Person: p, HasLogin: p.Login != ""}
	if d.Invited, err = invited(c.Context(), c.Env.DB.R, kg.ID, p.ID); err != nil {
		return err
	}
	for _, l := range links {
		d.Children = append(d.Children, l.guardianChild)
	}
	if f == nil {
		f = newForm(c)
		f.Vals = map[string]string{"name": p.Name, "phone": p.Phone, "email": p.Email,
			"info_preference": p.InfoPreference, "interpreter_language": p.InterpreterLanguage,
			"interpreter_dialect": p.InterpreterDialect, "address": p.Address, "confidential_address": p.ConfidentialAddress}
		if p.NeedsInterpreter {
			f.Vals["needs_interpreter"] = "1"
		}
		setLanguages(f.Vals, p.Languages)
	}
	return render(c, "guardian", p.Name, d, f)
}

// Guardian shows a guardian's details for editing — with the address, also
// a confidential one, which only the administration sees here.
func Guardian(c *web.Ctx) error {
	ctx := c.Context()
	kg, err := loadKg(ctx, c.Env.DB.R, pathID(c, "kg"))
	if err != nil {
		return err
	}
	p, err := directory.GetPerson(ctx, c.Env.DB.R, pathID(c, "pid"))
	if err != nil {
		return err
	}
	return guardianPage(c, kg, p, nil)
}

// GuardianSave saves a guardian's name, contact, languages, information
// preference, interpreter need and address.
func GuardianSave(c *web.Ctx) error {
	ctx := c.Context()
	kg, err := loadKg(ctx, c.Env.DB.R, pathID(c, "kg"))
	if err != nil {
		return err
	}
	p, err := directory.GetPerson(ctx, c.Env.DB.R, pathID(c, "pid"))
	if err != nil {
		return err
	}
	f := newForm(c)
	v := directory.Person{
		Name:      f.name("name"),
		Phone:     f.phone("phone"),
		Email:     f.email("email"),
		Languages: f.languages(),
	}
	v.InfoPreference = f.oneOf("info_preference", infoPrefs)
	v.NeedsInterpreter = f.check("needs_interpreter")
	v.InterpreterLanguage = f.text("interpreter_language")
	v.InterpreterDialect = f.text("interpreter_dialect")
	if v.NeedsInterpreter && v.InterpreterLanguage == "" {
		f.fail("interpreter_language", "admin.guardian.interpreter_required")
	}
	v.Address = f.text("address")
	v.ConfidentialAddress = f.confidentiality("confidential_address")
	if !f.ok() {
		return guardianPage(c, kg, p, f)
	}
	langs := strings.Join(v.Languages, " ")
	if _, err := c.Env.DB.W.ExecContext(ctx, `UPDATE people SET name = $1, phone = $2, email = $3, languages = $4, info_preference = $5,
		needs_interpreter = $6, interpreter_language = $7, interpreter_dialect = $8, address = $9, confidential_address = $10 WHERE id = $11`,
		v.Name, v.Phone, v.Email, langs, v.InfoPreference, v.NeedsInterpreter, v.InterpreterLanguage, v.InterpreterDialect,
		v.Address, v.ConfidentialAddress, p.ID); err != nil {
		return err
	}
	return c.Redirect("/k/" + strconv.FormatInt(kg.ID, 10) + "/guardians/" + strconv.FormatInt(p.ID, 10) + "?saved=1")
}
