package admin

import (
	"strconv"

	"tillit/internal/directory"
	"tillit/internal/web"
)

type childrenData struct {
	base
	Children []childRow
	Groups   []groupRow
}

func childrenPage(c *web.Ctx, kg *kgInfo, groups []groupRow, f *form) error {
	children, err := listChildren(c.Context(), c.Env.DB.R, kg.ID)
	if err != nil {
		return err
	}
	return render(c, "children", c.T("admin.children.title"), childrenData{newBase(c, kg, "children"), children, groups}, f)
}

// Children lists the kindergarten's children (never their addresses) and
// has the form to add a child.
func Children(c *web.Ctx) error {
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	return childrenPage(c, kg, groups, nil)
}

// childFields reads the fields the add and edit forms share.
func childFields(f *form, groups []groupRow) directory.Child {
	ch := directory.Child{
		FirstName: f.name("first_name"),
		LastName:  f.name("last_name"),
		BirthDate: f.birthDate("birth_date"),
	}
	if g := f.raw("group"); g == "" {
		f.fail("group", "form.required")
	} else {
		ch.GroupID = f.groupIn("group", g, groups)
	}
	ch.ConfidentialAddress = f.confidentiality("confidential_address")
	return ch
}

// CreateChild adds a child to one of the kindergarten's groups and goes
// on to the child's page, where the guardians are added.
func CreateChild(c *web.Ctx) error {
	ctx := c.Context()
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	ch := childFields(f, groups)
	if !f.ok() {
		return childrenPage(c, kg, groups, f)
	}
	ch.KindergartenID = kg.ID
	id, err := directory.CreateChild(ctx, c.Env.DB.W, &ch)
	if err != nil {
		return err
	}
	return c.Redirect("/children/" + strconv.FormatInt(id, 10) + "/edit?saved=1")
}

type childData struct {
	base
	Child  *directory.Child
	Groups []groupRow
	Links  []linkRow
}

func childPage(c *web.Ctx, ch *directory.Child, f *form) error {
	ctx, q := c.Context(), c.Env.DB.R
	kg, err := loadKg(ctx, q, ch.KindergartenID)
	if err != nil {
		return err
	}
	groups, err := listGroups(ctx, q, kg.ID)
	if err != nil {
		return err
	}
	links, err := childLinks(ctx, q, kg.ID, ch.ID)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm(c)
		f.Vals = map[string]string{
			"first_name": ch.FirstName, "last_name": ch.LastName, "birth_date": ch.BirthDate,
			"address": ch.Address, "confidential_address": ch.ConfidentialAddress,
			// The new-guardian form starts with the usual rights ticked.
			"parental_responsibility": "1", "lives_with": "1",
		}
		if ch.GroupID != 0 {
			f.Vals["group"] = strconv.FormatInt(ch.GroupID, 10)
		}
	}
	title := ch.FirstName + " " + ch.LastName
	return render(c, "child", title, childData{newBase(c, kg, ""), ch, groups, links}, f)
}

// ChildEditForm shows a child's details (with the address, also a
// confidential one, which only the administration sees), the guardians'
// link rights, and the form to add a guardian.
func ChildEditForm(c *web.Ctx) error {
	ch, err := directory.GetChild(c.Context(), c.Env.DB.R, pathID(c, "id"))
	if err != nil {
		return err
	}
	return childPage(c, ch, nil)
}

// ChildEdit saves a child's details.
func ChildEdit(c *web.Ctx) error {
	ctx := c.Context()
	ch, err := directory.GetChild(ctx, c.Env.DB.R, pathID(c, "id"))
	if err != nil {
		return err
	}
	groups, err := listGroups(ctx, c.Env.DB.R, ch.KindergartenID)
	if err != nil {
		return err
	}
	f := newForm(c)
	v := childFields(f, groups)
	v.Address = f.text("address")
	if !f.ok() {
		f.Vals["parental_responsibility"], f.Vals["lives_with"] = "1", "1"
		return childPage(c, ch, f)
	}
	if _, err := c.Env.DB.W.ExecContext(ctx, `UPDATE children SET first_name = $1, last_name = $2, birth_date = $3, group_id = $4,
		address = $5, confidential_address = $6 WHERE id = $7 AND kindergarten_id = $8`,
		v.FirstName, v.LastName, v.BirthDate, v.GroupID, v.Address, v.ConfidentialAddress, ch.ID, ch.KindergartenID); err != nil {
		return err
	}
	return c.Redirect("/children/" + strconv.FormatInt(ch.ID, 10) + "/edit?saved=1")
}

// LinkEdit sets the rights of one guardian's link to the child. Each
// right is a checkbox: unticked means no.
func LinkEdit(c *web.Ctx) error {
	ctx := c.Context()
	child, person := pathID(c, "id"), pathID(c, "pid")
	var n int
	if err := c.Env.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM guardianships WHERE child_id = $1 AND person_id = $2`, child, person).Scan(&n); err != nil {
		return err
	}
	if n != 1 {
		return web.ErrNotFound
	}
	f := newForm(c)
	l := directory.Link{ChildID: child, PersonID: person,
		ParentalResponsibility: f.check("parental_responsibility"),
		LivesWith:              f.check("lives_with"),
		NoInformation:          f.check("no_information"),
		NoPickup:               f.check("no_pickup"),
	}
	if err := directory.SetLink(ctx, c.Env.DB.W, l); err != nil {
		return err
	}
	return c.Redirect("/children/" + strconv.FormatInt(child, 10) + "/edit?saved=1#guardian-" + strconv.FormatInt(person, 10))
}
