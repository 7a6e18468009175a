package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/importcsv"
	"tillit/internal/webtest"
)

var nb = i18n.New("nb")

// example reads docs/import-example.csv, found by walking up to go.mod.
func example(t *testing.T) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "docs", "import-example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func upload(t *testing.T, c *webtest.Client, kg int64, content []byte) *webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "barn.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return c.Post(fmt.Sprintf("/k/%d/import", kg), mw.FormDataContentType(), &body)
}

type tally struct{ Children, People, Links, Groups int }

func counts(t *testing.T, d *db.DB) tally {
	t.Helper()
	n := func(table string) int {
		var n int
		if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return tally{n("children"), n("people"), n("guardianships"), n("groups")}
}

// summaryRow checks one line of the summary table.
func summaryRow(t *testing.T, body, kindKey string, created, updated, unchanged int) {
	t.Helper()
	row := fmt.Sprintf(`<tr><th scope="row">%s</th><td>%d</td><td>%d</td><td>%d</td></tr>`, template.HTMLEscapeString(nb.T(kindKey)), created, updated, unchanged)
	if !strings.Contains(body, row) {
		t.Errorf("summary lacks %s\n%s", row, body)
	}
}

func TestImportExample(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		manager := s.Login(t, "manager", webtest.Password)
		res := manager.Get(fmt.Sprintf("/k/%d/import", w.Kg))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `accept=".csv,text/csv"`) || !strings.Contains(res.Body, `enctype="multipart/form-data"`) {
			t.Fatalf("form: %d\n%s", res.Status, res.Body)
		}
		for _, col := range importcsv.Columns {
			if !strings.Contains(res.Body, "<code>"+col+"</code>") {
				t.Errorf("form does not describe column %s", col)
			}
		}

		before := counts(t, d)
		res = upload(t, manager, w.Kg, example(t))
		if res.Status != http.StatusOK {
			t.Fatalf("import: %d\n%s", res.Status, res.Body)
		}
		// Blåbær and Tyttebær exist in the fixture; Multe is new.
		summaryRow(t, res.Body, "import.kind.groups", 1, 0, 2)
		summaryRow(t, res.Body, "import.kind.children", 6, 0, 0)
		summaryRow(t, res.Body, "import.kind.guardians", 9, 0, 0)
		summaryRow(t, res.Body, "import.kind.links", 11, 0, 0)
		after := counts(t, d)
		if want := (tally{before.Children + 6, before.People + 9, before.Links + 11, before.Groups + 1}); after != want {
			t.Fatalf("rows %+v, want %+v", after, want)
		}
		ctx := context.Background()
		var group int64
		var conf string
		if err := d.R.QueryRowContext(ctx, `SELECT group_id, confidential_address FROM children WHERE kindergarten_id = $1 AND import_ref = 'B-1006'`, w.Kg).Scan(&group, &conf); err != nil {
			t.Fatal(err)
		}
		if conf != "strengt_fortrolig" {
			t.Errorf("B-1006 confidential %q", conf)
		}
		if err := d.R.QueryRowContext(ctx, `SELECT group_id FROM children WHERE import_ref = 'B-1001'`).Scan(&group); err != nil || group != w.GroupA {
			t.Errorf("B-1001 in group %d, want the existing Blåbær %d (%v)", group, w.GroupA, err)
		}
		var ui, langs, email string
		var hasLogin bool
		if err := d.R.QueryRowContext(ctx, `SELECT ui_language, languages, email, login IS NOT NULL FROM people WHERE import_ref = 'F-2002'`).Scan(&ui, &langs, &email, &hasLogin); err != nil {
			t.Fatal(err)
		}
		if ui != "ti" || langs != "ti en" || email != "tsega.berhane@example.com" || hasLogin {
			t.Errorf("F-2002: %q %q %q login %v", ui, langs, email, hasLogin)
		}
		var pr, lives, noInfo, noPickup bool
		if err := d.R.QueryRowContext(ctx, `SELECT g.parental_responsibility, g.lives_with, g.no_information, g.no_pickup FROM guardianships g
			JOIN children c ON c.id = g.child_id JOIN people p ON p.id = g.person_id WHERE c.import_ref = 'B-1006' AND p.import_ref = 'F-2009'`).
			Scan(&pr, &lives, &noInfo, &noPickup); err != nil {
			t.Fatal(err)
		}
		if pr || lives || !noInfo || !noPickup {
			t.Errorf("F-2009's link: %v %v %v %v", pr, lives, noInfo, noPickup)
		}
		// Ingrid Berg is one person with two children.
		var n int
		d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM guardianships g JOIN people p ON p.id = g.person_id WHERE p.import_ref = 'F-2006'`).Scan(&n)
		if n != 2 {
			t.Errorf("F-2006 has %d links, want 2", n)
		}

		// The same file again: nothing new.
		res = upload(t, manager, w.Kg, example(t))
		if res.Status != http.StatusOK {
			t.Fatalf("re-import: %d\n%s", res.Status, res.Body)
		}
		summaryRow(t, res.Body, "import.kind.groups", 0, 0, 3)
		summaryRow(t, res.Body, "import.kind.children", 0, 0, 6)
		summaryRow(t, res.Body, "import.kind.guardians", 0, 0, 9)
		summaryRow(t, res.Body, "import.kind.links", 0, 0, 11)
		if again := counts(t, d); again != after {
			t.Fatalf("re-import changed rows %+v → %+v", after, again)
		}
	})
}

func TestReimportKeepsProtections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		manager := s.Login(t, "manager", webtest.Password)
		if res := upload(t, manager, w.Kg, example(t)); res.Status != http.StatusOK {
			t.Fatalf("import: %d", res.Status)
		}
		ctx := context.Background()
		// In Tillit, Emma gets a confidential address and Kari may no
		// longer get information; Kari accepts her invitation and
		// changes her phone.
		mustExec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.W.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		mustExec(`UPDATE children SET confidential_address = 'fortrolig' WHERE import_ref = 'B-1001'`)
		mustExec(`UPDATE guardianships SET no_information = TRUE, parental_responsibility = FALSE WHERE person_id = (SELECT id FROM people WHERE import_ref = 'F-2001')`)
		mustExec(`UPDATE people SET login = 'kari', phone = '+4799999999' WHERE import_ref = 'F-2001'`)
		// The old system renamed Lidya and Tsega.
		file := strings.ReplaceAll(string(example(t)), "Lidya", "Lydia")
		file = strings.ReplaceAll(file, "Tsega Berhane", "Tsega B. Berhane")
		res := upload(t, manager, w.Kg, []byte(file))
		if res.Status != http.StatusOK {
			t.Fatalf("re-import: %d\n%s", res.Status, res.Body)
		}
		summaryRow(t, res.Body, "import.kind.children", 0, 1, 5)
		summaryRow(t, res.Body, "import.kind.guardians", 0, 1, 8)
		summaryRow(t, res.Body, "import.kind.links", 0, 0, 11)
		var conf, phone, first, name string
		var noInfo, pr bool
		d.R.QueryRowContext(ctx, `SELECT confidential_address FROM children WHERE import_ref = 'B-1001'`).Scan(&conf)
		d.R.QueryRowContext(ctx, `SELECT first_name FROM children WHERE import_ref = 'B-1002'`).Scan(&first)
		d.R.QueryRowContext(ctx, `SELECT phone FROM people WHERE import_ref = 'F-2001'`).Scan(&phone)
		d.R.QueryRowContext(ctx, `SELECT name FROM people WHERE import_ref = 'F-2002'`).Scan(&name)
		d.R.QueryRowContext(ctx, `SELECT no_information, parental_responsibility FROM guardianships WHERE person_id = (SELECT id FROM people WHERE import_ref = 'F-2001')`).Scan(&noInfo, &pr)
		if conf != "fortrolig" || !noInfo || pr {
			t.Errorf("re-import loosened a protection: %q no_information=%v parental_responsibility=%v", conf, noInfo, pr)
		}
		if phone != "+4799999999" {
			t.Errorf("re-import changed the details of a guardian with an account: %q", phone)
		}
		if first != "Lydia" || name != "Tsega B. Berhane" {
			t.Errorf("re-import did not update: %q %q", first, name)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		manager := s.Login(t, "manager", webtest.Password)
		before := counts(t, d)
		bad := string(example(t)) + "Multe;B-1007;<script>alert(1)</script>;Berg;2030-01-01;;;;;;;;;;;\n"
		res := upload(t, manager, w.Kg, []byte(bad))
		if res.Status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400\n%s", res.Status, res.Body)
		}
		for _, want := range []string{
			"<td>13</td><td><code>child_first_name</code></td><td>" + template.HTMLEscapeString(nb.T("import.code.markup_chars")) + `</td><td dir="auto">&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
			"<td>13</td><td><code>child_birth_date</code></td><td>" + nb.T("import.code.future_date") + `</td><td dir="auto">2030-01-01</td>`,
			nb.T("import.report.nothing"),
		} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("report lacks %s", want)
			}
		}
		if strings.Contains(res.Body, "<script>alert") {
			t.Fatal("script not escaped")
		}
		if after := counts(t, d); after != before {
			t.Fatalf("rows changed %+v → %+v", before, after)
		}
	})
}

