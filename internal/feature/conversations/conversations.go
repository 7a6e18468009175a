// Package conversations is where guardians and staff talk: the inbox, a
// thread with each message rendered for its reader, replies, the
// one-tap answers ("I understand", "I have a question", "I need an
// interpreter") and writing about a child.
//
// Who sees what: staff of a thread's group see every message of it; a
// guardian sees the messages they received (they have a receipt: the
// access list decided at sending) and the ones they wrote. The router
// has already checked that the viewer may open the thread at all.
package conversations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"tillit/internal/db"
	"tillit/internal/feature/recordings"
	"tillit/internal/media"
	"tillit/internal/messaging"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// MaxBody is the longest message, in characters.
const MaxBody = 4000

// MaxUpload is the body limit of the message routes: text, a picture and
// a voice message.
const MaxUpload = media.MaxImageUpload + media.MaxAudioUpload + 64<<10

// ValidateBody checks a message text: present, at most MaxBody
// characters, valid UTF-8, and no bidirectional embedding, override or
// isolate characters (they can make a message read differently from what
// was typed) nor control characters other than new lines and tabs. Line
// ends are normalised to "\n" and the text is trimmed. HTML is allowed:
// it is literal text and is escaped when shown. The code is an i18n key.
func ValidateBody(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "", "form.invalid"
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for _, r := range s {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return "", "form.bidi_chars"
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r == 0x2028, r == 0x2029, r == 0xFEFF:
			return "", "form.control_chars"
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "form.required"
	}
	if utf8.RuneCountInString(s) > MaxBody {
		return "", "form.too_long"
	}
	return s, ""
}

func pathID(c *web.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, web.ErrNotFound
	}
	return id, nil
}

// profile is what the pages need of the signed-in person.
type profile struct {
	readLang string // the language they read messages in
	pictures bool   // info_preference pictures or audio: large pictograms
}

func loadProfile(c *web.Ctx) (profile, error) {
	var langs, ui, pref string
	err := c.Env.DB.R.QueryRowContext(c.Context(), `SELECT languages, ui_language, info_preference FROM people WHERE id = $1`, c.Actor.PersonID).
		Scan(&langs, &ui, &pref)
	if err != nil {
		return profile{}, err
	}
	p := profile{readLang: messaging.ReaderLanguage(langs, ui), pictures: pref == "pictures" || pref == "audio"}
	return p, nil
}

// staffLang is the language staff read and write in: their interface
// language (normally nb).
func staffLang(c *web.Ctx) string { return c.L.Lang.Code }

// threadInfo is a thread with what the rights rules need.
type threadInfo struct {
	*messaging.Thread
	Org       int64
	ChildName string
}

func loadThread(ctx context.Context, q *sql.DB, id int64) (*threadInfo, error) {
	t, err := messaging.GetThread(ctx, q, id)
	if err != nil {
		return nil, err
	}
	ti := &threadInfo{Thread: t}
	if err := q.QueryRowContext(ctx, `SELECT organisation_id FROM kindergartens WHERE id = $1`, t.KindergartenID).Scan(&ti.Org); err != nil {
		return nil, err
	}
	if t.ChildID != 0 {
		if err := q.QueryRowContext(ctx, `SELECT first_name FROM children WHERE id = $1`, t.ChildID).Scan(&ti.ChildName); err != nil {
			return nil, err
		}
	}
	return ti, nil
}

// staffOf reports whether the actor is staff of the thread (of its
// group; of the kindergarten for a kindergarten-wide announcement).
func staffOf(c *web.Ctx, t *threadInfo) bool {
	if t.Kind == messaging.KindAnnouncement && t.GroupID == 0 {
		return c.Actor.WorksIn(t.Org, t.KindergartenID)
	}
	return c.Actor.StaffOfGroup(t.Org, t.KindergartenID, t.GroupID)
}

// mayWrite: everyone who sees a thread may write in it, except that in
// an announcement to the whole kindergarten staff write only as its
// manager or owner admin: it goes to every family there.
func mayWrite(c *web.Ctx, t *threadInfo, staff bool) bool {
	if staff && t.Kind == messaging.KindAnnouncement && t.GroupID == 0 {
		return c.Actor.AdminsKindergarten(t.Org, t.KindergartenID)
	}
	return true
}

// category is one option of the category select.
type category struct{ Value, Icon, Key string }

