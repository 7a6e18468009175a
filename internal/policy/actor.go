// Package policy answers one question: may this person do this to this
// object? Every route names one Permission (see internal/app/routes.go);
// the router asks Allowed before the handler runs, and a "no" becomes the
// same 404 a missing object gets.
//
// The rules, in short (docs/security.md has them in full):
//   - a guardian sees a child they are linked to, unless the link says
//     "no access to information"; only links with parental responsibility
//     may change things about the child;
//   - staff see their own kindergarten; pedagogical leaders and assistants
//     see the children of the groups they are assigned to;
//   - the manager (styrer) administers the whole kindergarten;
//   - the owner admin administers every kindergarten of the organisation.
package policy

import (
	"context"
	"database/sql"

	"tillit/internal/db"
)

// Staff roles.
const (
	OwnerAdmin        = "owner_admin"
	Manager           = "manager"
	PedagogicalLeader = "pedagogical_leader"
	Assistant         = "assistant"
)

// Role is one staff role of a person.
type Role struct {
	Role           string `json:"role"`
	OrganisationID int64  `json:"organisation_id"`
	KindergartenID int64  `json:"kindergarten_id,omitempty"` // 0 for owner_admin
}

// Link is a guardian's link to a child, with the rights it carries.
type Link struct {
	ChildID                int64
	KindergartenID         int64
	GroupID                int64
	ParentalResponsibility bool
	NoInformation          bool
}

// Actor is the signed-in person with everything the rules need, loaded once
// per request. A nil *Actor is an anonymous visitor.
type Actor struct {
	PersonID int64
	Name     string
	Roles    []Role
	Groups   map[int64]bool // groups the person is assigned to as staff
	Links    map[int64]Link // by child id
}

// Load reads the person's roles, groups and guardian links.
func Load(ctx context.Context, q *sql.DB, personID int64) (*Actor, error) {
	a := &Actor{PersonID: personID, Groups: map[int64]bool{}, Links: map[int64]Link{}}
	if err := q.QueryRowContext(ctx, `SELECT name FROM people WHERE id = $1`, personID).Scan(&a.Name); err != nil {
		if err == sql.ErrNoRows {
			return nil, db.ErrNotFound
		}
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT role, organisation_id, COALESCE(kindergarten_id, 0) FROM staff_roles WHERE person_id = $1 ORDER BY id`, personID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r.Role, &r.OrganisationID, &r.KindergartenID); err != nil {
			rows.Close()
			return nil, err
		}
		a.Roles = append(a.Roles, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT group_id FROM staff_groups WHERE person_id = $1`, personID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return nil, err
		}
		a.Groups[g] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT g.child_id, c.kindergarten_id, COALESCE(c.group_id, 0), g.parental_responsibility, g.no_information
		FROM guardianships g JOIN children c ON c.id = g.child_id WHERE g.person_id = $1`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ChildID, &l.KindergartenID, &l.GroupID, &l.ParentalResponsibility, &l.NoInformation); err != nil {
			return nil, err
		}
		a.Links[l.ChildID] = l
	}
	return a, rows.Err()
}

// IsStaff reports whether the person has any staff role.
func (a *Actor) IsStaff() bool { return a != nil && len(a.Roles) > 0 }

// IsGuardian reports whether the person is linked to a child they may see.
func (a *Actor) IsGuardian() bool {
	if a == nil {
		return false
	}
	for _, l := range a.Links {
		if !l.NoInformation {
			return true
		}
	}
	return false
}

// AdminsKindergarten: manager of kg, or owner admin of the organisation org.
func (a *Actor) AdminsKindergarten(org, kg int64) bool {
	if a == nil {
		return false
	}
	for _, r := range a.Roles {
		if r.Role == OwnerAdmin && r.OrganisationID == org {
			return true
		}
		if r.Role == Manager && r.KindergartenID == kg {
			return true
		}
	}
	return false
}

// WorksIn: any staff role in kindergarten kg (or owner admin of org).
func (a *Actor) WorksIn(org, kg int64) bool {
	if a == nil {
		return false
	}
	for _, r := range a.Roles {
		if r.KindergartenID == kg || (r.Role == OwnerAdmin && r.OrganisationID == org) {
			return true
		}
	}
	return false
}

// AdminsOrganisation: owner admin of org.
func (a *Actor) AdminsOrganisation(org int64) bool {
	if a == nil {
		return false
	}
	for _, r := range a.Roles {
		if r.Role == OwnerAdmin && r.OrganisationID == org {
			return true
		}
	}
	return false
}

// StaffOfGroup: assigned to the group, or administers its kindergarten.
func (a *Actor) StaffOfGroup(org, kg, group int64) bool {
	if a == nil {
		return false
	}
	return (a.Groups[group] && a.WorksIn(org, kg)) || a.AdminsKindergarten(org, kg)
}

// SeesChild: a guardian link with access to information, or staff of the
// child's group, or the kindergarten's administration.
func (a *Actor) SeesChild(org, kg, group, child int64) bool {
	if a == nil {
		return false
	}
	if l, ok := a.Links[child]; ok && !l.NoInformation {
		return true
	}
	return a.StaffOfGroup(org, kg, group)
}

// KindergartenIDs lists the kindergartens the person works in directly.
func (a *Actor) KindergartenIDs() []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, r := range a.Roles {
		if r.KindergartenID != 0 && !seen[r.KindergartenID] {
			seen[r.KindergartenID] = true
			out = append(out, r.KindergartenID)
		}
	}
	return out
}

// RoleIn returns the person's role in kindergarten kg ("" if none); an
// owner admin of the organisation gets OwnerAdmin.
func (a *Actor) RoleIn(org, kg int64) string {
	if a == nil {
		return ""
	}
	role := ""
	for _, r := range a.Roles {
		if r.KindergartenID == kg {
			role = r.Role
		}
	}
	if role == "" && a.AdminsOrganisation(org) {
		return OwnerAdmin
	}
	return role
}
