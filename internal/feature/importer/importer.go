// Package importer is the CSV import page: a kindergarten's manager
// uploads one file with groups, children and guardians (the format is in
// docs/import.md and package importcsv), and either everything is imported
// in one transaction or — if anything is wrong — nothing is, and the page
// lists every problem by line and column.
//
// Importing the same file again changes nothing: children and guardians
// are matched by the references from the old system (import_ref). A
// re-import never loosens a protection set in Tillit: a confidential
// address stays at least as strict, and "no information" and "no pickup"
// stay set, parental responsibility stays removed. Guardians who have
// already accepted their invitation own their personal details, so the
// import does not change those.
package importer

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/importcsv"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// maxShown bounds the error report: a wrongly saved file can have
// thousands of problems, and the page must stay small on a phone.
const maxShown = 200

// column is one documented column, for the format summary.
type column struct {
	Name     string
	Required bool
}

type formData struct {
	Kg           int64
	Kindergarten string
	Columns      []column
	MaxRows      int
	MaxMiB       int
	// The error report.
	FileError *importcsv.FileError
	RowErrors []importcsv.RowError
	Total     int // all row problems (RowErrors may be cut to maxShown)
}

func newFormData(c *web.Ctx) (*formData, error) {
	kg, err := strconv.ParseInt(c.R.PathValue("kg"), 10, 64)
	if err != nil {
		return nil, web.ErrNotFound
	}
	d := &formData{Kg: kg, MaxRows: importcsv.MaxRows, MaxMiB: importcsv.MaxBytes >> 20}
	if err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT name FROM kindergartens WHERE id = $1`, kg).Scan(&d.Kindergarten); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, web.ErrNotFound
		}
		return nil, err
	}
	for _, name := range importcsv.Columns {
		d.Columns = append(d.Columns, column{Name: name, Required: contains(importcsv.RequiredColumns, name)})
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Form shows the upload form and a summary of the file format.
func Form(c *web.Ctx) error {
	d, err := newFormData(c)
	if err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "form", &web.Page{Title: c.T("import.title"), Data: d})
	return nil
}

// Submit checks the uploaded file and imports it, all or nothing.
func Submit(c *web.Ctx) error {
	d, err := newFormData(c)
	if err != nil {
		return err
	}
	file, _, err := c.R.FormFile("file")
	if err != nil {
		if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
			c.Render(http.StatusBadRequest, pages, "form", &web.Page{Title: c.T("import.title"), Data: d,
				Errors: map[string]string{"file": "import.no_file"}})
			return nil
		}
		return web.ErrBadRequest
	}
	defer file.Close()
	res, rowErrs, err := importcsv.Parse(file, importcsv.Options{Now: time.Now().In(i18n.Oslo)})
	var fe *importcsv.FileError
	switch {
	case errors.As(err, &fe):
		d.FileError = fe
	case err != nil:
		return err
	case len(rowErrs) > 0:
		d.Total = len(rowErrs)
		if len(rowErrs) > maxShown {
			rowErrs = rowErrs[:maxShown]
		}
		d.RowErrors = rowErrs
	}
	if d.FileError != nil || d.RowErrors != nil {
		c.Render(http.StatusBadRequest, pages, "form", &web.Page{Title: c.T("import.title"), Data: d,
			Errors: map[string]string{"file": "import.failed"}})
		return nil
	}
	sum, err := Import(c.Context(), c.Env.DB, d.Kg, res)
	if err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "done", &web.Page{Title: c.T("import.done.title"), Data: doneData{Kg: d.Kg, Kindergarten: d.Kindergarten, Summary: sum}})
	return nil
}

// Count is what happened to one kind of thing.
type Count struct{ Created, Updated, Unchanged int }

// Summary counts an import's effect.
type Summary struct{ Groups, Children, Guardians, Links Count }

type doneData struct {
	Kg           int64
	Kindergarten string
	Summary      Summary
}

// Rows lists the summary for the page.
func (d doneData) Rows() []struct {
	Key string
	Count
} {
	s := d.Summary
	return []struct {
		Key string
		Count
	}{{"import.kind.groups", s.Groups}, {"import.kind.children", s.Children}, {"import.kind.guardians", s.Guardians}, {"import.kind.links", s.Links}}
}

// stricter returns the stricter of two confidentiality levels.
func stricter(a, b string) string {
	rank := map[string]int{importcsv.ConfidentialNone: 0, importcsv.Confidential: 1, importcsv.StrictlyConfidential: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Import writes a parsed file into kindergarten kg in one transaction:
// groups, children and guardians matched by name or import reference,
// links set. The web page and "tillit import" both use it.
func Import(ctx context.Context, d *db.DB, kg int64, res *importcsv.Result) (Summary, error) {
	var sum Summary
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		sum = Summary{}
		groups, err := importGroups(ctx, tx, kg, res.Groups, &sum.Groups)
		if err != nil {
			return err
		}
		children, err := importChildren(ctx, tx, kg, groups, res.Children, &sum.Children)
		if err != nil {
			return err
		}
		guardians, err := importGuardians(ctx, tx, kg, res.Guardians, &sum.Guardians)
		if err != nil {
			return err
		}
		return importLinks(ctx, tx, children, guardians, res.Links, &sum.Links)
	})
	return sum, err
}

// importGroups matches the file's groups to the kindergarten's by name,
// ignoring case, and creates the rest. It returns lower-case name → id.
func importGroups(ctx context.Context, tx *sql.Tx, kg int64, names []string, n *Count) (map[string]int64, error) {
	ids := map[string]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM groups WHERE kindergarten_id = $1 ORDER BY id`, kg)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := ids[strings.ToLower(name)]; !ok {
			ids[strings.ToLower(name)] = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		key := strings.ToLower(name)
		if _, ok := ids[key]; ok {
			n.Unchanged++
			continue
		}
		id, err := directory.CreateGroup(ctx, tx, kg, name)
		if err != nil {
			return nil, err
		}
		ids[key] = id
		n.Created++
	}
	return ids, nil
}

