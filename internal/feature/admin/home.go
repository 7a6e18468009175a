package admin

import (
	"database/sql"
	"strconv"
	"strings"

	"tillit/internal/directory"
	"tillit/internal/policy"
	"tillit/internal/web"
)

type orgView struct {
	ID   int64
	Name string
	Kgs  []kgRow
}

type homeData struct {
	Orgs []orgView
	Kgs  []kgRow // kindergartens managed directly (not via an organisation above)
}

// Home lists what the person administers. A manager of exactly one
// kindergarten goes straight there; an owner admin always sees the list,
// because it holds the link to the organisation's page. Other staff are
// told that administration is the manager's.
func Home(c *web.Ctx) error {
	ctx, q := c.Context(), c.Env.DB.R
	var data homeData
	seen := map[int64]bool{}
	for _, r := range c.Actor.Roles {
		if r.Role != policy.OwnerAdmin || seen[r.OrganisationID] {
			continue
		}
		seen[r.OrganisationID] = true
		o := orgView{ID: r.OrganisationID}
		if err := q.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, o.ID).Scan(&o.Name); err != nil {
			return err
		}
		kgs, err := orgKindergartens(ctx, q, o.ID)
		if err != nil {
			return err
		}
		o.Kgs = kgs
		data.Orgs = append(data.Orgs, o)
	}
	managed := map[int64]bool{}
	for _, r := range c.Actor.Roles {
		if r.Role != policy.Manager || seen[r.OrganisationID] || managed[r.KindergartenID] {
			continue
		}
		managed[r.KindergartenID] = true
		k := kgRow{ID: r.KindergartenID}
		if err := q.QueryRowContext(ctx, `SELECT name FROM kindergartens WHERE id = $1`, k.ID).Scan(&k.Name); err != nil {
			return err
		}
		data.Kgs = append(data.Kgs, k)
	}
	sortByName(data.Kgs, func(k kgRow) string { return k.Name })
	if len(data.Orgs) == 0 && len(data.Kgs) == 1 {
		return c.Redirect("/k/" + strconv.FormatInt(data.Kgs[0].ID, 10) + "/admin")
	}
	return render(c, "home", c.T("admin.home.title"), data, nil)
}

type orgData struct {
	ID   int64
	Name string
	Kgs  []kgRow
}

func loadOrg(c *web.Ctx) (*orgData, error) {
	o := &orgData{ID: pathID(c, "org")}
	ctx, q := c.Context(), c.Env.DB.R
	if err := q.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, o.ID).Scan(&o.Name); err != nil {
		if err == sql.ErrNoRows {
			return nil, web.ErrNotFound
		}
		return nil, err
	}
	kgs, err := orgKindergartens(ctx, q, o.ID)
	o.Kgs = kgs
	return o, err
}

// Organisation is the owner admin's page: the organisation's
// kindergartens and a form to add one.
func Organisation(c *web.Ctx) error {
	o, err := loadOrg(c)
	if err != nil {
		return err
	}
	return render(c, "organisation", o.Name, o, nil)
}

// CreateKindergarten adds a kindergarten to the organisation; its name
// must be new there.
func CreateKindergarten(c *web.Ctx) error {
	o, err := loadOrg(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	name := f.name("name")
	if f.ok() {
		for _, k := range o.Kgs {
			if strings.EqualFold(k.Name, name) {
				f.fail("name", "admin.org.taken")
			}
		}
	}
	if !f.ok() {
		return render(c, "organisation", o.Name, o, f)
	}
	id, err := directory.CreateKindergarten(c.Context(), c.Env.DB.W, o.ID, name)
	if err != nil {
		return err
	}
	return c.Redirect("/k/" + strconv.FormatInt(id, 10) + "/admin?saved=1")
}
