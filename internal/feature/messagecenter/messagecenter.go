// Package messagecenter is the staff's side of messaging for one group,
// made for the shared tablet in the group room: what must be followed up
// ("needs an interpreter", "has a question"), the group's recent threads
// with how well each latest message was understood, writing an
// announcement (from the phrasebook, previewed in every recipient's
// language, or as free text), and per message who has read it, who did
// not understand and how to reach them.
package messagecenter

import (
	"database/sql"
	"embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/phrasebook"
	"tillit/internal/web"
)

//go:embed templates/*.html
var files embed.FS

var pages = web.MustTemplates(files, "templates")

// book is the phrasebook, loaded once.
var book = func() *phrasebook.Book {
	b, err := phrasebook.Load()
	if err != nil {
		panic(err)
	}
	return b
}()

// scope is whom a page writes to and lists: one group, or the whole
// kindergarten (ID 0), read after the router's check.
type scope struct {
	ID, Kg, Org int64 // ID: the group; 0 for the whole kindergarten
	Name        string
}

// Whole reports whether the scope is the whole kindergarten.
func (s *scope) Whole() bool { return s.ID == 0 }

// Path is where the scope's pages live: /groups/{id} or /k/{kg}.
func (s *scope) Path() string {
	if s.Whole() {
		return "/k/" + strconv.FormatInt(s.Kg, 10)
	}
	return "/groups/" + strconv.FormatInt(s.ID, 10)
}

// filter is the SQL condition on a table's kindergarten_id and group_id
// (alias t, f, …) that picks the scope, with its arguments ($1, $2).
func (s *scope) filter(alias string) (string, []any) {
	if s.Whole() {
		return alias + ".kindergarten_id = $1 AND " + alias + ".group_id IS NULL", []any{s.Kg}
	}
	return alias + ".kindergarten_id = $1 AND " + alias + ".group_id = $2", []any{s.Kg, s.ID}
}

// Key is the i18n key of a text that differs for the whole kindergarten.
func (s *scope) Key(group, whole string) string {
	if s.Whole() {
		return whole
	}
	return group
}

// loadGroup reads group {id}; the router has checked GroupStaff, and the
// actor's rights are checked again here all the same.
func loadGroup(c *web.Ctx) (*scope, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	g := &scope{ID: id}
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT g.name, k.id, k.organisation_id FROM groups g JOIN kindergartens k ON k.id = g.kindergarten_id WHERE g.id = $1`, id).
		Scan(&g.Name, &g.Kg, &g.Org)
	if err == sql.ErrNoRows || (err == nil && !c.Actor.StaffOfGroup(g.Org, g.Kg, g.ID)) {
		return nil, web.ErrNotFound
	}
	return g, err
}

// loadKindergarten reads kindergarten {kg} as a scope; the router has
// checked KindergartenAdmin: only the manager and the owner admin write
// to the whole kindergarten (docs/messaging.md).
func loadKindergarten(c *web.Ctx) (*scope, error) {
	kg, err := strconv.ParseInt(c.R.PathValue("kg"), 10, 64)
	if err != nil {
		return nil, web.ErrNotFound
	}
	k := &scope{Kg: kg}
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT name, organisation_id FROM kindergartens WHERE id = $1`, kg).Scan(&k.Name, &k.Org)
	if err == sql.ErrNoRows || (err == nil && !c.Actor.AdminsKindergarten(k.Org, k.Kg)) {
		return nil, web.ErrNotFound
	}
	return k, err
}

func pathID(c *web.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil {
		return 0, web.ErrNotFound
	}
	return id, nil
}

// Followup is one open follow-up on the group page.
type Followup struct {
	ID, MessageID, ThreadID int64
	Kind                    string // interpreter, question, unread
	Name                    string
	Language                string // lang.* key, "" if unknown
	Dialect                 string
	Phone                   string
}

// Summary is how the latest staff message of a thread was received.
type Summary struct {
	MessageID  int64
	Category   string // msg.category.* key
	Pictogram  string
	Preview    string // in Norwegian
	PreviewDir string
	Total      int
	Read       int
	Help       int // answered "I have a question" or "I need an interpreter"
}

// ThreadRow is one of the group's recent threads.
type ThreadRow struct {
	ID       int64
	Kind     string
	Child    string
	Guardian string // the guardian of a private thread
	LastAt   time.Time
	Latest   *Summary
	// Waiting: a guardian wrote after the latest staff message.
	Waiting *Waiting
}

// Waiting is a guardian's message that no one on the staff has answered
// yet. Its text is not shown here (it is in the guardian's language):
// the thread shows it translated.
type Waiting struct {
	MessageID int64
	Name      string
	At        time.Time
	SMS       bool // received by SMS
}

type groupData struct {
	Scope     *scope
	Sent      int
	Followups []Followup
	Threads   []ThreadRow
}

// recentThreads is how many threads the group page lists.
const recentThreads = 30

