// Package importcsv parses and validates the CSV file a kindergarten manager
// uploads to import groups, children and guardians from an old system.
//
// It is a pure parsing layer: no database access. Parse either returns a
// complete, consistent Result, or the full list of problems found. The import
// is all-or-nothing: when there is any RowError, nothing may be imported
// (Parse then returns no Result at all).
//
// The format is documented in docs/import.md.
package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBytes is the largest accepted file, in bytes (2 MiB). Parse never reads
// more than MaxBytes+1 bytes from its reader. A caller that also limits the
// upload (for example with http.MaxBytesReader on the whole request) should
// leave room for the request overhead so that Parse, not the limiter, reports
// file_too_large.
const MaxBytes = 2 << 20

// MaxRows is the largest accepted number of data rows (header and blank rows
// not counted).
const MaxRows = 5000

// MaxChildAgeYears is the age limit for children: the child's 7th birthday
// may be today at the latest.
const MaxChildAgeYears = 7

// Column names, in the canonical order used by the example file.
const (
	ColGroup                       = "group"
	ColChildRef                    = "child_ref"
	ColChildFirstName              = "child_first_name"
	ColChildLastName               = "child_last_name"
	ColChildBirthDate              = "child_birth_date"
	ColChildConfidentialAddress    = "child_confidential_address"
	ColGuardianRef                 = "guardian_ref"
	ColGuardianName                = "guardian_name"
	ColGuardianEmail               = "guardian_email"
	ColGuardianPhone               = "guardian_phone"
	ColGuardianLanguages           = "guardian_languages"
	ColParentalResponsibility      = "parental_responsibility"
	ColLivesWithChild              = "lives_with_child"
	ColNoInformation               = "no_information"
	ColNoPickup                    = "no_pickup"
	ColGuardianConfidentialAddress = "guardian_confidential_address"
)

// Columns lists every known column in canonical order.
var Columns = []string{
	ColGroup, ColChildRef, ColChildFirstName, ColChildLastName, ColChildBirthDate,
	ColChildConfidentialAddress, ColGuardianRef, ColGuardianName, ColGuardianEmail,
	ColGuardianPhone, ColGuardianLanguages, ColParentalResponsibility, ColLivesWithChild,
	ColNoInformation, ColNoPickup, ColGuardianConfidentialAddress,
}

// RequiredColumns lists the columns the header must contain.
var RequiredColumns = []string{
	ColGroup, ColChildRef, ColChildFirstName, ColChildLastName, ColChildBirthDate,
}

// guardianColumns are the columns that only make sense with a guardian_ref.
var guardianColumns = []string{
	ColGuardianName, ColGuardianEmail, ColGuardianPhone, ColGuardianLanguages,
	ColParentalResponsibility, ColLivesWithChild, ColNoInformation, ColNoPickup,
	ColGuardianConfidentialAddress,
}

// Options configures Parse.
type Options struct {
	// Now is used for the birth-date checks; its calendar date in its own
	// location is "today", so pass it in the kindergarten's time zone.
	// The zero value means time.Now().
	Now time.Time
}

// Result is a validated import. Groups, Children and Guardians are in order of
// first appearance; Links are in file order.
type Result struct {
	Groups    []string
	Children  []Child
	Guardians []Guardian
	Links     []Link
}

// Child is one child. Ref is the old system's id; Group is one of
// Result.Groups; BirthDate is midnight UTC of the birth date;
// ConfidentialAddress is ConfidentialNone, Confidential or
// StrictlyConfidential.
type Child struct {
	Ref, Group, FirstName, LastName string
	BirthDate                       time.Time
	ConfidentialAddress             string
}

// Guardian is one guardian. Email and Phone may be empty; Phone is in
// international form ("+4712345678"); Languages use the canonical codes from
// LaunchLanguages.
type Guardian struct {
	Ref, Name, Email, Phone string
	Languages               []string
	ConfidentialAddress     string
}

