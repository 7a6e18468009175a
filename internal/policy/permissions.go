package policy

import (
	"context"
	"database/sql"
	"strconv"
)

// PathValue returns a path parameter of the request ({id}, {kg}, ...).
type PathValue func(name string) string

// Permission is what a route requires. Check answers for the object named
// by the route's path parameters; a false answer becomes a 404.
type Permission struct {
	Name string
	// SignedIn: anonymous visitors are sent to sign in instead of 404.
	SignedIn bool
	check    func(ctx context.Context, q *sql.DB, a *Actor, p PathValue) (bool, error)
}

// Allowed answers whether a may use a route protected by p.
func (p Permission) Allowed(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
	if p.SignedIn && a == nil {
		return false, nil
	}
	if p.check == nil {
		return true, nil
	}
	return p.check(ctx, q, a, pv)
}

func id(pv PathValue, name string) int64 {
	n, err := strconv.ParseInt(pv(name), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// scan runs a one-row lookup; a missing row is a plain "no".
func scan(ctx context.Context, q *sql.DB, query string, args []any, dest ...any) (bool, error) {
	err := q.QueryRowContext(ctx, query, args...).Scan(dest...)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

func kindergarten(ctx context.Context, q *sql.DB, kg int64) (org int64, ok bool, err error) {
	ok, err = scan(ctx, q, `SELECT organisation_id FROM kindergartens WHERE id = $1`, []any{kg}, &org)
	return
}

func group(ctx context.Context, q *sql.DB, g int64) (org, kg int64, ok bool, err error) {
	ok, err = scan(ctx, q, `SELECT k.organisation_id, k.id FROM groups g JOIN kindergartens k ON k.id = g.kindergarten_id WHERE g.id = $1`, []any{g}, &org, &kg)
	return
}

func child(ctx context.Context, q *sql.DB, c int64) (org, kg, grp int64, ok bool, err error) {
	ok, err = scan(ctx, q, `SELECT k.organisation_id, k.id, COALESCE(c.group_id, 0) FROM children c JOIN kindergartens k ON k.id = c.kindergarten_id WHERE c.id = $1`, []any{c}, &org, &kg, &grp)
	return
}

// childGuardian checks child {id} with who, then that person {pid} has
// a guardianship row matching link (a query of child id and person id).
func childGuardian(who func(a *Actor, org, kg, grp int64) bool, link string) func(context.Context, *sql.DB, *Actor, PathValue) (bool, error) {
	return func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		c := id(pv, "id")
		org, kg, grp, ok, err := child(ctx, q, c)
		if !ok || err != nil || !who(a, org, kg, grp) {
			return false, err
		}
		var n int
		return scan(ctx, q, link, []any{c, id(pv, "pid")}, &n)
	}
}

// The permissions, from least to most demanding.
var (
	Public = Permission{Name: "public"}

	SignedIn = Permission{Name: "signed-in", SignedIn: true}

	AnyStaff = Permission{Name: "staff", SignedIn: true, check: func(_ context.Context, _ *sql.DB, a *Actor, _ PathValue) (bool, error) {
		return a.IsStaff(), nil
	}}

	Guardian = Permission{Name: "guardian", SignedIn: true, check: func(_ context.Context, _ *sql.DB, a *Actor, _ PathValue) (bool, error) {
		return a.IsGuardian(), nil
	}}

	// OrganisationAdmin: owner admin of {org}.
	OrganisationAdmin = Permission{Name: "owner-admin of {org}", SignedIn: true, check: func(_ context.Context, _ *sql.DB, a *Actor, pv PathValue) (bool, error) {
		return a.AdminsOrganisation(id(pv, "org")), nil
	}}

	// KindergartenStaff: works in {kg}.
	KindergartenStaff = Permission{Name: "staff of {kg}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		kg := id(pv, "kg")
		org, ok, err := kindergarten(ctx, q, kg)
		return ok && a.WorksIn(org, kg), err
	}}

	// KindergartenMember: works in {kg}, or is a guardian of a child
	// there without "no access to information".
	KindergartenMember = Permission{Name: "staff or family of {kg}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		kg := id(pv, "kg")
		org, ok, err := kindergarten(ctx, q, kg)
		if !ok || err != nil {
			return false, err
		}
		if a.WorksIn(org, kg) {
			return true, nil
		}
		for _, l := range a.Links {
			if l.KindergartenID == kg && !l.NoInformation {
				return true, nil
			}
		}
		return false, nil
	}}

	// KindergartenAdmin: manager of {kg} or owner admin of its organisation.
	KindergartenAdmin = Permission{Name: "manager of {kg}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		kg := id(pv, "kg")
		org, ok, err := kindergarten(ctx, q, kg)
		return ok && a.AdminsKindergarten(org, kg), err
	}}

	// GroupStaff: assigned to group {id}, or its kindergarten's manager.
	GroupStaff = Permission{Name: "staff of group {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		g := id(pv, "id")
		org, kg, ok, err := group(ctx, q, g)
		return ok && a.StaffOfGroup(org, kg, g), err
	}}

	// GroupAdmin: manager of group {id}'s kindergarten.
	GroupAdmin = Permission{Name: "manager of group {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		org, kg, ok, err := group(ctx, q, id(pv, "id"))
		return ok && a.AdminsKindergarten(org, kg), err
	}}

	// ChildView: a guardian with access to information about child {id},
	// staff of the child's group, or the manager.
	ChildView = Permission{Name: "sees child {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		c := id(pv, "id")
		org, kg, grp, ok, err := child(ctx, q, c)
		return ok && a.SeesChild(org, kg, grp, c), err
	}}

	// ChildStaff: staff of child {id}'s group, or the manager.
	ChildStaff = Permission{Name: "staff of child {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		org, kg, grp, ok, err := child(ctx, q, id(pv, "id"))
		return ok && a.StaffOfGroup(org, kg, grp), err
	}}

	// ChildAdmin: manager of child {id}'s kindergarten.
	ChildAdmin = Permission{Name: "manager of child {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		org, kg, _, ok, err := child(ctx, q, id(pv, "id"))
		return ok && a.AdminsKindergarten(org, kg), err
	}}

	// ChildGuardianAdmin: manager of child {id}'s kindergarten, and person
	// {pid} is linked to the child.
	ChildGuardianAdmin = Permission{Name: "manager of child {id}, guardian {pid} linked", SignedIn: true, check: childGuardian(func(a *Actor, org, kg, _ int64) bool {
		return a.AdminsKindergarten(org, kg)
	}, `SELECT 1 FROM guardianships WHERE child_id = $1 AND person_id = $2`)}

	// ChildGuardianStaff: staff of child {id}'s group (or the manager),
	// and person {pid} is linked to the child without "no access to
	// information" — whom staff may write to privately about the child.
	ChildGuardianStaff = Permission{Name: "staff of child {id}, guardian {pid} informed", SignedIn: true, check: childGuardian(func(a *Actor, org, kg, grp int64) bool {
		return a.StaffOfGroup(org, kg, grp)
	}, `SELECT 1 FROM guardianships WHERE child_id = $1 AND person_id = $2 AND NOT no_information`)}

	// StaffMemberAdmin: manager of {kg}, and {pid} has a staff role there.
	StaffMemberAdmin = Permission{Name: "manager of {kg}, staff {pid} there", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		kg := id(pv, "kg")
		org, ok, err := kindergarten(ctx, q, kg)
		if !ok || err != nil || !a.AdminsKindergarten(org, kg) {
			return false, err
		}
		var n int
		return scan(ctx, q, `SELECT 1 FROM staff_roles WHERE kindergarten_id = $1 AND person_id = $2`, []any{kg, id(pv, "pid")}, &n)
	}}

	// GuardianAdmin: manager of {kg}, and {pid} is a guardian of a child there.
	GuardianAdmin = Permission{Name: "manager of {kg}, guardian {pid} there", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		kg := id(pv, "kg")
		org, ok, err := kindergarten(ctx, q, kg)
		if !ok || err != nil || !a.AdminsKindergarten(org, kg) {
			return false, err
		}
		var n int
		return scan(ctx, q, `SELECT 1 FROM guardianships g JOIN children c ON c.id = g.child_id WHERE c.kindergarten_id = $1 AND g.person_id = $2 LIMIT 1`, []any{kg, id(pv, "pid")}, &n)
	}}

	// InvitationView: the person who created invitation {id}, or the
	// manager of its kindergarten.
	InvitationView = Permission{Name: "creator or manager of invitation {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var org, kg, creator int64
		ok, err := scan(ctx, q, `SELECT k.organisation_id, k.id, COALESCE(i.created_by, 0) FROM invitations i JOIN kindergartens k ON k.id = i.kindergarten_id WHERE i.id = $1`, []any{id(pv, "id")}, &org, &kg, &creator)
		return ok && ((creator == a.PersonID && a.WorksIn(org, kg)) || a.AdminsKindergarten(org, kg)), err
	}}
)

// Objects that belong to one person: their sessions and passkeys.
var (
	// OwnSession: session {id} (its hash) belongs to the signed-in person.
	OwnSession = Permission{Name: "own session {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var n int
		return scan(ctx, q, `SELECT 1 FROM sessions WHERE id_hash = $1 AND person_id = $2`, []any{pv("id"), a.PersonID}, &n)
	}}

	// OwnPasskey: passkey {id} belongs to the signed-in person.
	OwnPasskey = Permission{Name: "own passkey {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var n int
		return scan(ctx, q, `SELECT 1 FROM passkeys WHERE id = $1 AND person_id = $2`, []any{pv("id"), a.PersonID}, &n)
	}}
)
