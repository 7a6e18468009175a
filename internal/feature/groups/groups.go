// Package groups is the staff's home: the groups (avdelinger) a person
// works with, and one group's overview for the shared tablet in the
// group room — every child with what staff must know at a glance:
// languages at home, interpreter needs, who must not pick up, confidential
// addresses and guardians who have not signed up yet.
package groups

import (
	"database/sql"
	"embed"
	"net/http"
	"strconv"
	"strings"

	"tillit/internal/i18n"
	"tillit/internal/policy"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// Kindergarten is a kindergarten with the groups the person works with.
type Kindergarten struct {
	ID     int64
	Name   string
	Groups []Group
}

// Group is one line of the list.
type Group struct {
	ID       int64
	Name     string
	Children int
}

type listData struct {
	Kindergartens []*Kindergarten
	// Many: more than one kindergarten, so their names are headings.
	Many bool
}

// List shows the groups the person works with: the assigned groups for
// pedagogical leaders and assistants, every group of the kindergarten for
// the manager, every group of the organisation for the owner admin.
func List(c *web.Ctx) error {
	a := c.Actor
	rows, err := c.Env.DB.R.QueryContext(c.Context(), `SELECT g.id, g.name, k.id, k.name, k.organisation_id,
		(SELECT COUNT(*) FROM children ch WHERE ch.group_id = g.id)
		FROM groups g JOIN kindergartens k ON k.id = g.kindergarten_id
		WHERE k.organisation_id IN (SELECT organisation_id FROM staff_roles WHERE person_id = $1 AND role = $2)
		   OR k.id IN (SELECT kindergarten_id FROM staff_roles WHERE person_id = $1 AND role = $3)
		   OR (g.id IN (SELECT group_id FROM staff_groups WHERE person_id = $1)
		       AND k.id IN (SELECT kindergarten_id FROM staff_roles WHERE person_id = $1))
		ORDER BY k.name, k.id, g.name, g.id`, a.PersonID, policy.OwnerAdmin, policy.Manager)
	if err != nil {
		return err
	}
	defer rows.Close()
	d := &listData{}
	var cur *Kindergarten
	for rows.Next() {
		var g Group
		var kg, org int64
		var kgName string
		if err := rows.Scan(&g.ID, &g.Name, &kg, &kgName, &org, &g.Children); err != nil {
			return err
		}
		// The query is scoped; the policy has the last word all the same.
		if !a.StaffOfGroup(org, kg, g.ID) {
			continue
		}
		if cur == nil || cur.ID != kg {
			cur = &Kindergarten{ID: kg, Name: kgName}
			d.Kindergartens = append(d.Kindergartens, cur)
		}
		cur.Groups = append(cur.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	d.Many = len(d.Kindergartens) > 1
	c.Render(http.StatusOK, pages, "list", &web.Page{Title: c.T("groups.title"), Data: d})
	return nil
}

// Overview is one group's page.
type Overview struct {
	ID           int64
	Name         string
	Kindergarten string
	Children     []*Child
	Staff        []Staff
}

// Child is one row of the overview.
type Child struct {
	ID        int64
	FirstName string
	LastName  string
	// Languages are the first languages of the guardians with access to
	// information, named in the reader's language, without repeats.
	Languages   []string
	Interpreter []Interpreter
	// Preferences are pref.* keys other than text.
	Preferences   []string
	NoPickup      []string // names
	NoInformation []string // names
	Conf          string   // conf.* key of the strictest confidential address, "" if none
	Pending       int      // guardians who have not signed up yet
	conf          int
}

// Interpreter is an interpreter need.
type Interpreter struct {
	Language string
	Dialect  string
}

// Staff is a staff member of the group.
type Staff struct {
	Name string
	Role string // i18n key
}

var confRank = map[string]int{"fortrolig": 1, "strengt_fortrolig": 2}

// Get shows a group's overview. It reads the group, its children with
// all their guardians, and its staff: three queries whatever the number of
// children. The router has checked that the actor is staff of the group.
func Get(c *web.Ctx) error {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil {
		return web.ErrNotFound
	}
	ctx, q := c.Context(), c.Env.DB.R
	o := &Overview{ID: id}
	var org, kg int64
	err = q.QueryRowContext(ctx, `SELECT g.name, k.name, k.id, k.organisation_id FROM groups g JOIN kindergartens k ON k.id = g.kindergarten_id WHERE g.id = $1`, id).
		Scan(&o.Name, &o.Kindergarten, &kg, &org)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	if !c.Actor.StaffOfGroup(org, kg, id) {
		return web.ErrNotFound
	}

	rows, err := q.QueryContext(ctx, `SELECT ch.id, ch.first_name, ch.last_name, ch.confidential_address,
		p.id, p.name, p.login IS NULL, p.languages, p.info_preference, p.needs_interpreter, p.interpreter_language, p.interpreter_dialect, p.confidential_address,
		gs.no_information, gs.no_pickup
		FROM children ch
		LEFT JOIN guardianships gs ON gs.child_id = ch.id
		LEFT JOIN people p ON p.id = gs.person_id
		WHERE ch.group_id = $1 AND ch.kindergarten_id = $2
		ORDER BY ch.first_name, ch.last_name, ch.id, p.name, p.id`, id, kg)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *Child
	seenLang := map[string]bool{}
	seenPref := map[string]bool{}
	for rows.Next() {
		var childID int64
		var first, last, childConf string
		var pid sql.NullInt64
		var name, langs, pref, il, dialect, conf sql.NullString
		var pending, interp, noInfo, noPickup sql.NullBool
		if err := rows.Scan(&childID, &first, &last, &childConf, &pid, &name, &pending, &langs, &pref, &interp, &il, &dialect, &conf, &noInfo, &noPickup); err != nil {
			return err
		}
		if cur == nil || cur.ID != childID {
			cur = &Child{ID: childID, FirstName: first, LastName: last}
			cur.raiseConf(childConf)
			o.Children = append(o.Children, cur)
			clear(seenLang)
			clear(seenPref)
		}
		if !pid.Valid {
			continue
		}
		if noPickup.Bool {
			cur.NoPickup = append(cur.NoPickup, name.String)
		}
		cur.raiseConf(conf.String)
		if noInfo.Bool {
			// Not someone to inform, interpret for or invite: only the
			// warning counts.
			cur.NoInformation = append(cur.NoInformation, name.String)
			continue
		}
		if pending.Bool {
			cur.Pending++
		}
		if first := firstField(langs.String); first != "" && !seenLang[first] {
			seenLang[first] = true
			cur.Languages = append(cur.Languages, langName(c, first))
		}
		if interp.Bool {
			cur.Interpreter = append(cur.Interpreter, Interpreter{Language: langName(c, il.String), Dialect: dialect.String})
		}
		if p := pref.String; p != "" && p != "text" && !seenPref[p] {
			seenPref[p] = true
			cur.Preferences = append(cur.Preferences, "pref."+p)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	// Only people with a role in this kindergarten count as its staff.
	srows, err := q.QueryContext(ctx, `SELECT p.name, r.role
		FROM staff_groups sg JOIN people p ON p.id = sg.person_id
		JOIN staff_roles r ON r.person_id = p.id AND r.kindergarten_id = $2
		WHERE sg.group_id = $1 ORDER BY p.name, p.id`, id, kg)
	if err != nil {
		return err
	}
	defer srows.Close()
	for srows.Next() {
		var s Staff
		if err := srows.Scan(&s.Name, &s.Role); err != nil {
			return err
		}
		s.Role = "role." + s.Role
		o.Staff = append(o.Staff, s)
	}
	if err := srows.Err(); err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "group", &web.Page{Title: o.Name, Data: o})
	return nil
}

// raiseConf keeps the strictest confidential address of the child and its
// guardians.
func (ch *Child) raiseConf(level string) {
	if r := confRank[level]; r > ch.conf {
		ch.conf, ch.Conf = r, "conf."+level
	}
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// langName names a language in the reader's language; a code Tillit has
// no name for is shown as it is.
func langName(c *web.Ctx, code string) string {
	if code == "" {
		return ""
	}
	if i18n.Has(i18n.Source, "lang."+code) {
		return c.T("lang." + code)
	}
	return code
}
