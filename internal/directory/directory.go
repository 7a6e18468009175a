// Package directory is the kindergarten's register: organisations,
// kindergartens, groups, children, people, staff roles and the links
// between children and guardians. Admin pages, CSV import, the demo and
// the admin command all write through it. It does not decide who may see
// what: that is package policy, and the features' own queries.
package directory

import (
	"context"
	"database/sql"
	"strings"

	"tillit/internal/db"
)

// Execer is a transaction or a database: writes run in either.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Person is a guardian or a staff member.
type Person struct {
	ID                  int64
	Name                string
	Login               string
	Email               string
	Phone               string
	UILanguage          string
	Languages           []string // preferred languages, most preferred first
	InfoPreference      string   // text, audio, pictures
	NeedsInterpreter    bool
	InterpreterLanguage string
	InterpreterDialect  string
	Address             string
	ConfidentialAddress string // "", fortrolig, strengt_fortrolig
	ImportRef           string
}

// Child is a child with a place in a kindergarten.
type Child struct {
	ID                  int64
	KindergartenID      int64
	GroupID             int64
	FirstName           string
	LastName            string
	BirthDate           string // YYYY-MM-DD
	Address             string
	ConfidentialAddress string
	ImportRef           string
}

// Link is a child–guardian link and the rights it carries.
type Link struct {
	ChildID                int64
	PersonID               int64
	ParentalResponsibility bool
	LivesWith              bool
	NoInformation          bool
	NoPickup               bool
}

func insertID(ctx context.Context, x Execer, query string, args ...any) (int64, error) {
	var id int64
	err := x.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// CreateOrganisation adds an owner: kind is municipality or private.
func CreateOrganisation(ctx context.Context, x Execer, name, kind string) (int64, error) {
	return insertID(ctx, x, `INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3)`, name, kind, db.Now())
}

// CreateKindergarten adds a kindergarten to an organisation.
func CreateKindergarten(ctx context.Context, x Execer, org int64, name string) (int64, error) {
	return insertID(ctx, x, `INSERT INTO kindergartens (organisation_id, name, created_at) VALUES ($1, $2, $3)`, org, name, db.Now())
}

// CreateGroup adds a group (avdeling).
func CreateGroup(ctx context.Context, x Execer, kg int64, name string) (int64, error) {
	return insertID(ctx, x, `INSERT INTO groups (kindergarten_id, name) VALUES ($1, $2)`, kg, name)
}

// CreatePerson adds a person without a login (they get one by accepting
// an invitation, or from the admin command).
func CreatePerson(ctx context.Context, x Execer, p *Person) (int64, error) {
	if p.UILanguage == "" {
		p.UILanguage = "nb"
		if len(p.Languages) > 0 {
			p.UILanguage = p.Languages[0]
		}
	}
	if p.InfoPreference == "" {
		p.InfoPreference = "text"
	}
	var login any
	if p.Login != "" {
		login = strings.ToLower(p.Login)
	}
	id, err := insertID(ctx, x, `INSERT INTO people (name, login, email, phone, ui_language, languages, info_preference, needs_interpreter,
		interpreter_language, interpreter_dialect, address, confidential_address, import_ref, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		p.Name, login, p.Email, p.Phone, p.UILanguage, strings.Join(p.Languages, " "), p.InfoPreference, p.NeedsInterpreter,
		p.InterpreterLanguage, p.InterpreterDialect, p.Address, p.ConfidentialAddress, p.ImportRef, db.Now())
	p.ID = id
	return id, err
}

// SetLogin gives a person a login and password hash.
func SetLogin(ctx context.Context, x Execer, person int64, login, passwordHash string) error {
	_, err := x.ExecContext(ctx, `UPDATE people SET login = $1, password_hash = $2 WHERE id = $3`, strings.ToLower(login), passwordHash, person)
	return err
}

// AddStaffRole gives a person a role; kg 0 means the whole organisation
// (owner_admin).
func AddStaffRole(ctx context.Context, x Execer, person, org, kg int64, role string) error {
	var k any
	if kg != 0 {
		k = kg
	}
	_, err := x.ExecContext(ctx, `INSERT INTO staff_roles (person_id, organisation_id, kindergarten_id, role) VALUES ($1, $2, $3, $4)`, person, org, k, role)
	return err
}

// AssignGroup assigns a staff member to a group.
func AssignGroup(ctx context.Context, x Execer, person, group int64) error {
	_, err := x.ExecContext(ctx, `INSERT INTO staff_groups (person_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, person, group)
	return err
}

// CreateChild adds a child.
func CreateChild(ctx context.Context, x Execer, c *Child) (int64, error) {
	var g any
	if c.GroupID != 0 {
		g = c.GroupID
	}
	id, err := insertID(ctx, x, `INSERT INTO children (kindergarten_id, group_id, first_name, last_name, birth_date, address, confidential_address, import_ref, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.KindergartenID, g, c.FirstName, c.LastName, c.BirthDate, c.Address, c.ConfidentialAddress, c.ImportRef, db.Now())
	c.ID = id
	return id, err
}

// SetLink creates or updates a child–guardian link.
func SetLink(ctx context.Context, x Execer, l Link) error {
	_, err := x.ExecContext(ctx, `INSERT INTO guardianships (child_id, person_id, parental_responsibility, lives_with, no_information, no_pickup)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (child_id, person_id) DO UPDATE SET parental_responsibility = $3, lives_with = $4, no_information = $5, no_pickup = $6`,
		l.ChildID, l.PersonID, l.ParentalResponsibility, l.LivesWith, l.NoInformation, l.NoPickup)
	return err
}

// GetPerson reads one person.
func GetPerson(ctx context.Context, x Execer, id int64) (*Person, error) {
	p := &Person{}
	var login sql.NullString
	var langs string
	err := x.QueryRowContext(ctx, `SELECT id, name, login, email, phone, ui_language, languages, info_preference, needs_interpreter,
		interpreter_language, interpreter_dialect, address, confidential_address, import_ref FROM people WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &login, &p.Email, &p.Phone, &p.UILanguage, &langs, &p.InfoPreference, &p.NeedsInterpreter,
			&p.InterpreterLanguage, &p.InterpreterDialect, &p.Address, &p.ConfidentialAddress, &p.ImportRef)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	p.Login = login.String
	p.Languages = strings.Fields(langs)
	return p, err
}

// GetChild reads one child.
func GetChild(ctx context.Context, x Execer, id int64) (*Child, error) {
	c := &Child{}
	var g sql.NullInt64
	err := x.QueryRowContext(ctx, `SELECT id, kindergarten_id, group_id, first_name, last_name, birth_date, address, confidential_address, import_ref FROM children WHERE id = $1`, id).
		Scan(&c.ID, &c.KindergartenID, &g, &c.FirstName, &c.LastName, &c.BirthDate, &c.Address, &c.ConfidentialAddress, &c.ImportRef)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	c.GroupID = g.Int64
	return c, err
}