// Link ties a guardian to a child.
type Link struct {
	ChildRef, GuardianRef                                      string
	ParentalResponsibility, LivesWith, NoInformation, NoPickup bool
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads and validates an import file.
//
// The returned error is non-nil (always a *FileError) when the file as a
// whole is unusable; the other results are then nil. Otherwise every row
// problem is collected in the []RowError, in file order; if there is at least
// one, the *Result is nil and nothing may be imported.
func Parse(r io.Reader, opt Options) (*Result, []RowError, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, nil, &FileError{Code: CodeReadError, Err: err}
	}
	if len(data) > MaxBytes {
		return nil, nil, &FileError{Code: CodeFileTooLarge}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, &FileError{Code: CodeEmptyFile}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		// Spreadsheets (xlsx is a zip), UTF-16 text, PDFs, images...
		return nil, nil, &FileError{Code: CodeNotCSV}
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = detectSeparator(data)
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if err != nil {
		return nil, nil, csvError(err)
	}
	index, ferr := mapHeader(header)
	if ferr != nil {
		return nil, nil, ferr
	}

	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := newParser(now, index, len(header))
	rows := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		rows++
		if rows > MaxRows {
			return nil, nil, &FileError{Code: CodeTooManyRows, Row: line}
		}
		p.row(line, rec)
	}
	if rows == 0 {
		return nil, nil, &FileError{Code: CodeEmptyFile}
	}
	if len(p.errs) > 0 {
		return nil, p.errs, nil
	}
	return &p.res, nil, nil
}

func csvError(err error) error {
	fe := &FileError{Code: CodeNotCSV, Err: err}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		fe.Row = pe.StartLine
	}
	return fe
}

// detectSeparator picks ';' or ',' — whichever occurs more often outside
// quotes on the header line. A tie (including none of either) means ','.
func detectSeparator(data []byte) rune {
	semi, comma := 0, 0
	inQuote := false
scan:
	for _, b := range data {
		switch b {
		case '"':
			inQuote = !inQuote
		case '\n':
			if !inQuote {
				break scan
			}
		case ';':
			if !inQuote {
				semi++
			}
		case ',':
			if !inQuote {
				comma++
			}
		}
	}
	if semi > comma {
		return ';'
	}
	return ','
}

