package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// now is the fixed "today" for all tests: 15 March 2026 in Norway.
var now = time.Date(2026, 3, 15, 10, 0, 0, 0, time.FixedZone("CET", 3600))

var opts = Options{Now: now}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// render writes rows (maps from column name to value) as a CSV file with the
// given columns, separator and line ending, using encoding/csv for quoting.
func render(t testing.TB, cols []string, sep rune, crlf bool, rows ...map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = sep
	w.UseCRLF = crlf
	if err := w.Write(cols); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = r[c]
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// goodRows is a valid import: two guardians for one child, split custody with
// a guardian without parental responsibility, a strictly confidential child
// without guardians, a guardian with two children, and a name that looks like
// SQL.
var goodRows = []map[string]string{
	{
		"group": "Blåbær", "child_ref": "K1", "child_first_name": "Ada", "child_last_name": "Nordmann",
		"child_birth_date": "2022-01-10", "guardian_ref": "G1", "guardian_name": "Kari  Nordmann", "guardian_email": "Kari@Example.COM",
		"guardian_phone": "987 65 432", "guardian_languages": "NB | en",
		"parental_responsibility": "Ja", "lives_with_child": "",
	},
	{
		"group": "Blåbær", "child_ref": "K1", "child_first_name": "Ada", "child_last_name": "Nordmann",
		"child_birth_date": "2022-01-10", "guardian_ref": "G2", "guardian_name": "Yonas Tesfay", "guardian_phone": "+46 70 123 45 67",
		"guardian_languages": "ti fa-af", "parental_responsibility": "yes",
		"lives_with_child": "nei", "no_information": "",
	},
	{
		"group": "Tyttebær", "child_ref": "K2", "child_first_name": "Robert'); DROP TABLE children;--",
		"child_last_name": "O'Brien (Berg)", "child_birth_date": "2019-03-15",
		"guardian_ref": "G3", "guardian_name": "Lise Berg", "guardian_email": "lise@example.org",
		"guardian_phone": "+47 412 34 567", "guardian_languages": "nb",
		"parental_responsibility": "TRUE", "lives_with_child": "1", "no_information": "0", "no_pickup": "false",
	},
	{
		"group": "Tyttebær", "child_ref": "K2", "child_first_name": "Robert'); DROP TABLE children;--",
		"child_last_name": "O'Brien (Berg)", "child_birth_date": "2019-03-15",
		"guardian_ref": "G4", "guardian_name": "Jon Dahl",
		"parental_responsibility": "nei", "lives_with_child": "no", "no_information": "ja", "no_pickup": "1",
	},
	{
		"group": "Multe", "child_ref": "K3", "child_first_name": "Ali", "child_last_name": "Haddad",
		"child_birth_date": "2026-03-15", "child_confidential_address": "Strengt fortrolig",
	},
	{
		"group": "Multe", "child_ref": "K4", "child_first_name": "Mina", "child_last_name": "Haddad",
		"child_birth_date": "2024-02-29", "child_confidential_address": "fortrolig",
		"guardian_ref": "G5", "guardian_name": "Rania Haddad", "guardian_languages": "ar",
		"guardian_confidential_address": "fortrolig",
	},
	{
		"group": "Blåbær", "child_ref": "K5", "child_first_name": "Ola", "child_last_name": "Nordmann",
		"child_birth_date": "2023-12-01", "guardian_ref": "G1", "guardian_name": "Kari Nordmann", "guardian_email": "kari@example.com",
		"guardian_phone": "98765432", "guardian_languages": "en nb",
	},
}

var wantGood = &Result{
	Groups: []string{"Blåbær", "Tyttebær", "Multe"},
	Children: []Child{
		{Ref: "K1", Group: "Blåbær", FirstName: "Ada", LastName: "Nordmann", BirthDate: date("2022-01-10")},
		{Ref: "K2", Group: "Tyttebær", FirstName: "Robert'); DROP TABLE children;--", LastName: "O'Brien (Berg)", BirthDate: date("2019-03-15")},
		{Ref: "K3", Group: "Multe", FirstName: "Ali", LastName: "Haddad", BirthDate: date("2026-03-15"), ConfidentialAddress: StrictlyConfidential},
		{Ref: "K4", Group: "Multe", FirstName: "Mina", LastName: "Haddad", BirthDate: date("2024-02-29"), ConfidentialAddress: Confidential},
		{Ref: "K5", Group: "Blåbær", FirstName: "Ola", LastName: "Nordmann", BirthDate: date("2023-12-01")},
	},
	Guardians: []Guardian{
		{Ref: "G1", Name: "Kari Nordmann", Email: "Kari@example.com", Phone: "+4798765432", Languages: []string{"nb", "en"}},
		{Ref: "G2", Name: "Yonas Tesfay", Phone: "+46701234567", Languages: []string{"ti", "fa-AF"}},
		{Ref: "G3", Name: "Lise Berg", Email: "lise@example.org", Phone: "+4741234567", Languages: []string{"nb"}},
		{Ref: "G4", Name: "Jon Dahl"},
		{Ref: "G5", Name: "Rania Haddad", Languages: []string{"ar"}, ConfidentialAddress: Confidential},
	},
	Links: []Link{
		{ChildRef: "K1", GuardianRef: "G1", ParentalResponsibility: true, LivesWith: true},
		{ChildRef: "K1", GuardianRef: "G2", ParentalResponsibility: true, LivesWith: false},
		{ChildRef: "K2", GuardianRef: "G3", ParentalResponsibility: true, LivesWith: true},
		{ChildRef: "K2", GuardianRef: "G4", ParentalResponsibility: false, LivesWith: false, NoInformation: true, NoPickup: true},
		{ChildRef: "K4", GuardianRef: "G5", ParentalResponsibility: true, LivesWith: true},
		{ChildRef: "K5", GuardianRef: "G1", ParentalResponsibility: true, LivesWith: true},
	},
}

func TestParseGoodFile(t *testing.T) {
	shuffled := []string{
		"No_Pickup", "guardian_email", " CHILD_LAST_NAME ", "guardian_ref", "Group", "lives_with_child",
		"child_birth_date", "guardian_languages", "child_ref", "guardian_phone", "no_information",
		"child_first_name", "guardian_confidential_address", "parental_responsibility",
		"guardian_name", "child_confidential_address",
	}
	// render looks values up by the header text, so key the rows by it too.
	shuffledRows := make([]map[string]string, len(goodRows))
	for i, r := range goodRows {
		m := map[string]string{}
		for _, h := range shuffled {
			m[h] = r[strings.ToLower(strings.TrimSpace(h))]
		}
		shuffledRows[i] = m
	}
	// Only the required columns, for the rows that have no guardian.
	minimal := render(t, RequiredColumns, ';', false, goodRows[4])

	tests := []struct {
		name string
		file string
		want *Result
	}{
		{"comma", render(t, Columns, ',', false, goodRows...), wantGood},
		{"semicolon", render(t, Columns, ';', false, goodRows...), wantGood},
		{"semicolon BOM CRLF", "\uFEFF" + render(t, Columns, ';', true, goodRows...), wantGood},
		{"comma BOM", "\uFEFF" + render(t, Columns, ',', false, goodRows...), wantGood},
		{"shuffled columns", render(t, shuffled, ';', false, shuffledRows...), wantGood},
		{"blank lines and empty rows", strings.Replace(render(t, Columns, ';', false, goodRows...), "\n", "\n\n;;;;;;;;;;;;;;;\n", 3), wantGood},
		{"required columns only", minimal, &Result{
			Groups:   []string{"Multe"},
			Children: []Child{{Ref: "K3", Group: "Multe", FirstName: "Ali", LastName: "Haddad", BirthDate: date("2026-03-15")}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, rowErrs, err := Parse(strings.NewReader(tc.file), opts)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(rowErrs) > 0 {
				t.Fatalf("unexpected row errors: %+v", rowErrs)
			}
			if !reflect.DeepEqual(res, tc.want) {
				t.Errorf("result mismatch\n got: %+v\nwant: %+v", res, tc.want)
			}
		})
	}
}

func TestParseHandWrittenFile(t *testing.T) {
	// Written by hand rather than with encoding/csv: quoted header cells, a
	// quoted name containing the separator, and a name with SQL in it that
	// is just text.
	file := "\uFEFF\"group\";\"child_ref\";\"child_first_name\";\"child_last_name\";\"child_birth_date\";\"guardian_ref\";\"guardian_name\"\r\n" +
		"Blåbær;1;\"Robert'); DROP TABLE children;--\";\"Tables\";2022-05-01;;\r\n" +
		"Blåbær;2;Kari \"Kiki\";Nordmann;2022-05-02;p1;\"Ola \"\"Ole\"\" Nordmann\"\r\n"
	_, _, err := Parse(strings.NewReader(file), opts)
	var fe *FileError
	// The bare quote in `Kari "Kiki"` is broken CSV.
	if !errors.As(err, &fe) || fe.Code != CodeNotCSV || fe.Row != 3 {
		t.Fatalf("want not_csv on line 3, got %v", err)
	}

	file = strings.Replace(file, `Kari "Kiki"`, `"Kari ""Kiki"""`, 1)
	res, rowErrs, err := Parse(strings.NewReader(file), opts)
	if err != nil || len(rowErrs) > 0 {
		t.Fatalf("Parse: %v %+v", err, rowErrs)
	}
	if got := res.Children[0].FirstName; got != "Robert'); DROP TABLE children;--" {
		t.Errorf("SQL-looking name not kept literally: %q", got)
	}
	if got := res.Children[1].FirstName; got != `Kari "Kiki"` {
		t.Errorf("quoted name: %q", got)
	}
	if got := res.Guardians[0].Name; got != `Ola "Ole" Nordmann` {
		t.Errorf("guardian name: %q", got)
	}
	if len(res.Links) != 1 || res.Links[0] != (Link{ChildRef: "2", GuardianRef: "p1", ParentalResponsibility: true, LivesWith: true}) {
		t.Errorf("links: %+v", res.Links)
	}
}

func TestParseExampleFile(t *testing.T) {
	f, err := os.Open("../../docs/import-example.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, rowErrs, err := Parse(f, opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(rowErrs) > 0 {
		t.Fatalf("row errors: %+v", rowErrs)
	}
	if want := []string{"Blåbær", "Tyttebær", "Multe"}; !slices.Equal(res.Groups, want) {
		t.Errorf("groups %q, want %q", res.Groups, want)
	}
	if len(res.Children) != 6 || len(res.Guardians) != 9 || len(res.Links) != 11 {
		t.Errorf("got %d children, %d guardians, %d links; want 6, 9, 11",
			len(res.Children), len(res.Guardians), len(res.Links))
	}
	langs := map[string]bool{}
	for _, g := range res.Guardians {
		for _, l := range g.Languages {
			langs[l] = true
		}
	}
	if !langs["ti"] || !langs["ar"] {
		t.Errorf("example should have Tigrinya and Arabic speakers, has %v", langs)
	}
	var noResponsibility, notLivingWith, confidentialChild bool
	for _, l := range res.Links {
		noResponsibility = noResponsibility || !l.ParentalResponsibility
		notLivingWith = notLivingWith || (l.ParentalResponsibility && !l.LivesWith)
	}
	for _, c := range res.Children {
		confidentialChild = confidentialChild || c.ConfidentialAddress != ""
	}
	if !noResponsibility || !notLivingWith || !confidentialChild {
		t.Errorf("example should show no parental responsibility (%v), split custody (%v), confidential address (%v)",
			noResponsibility, notLivingWith, confidentialChild)
	}
}

// row returns a valid row for child ref with guardian gref, with overrides.
// Overrides are "column=value" strings.
func row(ref, gref string, overrides ...string) map[string]string {
	m := map[string]string{
		"group": "Blåbær", "child_ref": ref, "child_first_name": "Ada", "child_last_name": "Nordmann",
		"child_birth_date": "2022-01-10", "guardian_ref": gref, "guardian_name": "Kari Nordmann",
	}
	if gref == "" {
		m["guardian_name"] = ""
	}
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			panic(o)
		}
		m[k] = v
	}
	return m
}

