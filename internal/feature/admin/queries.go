package admin

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"tillit/internal/web"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"tillit/internal/db"
)

// sortByName sorts rows by name the Norwegian way (æ, ø, å after z, case
// ignored), the same on SQLite and PostgreSQL.
func sortByName[T any](rows []T, name func(T) string) {
	col := collate.New(language.Norwegian, collate.IgnoreCase)
	slices.SortStableFunc(rows, func(a, b T) int { return col.CompareString(name(a), name(b)) })
}

// kgInfo is a kindergarten and its organisation.
type kgInfo struct {
	ID      int64
	Name    string
	OrgID   int64
	OrgName string
}

func loadKg(ctx context.Context, q *sql.DB, id int64) (*kgInfo, error) {
	k := &kgInfo{}
	err := q.QueryRowContext(ctx, `SELECT k.id, k.name, o.id, o.name FROM kindergartens k JOIN organisations o ON o.id = k.organisation_id WHERE k.id = $1`, id).
		Scan(&k.ID, &k.Name, &k.OrgID, &k.OrgName)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	return k, err
}

// groupRow is a group with its counts; Value and Err carry a rename
// form's typed value and problem.
type groupRow struct {
	ID       int64
	Name     string
	Children int
	Staff    int
	Value    string
	Err      string
}