// mapHeader maps canonical column names to their index in the record.
// Columns with an empty name (for example from a trailing separator) are
// ignored.
func mapHeader(header []string) (map[string]int, error) {
	index := make(map[string]int, len(header))
	var unknown, duplicate string
	for i, raw := range header {
		if !utf8.ValidString(raw) {
			return nil, &FileError{Code: CodeInvalidUTF8, Column: displayValue(raw), Row: 1}
		}
		name := strings.ToLower(strings.TrimSpace(raw))
		if name == "" {
			continue
		}
		if !slices.Contains(Columns, name) {
			if unknown == "" {
				unknown = displayValue(raw)
			}
			continue
		}
		if _, dup := index[name]; dup {
			if duplicate == "" {
				duplicate = name
			}
			continue
		}
		index[name] = i
	}
	for _, c := range RequiredColumns {
		if _, ok := index[c]; !ok {
			return nil, &FileError{Code: CodeMissingColumn, Column: c}
		}
	}
	if unknown != "" {
		return nil, &FileError{Code: CodeUnknownColumn, Column: unknown}
	}
	if duplicate != "" {
		return nil, &FileError{Code: CodeDuplicateColumn, Column: duplicate}
	}
	return index, nil
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

type parser struct {
	today   time.Time // midnight UTC of the local calendar date of Now
	index   map[string]int
	nfields int

	res       Result
	errs      []RowError
	groups    map[string]string // lower-case name -> spelling first seen
	children  map[string]int    // ref -> index in res.Children
	guardians map[string]int    // ref -> index in res.Guardians
	links     map[[2]string]bool
}

func newParser(now time.Time, index map[string]int, nfields int) *parser {
	y, m, d := now.Date()
	return &parser{
		today:     time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		index:     index,
		nfields:   nfields,
		groups:    map[string]string{},
		children:  map[string]int{},
		guardians: map[string]int{},
		links:     map[[2]string]bool{},
	}
}

// rowState holds one record while it is validated.
type rowState struct {
	p    *parser
	line int
	rec  []string
}

func (s *rowState) raw(col string) string {
	i, ok := s.p.index[col]
	if !ok {
		return ""
	}
	return s.rec[i]
}

func (s *rowState) fail(col, code, value string) {
	s.p.errs = append(s.p.errs, RowError{Row: s.line, Column: col, Code: code, Value: displayValue(value)})
}

// text runs ValidateText on the cell and records a RowError on failure.
func (s *rowState) text(col string) (string, bool) {
	raw := s.raw(col)
	v, code := ValidateText(raw)
	if code != "" {
		s.fail(col, code, raw)
		return "", false
	}
	return v, true
}

func (s *rowState) name(col string) string {
	raw := s.raw(col)
	v, code := ValidateName(raw)
	if code != "" {
		s.fail(col, code, raw)
	}
	return v
}

func (s *rowState) required(col string) string {
	v, ok := s.text(col)
	if ok && v == "" {
		s.fail(col, CodeRequired, "")
	}
	return v
}

func (s *rowState) confidentiality(col string) string {
	raw := s.raw(col)
	v, code := ParseConfidentiality(raw)
	if code != "" {
		s.fail(col, code, raw)
	}
	return v
}

func (s *rowState) boolean(col string, def bool) bool {
	raw := s.raw(col)
	v, code := ParseBool(raw, def)
	if code != "" {
		s.fail(col, code, raw)
	}
	return v
}

func (s *rowState) birthDate(col string) time.Time {
	v, ok := s.text(col)
	if !ok {
		return time.Time{}
	}
	if v == "" {
		s.fail(col, CodeRequired, "")
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		s.fail(col, CodeInvalidDate, v)
		return time.Time{}
	}
	switch {
	case d.After(s.p.today):
		s.fail(col, CodeFutureDate, v)
	case d.AddDate(MaxChildAgeYears, 0, 0).Before(s.p.today):
		s.fail(col, CodeTooOld, v)
	}
	return d
}

func (p *parser) row(line int, rec []string) {
	s := &rowState{p: p, line: line, rec: rec}
	if len(rec) != p.nfields {
		s.fail("", CodeWrongColumnCount, strconv.Itoa(len(rec)))
		return
	}
	// clean reports whether no error was recorded since mark.
	mark := len(p.errs)
	clean := func() bool { return len(p.errs) == mark }

	// Child.
	group := s.name(ColGroup)
	groupOK := clean()
	mark = len(p.errs)
	childRef := s.required(ColChildRef)
	childRefOK := clean() && childRef != ""
	c := Child{
		Ref:                 childRef,
		Group:               group,
		FirstName:           s.name(ColChildFirstName),
		LastName:            s.name(ColChildLastName),
		BirthDate:           s.birthDate(ColChildBirthDate),
		ConfidentialAddress: s.confidentiality(ColChildConfidentialAddress),
	}
	childOK := groupOK && clean()

	// Guardian and link.
	mark = len(p.errs)
	guardianRef, refOK := s.text(ColGuardianRef)
	hasGuardian := refOK && guardianRef != ""
	g := Guardian{Ref: guardianRef}
	if hasGuardian {
		g.Name = s.name(ColGuardianName)
	} else {
		s.text(ColGuardianName) // still report unsafe text
	}
	g.Email = s.email(ColGuardianEmail)
	g.Phone = s.phone(ColGuardianPhone)
	g.Languages = s.languages(ColGuardianLanguages)
	l := Link{
		ChildRef:               childRef,
		GuardianRef:            guardianRef,
		ParentalResponsibility: s.boolean(ColParentalResponsibility, true),
		LivesWith:              s.boolean(ColLivesWithChild, true),
		NoInformation:          s.boolean(ColNoInformation, false),
		NoPickup:               s.boolean(ColNoPickup, false),
	}
	g.ConfidentialAddress = s.confidentiality(ColGuardianConfidentialAddress)
	guardianOK := clean()
	if refOK && guardianRef == "" {
		// Guardian data without a guardian_ref cannot be attached to anyone.
		for _, col := range guardianColumns {
			if strings.TrimSpace(s.raw(col)) != "" {
				s.fail(ColGuardianRef, CodeRequired, "")
				break
			}
		}
	}

	// Consistency with earlier rows.
	if groupOK {
		p.addGroup(s, group)
	}
	if childOK {
		p.addChild(s, c)
	}
	if hasGuardian && guardianOK {
		p.addGuardian(s, g)
	}
	if hasGuardian && childRefOK {
		key := [2]string{childRef, guardianRef}
		if p.links[key] {
			s.fail(ColGuardianRef, CodeDuplicateLink, guardianRef)
		} else {
			p.links[key] = true
			p.res.Links = append(p.res.Links, l)
		}
	}
}

func (s *rowState) email(col string) string {
	raw := s.raw(col)
	v, code := ValidateEmail(raw)
	if code != "" {
		s.fail(col, code, raw)
	}
	return v
}

func (s *rowState) phone(col string) string {
	raw := s.raw(col)
	v, code := NormalizePhone(raw)
	if code != "" {
		s.fail(col, code, raw)
	}
	return v
}

func (s *rowState) languages(col string) []string {
	raw := s.raw(col)
	v, bad, code := parseLanguages(raw)
	if code != "" {
		if code == CodeUnknownLanguage {
			raw = bad
		}
		s.fail(col, code, raw)
	}
	return v
}

func (p *parser) addGroup(s *rowState, name string) {
	key := strings.ToLower(name)
	if first, ok := p.groups[key]; ok {
		if first != name {
			s.fail(ColGroup, CodeGroupConflict, name)
		}
		return
	}
	p.groups[key] = name
	p.res.Groups = append(p.res.Groups, name)
}

func (p *parser) addChild(s *rowState, c Child) {
	i, ok := p.children[c.Ref]
	if !ok {
		p.children[c.Ref] = len(p.res.Children)
		p.res.Children = append(p.res.Children, c)
		return
	}
	prev := p.res.Children[i]
	if !strings.EqualFold(prev.Group, c.Group) {
		s.fail(ColGroup, CodeGroupConflict, c.Group)
	}
	if prev.FirstName != c.FirstName {
		s.fail(ColChildFirstName, CodeChildConflict, c.FirstName)
	}
	if prev.LastName != c.LastName {
		s.fail(ColChildLastName, CodeChildConflict, c.LastName)
	}
	if !prev.BirthDate.Equal(c.BirthDate) {
		s.fail(ColChildBirthDate, CodeChildConflict, c.BirthDate.Format(time.DateOnly))
	}
	if prev.ConfidentialAddress != c.ConfidentialAddress {
		s.fail(ColChildConfidentialAddress, CodeChildConflict, c.ConfidentialAddress)
	}
}

func (p *parser) addGuardian(s *rowState, g Guardian) {
	i, ok := p.guardians[g.Ref]
	if !ok {
		p.guardians[g.Ref] = len(p.res.Guardians)
		p.res.Guardians = append(p.res.Guardians, g)
		return
	}
	prev := p.res.Guardians[i]
	if prev.Name != g.Name {
		s.fail(ColGuardianName, CodeGuardianConflict, g.Name)
	}
	if !strings.EqualFold(prev.Email, g.Email) {
		s.fail(ColGuardianEmail, CodeGuardianConflict, g.Email)
	}
	if prev.Phone != g.Phone {
		s.fail(ColGuardianPhone, CodeGuardianConflict, g.Phone)
	}
	if !sameSet(prev.Languages, g.Languages) {
		s.fail(ColGuardianLanguages, CodeGuardianConflict, strings.Join(g.Languages, " "))
	}
	if prev.ConfidentialAddress != g.ConfidentialAddress {
		s.fail(ColGuardianConfidentialAddress, CodeGuardianConflict, g.ConfidentialAddress)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