type rowCase struct {
	name string
	file string
	want []RowError
}

func rowCases(t testing.TB) []rowCase {
	f := func(rows ...map[string]string) string { return render(t, Columns, ';', false, rows...) }
	e := func(row int, col, code, value string) RowError {
		return RowError{Row: row, Column: col, Code: code, Value: value}
	}
	long := strings.Repeat("å", MaxTextLen+1)
	return []rowCase{
		{"required child fields", f(row("", "", "child_confidential_address=fortrolig", "child_first_name= ", "child_last_name=", "group=", "child_birth_date=")), []RowError{
			e(2, "group", CodeRequired, ""),
			e(2, "child_ref", CodeRequired, ""),
			e(2, "child_first_name", CodeRequired, ""),
			e(2, "child_last_name", CodeRequired, ""),
			e(2, "child_birth_date", CodeRequired, ""),
		}},
		{"guardian name required with guardian_ref", f(row("K1", "G1", "guardian_name=")), []RowError{
			e(2, "guardian_name", CodeRequired, ""),
		}},
		{"guardian data without guardian_ref", f(row("K1", "", "guardian_phone=98765432"), row("K2", "", "no_pickup=ja")), []RowError{
			e(2, "guardian_ref", CodeRequired, ""),
			e(3, "guardian_ref", CodeRequired, ""),
		}},
		{"invalid dates", f(
			row("K1", "", "child_birth_date=10.01.2022"),
			row("K2", "", "child_birth_date=2022-02-30"),
			row("K3", "", "child_birth_date=2022-1-5"),
			row("K4", "", "child_birth_date=2025-02-29"),
		), []RowError{
			e(2, "child_birth_date", CodeInvalidDate, "10.01.2022"),
			e(3, "child_birth_date", CodeInvalidDate, "2022-02-30"),
			e(4, "child_birth_date", CodeInvalidDate, "2022-1-5"),
			e(5, "child_birth_date", CodeInvalidDate, "2025-02-29"),
		}},
		{"future date", f(row("K1", "", "child_birth_date=2026-03-16"), row("K2", "", "child_birth_date=2026-03-15")), []RowError{
			e(2, "child_birth_date", CodeFutureDate, "2026-03-16"),
		}},
		{"too old", f(row("K1", "", "child_birth_date=2019-03-14"), row("K2", "", "child_birth_date=2019-03-15"), row("K3", "", "child_birth_date=1990-01-01")), []RowError{
			e(2, "child_birth_date", CodeTooOld, "2019-03-14"),
			e(4, "child_birth_date", CodeTooOld, "1990-01-01"),
		}},
		{"invalid emails", f(
			row("K1", "G1", "guardian_email=kari@@example.com"),
			row("K2", "G2", "guardian_email=kari nordmann@example.com"),
			row("K3", "G3", "guardian_email=kari.example.com"),
			row("K4", "G4", "guardian_email=kari@localhost"),
			row("K5", "G5", "guardian_email=@example.com"),
			row("K6", "G6", "guardian_email=a@b.no;c@d.no"),
		), []RowError{
			e(2, "guardian_email", CodeInvalidEmail, "kari@@example.com"),
			e(3, "guardian_email", CodeInvalidEmail, "kari nordmann@example.com"),
			e(4, "guardian_email", CodeInvalidEmail, "kari.example.com"),
			e(5, "guardian_email", CodeInvalidEmail, "kari@localhost"),
			e(6, "guardian_email", CodeInvalidEmail, "@example.com"),
			e(7, "guardian_email", CodeInvalidEmail, "a@b.no;c@d.no"),
		}},
		{"invalid phones", f(
			row("K1", "G1", "guardian_phone=12345"),
			row("K2", "G2", "guardian_phone=+47 1234"),
			row("K3", "G3", "guardian_phone=98-76-54-32"),
			row("K4", "G4", "guardian_phone=47 98765432"),
			row("K5", "G5", "guardian_phone=987+65432"),
			row("K6", "G6", "guardian_phone=+"),
		), []RowError{
			e(2, "guardian_phone", CodeInvalidPhone, "12345"),
			e(3, "guardian_phone", CodeInvalidPhone, "+47 1234"),
			e(4, "guardian_phone", CodeInvalidPhone, "98-76-54-32"),
			e(5, "guardian_phone", CodeInvalidPhone, "47 98765432"),
			e(6, "guardian_phone", CodeInvalidPhone, "987+65432"),
			e(7, "guardian_phone", CodeInvalidPhone, "+"),
		}},
		{"unknown language", f(row("K1", "G1", "guardian_languages=nb de"), row("K2", "G2", "guardian_languages=fa")), []RowError{
			e(2, "guardian_languages", CodeUnknownLanguage, "de"),
			e(3, "guardian_languages", CodeUnknownLanguage, "fa"),
		}},
		{"invalid bools", f(row("K1", "G1", "parental_responsibility=kanskje", "lives_with_child=y", "no_information=2", "no_pickup=nej")), []RowError{
			e(2, "parental_responsibility", CodeInvalidBool, "kanskje"),
			e(2, "lives_with_child", CodeInvalidBool, "y"),
			e(2, "no_information", CodeInvalidBool, "2"),
			e(2, "no_pickup", CodeInvalidBool, "nej"),
		}},
		{"too long", f(row("K1", "G1", "child_last_name="+long, "guardian_ref="+long), row("K2", "", "child_last_name="+long[:2*MaxTextLen])), []RowError{
			e(2, "child_last_name", CodeTooLong, strings.Repeat("å", 100)+"…"),
			e(2, "guardian_ref", CodeTooLong, strings.Repeat("å", 100)+"…"),
		}},
		{"control chars", f(
			row("K1", "", "child_first_name=Ada\tMarie"),
			row("K2", "", "child_last_name=Nord\nmann"),
			row("K3", "G3", "guardian_email=kari\x7f@example.com"),
			row("K4", "", "child_ref=K\u20284"),
			row("K5", "", "child_first_name=\tAda\r\n"), // only at the edges: trimmed, fine
		), []RowError{
			e(2, "child_first_name", CodeControlChars, "Ada[U+0009]Marie"),
			e(3, "child_last_name", CodeControlChars, "Nord[U+000A]mann"),
			// The quoted field above spans two lines, so this record starts on line 5.
			e(5, "guardian_email", CodeControlChars, "kari[U+007F]@example.com"),
			e(6, "child_ref", CodeControlChars, "K[U+2028]4"),
		}},
		{"bidi chars", f(
			row("K1", "", "child_first_name=Ada\u202Egnp.exe"),
			row("K2", "G2", "guardian_name=\u200FRania Haddad"),
			row("K3", "", "group=Multe\u2066"),
			row("K4", "G4", "guardian_languages=ar\u061C"),
		), []RowError{
			e(2, "child_first_name", CodeBidiChars, "Ada[U+202E]gnp.exe"),
			e(3, "guardian_name", CodeBidiChars, "[U+200F]Rania Haddad"),
			e(4, "group", CodeBidiChars, "Multe[U+2066]"),
			e(5, "guardian_languages", CodeBidiChars, "ar[U+061C]"),
		}},
		{"markup chars", f(
			row("K1", "", "child_first_name=<script>alert(1)</script>"),
			row("K2", "G2", "guardian_name=Kari <b>Nordmann</b>"),
			row("K3", "", "group=Blåbær >"),
		), []RowError{
			e(2, "child_first_name", CodeMarkupChars, "<script>alert(1)</script>"),
			e(3, "guardian_name", CodeMarkupChars, "Kari <b>Nordmann</b>"),
			e(4, "group", CodeMarkupChars, "Blåbær >"),
		}},
		{"invalid utf8 in fields", f(
			row("K1", "", "child_last_name=Nordmann\xff"),
			row("K2", "", "group=Bl\xe5b\xe6r"), // Windows-1252 "Blåbær"
		), []RowError{
			e(2, "child_last_name", CodeInvalidUTF8, "Nordmann\uFFFD"),
			e(3, "group", CodeInvalidUTF8, "Bl\uFFFDb\uFFFDr"),
		}},
		{"unknown confidentiality", f(row("K1", "G1", "child_confidential_address=hemmelig", "guardian_confidential_address=kode 6", "no_pickup=?")), []RowError{
			e(2, "child_confidential_address", CodeUnknownConfidentiality, "hemmelig"),
			e(2, "no_pickup", CodeInvalidBool, "?"),
			e(2, "guardian_confidential_address", CodeUnknownConfidentiality, "kode 6"),
		}},
		{"child conflict", f(
			row("K1", "G1"),
			row("K1", "G2", "child_last_name=Nordman", "child_birth_date=2022-01-11", "child_confidential_address=fortrolig"),
			row("K1", "G3", "child_first_name=Ada "), // trimmed: same
		), []RowError{
			e(3, "child_last_name", CodeChildConflict, "Nordman"),
			e(3, "child_birth_date", CodeChildConflict, "2022-01-11"),
			e(3, "child_confidential_address", CodeChildConflict, "fortrolig"),
		}},
		{"guardian conflict", f(
			row("K1", "G1", "guardian_phone=98765432", "guardian_languages=nb en", "guardian_email=kari@example.com"),
			row("K2", "G1", "guardian_phone=+47 987 65 432", "guardian_languages=EN|nb", "guardian_email=KARI@example.com"), // same after normalisation
			row("K3", "G1", "guardian_name=Kari Berg", "guardian_phone=98765433", "guardian_languages=nb", "guardian_email=", "guardian_confidential_address=fortrolig"),
		), []RowError{
			e(4, "guardian_name", CodeGuardianConflict, "Kari Berg"),
			e(4, "guardian_email", CodeGuardianConflict, ""),
			e(4, "guardian_phone", CodeGuardianConflict, "+4798765433"),
			e(4, "guardian_languages", CodeGuardianConflict, "nb"),
			e(4, "guardian_confidential_address", CodeGuardianConflict, "fortrolig"),
		}},
		{"duplicate link", f(row("K1", "G1"), row("K1", "G2"), row("K1", "G1", "lives_with_child=nei")), []RowError{
			e(4, "guardian_ref", CodeDuplicateLink, "G1"),
		}},
		{"group conflict", f(
			row("K1", "G1"),
			row("K1", "G2", "group=Multe"),
			row("K2", "", "group=blåbær"),
		), []RowError{
			e(3, "group", CodeGroupConflict, "Multe"),
			e(4, "group", CodeGroupConflict, "blåbær"),
		}},
		{"wrong column count", f(row("K1", "")) + "Blåbær;K2;Ada\n" + f(row("K3", ""))[len(strings.Join(Columns, ";"))+1:] + strings.Repeat(";", len(Columns)) + "x\n", []RowError{
			e(3, "", CodeWrongColumnCount, "3"),
			e(5, "", CodeWrongColumnCount, fmt.Sprint(len(Columns)+1)),
		}},
		{"all problems are reported", f(
			row("K1", "G1", "child_first_name=<b>", "guardian_email=x"),
			row("K2", "G2"),
			row("K3", "", "child_birth_date=2030-01-01", "group=Tyttebær\u202E"),
		), []RowError{
			e(2, "child_first_name", CodeMarkupChars, "<b>"),
			e(2, "guardian_email", CodeInvalidEmail, "x"),
			e(4, "group", CodeBidiChars, "Tyttebær[U+202E]"),
			e(4, "child_birth_date", CodeFutureDate, "2030-01-01"),
		}},
	}
}

