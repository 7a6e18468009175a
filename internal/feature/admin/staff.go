package admin

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"tillit/internal/auth"
	"tillit/internal/directory"
	"tillit/internal/feature/invitations"
	"tillit/internal/policy"
	"tillit/internal/web"
)

type staffData struct {
	base
	Staff  []staffRow
	Groups []groupRow
}

func staffPage(c *web.Ctx, kg *kgInfo, groups []groupRow, f *form) error {
	staff, err := listStaff(c.Context(), c.Env.DB.R, kg.ID)
	if err != nil {
		return err
	}
	return render(c, "staff", c.T("admin.staff.title"), staffData{newBase(c, kg, "staff"), staff, groups}, f)
}

// Staff lists the kindergarten's staff with role and groups, and has the
// form to invite a new staff member.
func Staff(c *web.Ctx) error {
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	if len(groups) == 1 {
		// With one group, new staff work there unless the manager says
		// otherwise.
		return staffPage(c, kg, groups, &form{c: c, Vals: map[string]string{"group_" + strconv.FormatInt(groups[0].ID, 10): "1"}, Errs: map[string]string{}})
	}
	return staffPage(c, kg, groups, nil)
}

// InviteStaff creates the person, their role, their groups and an
// invitation in one transaction, then shows the invitation (code, link,
// QR code) once.
func InviteStaff(c *web.Ctx) error {
	ctx := c.Context()
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	p := &directory.Person{Name: f.name("name"), Email: f.email("email"), Phone: f.phone("phone")}
	role := f.oneOf("role", staffRoles)
	gids := f.groupSet(groups)
	if f.ok() {
		// Reloading the invitation page posts the form again: that must
		// not make a second person.
		staff, err := listStaff(ctx, c.Env.DB.R, kg.ID)
		if err != nil {
			return err
		}
		for _, s := range staff {
			if strings.EqualFold(s.Name, p.Name) {
				f.fail("name", "admin.staff.duplicate_name")
			}
			if p.Email != "" && strings.EqualFold(s.Email, p.Email) {
				f.fail("email", "admin.staff.duplicate_email")
			}
		}
	}
	if !f.ok() {
		return staffPage(c, kg, groups, f)
	}
	var inv *auth.NewInvitation
	err = c.Env.DB.Tx(ctx, func(tx *sql.Tx) error {
		id, err := directory.CreatePerson(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := directory.AddStaffRole(ctx, tx, id, kg.OrgID, kg.ID, role); err != nil {
			return err
		}
		for _, g := range gids {
			if err := directory.AssignGroup(ctx, tx, id, g); err != nil {
				return err
			}
		}
		inv, err = auth.CreateInvitation(ctx, tx, id, kg.ID, c.Person.ID)
		return err
	})
	if err != nil {
		return err
	}
	return invitations.Present(c, inv, p.Name)
}

type memberData struct {
	base
	ID       int64
	Name     string
	Role     string
	HasLogin bool
	Invited  bool
	// Invitation is the newest invitation's id (0 if none), for its
	// status page, where a new code can be made.
	Invitation int64
	Groups     []groupRow
}

func memberPage(c *web.Ctx, kg *kgInfo, groups []groupRow, f *form) error {
	ctx, q := c.Context(), c.Env.DB.R
	d := memberData{base: newBase(c, kg, ""), ID: pathID(c, "pid"), Groups: groups}
	var login sql.NullString
	err := q.QueryRowContext(ctx, `SELECT p.name, p.login, r.role FROM people p JOIN staff_roles r ON r.person_id = p.id
		WHERE p.id = $1 AND r.kindergarten_id = $2`, d.ID, kg.ID).Scan(&d.Name, &login, &d.Role)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	d.HasLogin = login.Valid
	if d.Invited, err = invited(ctx, q, kg.ID, d.ID); err != nil {
		return err
	}
	if !d.HasLogin {
		err := q.QueryRowContext(ctx, `SELECT id FROM invitations WHERE person_id = $1 AND kindergarten_id = $2 ORDER BY id DESC LIMIT 1`, d.ID, kg.ID).Scan(&d.Invitation)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
	}
	if f == nil {
		f = newForm(c)
		f.Vals["role"] = d.Role
		assigned, err := staffGroups(ctx, q, kg.ID, d.ID)
		if err != nil {
			return err
		}
		for _, sg := range assigned {
			f.Vals["group_"+strconv.FormatInt(sg.group, 10)] = "1"
		}
	}
	return render(c, "member", d.Name, d, f)
}

// StaffMember shows a staff member's role and groups in this kindergarten.
func StaffMember(c *web.Ctx) error {
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	return memberPage(c, kg, groups, nil)
}

// errLastManager stops the transaction that would leave no manager.
var errLastManager = errors.New("last manager")

// StaffMemberSave changes a staff member's role and groups within this
// kindergarten only (assignments elsewhere stay). The last manager cannot
// be given another role: someone must be able to administer.
func StaffMemberSave(c *web.Ctx) error {
	ctx := c.Context()
	kg, groups, err := kgAndGroups(c)
	if err != nil {
		return err
	}
	pid := pathID(c, "pid")
	f := newForm(c)
	role := f.oneOf("role", staffRoles)
	gids := f.groupSet(groups)
	if !f.ok() {
		return memberPage(c, kg, groups, f)
	}
	err = c.Env.DB.Tx(ctx, func(tx *sql.Tx) error {
		var current string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM staff_roles WHERE person_id = $1 AND kindergarten_id = $2`, pid, kg.ID).Scan(&current); err != nil {
			return err
		}
		if current == policy.Manager && role != policy.Manager {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_roles WHERE kindergarten_id = $1 AND role = $2`, kg.ID, policy.Manager).Scan(&n); err != nil {
				return err
			}
			if n <= 1 {
				return errLastManager
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_roles SET role = $1 WHERE person_id = $2 AND kindergarten_id = $3`, role, pid, kg.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_groups WHERE person_id = $1 AND group_id IN (SELECT id FROM groups WHERE kindergarten_id = $2)`, pid, kg.ID); err != nil {
			return err
		}
		for _, g := range gids {
			if err := directory.AssignGroup(ctx, tx, pid, g); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errLastManager) {
		f.fail("role", "admin.staff.last_manager")
		return memberPage(c, kg, groups, f)
	}
	if err != nil {
		return err
	}
	// A manager who has just given up the role no longer administers here.
	if pid == c.Actor.PersonID && role != policy.Manager && !c.Actor.AdminsOrganisation(kg.OrgID) {
		return c.Redirect("/admin")
	}
	return c.Redirect("/k/" + strconv.FormatInt(kg.ID, 10) + "/staff?saved=1")
}