// Group shows the group's message centre.
func Group(c *web.Ctx) error { return messages(c, loadGroup) }

// Kindergarten shows the kindergarten-wide announcements with how well
// each was understood, and their follow-ups.
func Kindergarten(c *web.Ctx) error { return messages(c, loadKindergarten) }

// messages is the message centre of a scope.
func messages(c *web.Ctx, load func(*web.Ctx) (*scope, error)) error {
	g, err := load(c)
	if err != nil {
		return err
	}
	ctx, q := c.Context(), c.Env.DB.R
	d := &groupData{Scope: g}
	d.Sent, _ = strconv.Atoi(c.R.URL.Query().Get("sent"))

	fs, err := messaging.OpenFollowups(ctx, q, g.Kg, g.ID)
	if err != nil {
		return err
	}
	extra := map[int64][2]any{}
	where, args := g.filter("f")
	rows, err := q.QueryContext(ctx, `SELECT f.id, p.phone, m.thread_id FROM followups f JOIN people p ON p.id = f.person_id JOIN messages m ON m.id = f.message_id
		WHERE `+where+` AND f.done_at IS NULL`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, thread int64
		var phone string
		if err := rows.Scan(&id, &phone, &thread); err != nil {
			rows.Close()
			return err
		}
		extra[id] = [2]any{phone, thread}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fs {
		v := Followup{ID: f.ID, MessageID: f.MessageID, Kind: f.Kind, Name: f.PersonName, Dialect: f.Dialect}
		if i18n.Valid(f.Language) {
			v.Language = "lang." + f.Language
		}
		if e, ok := extra[f.ID]; ok {
			v.Phone, v.ThreadID = e[0].(string), e[1].(int64)
		}
		d.Followups = append(d.Followups, v)
	}

	// Private threads too: a guardian's own conversation with the group
	// (written in the app or received by SMS) must reach the staff.
	where, args = g.filter("t")
	rows, err = q.QueryContext(ctx, `SELECT t.id, t.kind, COALESCE(c.first_name, ''), COALESCE(gp.name, ''), t.last_message_at,
		COALESCE(m.id, 0), COALESCE(m.category, ''), COALESCE(m.body, ''), COALESCE(m.phrase_key, ''), COALESCE(m.phrase_slots, ''),
		(SELECT COUNT(*) FROM receipts r WHERE r.message_id = m.id),
		(SELECT COUNT(*) FROM receipts r WHERE r.message_id = m.id AND r.read_at IS NOT NULL),
		(SELECT COUNT(*) FROM receipts r WHERE r.message_id = m.id AND r.answer IN ('question', 'interpreter')),
		COALESCE(w.id, 0), COALESCE(wp.name, ''), COALESCE(w.created_at, 0), w.sms_sid IS NOT NULL
		FROM threads t LEFT JOIN children c ON c.id = t.child_id LEFT JOIN people gp ON gp.id = t.guardian_id
		LEFT JOIN messages m ON m.id = (SELECT MAX(x.id) FROM messages x WHERE x.thread_id = t.id AND x.from_staff)
		LEFT JOIN messages w ON w.id = (SELECT MAX(x.id) FROM messages x WHERE x.thread_id = t.id AND NOT x.from_staff)
		LEFT JOIN people wp ON wp.id = w.author_id
		WHERE `+where+` AND t.kind IN ('child', 'announcement', 'private')
		ORDER BY t.last_message_at DESC, t.id DESC LIMIT `+strconv.Itoa(recentThreads), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t ThreadRow
		var s Summary
		var w Waiting
		var last, wAt int64
		var body, key, slots string
		if err := rows.Scan(&t.ID, &t.Kind, &t.Child, &t.Guardian, &last, &s.MessageID, &s.Category, &body, &key, &slots, &s.Total, &s.Read, &s.Help,
			&w.MessageID, &w.Name, &wAt, &w.SMS); err != nil {
			return err
		}
		t.LastAt = time.Unix(last, 0)
		if s.MessageID != 0 {
			s.Preview, s.Pictogram, s.PreviewDir = preview(body, key, slots)
			s.Category = "msg.category." + s.Category
			t.Latest = &s
		}
		if w.MessageID > s.MessageID {
			w.At = time.Unix(wAt, 0)
			t.Waiting = &w
		}
		d.Threads = append(d.Threads, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.Render(http.StatusOK, pages, "group", &web.Page{Title: c.T(g.Key("messagecenter.title", "staffwrite.kg.title"), "Group", g.Name), Data: d})
	return nil
}

// preview is a short Norwegian line of a message for staff: the
// phrasebook entry rendered in Norwegian, or the start of the free text
// (which staff wrote in Norwegian; a guardian's text is not shown here).
func preview(body, key, slots string) (text, pictogram, dir string) {
	if key != "" {
		var s map[string]string
		_ = json.Unmarshal([]byte(slots), &s)
		if r, err := book.Render(key, s, i18n.Source); err == nil {
			return shorten(r.Text), r.Pictogram, "ltr"
		}
		if e, ok := book.Get(key); ok {
			return e.Title, e.Pictogram, "ltr"
		}
		return key, "", "ltr"
	}
	if body == "" {
		return "", "📎", "auto" // a voice message or a picture without words
	}
	return shorten(body), "", "auto"
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= 120 {
		return s
	}
	r := []rune(s)
	return string(r[:119]) + "…"
}

// ReceiptRow is one recipient of a message, for staff.
type ReceiptRow struct {
	Name        string
	Language    string // lang.* key
	Delivered   time.Time
	Read        time.Time
	Answer      string // msg.answer.* key, "" for no answer
	NeedsHelp   bool
	Unread      bool
	Phone       string
	Interpreter string // lang.* key of the interpreter language
	Dialect     string
}

type receiptsData struct {
	MessageID, ThreadID int64
	// Back is the message centre the message belongs to ("" when the
	// viewer has none: staff reading a kindergarten-wide announcement).
	Back              string
	Category          string
	Pictogram         string
	Preview           string
	PreviewDir        string
	Sent              time.Time
	Rows              []ReceiptRow
	Total, Read, Help int
}

// Receipts shows who received message {id}, who read it and who needs
// help, with ways to follow up. The router has checked that the actor is
// staff of the message's group.
func Receipts(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx, q := c.Context(), c.Env.DB.R
	d := &receiptsData{MessageID: id}
	var group sql.NullInt64
	var body, key, slots, cat string
	var created int64
	var sc scope
	err = q.QueryRowContext(ctx, `SELECT m.thread_id, t.kindergarten_id, k.organisation_id, t.group_id, m.category, m.body, m.phrase_key, m.phrase_slots, m.created_at
		FROM messages m JOIN threads t ON t.id = m.thread_id JOIN kindergartens k ON k.id = t.kindergarten_id WHERE m.id = $1`, id).
		Scan(&d.ThreadID, &sc.Kg, &sc.Org, &group, &cat, &body, &key, &slots, &created)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	sc.ID = group.Int64
	if !sc.Whole() || c.Actor.AdminsKindergarten(sc.Org, sc.Kg) {
		d.Back = sc.Path() + "/messages"
	}
	d.Category = "msg.category." + cat
	d.Sent = time.Unix(created, 0)
	d.Preview, d.Pictogram, d.PreviewDir = preview(body, key, slots)

	rs, err := messaging.Receipts(ctx, q, id)
	if err != nil {
		return err
	}
	type contact struct{ phone, lang, dialect string }
	contacts := map[int64]contact{}
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.phone, p.interpreter_language, p.interpreter_dialect FROM receipts r JOIN people p ON p.id = r.person_id WHERE r.message_id = $1`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var pid int64
		var ct contact
		if err := rows.Scan(&pid, &ct.phone, &ct.lang, &ct.dialect); err != nil {
			rows.Close()
			return err
		}
		contacts[pid] = ct
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rs {
		ct := contacts[r.PersonID]
		v := ReceiptRow{Name: r.Name, Language: langKey(r.Lang), Phone: ct.phone, Dialect: ct.dialect, Unread: r.ReadAt == 0,
			NeedsHelp: r.Answer == messaging.Question || r.Answer == messaging.Interpreter}
		if r.DeliveredAt != 0 {
			v.Delivered = time.Unix(r.DeliveredAt, 0)
		}
		if r.ReadAt != 0 {
			v.Read = time.Unix(r.ReadAt, 0)
			d.Read++
		}
		if r.Answer != "" {
			v.Answer = "msg.answer." + r.Answer
		}
		if v.NeedsHelp {
			d.Help++
		}
		il := ct.lang
		if il == "" {
			il = r.Lang
		}
		v.Interpreter = langKey(il)
		d.Rows = append(d.Rows, v)
	}
	d.Total = len(rs)
	c.Render(http.StatusOK, pages, "receipts", &web.Page{Title: c.T("messagecenter.receipts.title"), Data: d})
	return nil
}

// langKey is the lang.* key of a launch language, "" otherwise.
func langKey(code string) string {
	if l, ok := i18n.Lookup(code); ok {
		return "lang." + l.Code
	}
	return ""
}

// FollowupDone marks follow-up {id} done and goes back to its message
// centre: the group's, or the kindergarten's for an answer to a
// kindergarten-wide announcement. The router has checked that the actor
// is staff of the follow-up's group (the manager for the kindergarten).
func FollowupDone(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var group sql.NullInt64
	var sc scope
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT kindergarten_id, group_id FROM followups WHERE id = $1`, id).Scan(&sc.Kg, &group)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := messaging.CloseFollowup(c.Context(), c.Env.DB.W, id, c.Actor.PersonID); err != nil {
		return err
	}
	sc.ID = group.Int64
	return c.Redirect(sc.Path() + "/messages")
}