func TestParseRowErrors(t *testing.T) {
	for _, tc := range rowCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			res, rowErrs, err := Parse(strings.NewReader(tc.file), opts)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if res != nil {
				t.Errorf("a result was returned despite row errors: %+v", res)
			}
			if !reflect.DeepEqual(rowErrs, tc.want) {
				t.Errorf("row errors\n got: %+v\nwant: %+v", rowErrs, tc.want)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// endless yields an unlimited stream of valid-looking rows and counts bytes.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "Blåbær;K;Ada;Nordmann;2022-01-10\n"[int(e.n+int64(i))%len("Blåbær;K;Ada;Nordmann;2022-01-10\n")]
	}
	e.n += int64(len(p))
	return len(p), nil
}

type fileCase struct {
	name   string
	file   io.Reader
	code   string
	column string
	row    int
}

func fileCases(t testing.TB) []fileCase {
	header := strings.Join(RequiredColumns, ";") + "\n"
	okRow := "Blåbær;K%d;Ada;Nordmann;2022-01-10\n"
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString(header)
		for i := range n {
			fmt.Fprintf(&b, okRow, i)
		}
		return b.String()
	}
	big := header + strings.Repeat("\n", MaxBytes-len(header)+1)
	return []fileCase{
		{"too large", strings.NewReader(big), CodeFileTooLarge, "", 0},
		{"endless reader", &endless{}, CodeFileTooLarge, "", 0},
		{"too many rows", strings.NewReader(rows(MaxRows + 1)), CodeTooManyRows, "", MaxRows + 2},
		{"missing column", strings.NewReader("group;child_ref;child_first_name;child_birth_date\nBlåbær;K1;Ada;2022-01-10\n"), CodeMissingColumn, "child_last_name", 0},
		{"no header row", strings.NewReader("Blåbær;K1;Ada;Nordmann;2022-01-10\n"), CodeMissingColumn, "group", 0},
		{"unknown column", strings.NewReader(strings.TrimSuffix(header, "\n") + ";guardian_phon\n"), CodeUnknownColumn, "guardian_phon", 0},
		{"duplicate column", strings.NewReader(strings.TrimSuffix(header, "\n") + ";Group\n"), CodeDuplicateColumn, "group", 0},
		{"not csv: zip", strings.NewReader("PK\x03\x04\x14\x00\x06\x00group;child_ref"), CodeNotCSV, "", 0},
		{"not csv: UTF-16", strings.NewReader("\xff\xfeg\x00r\x00o\x00u\x00p\x00"), CodeNotCSV, "", 0},
		{"not csv: broken quotes", strings.NewReader(header + "Blåbær;K1;\"Ada;Nordmann;2022-01-10\nBlåbær;K2;Ada;Nordmann;2022-01-10\n"), CodeNotCSV, "", 2},
		{"empty", strings.NewReader(""), CodeEmptyFile, "", 0},
		{"only BOM and blanks", strings.NewReader("\uFEFF \r\n\n"), CodeEmptyFile, "", 0},
		{"header only", strings.NewReader(header + "\n;;;;\n"), CodeEmptyFile, "", 0},
		{"invalid utf8 in header", strings.NewReader("group;child_ref;child_first_name;child_last_name;child_birth_date;f\xf8dt\n"), CodeInvalidUTF8, "f\uFFFDdt", 1},
		{"read error", errReader{}, CodeReadError, "", 0},
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range fileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			res, rowErrs, err := Parse(tc.file, opts)
			if res != nil || rowErrs != nil {
				t.Errorf("want nil result and row errors, got %+v, %+v", res, rowErrs)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want *FileError, got %v", err)
			}
			if fe.Code != tc.code || fe.Column != tc.column || fe.Row != tc.row {
				t.Errorf("got code=%q column=%q row=%d, want code=%q column=%q row=%d",
					fe.Code, fe.Column, fe.Row, tc.code, tc.column, tc.row)
			}
			if fe.Error() == "" {
				t.Error("empty Error()")
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	// Exactly MaxRows rows is accepted.
	var b strings.Builder
	b.WriteString(strings.Join(RequiredColumns, ",") + "\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "Blåbær,K%d,Ada,Nordmann,2022-01-10\n", i)
	}
	res, rowErrs, err := Parse(strings.NewReader(b.String()), opts)
	if err != nil || rowErrs != nil || len(res.Children) != MaxRows {
		t.Fatalf("MaxRows rows: err=%v rowErrs=%d", err, len(rowErrs))
	}

	// Exactly MaxBytes is not too large (it is a header and blank lines, so
	// it is empty instead).
	header := strings.Join(RequiredColumns, ";") + "\n"
	exact := header + strings.Repeat("\n", MaxBytes-len(header))
	if len(exact) != MaxBytes {
		t.Fatal("bad test setup")
	}
	_, _, err = Parse(strings.NewReader(exact), opts)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Code != CodeEmptyFile {
		t.Errorf("MaxBytes file: want empty_file, got %v", err)
	}

	// Parse does not read much more than MaxBytes.
	e := &endless{}
	Parse(e, opts)
	if e.n > MaxBytes+64*1024 {
		t.Errorf("read %d bytes from an endless reader", e.n)
	}

	// Underlying read errors are kept.
	_, _, err = Parse(errReader{}, opts)
	if err == nil || !strings.Contains(err.Error(), "connection reset") || errors.Unwrap(err) == nil {
		t.Errorf("read error not wrapped: %v", err)
	}
}

func TestZeroNowMeansToday(t *testing.T) {
	tomorrow := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	file := strings.Join(RequiredColumns, ",") + "\nBlåbær,K1,Ada,Nordmann," + tomorrow + "\n"
	_, rowErrs, err := Parse(strings.NewReader(file), Options{})
	if err != nil || len(rowErrs) != 1 || rowErrs[0].Code != CodeFutureDate {
		t.Errorf("want future_date, got %v %+v", err, rowErrs)
	}
}

func TestTodayIsTakenFromNowsLocation(t *testing.T) {
	// 23:30 UTC on 14 March is already 15 March in Norway.
	late := time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC).In(time.FixedZone("CET", 3600))
	file := strings.Join(RequiredColumns, ",") + "\nBlåbær,K1,Ada,Nordmann,2026-03-15\n"
	_, rowErrs, err := Parse(strings.NewReader(file), Options{Now: late})
	if err != nil || len(rowErrs) != 0 {
		t.Errorf("born today (local date) should be fine: %v %+v", err, rowErrs)
	}
	_, rowErrs, _ = Parse(strings.NewReader(file), Options{Now: late.UTC()})
	if len(rowErrs) != 1 || rowErrs[0].Code != CodeFutureDate {
		t.Errorf("with a UTC Now the date is tomorrow: %+v", rowErrs)
	}
}

