package recordings_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/recordings"
	"tillit/internal/i18n"
	"tillit/internal/media/mediatest"
	"tillit/internal/messaging"
	"tillit/internal/webtest"
)

const entry = "clothes.wool_layer"

func TestRecordAPhrasebookEntryForEveryMessage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		// The leader speaks Tigrinya too; the parent reads Tigrinya.
		if _, err := d.W.Exec(`UPDATE people SET languages = 'nb ti' WHERE id = $1`, w.Leader); err != nil {
			t.Fatal(err)
		}
		leader := s.Login(t, "leader", webtest.Password)
		parent := s.Login(t, "parent", webtest.Password)
		kg := fmt.Sprint(w.Kg)
		base := "/k/" + kg + "/recordings/" + entry

		// The list offers the leader's languages, Tigrinya first.
		list := leader.Get("/k/" + kg + "/recordings")
		if list.Status != 200 || !strings.Contains(list.Body, `<option value="ti" selected>`) || !strings.Contains(list.Body, base+"#rec-ti") {
			t.Fatalf("list: %d\n%s", list.Status, list.Body)
		}
		// The entry's page: its Tigrinya text to read, with "…" for slots.
		page := leader.Get(base)
		if page.Status != 200 || !strings.Contains(page.Body, `id="rec-ti"`) || !strings.Contains(page.Body, `lang="ti" dir="ltr"`) || !strings.Contains(page.Body, `data-record`) {
			t.Fatalf("entry page: %d\n%s", page.Status, page.Body)
		}

		// A phrasebook message from that entry, sent before the
		// recording exists.
		ctx := context.Background()
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			th, err := messaging.GetThread(ctx, tx, w.Thread)
			if err != nil {
				return err
			}
			_, err = messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: w.Leader, FromStaff: true, Category: "practical", Lang: "nb", PhraseKey: entry})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if th := parent.Get(fmt.Sprintf("/threads/%d", w.Thread)); strings.Contains(th.Body, "/recordings/") {
			t.Fatal("a player before anything was recorded")
		}

		// The leader records it.
		sound := mediatest.WebM(false)
		res := leader.PostMultipart(base+"/ti", nil, map[string]webtest.Upload{"audio": {Name: "voice.webm", Data: sound}})
		if res.Status != http.StatusSeeOther || res.Location != base+"#rec-ti" {
			t.Fatalf("record: %d %s\n%s", res.Status, res.Location, res.Body)
		}
		var file string
		var at int64
		if err := d.R.QueryRow(`SELECT file, created_at FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = 'ti'`, w.Kg, entry).Scan(&file, &at); err != nil {
			t.Fatal(err)
		}
		// The message sent earlier now plays it, for the Tigrinya reader.
		url := recordings.AudioURL(w.Kg, entry, "ti", at)
		th := parent.Get(fmt.Sprintf("/threads/%d", w.Thread))
		if !strings.Contains(th.Body, `src="`+strings.ReplaceAll(url, "&", "&amp;")+`"`) || !strings.Contains(th.Body, i18n.New("ti").T("media.listen")) {
			t.Fatalf("parent's thread has no player for %s:\n%s", url, th.Body)
		}
		// …and hears it; so does a family of another group of the
		// kindergarten, not one elsewhere, nor a guardian without access.
		if got := parent.Get(url); got.Status != 200 || got.Body != string(sound) || got.Header.Get("Content-Type") != "audio/webm" {
			t.Errorf("parent plays: %d %q", got.Status, got.Header.Get("Content-Type"))
		}
		for who, want := range map[string]int{"parentb": 200, "assistant": 200, "blocked": 404, "otherparent": 404, "othermanager": 404} {
			if got := s.Login(t, who, webtest.Password).Get(url); got.Status != want {
				t.Errorf("%s plays: %d, want %d", who, got.Status, want)
			}
		}
		// The leader, reading Norwegian, sees no Tigrinya player.
		if lt := leader.Get(fmt.Sprintf("/threads/%d", w.Thread)); strings.Contains(lt.Body, "/ti/audio") {
			t.Error("the Norwegian reader got the Tigrinya recording")
		}

		// Only someone who speaks the language records in it.
		assistant := s.Login(t, "assistant", webtest.Password)
		if res := assistant.PostMultipart(base+"/ti", nil, map[string]webtest.Upload{"audio": {Name: "x.webm", Data: sound}}); res.Status != http.StatusNotFound {
			t.Errorf("assistant without Tigrinya records: %d", res.Status)
		}
		for _, p := range []string{"/k/" + kg + "/recordings/no.such.entry/ti", base + "/xx", base + "/ar"} {
			if res := leader.PostMultipart(p, nil, map[string]webtest.Upload{"audio": {Name: "x.webm", Data: sound}}); res.Status != http.StatusNotFound {
				t.Errorf("POST %s: %d", p, res.Status)
			}
		}

		// A bad file keeps the recording there is.
		res = leader.PostMultipart(base+"/ti", nil, map[string]webtest.Upload{"audio": {Name: "evil.webm", Data: []byte(strings.Repeat("<script>x</script>", 10))}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, i18n.New("nb").T("media.error.unsupported")) || !strings.Contains(res.Body, `aria-describedby="e-audio-ti"`) {
			t.Errorf("bad file: %d\n%s", res.Status, res.Body)
		}
		if res := leader.PostMultipart(base+"/ti", nil, nil); res.Status != http.StatusBadRequest {
			t.Errorf("no file: %d", res.Status)
		}
		// Recording anew replaces the file.
		ogg := mediatest.Ogg("OpusHead")
		if res := leader.PostMultipart(base+"/ti", nil, map[string]webtest.Upload{"audio": {Name: "again.ogg", Data: ogg}}); res.Status != http.StatusSeeOther {
			t.Fatalf("again: %d", res.Status)
		}
		if _, err := s.Env.Files.Open(file); !os.IsNotExist(err) {
			t.Errorf("the old recording is still in the store: %v", err)
		}
		if n, _ := s.Env.Files.Files(); n != 1 {
			t.Errorf("%d files in the store, want 1", n)
		}
		// Deleting it: gone for the family, gone from disk; twice is fine.
		for range 2 {
			if res := leader.PostForm(base+"/ti/delete", nil); res.Status != http.StatusSeeOther {
				t.Fatalf("delete: %d", res.Status)
			}
		}
		if got := parent.Get(url); got.Status != http.StatusNotFound {
			t.Errorf("deleted recording plays: %d", got.Status)
		}
		if n, _ := s.Env.Files.Files(); n != 0 {
			t.Errorf("%d files left after deleting", n)
		}
	})
}

func TestNoLanguagesNoRecording(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		if _, err := d.W.Exec(`UPDATE people SET languages = '', ui_language = 'xx' WHERE id = $1`, w.Assistant); err != nil {
			t.Fatal(err)
		}
		res := s.Login(t, "assistant", webtest.Password).Get(fmt.Sprintf("/k/%d/recordings", w.Kg))
		if res.Status != 200 || !strings.Contains(res.Body, `href="/profile"`) || strings.Contains(res.Body, "<select") {
			t.Errorf("%d\n%s", res.Status, res.Body)
		}
	})
}