func TestImportFileProblems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		manager := s.Login(t, "manager", webtest.Password)
		before := counts(t, d)
		ex := example(t)

		// Saved as Latin-1 instead of UTF-8: "Blåbær" becomes invalid bytes.
		latin1 := bytes.ReplaceAll(ex, []byte("Blåbær"), []byte("Bl\xe5b\xe6r"))
		res := upload(t, manager, w.Kg, latin1)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.code.invalid_utf8")) || !strings.Contains(res.Body, "Bl\uFFFDb\uFFFDr") {
			t.Errorf("latin-1: %d\n%s", res.Status, res.Body)
		}
		// A header that is not UTF-8 is a file problem.
		res = upload(t, manager, w.Kg, append([]byte("gr\xf8up;"), ex[len("group;"):]...))
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.code.invalid_utf8")) {
			t.Errorf("latin-1 header: %d", res.Status)
		}
		// An Excel file.
		res = upload(t, manager, w.Kg, []byte("PK\x03\x04\x00\x00binary"))
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.code.not_csv")) {
			t.Errorf("xlsx: %d", res.Status)
		}
		// A missing column names the column.
		res = upload(t, manager, w.Kg, []byte("group;child_ref\nA;1\n"))
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.code.missing_column")) || !strings.Contains(res.Body, "child_first_name") {
			t.Errorf("missing column: %d", res.Status)
		}
		// 2.5 MiB passes the route's limit but not the format's.
		big := append(append([]byte{}, ex...), bytes.Repeat([]byte("\n"), 5<<19)...)
		res = upload(t, manager, w.Kg, big)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.code.file_too_large")) {
			t.Errorf("2.5 MiB: %d", res.Status)
		}
		// 4 MiB is refused at the door.
		huge := append(append([]byte{}, ex...), bytes.Repeat([]byte("\n"), 4<<20)...)
		res = upload(t, manager, w.Kg, huge)
		if res.Status != http.StatusRequestEntityTooLarge && !strings.Contains(res.Body, nb.T("import.code.file_too_large")) {
			t.Errorf("4 MiB: %d", res.Status)
		}
		// No file chosen: the browser sends an empty file name.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("file", "")
		mw.Close()
		res = manager.Post(fmt.Sprintf("/k/%d/import", w.Kg), mw.FormDataContentType(), &body)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, nb.T("import.no_file")) {
			t.Errorf("no file: %d", res.Status)
		}
		if after := counts(t, d); after != before {
			t.Fatalf("rows changed %+v → %+v", before, after)
		}
	})
}

func TestImportAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		before := counts(t, d)
		for _, login := range []string{"leader", "assistant", "parent", "othermanager", "otherparent"} {
			c := s.Login(t, login, webtest.Password)
			if res := c.Get(fmt.Sprintf("/k/%d/import", w.Kg)); res.Status != http.StatusNotFound {
				t.Errorf("%s GET: %d", login, res.Status)
			}
			if res := upload(t, c, w.Kg, example(t)); res.Status != http.StatusNotFound {
				t.Errorf("%s POST: %d", login, res.Status)
			}
		}
		manager := s.Login(t, "manager", webtest.Password)
		if res := upload(t, manager, w.OtherKg, example(t)); res.Status != http.StatusNotFound {
			t.Errorf("manager into the other kindergarten: %d", res.Status)
		}
		if res := s.Anonymous(t).Get(fmt.Sprintf("/k/%d/import", w.Kg)); res.Status != http.StatusSeeOther {
			t.Errorf("anonymous GET: %d", res.Status)
		}
		if after := counts(t, d); after != before {
			t.Fatalf("rows changed %+v → %+v", before, after)
		}
		// The owner admin may import.
		if res := upload(t, s.Login(t, "owner", webtest.Password), w.Kg, example(t)); res.Status != http.StatusOK {
			t.Fatalf("owner: %d", res.Status)
		}
	})
}