func TestEveryCodeIsProducedAndListed(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range rowCases(t) {
		for _, e := range tc.want {
			seen[e.Code] = true
		}
	}
	for _, tc := range fileCases(t) {
		seen[tc.code] = true
	}
	listed := map[string]bool{}
	for _, c := range Codes {
		if listed[c] {
			t.Errorf("code %q listed twice in Codes", c)
		}
		listed[c] = true
		if !seen[c] {
			t.Errorf("code %q is not covered by any test case", c)
		}
	}
	for c := range seen {
		if !listed[c] {
			t.Errorf("code %q is produced but missing from Codes", c)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct{ in, want, code string }{
		{"  Kari   Nordmann ", "Kari Nordmann", ""},
		{"Kari\u00a0Nordmann", "Kari Nordmann", ""},
		{"Robert'); DROP TABLE children;--", "Robert'); DROP TABLE children;--", ""},
		{`O'Brien "Bob" & Sønn`, `O'Brien "Bob" & Sønn`, ""},
		{"Ḥasan (حسن)", "Ḥasan (حسن)", ""},
		{"Mo\u200Chammad", "Mo\u200Chammad", ""}, // ZWNJ is allowed
		{"", "", CodeRequired},
		{" \u00a0 ", "", CodeRequired},
		{"<script>", "", CodeMarkupChars},
		{"a > b", "", CodeMarkupChars},
		{"Kari\u202ENordmann", "", CodeBidiChars},
		{"Kari\x1bNordmann", "", CodeControlChars},
		{"Kari\xc3", "", CodeInvalidUTF8},
		{strings.Repeat("x", MaxTextLen), strings.Repeat("x", MaxTextLen), ""},
		{strings.Repeat("ø", MaxTextLen+1), "", CodeTooLong},
	}
	for _, tc := range tests {
		got, code := ValidateName(tc.in)
		if got != tc.want || code != tc.code {
			t.Errorf("ValidateName(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
}

func TestParseLanguages(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		code string
	}{
		{"", nil, ""},
		{"nb", []string{"nb"}, ""},
		{"NB|EN", []string{"nb", "en"}, ""},
		{" fa-af  kmr | ps,so ", []string{"fa-AF", "kmr", "ps", "so"}, ""},
		{"nb nb NB", []string{"nb"}, ""},
		{"ti ar uk ru pl lt nn", []string{"ti", "ar", "uk", "ru", "pl", "lt", "nn"}, ""},
		{"no", nil, CodeUnknownLanguage},
		{"nb de", nil, CodeUnknownLanguage},
		{"fa_AF", nil, CodeUnknownLanguage},
		{"nb\u202E", nil, CodeBidiChars},
	}
	for _, tc := range tests {
		got, code := ParseLanguages(tc.in)
		if !slices.Equal(got, tc.want) || code != tc.code {
			t.Errorf("ParseLanguages(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
	for _, l := range LaunchLanguages {
		if got, code := ParseLanguages(strings.ToUpper(l)); code != "" || !slices.Equal(got, []string{l}) {
			t.Errorf("launch language %q not accepted: %q %q", l, got, code)
		}
	}
}

func TestSmallValidators(t *testing.T) {
	phones := []struct{ in, want, code string }{
		{"", "", ""},
		{"98765432", "+4798765432", ""},
		{" 987 65 432 ", "+4798765432", ""},
		{"+47 98 76 54 32", "+4798765432", ""},
		{"0047 98765432", "+4798765432", ""},
		{"+46 70 123 45 67", "+46701234567", ""},
		{"+4798765", "", CodeInvalidPhone},
		{"987654321", "", CodeInvalidPhone},
		{"+0123456789", "", CodeInvalidPhone},
		{"+1234567890123456", "", CodeInvalidPhone},
		{"(+47) 98765432", "", CodeInvalidPhone},
	}
	for _, tc := range phones {
		got, code := NormalizePhone(tc.in)
		if got != tc.want || code != tc.code {
			t.Errorf("NormalizePhone(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
	emails := []struct{ in, want, code string }{
		{"", "", ""},
		{" Kari.Nordmann@Example.NO ", "Kari.Nordmann@example.no", ""},
		{"ola+barnehage@post.example.com", "ola+barnehage@post.example.com", ""},
		{"kari@example.", "", CodeInvalidEmail},
		{"kari@.example", "", CodeInvalidEmail},
		{"<kari@example.com>", "", CodeInvalidEmail},
	}
	for _, tc := range emails {
		got, code := ValidateEmail(tc.in)
		if got != tc.want || code != tc.code {
			t.Errorf("ValidateEmail(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
	bools := []struct {
		in        string
		def, want bool
		code      string
	}{
		{"", true, true, ""}, {"", false, false, ""},
		{"JA", false, true, ""}, {"Nei", true, false, ""}, {"yes", false, true, ""}, {"No", true, false, ""},
		{"true", false, true, ""}, {"FALSE", true, false, ""}, {"1", false, true, ""}, {"0", true, false, ""},
		{"j", true, true, CodeInvalidBool}, {"x", false, false, CodeInvalidBool},
	}
	for _, tc := range bools {
		got, code := ParseBool(tc.in, tc.def)
		if got != tc.want || code != tc.code {
			t.Errorf("ParseBool(%q, %v) = %v, %q; want %v, %q", tc.in, tc.def, got, code, tc.want, tc.code)
		}
	}
	conf := []struct{ in, want, code string }{
		{"", ConfidentialNone, ""},
		{"Fortrolig", Confidential, ""},
		{"strengt_fortrolig", StrictlyConfidential, ""},
		{"Strengt fortrolig", StrictlyConfidential, ""},
		{"strengt-fortrolig", StrictlyConfidential, ""},
		{"ja", "", CodeUnknownConfidentiality},
	}
	for _, tc := range conf {
		got, code := ParseConfidentiality(tc.in)
		if got != tc.want || code != tc.code {
			t.Errorf("ParseConfidentiality(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
}
