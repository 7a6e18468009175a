package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tillit/internal/browsertest"
	"tillit/internal/i18n"
)

// record presses the recorder's button under the file field sel, lets
// Chromium's fake microphone (a beep) speak for a moment, stops, and
// waits until the recording is in the field.
func record(t *testing.T, tab context.Context, field string) {
	t.Helper()
	button := field + ` + p.recorder button`
	if !visible(t, tab, button, "") {
		t.Fatalf("no record button after %s: the recorder did not start\n%s", field, browsertest.PageState(tab))
	}
	browsertest.Run(t, tab, chromedp.Click(chromedp.CSS(button)))
	browsertest.Run(t, tab, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.recording === '1'`, chromedp.WithPollingTimeout(10*time.Second)))
	time.Sleep(1500 * time.Millisecond)
	browsertest.Run(t, tab, chromedp.Click(chromedp.CSS(button)))
	browsertest.Run(t, tab, chromedp.Poll[chromedp.Void](`document.querySelector(`+jsString(field)+`).files.length === 1`, chromedp.WithPollingTimeout(10*time.Second)))
}

// playable loads the audio element sel and reports its duration in
// seconds, or an error text: the browser really decodes what is served.
func playable(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	return browsertest.Get(t, tab, chromedp.Evaluate[string](`new Promise(done => {
		const a = document.querySelector(`+jsString(sel)+`);
		if (!a) return done('no audio element');
		const t = setTimeout(() => done('timed out, readyState ' + a.readyState), 10000);
		a.addEventListener('loadedmetadata', () => { clearTimeout(t); done('ok ' + (a.duration > 0 ? 'duration' : 'no duration')); }, {once: true});
		a.addEventListener('error', () => { clearTimeout(t); done('error ' + (a.error && a.error.code)); }, {once: true});
		a.preload = 'metadata';
		a.load();
	})`, chromedp.EvalAwaitPromise))
}

func TestVoiceInTheBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t)
	kg := s.demo.Kindergarten
	var trip int64
	if err := s.DB.R.QueryRow(`SELECT thread_id FROM messages WHERE id = $1`, s.demo.TripMessage).Scan(&trip); err != nil {
		t.Fatal(err)
	}
	const entry = "trips.trip_to_place"

	// Mariam, who speaks Tigrinya, reads the trip entry aloud for the
	// Tigrinya families: from the groups page to the entry.
	staff := b.NewIncognito(t)
	s.signIn(t, staff, "mariam")
	s.open(t, staff, "/groups")
	clickAndLoad(t, staff, fmt.Sprintf(`main a[href="/k/%d/recordings"]`, kg))
	clickAndLoad(t, staff, fmt.Sprintf(`main a[href="/k/%d/recordings/%s#rec-ti"]`, kg, entry))
	record(t, staff, "#f-audio-ti")
	if got := playable(t, staff, "#f-audio-ti + p.recorder audio"); !strings.HasPrefix(got, "ok") {
		t.Errorf("the recording cannot be heard before saving: %s", got)
	}
	clickAndLoad(t, staff, `#rec-ti form[enctype] button[type=submit]`)
	var ct string
	var size int
	if err := s.DB.R.QueryRow(`SELECT content_type, size FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = 'ti'`, kg, entry).Scan(&ct, &size); err != nil {
		t.Fatalf("the recording was not saved: %v\n%s", err, browsertest.PageState(staff))
	}
	t.Logf("Chromium recorded %s, %d bytes", ct, size)
	if got := playable(t, staff, "#rec-ti audio[src]"); got != "ok duration" {
		t.Errorf("the saved recording does not play: %s", got)
	}
	screenshot(t, staff, "recording-entry.png")

	// Tesfay, who prefers to listen, hears it with the trip announcement
	// sent days before.
	parent := b.NewIncognito(t)
	s.signIn(t, parent, "tesfay")
	s.open(t, parent, fmt.Sprintf("/threads/%d", trip))
	item := fmt.Sprintf("main li#m%d", s.demo.TripMessage)
	if got := playable(t, parent, item+" audio"); got != "ok duration" {
		t.Errorf("Tesfay cannot play the Tigrinya recording: %s\n%s", got, browsertest.PageState(parent))
	}
	if !visible(t, parent, item+" p.msg-text.large", "") {
		t.Errorf("the pictogram and text are not large for Tesfay, who prefers audio")
	}

	// He answers with a voice message of his own.
	s.open(t, parent, fmt.Sprintf("/threads/%d", trip))
	browsertest.Run(t, parent, chromedp.Click(chromedp.CSS("details.media summary")))
	record(t, parent, "#f-voice")
	clickAndLoad(t, parent, `form.reply > p > button[type=submit]`)
	var att, msg int64
	if err := s.DB.R.QueryRow(`SELECT a.id, a.message_id, a.content_type FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.author_id = $1 ORDER BY a.id DESC LIMIT 1`,
		s.demo.People["tesfay"]).Scan(&att, &msg, &ct); err != nil {
		t.Fatalf("the voice message was not stored: %v\n%s", err, browsertest.PageState(parent))
	}
	if !strings.HasPrefix(ct, "audio/") {
		t.Errorf("voice message stored as %q", ct)
	}

	// Mariam hears it, labelled with its language, in each of the
	// languages the pages are checked in; axe finds nothing on the way.
	s.open(t, staff, fmt.Sprintf("/threads/%d", trip))
	sel := fmt.Sprintf(`main li#m%d audio[src="/attachments/%d"]`, msg, att)
	if got := playable(t, staff, sel); got != "ok duration" {
		t.Errorf("Mariam cannot play Tesfay's voice message: %s\n%s", got, browsertest.PageState(staff))
	}
	if !visible(t, staff, fmt.Sprintf("main li#m%d", msg), i18n.New("nb").T("media.voice_message", "Lang", i18n.New("nb").T("lang.ti"))) {
		t.Errorf("the voice message does not say its language")
	}
	for _, lang := range axeLanguages {
		if htmlLang(t, staff) != lang {
			switchLanguage(t, staff, lang)
		}
		b.AssertNoAxeViolations(t, staff, "mariam's thread with a voice message ("+lang+")")
		assertNoSidewaysScroll(t, staff, "mariam's thread with a voice message ("+lang+")")
	}
	b.AssertNoAxeViolations(t, parent, "tesfay's thread with recordings (ti)")
	screenshot(t, staff, "voice-message.png")
}
