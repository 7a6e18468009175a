package conversations_test

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/i18n"
	"tillit/internal/media/mediatest"
	"tillit/internal/messaging"
	"tillit/internal/webtest"
)

func files(t *testing.T, s *webtest.Server) int {
	t.Helper()
	n, err := s.Env.Files.Files()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func attachmentOf(t *testing.T, d *db.DB, kind string, thread int64) (id int64, msg int64, ct string) {
	t.Helper()
	err := d.R.QueryRow(`SELECT a.id, a.message_id, a.content_type FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE a.kind = $1 AND m.thread_id = $2 ORDER BY a.id DESC LIMIT 1`, kind, thread).Scan(&id, &msg, &ct)
	if err != nil {
		t.Fatalf("no %s attachment: %v", kind, err)
	}
	return
}

func TestVoiceAndPictureInAThread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		parent, leader := login(t, s, "parent"), login(t, s, "leader")
		voice := mediatest.WebM(false)

		// The parent answers with a voice message and no words.
		res := parent.PostMultipart(threadURL(w.Thread)+"/messages", url.Values{"body": {""}}, map[string]webtest.Upload{"voice": {Name: "voice.webm", Data: voice}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("voice message: %d\n%s", res.Status, res.Body)
		}
		vid, vmsg, ct := attachmentOf(t, d, "audio", w.Thread)
		if ct != "audio/webm" {
			t.Errorf("stored as %q", ct)
		}
		var lang, body string
		d.R.QueryRow(`SELECT lang, body FROM messages WHERE id = $1`, vmsg).Scan(&lang, &body)
		if lang != "ti" || body != "" {
			t.Errorf("voice message stored as lang %q body %q", lang, body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM message_translations WHERE message_id = $1`, vmsg); n != 0 {
			t.Errorf("a voice message got %d translation jobs", n)
		}

		// The leader answers with a photo (with a script after its end)
		// and a few words.
		photo := append(mediatest.PNG(2400, 1200), "<script>alert(1)</script>"...)
		res = leader.PostMultipart(threadURL(w.Thread)+"/messages", url.Values{"category": {"practical"}, "body": {"Se her!"}},
			map[string]webtest.Upload{"image": {Name: "photo.png", Data: photo}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("photo: %d\n%s", res.Status, res.Body)
		}
		pid, _, ct := attachmentOf(t, d, "image", w.Thread)
		if ct != "image/jpeg" {
			t.Errorf("photo stored as %q", ct)
		}

		// The leader reads the thread: the voice message with its
		// language, playable; the photo with its size.
		page := leader.Get(threadURL(w.Thread))
		nb := i18n.New("nb")
		for _, want := range []string{
			`<audio controls preload="none" src="/attachments/` + strconv.FormatInt(vid, 10) + `">`,
			nb.T("media.voice_message", "Lang", nb.T("lang.ti")),
			`<img src="/attachments/` + strconv.FormatInt(pid, 10) + `" width="1600" height="800"`,
			`enctype="multipart/form-data"`,
		} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("leader's thread lacks %q", want)
			}
		}
		// The parent sees both, in Tigrinya.
		page = parent.Get(threadURL(w.Thread))
		if !strings.Contains(page.Body, "/attachments/"+strconv.FormatInt(pid, 10)) || !strings.Contains(page.Body, "/attachments/"+strconv.FormatInt(vid, 10)) {
			t.Errorf("parent does not see the attachments:\n%s", page.Body)
		}
		// The inbox names a message that is only a voice message.
		if in := leader.Get("/inbox"); in.Status != 200 {
			t.Errorf("inbox: %d", in.Status)
		}

		// The file as served: our bytes, our content type, never run.
		got := leader.Get("/attachments/" + strconv.FormatInt(vid, 10))
		if got.Status != 200 || got.Body != string(voice) || got.Header.Get("Content-Type") != "audio/webm" ||
			got.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(got.Header.Get("Content-Security-Policy"), "sandbox") ||
			!strings.HasPrefix(got.Header.Get("Cache-Control"), "private") {
			t.Errorf("voice served: %d %v", got.Status, got.Header)
		}
		img := parent.Get("/attachments/" + strconv.FormatInt(pid, 10))
		m, format, err := image.Decode(strings.NewReader(img.Body))
		if err != nil || format != "jpeg" || m.Bounds().Dx() != 1600 || strings.Contains(img.Body, "<script") {
			t.Errorf("photo served: %v %s %v", err, format, img.Header)
		}
		// Audio players ask for ranges.
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/attachments/"+strconv.FormatInt(vid, 10), nil)
		req.Header.Set("Range", "bytes=0-9")
		r, err := leader.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusPartialContent || !bytes.Equal(part, voice[:10]) {
			t.Errorf("range: %d %d bytes", r.StatusCode, len(part))
		}

		// A guardian's message is for staff: another guardian of the
		// child, even with parental responsibility, does not get it; nor
		// does anyone outside.
		if _, err := d.W.Exec(`UPDATE guardianships SET parental_responsibility = TRUE WHERE person_id = $1`, w.Coparent); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"coparent", "blocked", "parentb", "assistant", "otherparent", "othermanager"} {
			if res := login(t, s, who).Get("/attachments/" + strconv.FormatInt(vid, 10)); res.Status != http.StatusNotFound {
				t.Errorf("%s fetched the parent's voice message: %d", who, res.Status)
			}
		}
		// Who receives a message is decided when it is sent: the
		// co-parent who has parental responsibility now had none then.
		if res := login(t, s, "coparent").Get("/attachments/" + strconv.FormatInt(pid, 10)); res.Status != http.StatusNotFound {
			t.Errorf("coparent fetched a photo sent before they could see the thread: %d", res.Status)
		}
		// Losing the right to the child takes the files away too.
		if _, err := d.W.Exec(`UPDATE guardianships SET no_information = TRUE WHERE person_id = $1`, w.Parent); err != nil {
			t.Fatal(err)
		}
		if res := parent.Get("/attachments/" + strconv.FormatInt(pid, 10)); res.Status != http.StatusNotFound {
			t.Errorf("parent without access still fetches the photo: %d", res.Status)
		}
	})
}

func TestBadUploadsStoreNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		parent := login(t, s, "parent")
		ti := i18n.New("ti")
		before := count(t, d, `SELECT COUNT(*) FROM messages`)
		cases := []struct {
			name  string
			field string
			data  []byte
			code  string
		}{
			{"a web page as voice", "voice", []byte(strings.Repeat("<html><script>alert(document.cookie)</script>", 4)), "media.error.unsupported"},
			{"a video as voice", "voice", mediatest.WebM(true), "media.error.unsupported"},
			{"sound as a picture", "image", mediatest.WebM(false), "media.error.unsupported"},
			{"an SVG picture", "image", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), "media.error.unsupported"},
			{"an empty file", "voice", []byte{}, "media.error.empty"},
		}
		for _, tc := range cases {
			res := parent.PostMultipart(threadURL(w.Thread)+"/messages", url.Values{"body": {"Hei <b>"}}, map[string]webtest.Upload{tc.field: {Name: "x.webm", Data: tc.data}})
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s: %d", tc.name, res.Status)
				continue
			}
			if !strings.Contains(res.Body, ti.T(tc.code)) || !strings.Contains(res.Body, `id="e-`+tc.field+`"`) {
				t.Errorf("%s: no error on the field", tc.name)
			}
			if !strings.Contains(res.Body, "Hei &lt;b&gt;</textarea>") {
				t.Errorf("%s: what was typed is lost", tc.name)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM messages`); n != before {
			t.Errorf("%d messages stored from bad uploads", n-before)
		}
		if n := files(t, s); n != 0 {
			t.Errorf("%d files left in the store", n)
		}

		// Neither words nor a file: the text is required.
		res := parent.PostMultipart(threadURL(w.Thread)+"/messages", url.Values{"body": {"  "}}, nil)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="e-body"`) {
			t.Errorf("empty message: %d", res.Status)
		}

		// A good photo for a thread nobody would receive: refused, and
		// the file is not left behind.
		if _, err := d.W.Exec(`UPDATE guardianships SET parental_responsibility = FALSE WHERE child_id = $1`, w.ChildA1); err != nil {
			t.Fatal(err)
		}
		res = login(t, s, "leader").PostMultipart(threadURL(w.Thread)+"/messages", url.Values{"category": {"practical"}},
			map[string]webtest.Upload{"image": {Name: "p.png", Data: mediatest.PNG(20, 20)}})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("no recipients: %d", res.Status)
		}
		if n := files(t, s); n != 0 {
			t.Errorf("%d files left after a refused message", n)
		}
	})
}

func TestNoPicturesInAnnouncements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, app.Handler)
		ctx := context.Background()
		var thread int64
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			th, err := messaging.NewAnnouncement(ctx, tx, w.Kg, w.GroupA, w.Leader)
			if err != nil {
				return err
			}
			thread = th.ID
			_, err = messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: w.Leader, FromStaff: true, Category: "practical", Lang: "nb", Body: "Sommerfest fredag"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		leader := login(t, s, "leader")
		res := leader.PostMultipart(threadURL(thread)+"/messages", url.Values{"category": {"practical"}, "body": {"Bilder fra i dag"}},
			map[string]webtest.Upload{"image": {Name: "p.png", Data: mediatest.PNG(30, 30)}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, i18n.New("nb").T("media.error.image_announcement")) {
			t.Fatalf("a picture to every family of the group: %d", res.Status)
		}
		if n := files(t, s); n != 0 {
			t.Errorf("%d files stored", n)
		}
		// A voice message to the group is fine.
		res = leader.PostMultipart(threadURL(thread)+"/messages", url.Values{"category": {"practical"}},
			map[string]webtest.Upload{"voice": {Name: "v.webm", Data: mediatest.WebM(false)}})
		if res.Status != http.StatusSeeOther {
			t.Errorf("a voice announcement: %d", res.Status)
		}
	})
}