// listGroups lists a kindergarten's groups with child and staff counts.
func listGroups(ctx context.Context, q *sql.DB, kg int64) ([]groupRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.name,
		(SELECT COUNT(*) FROM children c WHERE c.group_id = g.id),
		(SELECT COUNT(*) FROM staff_groups s WHERE s.group_id = g.id)
		FROM groups g WHERE g.kindergarten_id = $1`, kg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []groupRow
	for rows.Next() {
		var g groupRow
		if err := rows.Scan(&g.ID, &g.Name, &g.Children, &g.Staff); err != nil {
			return nil, err
		}
		g.Value = g.Name
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByName(out, func(g groupRow) string { return g.Name })
	return out, nil
}

// nameTaken reports whether another group of the kindergarten has this
// name (ignoring case).
func nameTaken(groups []groupRow, name string, except int64) bool {
	for _, g := range groups {
		if g.ID != except && strings.EqualFold(g.Name, name) {
			return true
		}
	}
	return false
}

// childRow is a child in the children list. No address: lists never
// show addresses.
type childRow struct {
	ID        int64
	FirstName string
	LastName  string
	GroupName string
	BirthDate string
	Birth     time.Time
	Guardians int
	Conf      string
}

func listChildren(ctx context.Context, q *sql.DB, kg int64) ([]childRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, COALESCE(g.name, ''), c.birth_date, c.confidential_address,
		(SELECT COUNT(*) FROM guardianships x WHERE x.child_id = c.id)
		FROM children c LEFT JOIN groups g ON g.id = c.group_id WHERE c.kindergarten_id = $1`, kg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []childRow
	for rows.Next() {
		var r childRow
		if err := rows.Scan(&r.ID, &r.FirstName, &r.LastName, &r.GroupName, &r.BirthDate, &r.Conf, &r.Guardians); err != nil {
			return nil, err
		}
		r.Birth = birth(r.BirthDate)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByName(out, func(r childRow) string { return r.FirstName + " " + r.LastName })
	return out, nil
}

// linkRow is a guardian of one child with the link's rights.
type linkRow struct {
	PersonID               int64
	Name                   string
	HasLogin               bool
	Invited                bool
	Conf                   string
	ParentalResponsibility bool
	LivesWith              bool
	NoInformation          bool
	NoPickup               bool
}

func childLinks(ctx context.Context, q *sql.DB, kg, child int64) ([]linkRow, error) {
	open, err := openInvitations(ctx, q, kg)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.name, p.login, p.confidential_address,
		g.parental_responsibility, g.lives_with, g.no_information, g.no_pickup
		FROM guardianships g JOIN people p ON p.id = g.person_id WHERE g.child_id = $1`, child)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []linkRow
	for rows.Next() {
		var r linkRow
		var login sql.NullString
		if err := rows.Scan(&r.PersonID, &r.Name, &login, &r.Conf, &r.ParentalResponsibility, &r.LivesWith, &r.NoInformation, &r.NoPickup); err != nil {
			return nil, err
		}
		r.HasLogin, r.Invited = login.Valid, open[r.PersonID]
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByName(out, func(r linkRow) string { return r.Name })
	return out, nil
}

// staffRow is a staff member of one kindergarten.
type staffRow struct {
	ID       int64
	Name     string
	Email    string
	Role     string
	HasLogin bool
	Invited  bool // an open invitation exists
	Groups   []string
}

func listStaff(ctx context.Context, q *sql.DB, kg int64) ([]staffRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.name, p.email, p.login, r.role FROM staff_roles r JOIN people p ON p.id = r.person_id WHERE r.kindergarten_id = $1`, kg)
	if err != nil {
		return nil, err
	}
	var out []staffRow
	idx := map[int64]int{}
	for rows.Next() {
		var r staffRow
		var login sql.NullString
		if err := rows.Scan(&r.ID, &r.Name, &r.Email, &login, &r.Role); err != nil {
			rows.Close()
			return nil, err
		}
		r.HasLogin = login.Valid
		idx[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	groups, err := staffGroups(ctx, q, kg, 0)
	if err != nil {
		return nil, err
	}
	for _, sg := range groups {
		if i, ok := idx[sg.person]; ok {
			out[i].Groups = append(out[i].Groups, sg.name)
		}
	}
	open, err := openInvitations(ctx, q, kg)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Invited = open[out[i].ID]
	}
	sortByName(out, func(r staffRow) string { return r.Name })
	return out, nil
}

type staffGroup struct {
	person, group int64
	name          string
}

// staffGroups lists group assignments within kindergarten kg (of one
// person when person is not 0).
func staffGroups(ctx context.Context, q *sql.DB, kg, person int64) ([]staffGroup, error) {
	query, args := `SELECT s.person_id, g.id, g.name FROM staff_groups s JOIN groups g ON g.id = s.group_id WHERE g.kindergarten_id = $1`, []any{kg}
	if person != 0 {
		query, args = query+` AND s.person_id = $2`, append(args, person)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY g.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []staffGroup
	for rows.Next() {
		var s staffGroup
		if err := rows.Scan(&s.person, &s.group, &s.name); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// guardianChild is one of a guardian's children in this kindergarten.
type guardianChild struct {
	ID                     int64
	Name                   string
	ParentalResponsibility bool
	NoInformation          bool
	NoPickup               bool
}

// guardianRow is a guardian in the guardians list. Contact is shown only
// when Conf is empty; the address is never read here.
type guardianRow struct {
	ID                  int64
	Name                string
	HasLogin            bool
	Invited             bool // an open invitation exists
	Email               string
	Phone               string
	Languages           []string
	InfoPreference      string
	NeedsInterpreter    bool
	InterpreterLanguage string
	InterpreterDialect  string
	Conf                string
	Children            []guardianChild
}

func listGuardians(ctx context.Context, q *sql.DB, kg int64) ([]guardianRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.name, p.login, p.email, p.phone, p.languages, p.info_preference, p.needs_interpreter,
		p.interpreter_language, p.interpreter_dialect, p.confidential_address
		FROM people p WHERE p.id IN (SELECT g.person_id FROM guardianships g JOIN children c ON c.id = g.child_id WHERE c.kindergarten_id = $1)`, kg)
	if err != nil {
		return nil, err
	}
	var out []guardianRow
	idx := map[int64]int{}
	for rows.Next() {
		var r guardianRow
		var login sql.NullString
		var langs string
		if err := rows.Scan(&r.ID, &r.Name, &login, &r.Email, &r.Phone, &langs, &r.InfoPreference, &r.NeedsInterpreter,
			&r.InterpreterLanguage, &r.InterpreterDialect, &r.Conf); err != nil {
			rows.Close()
			return nil, err
		}
		r.HasLogin = login.Valid
		r.Languages = strings.Fields(langs)
		if r.Conf != "" {
			r.Email, r.Phone = "", ""
		}
		idx[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	links, err := kgLinks(ctx, q, kg, 0)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if i, ok := idx[l.person]; ok {
			out[i].Children = append(out[i].Children, l.guardianChild)
		}
	}
	open, err := openInvitations(ctx, q, kg)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Invited = open[out[i].ID]
	}
	sortByName(out, func(r guardianRow) string { return r.Name })
	return out, nil
}

type kgLink struct {
	person int64
	guardianChild
}

// kgLinks lists guardian links of children in kg (of one person when
// person is not 0), children sorted by name.
func kgLinks(ctx context.Context, q *sql.DB, kg, person int64) ([]kgLink, error) {
	query, args := `SELECT g.person_id, c.id, c.first_name, c.last_name, g.parental_responsibility, g.no_information, g.no_pickup
		FROM guardianships g JOIN children c ON c.id = g.child_id WHERE c.kindergarten_id = $1`, []any{kg}
	if person != 0 {
		query, args = query+` AND g.person_id = $2`, append(args, person)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []kgLink
	for rows.Next() {
		var l kgLink
		var first, last string
		if err := rows.Scan(&l.person, &l.ID, &first, &last, &l.ParentalResponsibility, &l.NoInformation, &l.NoPickup); err != nil {
			return nil, err
		}
		l.Name = first + " " + last
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByName(out, func(l kgLink) string { return l.Name })
	return out, nil
}

// invited reports whether person has an open invitation to kg.
func invited(ctx context.Context, q *sql.DB, kg, person int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitations WHERE kindergarten_id = $1 AND person_id = $2 AND accepted_at IS NULL AND expires_at > $3`, kg, person, db.Now()).Scan(&n)
	return n > 0, err
}

// openInvitations: people with an unaccepted, unexpired invitation to kg.
func openInvitations(ctx context.Context, q *sql.DB, kg int64) (map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT person_id FROM invitations WHERE kindergarten_id = $1 AND accepted_at IS NULL AND expires_at > $2`, kg, db.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// kgRow is a kindergarten in a list.
type kgRow struct {
	ID       int64
	Name     string
	Children int
}

func orgKindergartens(ctx context.Context, q *sql.DB, org int64) ([]kgRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT k.id, k.name, (SELECT COUNT(*) FROM children c WHERE c.kindergarten_id = k.id)
		FROM kindergartens k WHERE k.organisation_id = $1`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []kgRow
	for rows.Next() {
		var k kgRow
		if err := rows.Scan(&k.ID, &k.Name, &k.Children); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByName(out, func(k kgRow) string { return k.Name })
	return out, nil
}

// kgAndGroups loads the kindergarten of the route's {kg} and its groups,
// which most admin pages need first.
func kgAndGroups(c *web.Ctx) (*kgInfo, []groupRow, error) {
	kg, err := loadKg(c.Context(), c.Env.DB.R, pathID(c, "kg"))
	if err != nil {
		return nil, nil, err
	}
	groups, err := listGroups(c.Context(), c.Env.DB.R, kg.ID)
	return kg, groups, err
}