// TestImportScopedToKindergarten: the same references in another
// kindergarten are other children and other people.
func TestImportScopedToKindergarten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		if res := upload(t, s.Login(t, "manager", webtest.Password), w.Kg, example(t)); res.Status != http.StatusOK {
			t.Fatalf("import: %d", res.Status)
		}
		before := counts(t, d)
		res := upload(t, s.Login(t, "othermanager", webtest.Password), w.OtherKg, example(t))
		if res.Status != http.StatusOK {
			t.Fatalf("other import: %d", res.Status)
		}
		summaryRow(t, res.Body, "import.kind.children", 6, 0, 0)
		summaryRow(t, res.Body, "import.kind.guardians", 9, 0, 0)
		if after := counts(t, d); after.Children != before.Children+6 || after.People != before.People+9 {
			t.Fatalf("rows %+v → %+v", before, after)
		}
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM children WHERE kindergarten_id = $1 AND import_ref <> ''`, w.Kg).Scan(&n)
		if n != 6 {
			t.Fatalf("first kindergarten has %d imported children, want 6", n)
		}
	})
}

func TestEveryCodeTranslated(t *testing.T) {
	for _, lang := range []string{"nb", "en"} {
		for _, code := range importcsv.Codes {
			if !i18n.Has(lang, "import.code."+code) {
				t.Errorf("%s lacks import.code.%s", lang, code)
			}
		}
		for _, col := range importcsv.Columns {
			if !i18n.Has(lang, "import.col."+col) {
				t.Errorf("%s lacks import.col.%s", lang, col)
			}
		}
	}
}

func TestImportMatchesGroupsIgnoringCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		file := "group,child_ref,child_first_name,child_last_name,child_birth_date\nBLÅBÆR,X1,Ola,Nordmann,2023-01-01\n"
		res := upload(t, s.Login(t, "manager", webtest.Password), w.Kg, []byte(file))
		if res.Status != http.StatusOK {
			t.Fatalf("import: %d\n%s", res.Status, res.Body)
		}
		summaryRow(t, res.Body, "import.kind.groups", 0, 0, 1)
		summaryRow(t, res.Body, "import.kind.children", 1, 0, 0)
		var g int64
		if err := d.R.QueryRow(`SELECT group_id FROM children WHERE import_ref = 'X1'`).Scan(&g); err != nil || g != w.GroupA {
			t.Fatalf("child in group %d, want %d (%v)", g, w.GroupA, err)
		}
	})
}