func categories() []category {
	out := make([]category, len(messaging.Categories))
	for i, k := range messaging.Categories {
		out[i] = category{k, Icons[k], "msg.category." + k}
	}
	return out
}

// item is one message on the thread page.
type item struct {
	*View
	Mine      bool
	CanAnswer bool   // a staff message the viewer received
	Answer    string // their answer so far
	Stats     *stats // staff: how the recipients did
	// Corrections: staff who read a translation's language may correct it.
	Corrections []correction
}

// stats is "read by X of Y · N need help" of one staff message.
type stats struct{ Total, Read, Help int }

// Form is a message form's settings, for the "reply" template (web's
// shared partials).
type Form struct {
	Action     string
	Staff      bool
	Lang       string // the language the writer writes in (lang of the textarea)
	Categories []category
	// Blocked: a sensitive category in free text to readers of another
	// language was refused; Compose is the phrasebook link.
	Blocked bool
	Compose string
	// Prefix makes the field ids unique when a page has several forms;
	// Send is the i18n key of the button ("" for the usual one).
	Prefix, Send string
}

// StaffForm is a staff member's form posting to action, in their
// interface language.
func StaffForm(c *web.Ctx, action, prefix, send string) Form {
	return Form{Action: action, Staff: true, Lang: staffLang(c), Categories: categories(), Prefix: prefix, Send: send}
}

type threadData struct {
	ID        int64
	ChildName string
	Kind      string
	Staff     bool
	Large     bool
	Items     []item
	Answers   []string
	// CanWrite: the form is shown (see mayWrite).
	CanWrite bool
	Form     Form
}