type existingChild struct {
	ID                               int64
	GroupID                          int64
	First, Last, Birth, Confidential string
}

// importChildren matches children by import_ref within the kindergarten:
// a match is updated, the rest are created. It returns ref → id.
func importChildren(ctx context.Context, tx *sql.Tx, kg int64, groups map[string]int64, children []importcsv.Child, n *Count) (map[string]int64, error) {
	existing := map[string]existingChild{}
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(group_id, 0), first_name, last_name, birth_date, confidential_address, import_ref
		FROM children WHERE kindergarten_id = $1 AND import_ref <> '' ORDER BY id`, kg)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e existingChild
		var ref string
		if err := rows.Scan(&e.ID, &e.GroupID, &e.First, &e.Last, &e.Birth, &e.Confidential, &ref); err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := existing[ref]; !ok {
			existing[ref] = e
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, ch := range children {
		g := groups[strings.ToLower(ch.Group)]
		birth := ch.BirthDate.Format(time.DateOnly)
		e, ok := existing[ch.Ref]
		if !ok {
			id, err := directory.CreateChild(ctx, tx, &directory.Child{KindergartenID: kg, GroupID: g, FirstName: ch.FirstName, LastName: ch.LastName,
				BirthDate: birth, ConfidentialAddress: ch.ConfidentialAddress, ImportRef: ch.Ref})
			if err != nil {
				return nil, err
			}
			ids[ch.Ref] = id
			n.Created++
			continue
		}
		ids[ch.Ref] = e.ID
		conf := stricter(e.Confidential, ch.ConfidentialAddress)
		if e.GroupID == g && e.First == ch.FirstName && e.Last == ch.LastName && e.Birth == birth && e.Confidential == conf {
			n.Unchanged++
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE children SET group_id = $1, first_name = $2, last_name = $3, birth_date = $4, confidential_address = $5 WHERE id = $6`,
			g, ch.FirstName, ch.LastName, birth, conf, e.ID); err != nil {
			return nil, err
		}
		n.Updated++
	}
	return ids, nil
}

type existingGuardian struct {
	ID                                          int64
	HasLogin                                    bool
	Name, Email, Phone, UI, Langs, Confidential string
}

