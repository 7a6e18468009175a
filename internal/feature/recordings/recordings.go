// Package recordings lets staff, or a bilingual colleague, read a
// phrasebook entry aloud in a language they speak, recorded in the
// browser (or chosen as a sound file without JavaScript). The recording
// belongs to the kindergarten and is played with every message built
// from that entry to readers of that language — for families who read
// little or prefer to listen.
//
// Staff record only in the languages they know (their profile's
// languages and interface language); a recording is heard by the
// kindergarten's staff and families (policy.KindergartenMember).
package recordings

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/media"
	"tillit/internal/messaging"
	"tillit/internal/phrasebook"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

var book = phrasebook.Default()

// MaxBody is the route body limit of the upload.
const MaxBody = media.MaxAudioUpload + 64<<10

// AudioURL is where the recording of entry key in lang, made at
// version (its created_at), is played from. A new recording has a new
// URL, so browsers may keep the old one.
func AudioURL(kg int64, key, lang string, version int64) string {
	return base(kg, key) + "/" + lang + "/audio?v=" + strconv.FormatInt(version, 10)
}

func base(kg int64, key string) string {
	return "/k/" + strconv.FormatInt(kg, 10) + "/recordings/" + url.PathEscape(key)
}

// Recorded lists the entries recorded in lang in kindergarten kg, with
// the version (created_at) of each recording.
func Recorded(ctx context.Context, q directory.Execer, kg int64, lang string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT phrase_key, created_at FROM phrase_audio WHERE kindergarten_id = $1 AND lang = $2`, kg, lang)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

func kgID(c *web.Ctx) (int64, error) {
	kg, err := strconv.ParseInt(c.R.PathValue("kg"), 10, 64)
	if err != nil || kg <= 0 {
		return 0, web.ErrNotFound
	}
	return kg, nil
}

// langOption is a language the staff member may record in.
type langOption struct {
	Code, NameKey, Dir string
	Selected           bool
}

// languages are the languages the actor knows, in i18n order.
func languages(c *web.Ctx, selected string) ([]langOption, error) {
	known, err := messaging.KnownLanguages(c.Context(), c.Env.DB.R, c.Actor.PersonID)
	if err != nil {
		return nil, err
	}
	var out []langOption
	for _, l := range i18n.Languages {
		if known[l.Code] && slices.Contains(book.FileLanguages(), l.Code) {
			d := "ltr"
			if l.RTL {
				d = "rtl"
			}
			out = append(out, langOption{Code: l.Code, NameKey: "lang." + l.Code, Dir: d, Selected: l.Code == selected})
		}
	}
	return out, nil
}

type row struct {
	Key, Title, Pictogram string
	Recorded              bool
}

type section struct {
	Label string
	Rows  []row
}

type listData struct {
	Kg       int64
	Langs    []langOption
	Lang     string
	Sections []section
	Count    int
	Total    int
}

// List shows GET /k/{kg}/recordings: every phrasebook entry, by
// category, and whether it is recorded in the chosen language.
func List(c *web.Ctx) error {
	kg, err := kgID(c)
	if err != nil {
		return err
	}
	langs, err := languages(c, c.R.URL.Query().Get("lang"))
	if err != nil {
		return err
	}
	d := &listData{Kg: kg, Langs: langs}
	for _, l := range langs {
		if l.Selected {
			d.Lang = l.Code
		}
	}
	if d.Lang == "" && len(langs) > 0 {
		// By default the staff member's first language beyond Norwegian
		// and English: the one colleagues are asked to record in.
		d.Lang = langs[0].Code
		for _, l := range langs {
			if l.Code != "nb" && l.Code != "nn" && l.Code != "en" {
				d.Lang = l.Code
				break
			}
		}
		for i := range langs {
			langs[i].Selected = langs[i].Code == d.Lang
		}
	}
	done, err := Recorded(c.Context(), c.Env.DB.R, kg, d.Lang)
	if err != nil {
		return err
	}
	for _, cat := range book.Categories() {
		s := section{Label: cat.Label}
		for _, e := range book.InCategory(cat.Key) {
			s.Rows = append(s.Rows, row{Key: e.Key, Title: e.Title, Pictogram: e.Pictogram, Recorded: done[e.Key] != 0})
			d.Total++
			if done[e.Key] != 0 {
				d.Count++
			}
		}
		d.Sections = append(d.Sections, s)
	}
	c.Render(http.StatusOK, pages, "list", &web.Page{Title: c.T("recordings.title"), Data: d})
	return nil
}

// recording is one language of the entry page.
type recording struct {
	langOption
	Script     string
	Action     string
	Audio      string // URL when recorded
	By         string
	At         time.Time
	Err        string
	Unreviewed bool
}

type entryData struct {
	Kg         int64
	Entry      phrasebook.Entry
	Back       string
	Recordings []recording
}

// entry reads {key}: 404 when the phrasebook has no such entry.
func entry(c *web.Ctx) (phrasebook.Entry, error) {
	e, ok := book.Get(c.R.PathValue("key"))
	if !ok {
		return e, web.ErrNotFound
	}
	return e, nil
}

// Entry shows GET /k/{kg}/recordings/{key}: the entry in each language the
// staff member knows, its recording, and a form to record it.
func Entry(c *web.Ctx) error {
	return entryPage(c, http.StatusOK, "", "")
}

func entryPage(c *web.Ctx, status int, errLang, errKey string) error {
	kg, err := kgID(c)
	if err != nil {
		return err
	}
	e, err := entry(c)
	if err != nil {
		return err
	}
	langs, err := languages(c, "")
	if err != nil {
		return err
	}
	d := &entryData{Kg: kg, Entry: e, Back: "/k/" + strconv.FormatInt(kg, 10) + "/recordings"}
	for _, l := range langs {
		script, ok := book.Script(e.Key, l.Code)
		if !ok {
			continue
		}
		r := recording{langOption: l, Script: script, Action: base(kg, e.Key) + "/" + l.Code, Unreviewed: !book.Reviewed(l.Code, e.Key)}
		var at int64
		err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT a.created_at, COALESCE(p.name, '') FROM phrase_audio a LEFT JOIN people p ON p.id = a.recorded_by
			WHERE a.kindergarten_id = $1 AND a.phrase_key = $2 AND a.lang = $3`, kg, e.Key, l.Code).Scan(&at, &r.By)
		switch {
		case err == nil:
			r.Audio, r.At = AudioURL(kg, e.Key, l.Code, at), time.Unix(at, 0)
		case err != sql.ErrNoRows:
			return err
		}
		if l.Code == errLang {
			r.Err = errKey
		}
		d.Recordings = append(d.Recordings, r)
	}
	var errs map[string]string
	if errKey != "" {
		errs = map[string]string{"audio-" + errLang: errKey}
	}
	c.Render(status, pages, "entry", &web.Page{Title: c.T("recordings.entry_title", "Title", e.Title), Data: d, Errors: errs})
	return nil
}