// threadPage renders thread t for the viewer.
func threadPage(c *web.Ctx, t *threadInfo, status int, errs, values map[string]string, blocked, markRead bool) error {
	ctx := c.Context()
	q := c.Env.DB.R
	staff := staffOf(c, t)
	prof, err := loadProfile(c)
	if err != nil {
		return err
	}
	me := c.Actor.PersonID
	lang := prof.readLang
	if staff {
		lang = staffLang(c)
	}
	var rows *sql.Rows
	if staff {
		rows, err = q.QueryContext(ctx, `SELECT `+messageColumns+`, FALSE, ''
			FROM messages m LEFT JOIN people p ON p.id = m.author_id WHERE m.thread_id = $1 ORDER BY m.created_at, m.id`, t.ID)
	} else {
		rows, err = q.QueryContext(ctx, `SELECT `+messageColumns+`, r.person_id IS NOT NULL, COALESCE(r.answer, '')
			FROM messages m LEFT JOIN people p ON p.id = m.author_id
			LEFT JOIN receipts r ON r.message_id = m.id AND r.person_id = $2
			WHERE m.thread_id = $1 AND (r.person_id IS NOT NULL OR m.author_id = $2) ORDER BY m.created_at, m.id`, t.ID, me)
	}
	if err != nil {
		return err
	}
	type row struct {
		m        *Message
		received bool
		answer   string
	}
	var list []row
	for rows.Next() {
		var r row
		r.m = &Message{}
		m := r.m
		if err := rows.Scan(append(m.dest(), &r.received, &r.answer)...); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st := map[int64]*stats{}
	if staff {
		srows, err := q.QueryContext(ctx, `SELECT r.message_id, COUNT(*), COUNT(r.read_at), SUM(CASE WHEN r.answer IN ('question', 'interpreter') THEN 1 ELSE 0 END)
			FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = $1 GROUP BY r.message_id`, t.ID)
		if err != nil {
			return err
		}
		for srows.Next() {
			var id int64
			s := &stats{}
			if err := srows.Scan(&id, &s.Total, &s.Read, &s.Help); err != nil {
				srows.Close()
				return err
			}
			st[id] = s
		}
		srows.Close()
		if err := srows.Err(); err != nil {
			return err
		}
	}
	d := &threadData{ID: t.ID, ChildName: t.ChildName, Kind: t.Kind, Staff: staff, Large: prof.pictures && !staff, Answers: messaging.Answers,
		CanWrite: mayWrite(c, t, staff)}
	var unread []int64
	for _, r := range list {
		readAs := lang
		mine := r.m.AuthorID == me
		if mine {
			readAs = r.m.Lang // one's own words as written
		}
		v, err := RenderMessage(ctx, q, r.m, readAs)
		if err != nil {
			return err
		}
		it := item{View: v, Mine: mine, CanAnswer: !staff && r.received && r.m.FromStaff, Answer: r.answer}
		if staff && r.m.FromStaff {
			it.Stats = st[r.m.ID]
			if it.Stats == nil {
				it.Stats = &stats{}
			}
		}
		if r.received {
			unread = append(unread, r.m.ID)
		}
		d.Items = append(d.Items, it)
	}
	if err := addMedia(c, t.KindergartenID, d.Items); err != nil {
		return err
	}
	if staff {
		if err := addCorrections(c, t.ID, d.Items, errs, values); err != nil {
			return err
		}
	}
	d.Form = Form{Action: "/threads/" + strconv.FormatInt(t.ID, 10) + "/messages", Staff: staff, Lang: lang, Blocked: blocked}
	if staff {
		d.Form.Categories = categories()
		d.Form.Compose = composeLink(t.Thread)
	}
	if markRead && len(unread) > 0 {
		if err := messaging.MarkRead(ctx, c.Env.DB.W, me, unread); err != nil {
			return err
		}
	}
	title := c.T("conversations.thread.announcement")
	if t.ChildName != "" {
		title = c.T("conversations.thread.title", "Name", t.ChildName)
	}
	c.Render(status, pages, "thread", &web.Page{Title: title, Data: d, Errors: errs, Form: values})
	return nil
}

// addMedia gives the items their pictures and voice messages, and
// phrasebook messages the entry read aloud in the language shown, where
// someone of kindergarten kg has recorded it.
func addMedia(c *web.Ctx, kg int64, items []item) error {
	ctx := c.Context()
	ids := make([]int64, len(items))
	for i := range items {
		ids[i] = items[i].ID
	}
	atts, err := messaging.AttachmentsOf(ctx, c.Env.DB.R, ids)
	if err != nil {
		return err
	}
	recorded := map[string]map[string]int64{} // lang → entry → version
	for i := range items {
		v := items[i].View
		v.Attachments = atts[v.ID]
		if !v.Phrase || v.Missing {
			continue
		}
		if recorded[v.Lang] == nil {
			if recorded[v.Lang], err = recordings.Recorded(ctx, c.Env.DB.R, kg, v.Lang); err != nil {
				return err
			}
		}
		if at := recorded[v.Lang][v.PhraseKey]; at != 0 {
			v.Audio = recordings.AudioURL(kg, v.PhraseKey, v.Lang, at)
		}
	}
	return nil
}

// composeLink is the phrasebook page for the thread's readers: the
// group's, or the kindergarten's for an announcement to all of it.
func composeLink(t *messaging.Thread) string {
	switch {
	case t.GroupID != 0:
		return "/groups/" + strconv.FormatInt(t.GroupID, 10) + "/compose"
	case t.Kind == messaging.KindAnnouncement:
		return "/k/" + strconv.FormatInt(t.KindergartenID, 10) + "/compose"
	}
	return ""
}

// Thread shows a thread's messages to the viewer, oldest first, and
// marks the guardian's received messages read.
func Thread(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := loadThread(c.Context(), c.Env.DB.R, id)
	if err != nil {
		return err
	}
	return threadPage(c, t, http.StatusOK, nil, nil, false, true)
}

// submission is a checked message form.
type submission struct {
	files    []*media.File // a picture, a voice message
	staff    bool
	category string
	body     string
	lang     string
	errs     map[string]string
	values   map[string]string
	blocked  bool
}

// check validates the message form of the viewer for thread t (nil when
// the thread does not exist yet: a child's first message).
func check(c *web.Ctx, t *messaging.Thread, staff bool) (*submission, error) {
	s := &submission{staff: staff, category: messaging.General, errs: map[string]string{}}
	raw := c.R.PostFormValue("body")
	s.values = map[string]string{"body": raw, "category": c.R.PostFormValue("category")}
	for _, f := range []struct {
		field string
		kind  media.Kind
	}{{"image", media.Image}, {"voice", media.Audio}} {
		file, err := media.FromForm(c.R.MultipartForm, f.field, f.kind)
		if code := media.Code(err); code != "" {
			s.errs[f.field] = code
		} else if err != nil {
			return nil, err
		}
		if file != nil {
			s.files = append(s.files, file)
		}
	}
	// Photos of children are shared with other families only with their
	// parents' consent per purpose, which Tillit does not record yet: a
	// picture goes to one family at a time, never in an announcement.
	if staff && t != nil && t.Kind == messaging.KindAnnouncement && s.errs["image"] == "" && hasKind(s.files, media.Image) {
		s.errs["image"] = "media.error.image_announcement"
	}
	body, code := ValidateBody(raw)
	// A picture or a voice message may go without words.
	if code != "" && !(code == "form.required" && (len(s.files) > 0 || s.errs["image"] != "" || s.errs["voice"] != "")) {
		s.errs["body"] = code
	}
	s.body = body
	if staff {
		s.lang = staffLang(c)
		s.category = c.R.PostFormValue("category")
		ok := false
		for _, k := range messaging.Categories {
			ok = ok || k == s.category
		}
		if !ok {
			s.errs["category"] = "form.required"
		}
	} else {
		p, err := loadProfile(c)
		if err != nil {
			return nil, err
		}
		s.lang = p.readLang
	}
	// Only text is ever machine-translated: a picture or a voice message
	// is sent as it is.
	if len(s.errs) > 0 || !staff || !messaging.Sensitive(s.category) || s.body == "" {
		return s, nil
	}
	// Health, incident and consent are never sent as unreviewed machine
	// translation: refuse when any recipient reads another language.
	var rs []messaging.Recipient
	var err error
	if t != nil {
		rs, err = messaging.Recipients(c.Context(), c.Env.DB.R, t)
		if err != nil {
			return nil, err
		}
	}
	for _, r := range rs {
		if r.Lang != s.lang {
			s.blocked = true
			s.errs["category"] = "conversations.sensitive.short"
			break
		}
	}
	return s, nil
}

func hasKind(files []*media.File, k media.Kind) bool {
	for _, f := range files {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// send stores the message in one transaction; a staff message with no
// one to receive it becomes a form error.
func send(c *web.Ctx, s *submission, thread func(tx *sql.Tx) (*messaging.Thread, error)) (*messaging.Thread, int64, error) {
	var th *messaging.Thread
	var msg int64
	atts, undo, err := messaging.StoreFiles(c.Env.Files, s.files...)
	if err != nil {
		return nil, 0, err
	}
	err = c.Env.DB.Tx(c.Context(), func(tx *sql.Tx) error {
		var err error
		if th, err = thread(tx); err != nil {
			return err
		}
		sent, err := messaging.Send(c.Context(), tx, messaging.NewMessage{Thread: th, AuthorID: c.Actor.PersonID, FromStaff: s.staff,
			Category: s.category, Lang: s.lang, Body: s.body, StaffLang: "nb", Attachments: atts})
		if err != nil {
			return err
		}
		msg = sent.MessageID
		return nil
	})
	if err != nil {
		undo() // nothing refers to the files
	}
	if errors.Is(err, messaging.ErrNoRecipients) {
		s.errs["body"] = "conversations.no_recipients"
		return nil, 0, nil
	}
	return th, msg, err
}

func anchor(thread, msg int64) string {
	return "/threads/" + strconv.FormatInt(thread, 10) + "#m" + strconv.FormatInt(msg, 10)
}

// Reply adds a message to a thread.
func Reply(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := loadThread(c.Context(), c.Env.DB.R, id)
	if err != nil {
		return err
	}
	staff := staffOf(c, t)
	if !mayWrite(c, t, staff) {
		return web.ErrNotFound
	}
	s, err := check(c, t.Thread, staff)
	if err != nil {
		return err
	}
	if len(s.errs) == 0 {
		var msg int64
		_, msg, err = send(c, s, func(*sql.Tx) (*messaging.Thread, error) { return t.Thread, nil })
		if err != nil {
			return err
		}
		if len(s.errs) == 0 {
			return c.Redirect(anchor(t.ID, msg))
		}
	}
	return threadPage(c, t, http.StatusBadRequest, s.errs, s.values, s.blocked, false)
}

// Answer records a recipient's one-tap answer to a message.
func Answer(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	answer := c.R.PostFormValue("answer")
	var thread int64
	err = c.Env.DB.Tx(c.Context(), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(c.Context(), `SELECT thread_id FROM messages WHERE id = $1`, id).Scan(&thread); err != nil {
			if err == sql.ErrNoRows {
				return db.ErrNotFound
			}
			return err
		}
		return messaging.Answer(c.Context(), tx, id, c.Actor.PersonID, answer)
	})
	if errors.Is(err, messaging.ErrBadAnswer) {
		return &web.HTTPError{Status: http.StatusBadRequest, Key: "conversations.answer.invalid"}
	}
	if err != nil {
		return err
	}
	return c.Redirect(anchor(thread, id))
}

type writeData struct {
	ChildID   int64
	ChildName string
	Form      Form
}

// child is a child written about, with what the rights rules need.
type child struct {
	ID, Org, Kg, Group int64
	Name               string
}

func loadChild(c *web.Ctx) (*child, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	k := &child{ID: id}
	var group sql.NullInt64
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT k.organisation_id, c.kindergarten_id, c.group_id, c.first_name
		FROM children c JOIN kindergartens k ON k.id = c.kindergarten_id WHERE c.id = $1`, id).Scan(&k.Org, &k.Kg, &group, &k.Name)
	if err == sql.ErrNoRows {
		return nil, web.ErrNotFound
	}
	k.Group = group.Int64
	return k, err
}

// write sends a message about child k in its thread of kind (with
// guardian for a private thread), creating the thread with the first
// message, or shows the form again with its problems.
func write(c *web.Ctx, k *child, staff bool, kind string, guardian int64, title string) error {
	ctx := c.Context()
	// The thread as it is now, for the sensitivity check; it is not
	// created for a form that fails.
	existing, err := messaging.FindThread(ctx, c.Env.DB.R, kind, k.ID, guardian)
	if errors.Is(err, db.ErrNotFound) {
		existing, err = &messaging.Thread{KindergartenID: k.Kg, GroupID: k.Group, ChildID: k.ID, GuardianID: guardian, Kind: kind}, nil
	}
	if err != nil {
		return err
	}
	s, err := check(c, existing, staff)
	if err != nil {
		return err
	}
	if len(s.errs) == 0 {
		th, msg, err := send(c, s, func(tx *sql.Tx) (*messaging.Thread, error) {
			if kind == messaging.KindPrivate {
				return messaging.PrivateThread(ctx, tx, k.ID, guardian, c.Actor.PersonID)
			}
			return messaging.ChildThread(ctx, tx, k.ID, c.Actor.PersonID)
		})
		if err != nil {
			return err
		}
		if len(s.errs) == 0 {
			return c.Redirect(anchor(th.ID, msg))
		}
	}
	d := &writeData{ChildID: k.ID, ChildName: k.Name, Form: Form{Action: c.R.URL.Path, Staff: staff, Lang: s.lang, Blocked: s.blocked}}
	if staff {
		d.Form.Categories = categories()
		d.Form.Compose = composeLink(existing)
	}
	c.Render(http.StatusBadRequest, pages, "write", &web.Page{Title: title, Data: d, Errors: s.errs, Form: s.values})
	return nil
}

// ChildMessage writes about a child (starting the thread if needed):
// staff of the child's group and guardians with parental responsibility
// in the child's shared thread, another guardian who may see the child
// in their private thread with the group.
func ChildMessage(c *web.Ctx) error {
	k, err := loadChild(c)
	if err != nil {
		return err
	}
	staff := c.Actor.StaffOfGroup(k.Org, k.Kg, k.Group)
	kind, guardian := messaging.KindChild, int64(0)
	if l := c.Actor.Links[k.ID]; !staff && !l.ParentalResponsibility {
		// The shared thread is for staff and guardians with parental
		// responsibility; another guardian writes in their private
		// thread with the group.
		kind, guardian = messaging.KindPrivate, c.Actor.PersonID
	}
	return write(c, k, staff, kind, guardian, c.T("conversations.write.title", "Name", k.Name))
}

// GuardianMessage is staff writing privately to guardian {pid} about
// child {id}: for split households, and for guardians without parental
// responsibility, who are not in the child's shared thread. The router
// has checked policy.ChildGuardianStaff; it is checked again here.
func GuardianMessage(c *web.Ctx) error {
	k, err := loadChild(c)
	if err != nil {
		return err
	}
	pid, err := strconv.ParseInt(c.R.PathValue("pid"), 10, 64)
	if err != nil || !c.Actor.StaffOfGroup(k.Org, k.Kg, k.Group) {
		return web.ErrNotFound
	}
	var name string
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT p.name FROM guardianships g JOIN people p ON p.id = g.person_id
		WHERE g.child_id = $1 AND g.person_id = $2 AND NOT g.no_information`, k.ID, pid).Scan(&name)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	return write(c, k, true, messaging.KindPrivate, pid, c.T("staffwrite.private.title", "Guardian", name, "Name", k.Name))
}