// importGuardians matches guardians by import_ref among the people linked
// to the kindergarten's children; the rest are created, without a login.
// It returns ref → id.
func importGuardians(ctx context.Context, tx *sql.Tx, kg int64, guardians []importcsv.Guardian, n *Count) (map[string]int64, error) {
	existing := map[string]existingGuardian{}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT p.id, p.login, p.name, p.email, p.phone, p.ui_language, p.languages, p.confidential_address, p.import_ref
		FROM people p JOIN guardianships g ON g.person_id = p.id JOIN children c ON c.id = g.child_id
		WHERE c.kindergarten_id = $1 AND p.import_ref <> '' ORDER BY p.id`, kg)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e existingGuardian
		var login sql.NullString
		var ref string
		if err := rows.Scan(&e.ID, &login, &e.Name, &e.Email, &e.Phone, &e.UI, &e.Langs, &e.Confidential, &ref); err != nil {
			rows.Close()
			return nil, err
		}
		e.HasLogin = login.Valid && login.String != ""
		if _, ok := existing[ref]; !ok {
			existing[ref] = e
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, g := range guardians {
		ui := i18n.Source
		if len(g.Languages) > 0 {
			ui = g.Languages[0]
		}
		langs := strings.Join(g.Languages, " ")
		e, ok := existing[g.Ref]
		if !ok {
			id, err := directory.CreatePerson(ctx, tx, &directory.Person{Name: g.Name, Email: g.Email, Phone: g.Phone, UILanguage: ui,
				Languages: g.Languages, ConfidentialAddress: g.ConfidentialAddress, ImportRef: g.Ref})
			if err != nil {
				return nil, err
			}
			ids[g.Ref] = id
			n.Created++
			continue
		}
		ids[g.Ref] = e.ID
		conf := stricter(e.Confidential, g.ConfidentialAddress)
		switch {
		case e.HasLogin && e.Confidential == conf:
			// They keep their own details.
			n.Unchanged++
		case e.HasLogin:
			if _, err := tx.ExecContext(ctx, `UPDATE people SET confidential_address = $1 WHERE id = $2`, conf, e.ID); err != nil {
				return nil, err
			}
			n.Updated++
		case e.Name == g.Name && e.Email == g.Email && e.Phone == g.Phone && e.UI == ui && e.Langs == langs && e.Confidential == conf:
			n.Unchanged++
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE people SET name = $1, email = $2, phone = $3, ui_language = $4, languages = $5, confidential_address = $6 WHERE id = $7`,
				g.Name, g.Email, g.Phone, ui, langs, conf, e.ID); err != nil {
				return nil, err
			}
			n.Updated++
		}
	}
	return ids, nil
}

// importLinks creates or updates the child–guardian links. An existing
// link keeps the protections set in Tillit.
func importLinks(ctx context.Context, tx *sql.Tx, children, guardians map[string]int64, links []importcsv.Link, n *Count) error {
	for _, l := range links {
		nl := directory.Link{ChildID: children[l.ChildRef], PersonID: guardians[l.GuardianRef], ParentalResponsibility: l.ParentalResponsibility,
			LivesWith: l.LivesWith, NoInformation: l.NoInformation, NoPickup: l.NoPickup}
		if nl.ChildID == 0 || nl.PersonID == 0 {
			return errors.New("importer: link to an unknown child or guardian")
		}
		var old directory.Link
		err := tx.QueryRowContext(ctx, `SELECT parental_responsibility, lives_with, no_information, no_pickup FROM guardianships WHERE child_id = $1 AND person_id = $2`,
			nl.ChildID, nl.PersonID).Scan(&old.ParentalResponsibility, &old.LivesWith, &old.NoInformation, &old.NoPickup)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			n.Created++
		case err != nil:
			return err
		default:
			nl.ParentalResponsibility = nl.ParentalResponsibility && old.ParentalResponsibility
			nl.NoInformation = nl.NoInformation || old.NoInformation
			nl.NoPickup = nl.NoPickup || old.NoPickup
			old.ChildID, old.PersonID = nl.ChildID, nl.PersonID
			if old == nl {
				n.Unchanged++
				continue
			}
			n.Updated++
		}
		if err := directory.SetLink(ctx, tx, nl); err != nil {
			return err
		}
	}
	return nil
}