// target reads {kg}, {key} and {lang} of a recording route: the entry
// must exist in the language, and the actor must know the language;
// else 404.
func target(c *web.Ctx) (int64, phrasebook.Entry, string, error) {
	kg, err := kgID(c)
	if err != nil {
		return 0, phrasebook.Entry{}, "", err
	}
	e, err := entry(c)
	if err != nil {
		return 0, e, "", err
	}
	l, ok := i18n.Lookup(c.R.PathValue("lang"))
	if !ok {
		return 0, e, "", web.ErrNotFound
	}
	known, err := messaging.KnownLanguages(c.Context(), c.Env.DB.R, c.Actor.PersonID)
	if err != nil {
		return 0, e, "", err
	}
	if _, has := book.Script(e.Key, l.Code); !known[l.Code] || !has {
		return 0, e, "", web.ErrNotFound
	}
	return kg, e, l.Code, nil
}

// Save stores POST /k/{kg}/recordings/{key}/{lang} (multipart, field
// "audio"), replacing an earlier recording.
func Save(c *web.Ctx) error {
	kg, e, lang, err := target(c)
	if err != nil {
		return err
	}
	f, err := media.FromForm(c.R.MultipartForm, "audio", media.Audio)
	if f == nil && err == nil {
		err = media.ErrEmpty
	}
	if code := media.Code(err); code != "" {
		return entryPage(c, http.StatusBadRequest, lang, code)
	}
	if err != nil {
		return err
	}
	name, err := c.Env.Files.Save(f.Data)
	if err != nil {
		return err
	}
	var old string
	err = c.Env.DB.Tx(c.Context(), func(tx *sql.Tx) error {
		switch err := tx.QueryRowContext(c.Context(), `SELECT file FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = $3`, kg, e.Key, lang).Scan(&old); err {
		case nil:
			if _, err := tx.ExecContext(c.Context(), `DELETE FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = $3`, kg, e.Key, lang); err != nil {
				return err
			}
		case sql.ErrNoRows:
		default:
			return err
		}
		_, err := tx.ExecContext(c.Context(), `INSERT INTO phrase_audio (kindergarten_id, phrase_key, lang, content_type, size, file, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, kg, e.Key, lang, f.ContentType, len(f.Data), name, c.Actor.PersonID, db.Now())
		return err
	})
	if err != nil {
		c.Env.Files.Remove(name)
		return err
	}
	if old != "" {
		c.Env.Files.Remove(old)
	}
	return c.Redirect(base(kg, e.Key) + "#rec-" + lang)
}

// Delete removes POST /k/{kg}/recordings/{key}/{lang}/delete.
func Delete(c *web.Ctx) error {
	kg, e, lang, err := target(c)
	if err != nil {
		return err
	}
	// Deleting what is already gone (a second tap) just shows the page.
	var file string
	err = c.Env.DB.W.QueryRowContext(c.Context(), `DELETE FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = $3 RETURNING file`, kg, e.Key, lang).Scan(&file)
	switch {
	case err == nil:
		c.Env.Files.Remove(file)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return c.Redirect(base(kg, e.Key) + "#rec-" + lang)
}

// Audio serves GET /k/{kg}/recordings/{key}/{lang}/audio to the
// kindergarten's staff and families.
func Audio(c *web.Ctx) error {
	kg, err := kgID(c)
	if err != nil {
		return err
	}
	var ct, file string
	var at int64
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT content_type, file, created_at FROM phrase_audio WHERE kindergarten_id = $1 AND phrase_key = $2 AND lang = $3`,
		kg, c.R.PathValue("key"), c.R.PathValue("lang")).Scan(&ct, &file, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	return c.ServeUpload(c.Env.Files, file, ct, "recording"+media.Extension(ct), at)
}
