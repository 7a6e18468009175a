package flows_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
)

// The pages that only a POST shows — a form sent back with its errors, the
// importer's report and its summary — have no WCAG 2.1 A/AA violation
// either, and fit a phone, in Norwegian and in Arabic.
func TestFormErrorsAxe(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	kg := s.demo.Kindergarten

	for _, lang := range []string{"nb", "ar"} {
		t.Run("wrong password/"+lang, func(t *testing.T) {
			tab := b.NewIncognito(t)
			s.open(t, tab, "/login")
			switchLanguage(t, tab, lang)
			browsertest.Run(t, tab,
				chromedp.SendKeys(chromedp.CSS("#f-login"), "amal"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), "not the password"),
			)
			clickAndLoad(t, tab, `main form[action="/login"] button[type=submit]`)
			if got := path(t, tab); got != "/login" {
				t.Fatalf("a wrong password led to %s", got)
			}
			if got := browsertest.Get(t, tab, chromedp.Value(chromedp.CSS("#f-login"))); got != "amal" {
				t.Errorf("the login typed is lost: the field holds %q", got)
			}
			if got := browsertest.Get(t, tab, chromedp.Evaluate[string](`document.querySelector('#f-login').getAttribute('aria-describedby') || ''`)); got == "" {
				t.Errorf("the login field does not point to its error message (aria-describedby)")
			}
			if !visible(t, tab, "main .err", "") {
				t.Errorf("no error message is shown\n%s", browsertest.PageState(tab))
			}
			label := "sign-in with a wrong password (" + lang + ")"
			b.AssertNoAxeViolations(t, tab, label)
			assertNoSidewaysScroll(t, tab, label)
		})

		t.Run("new child without a name/"+lang, func(t *testing.T) {
			tab := b.NewIncognito(t)
			s.signIn(t, tab, "styrer")
			p := fmt.Sprintf("/k/%d/children", kg)
			s.open(t, tab, p)
			switchLanguage(t, tab, lang)
			clickAndLoad(t, tab, fmt.Sprintf(`main form[action="/k/%d/children"] button[type=submit]`, kg))
			if got := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('main [aria-invalid=true]').length`)); got == 0 {
				t.Fatalf("an empty new child shows no invalid field\n%s", browsertest.PageState(tab))
			}
			label := "new child without a name (" + lang + ")"
			b.AssertNoAxeViolations(t, tab, label)
			assertNoSidewaysScroll(t, tab, label)
		})

		t.Run("import/"+lang, func(t *testing.T) {
			tab := b.NewIncognito(t)
			s.signIn(t, tab, "styrer")
			p := fmt.Sprintf("/k/%d/import", kg)
			s.open(t, tab, p)
			switchLanguage(t, tab, lang)

			dir := t.TempDir()
			bad := filepath.Join(dir, "bad.csv")
			good := filepath.Join(dir, "good.csv")
			const header = "group,child_ref,child_first_name,child_last_name,child_birth_date,guardian_ref,guardian_name,guardian_email\n"
			write(t, bad, header+
				"Blåbær,X1,,Nordmann,2023-13-45,G1,Kari Nordmann,not-an-address\n"+
				"Blåbær,X2,Ola,Nordmann,1.1.2023,G2,Ola Nordmann,"+strings.Repeat("a", 80)+"@example.com\n")
			write(t, good, header+"Blåbær,"+lang+"1,Ola,Nordmann,2023-01-01,,,\n")

			upload := func(file string) {
				t.Helper()
				browsertest.Run(t, tab, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}))
				clickAndLoad(t, tab, fmt.Sprintf(`main form[action="/k/%d/import"] button[type=submit]`, kg))
			}
			upload(bad)
			if n := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('#report ~ .scroll tbody tr, section[aria-labelledby=report] tbody tr').length`)); n < 3 {
				t.Errorf("the report lists %d problems, want at least 3\n%s", n, browsertest.PageState(tab))
			}
			label := "import report (" + lang + ")"
			b.AssertNoAxeViolations(t, tab, label)
			assertNoSidewaysScroll(t, tab, label)
			screenshot(t, tab, "import-report-"+lang+".png")

			upload(good)
			if n := browsertest.Get(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('main table tbody tr').length`)); n == 0 {
				t.Fatalf("the import did not show its summary\n%s", browsertest.PageState(tab))
			}
			label = "import summary (" + lang + ")"
			b.AssertNoAxeViolations(t, tab, label)
			assertNoSidewaysScroll(t, tab, label)
		})
	}
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
