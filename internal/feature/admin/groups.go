package admin

import (
	"database/sql"
	"strconv"

	"tillit/internal/directory"
	"tillit/internal/web"
)

type kgData struct {
	base
	Groups  []groupRow
	NoGroup int // children without a group
}

func kgPage(c *web.Ctx, kg *kgInfo, f *form, rename map[int64][2]string) error {
	ctx, q := c.Context(), c.Env.DB.R
	groups, err := listGroups(ctx, q, kg.ID)
	if err != nil {
		return err
	}
	for i, g := range groups {
		if r, ok := rename[g.ID]; ok {
			groups[i].Value, groups[i].Err = r[0], r[1]
		}
	}
	d := kgData{base: newBase(c, kg, "overview"), Groups: groups}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM children WHERE kindergarten_id = $1 AND group_id IS NULL`, kg.ID).Scan(&d.NoGroup); err != nil {
		return err
	}
	return render(c, "kindergarten", kg.Name, d, f)
}

// Kindergarten is the overview: groups with their counts, a form to add
// a group, and the way to children, staff, guardians and the import.
func Kindergarten(c *web.Ctx) error {
	kg, err := loadKg(c.Context(), c.Env.DB.R, pathID(c, "kg"))
	if err != nil {
		return err
	}
	return kgPage(c, kg, nil, nil)
}

// CreateGroup adds a group with a name new in the kindergarten.
func CreateGroup(c *web.Ctx) error {
	ctx := c.Context()
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	name := f.name("name")
	if f.ok() && nameTaken(groups, name, 0) {
		f.fail("name", "admin.groups.taken")
	}
	if !f.ok() {
		return kgPage(c, kg, f, nil)
	}
	if _, err := directory.CreateGroup(ctx, c.Env.DB.W, kg.ID, name); err != nil {
		return err
	}
	return c.Redirect("/k/" + strconv.FormatInt(kg.ID, 10) + "/admin?saved=1")
}

// EditGroup renames a group; the new name must be new in the
// kindergarten. Problems show on the overview, at the group's row.
func EditGroup(c *web.Ctx) error {
	ctx := c.Context()
	id := pathID(c, "id")
	var kgID int64
	if err := c.Env.DB.R.QueryRowContext(ctx, `SELECT kindergarten_id FROM groups WHERE id = $1`, id).Scan(&kgID); err != nil {
		if err == sql.ErrNoRows {
			return web.ErrNotFound
		}
		return err
	}
	kg, err := loadKg(ctx, c.Env.DB.R, kgID)
	if err != nil {
		return err
	}
	groups, err := listGroups(ctx, c.Env.DB.R, kg.ID)
	if err != nil {
		return err
	}
	f := newForm(c)
	typed := c.R.PostFormValue("name")
	name := f.name("name")
	if f.ok() && nameTaken(groups, name, id) {
		f.fail("name", "admin.groups.taken")
	}
	if !f.ok() {
		// The error belongs to this group's rename form, not to the
		// "new group" form, which keeps its own (empty) field.
		key := "group_" + strconv.FormatInt(id, 10)
		g := &form{c: c, Vals: map[string]string{}, Errs: map[string]string{key: f.Errs["name"]}}
		return kgPage(c, kg, g, map[int64][2]string{id: {typed, f.Errs["name"]}})
	}
	if _, err := c.Env.DB.W.ExecContext(ctx, `UPDATE groups SET name = $1 WHERE id = $2`, name, id); err != nil {
		return err
	}
	return c.Redirect("/k/" + strconv.FormatInt(kg.ID, 10) + "/admin?saved=1")
}
