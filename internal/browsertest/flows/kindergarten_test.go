package flows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
	"tillit/internal/i18n"
)

// Ingrid, the manager (styrer), goes from the kindergarten's
// administration to a new announcement to the whole kindergarten, finds
// the planning day in the phrasebook, previews it for the Arabic readers
// and sends it. Amal, whose child is in Tyttebær (a group Ingrid is not
// assigned to), reads it right to left in Arabic; Ingrid sees on the
// kindergarten's message page that she has read it.
func TestKindergartenAnnouncementFlow(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	kg := s.demo.Kindergarten
	base := fmt.Sprintf("/k/%d", kg)

	staff := b.NewIncognito(t)
	s.signIn(t, staff, "styrer")
	s.open(t, staff, base+"/admin")
	clickAndLoad(t, staff, `main a[href="`+base+`/compose"]`)
	if got := path(t, staff); got != base+"/compose" {
		t.Fatalf("the new-announcement link led to %s\n%s", got, browsertest.PageState(staff))
	}
	const key = "planning.day_closed"
	pickPhrase(t, staff, "planleggingsdag", key)
	browsertest.Run(t, staff, chromedp.SetValue(chromedp.CSS("#f-Date"), "2026-12-04"))
	clickAndLoad(t, staff, `main section form[method=get] button[type=submit]`)
	if got := path(t, staff); !strings.Contains(got, "preview=1") || !strings.Contains(got, "Date=2026-12-04") {
		t.Fatalf("after asking for the preview: on %s\n%s", got, browsertest.PageState(staff))
	}
	// Every group's families are among the readers: Arabic (Tyttebær)
	// and Tigrinya (Blåbær) both have a preview.
	for _, lang := range []string{"ar", "ti"} {
		if !visible(t, staff, "main #preview-"+lang, "") {
			t.Errorf("no preview for the %s readers\n%s", lang, browsertest.PageState(staff))
		}
	}
	checkArabicPreview(t, staff)
	sendAnnouncement(t, staff, base)
	var msg, thread int64
	if err := s.DB.R.QueryRow(`SELECT m.id, m.thread_id FROM messages m JOIN threads t ON t.id = m.thread_id
		WHERE m.phrase_key = $1 AND t.group_id IS NULL ORDER BY m.id DESC LIMIT 1`, key).Scan(&msg, &thread); err != nil {
		t.Fatalf("the announcement is not in the database: %v", err)
	}

	parent := amalOpensNewest(t, s, b, thread)
	item := fmt.Sprintf("main li#m%d p.msg-text", msg)
	got := browsertest.Get(t, parent, chromedp.Evaluate[[]string](`(() => { const p = document.querySelector(`+jsString(item)+`); return p ? [p.lang, p.dir, p.innerText] : []; })()`))
	switch {
	case len(got) != 3:
		t.Fatalf("the announcement is not on Amal's page\n%s", browsertest.PageState(parent))
	case got[0] == "ar":
		if got[1] != "rtl" || !strings.ContainsFunc(got[2], isArabic) {
			t.Errorf("Amal's announcement: lang=%s dir=%s %q, want Arabic right to left", got[0], got[1], got[2])
		}
	case got[0] != "en":
		t.Errorf("Amal gets the announcement in lang=%q, want ar (or the English fallback)", got[0])
	}

	// Ingrid sees that Amal has read it.
	s.open(t, staff, base+"/messages")
	receipts := fmt.Sprintf("/messages/%d/receipts", msg)
	clickAndLoad(t, staff, `main a[href="`+receipts+`"]`)
	row := receiptRow(t, staff, "Amal Haddad")
	if row == "" || strings.Contains(row, i18n.New("nb").T("messagecenter.receipts.unread")) {
		t.Errorf("Amal's row on the receipts page is %q; she has read it\n%s", row, browsertest.PageState(staff))
	}
	screenshot(t, staff, "kindergarten-receipts.png")
}

// Kari, the leader of Blåbær, writes from Selam's page. A health note as
// free text to the shared thread is refused (Selam's parents read
// Tigrinya) with the way out, nothing typed lost, and the page has no
// accessibility problem; then she writes privately to Mehret, which only
// Mehret receives.
func TestStaffWritesFromChildPage(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	child := s.demo.Children["Selam Haile"]
	mehret := s.demo.People["mehret"]
	page := fmt.Sprintf("/children/%d", child)

	staff := b.NewIncognito(t)
	s.signIn(t, staff, "kari")
	s.open(t, staff, page)
	if !visible(t, staff, "main h2#messages", "") {
		t.Fatalf("no messages section on Selam's page\n%s", browsertest.PageState(staff))
	}
	shared := fmt.Sprintf(`main form[action="%s/messages"]`, page)
	const text = "Selam hadde feber i dag."
	browsertest.Run(t, staff,
		chromedp.SetValue(chromedp.CSS(shared+" #f-category"), "health"),
		chromedp.SendKeys(chromedp.CSS(shared+" #f-body"), text),
	)
	clickAndLoad(t, staff, shared+" button[type=submit]")
	if !visible(t, staff, `main [role=alert]#sensitive`, "") {
		t.Fatalf("health as free text to Tigrinya readers was not refused with the way out\n%s", browsertest.PageState(staff))
	}
	if got := browsertest.Get(t, staff, chromedp.Evaluate[string](`document.querySelector('#f-body').value`)); got != text {
		t.Errorf("the text is lost after the refusal: %q", got)
	}
	b.AssertNoAxeViolations(t, staff, "kari: health refused on the write page (nb)")
	s.open(t, staff, page)

	// Privately to Mehret: the form sits in a <details> under her name.
	private := fmt.Sprintf(`main form[action="%s/guardians/%d/messages"]`, page, mehret)
	browsertest.Run(t, staff,
		chromedp.Click(chromedp.CSS(`main details:has(`+private[len("main "):]+`) summary`)),
		chromedp.SendKeys(chromedp.CSS(private+" textarea"), "Kan du ringe meg i morgen?"),
	)
	clickAndLoad(t, staff, private+" button[type=submit]")
	var thread int64
	if err := s.DB.R.QueryRow(`SELECT id FROM threads WHERE kind = 'private' AND child_id = $1 AND guardian_id = $2`, child, mehret).Scan(&thread); err != nil {
		t.Fatalf("no private thread with Mehret: %v\n%s", err, browsertest.PageState(staff))
	}
	if got := path(t, staff); got != fmt.Sprintf("/threads/%d", thread) {
		t.Errorf("after sending privately: on %s", got)
	}
	var n int
	s.DB.R.QueryRow(`SELECT COUNT(*) FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = $1`, thread).Scan(&n)
	if n != 1 {
		t.Errorf("the private message has %d receipts, want Mehret's only", n)
	}
}
