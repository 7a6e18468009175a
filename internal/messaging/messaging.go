// Package messaging is the model of Tillit's conversations: threads,
// messages, who receives each message (decided once, at sending, by the
// rights rules below), receipts ("delivered, read, understood?"), the
// translation jobs of free text and the notifications to send.
//
// Who receives a message from staff:
//   - a child thread: every guardian of the child with parental
//     responsibility and without "no access to information";
//   - a private thread: its one guardian, while still linked to the child
//     without "no access to information";
//   - an announcement: every guardian of a child in the group (or in the
//     kindergarten) without "no access to information" — guardians
//     without parental responsibility too (the Children Act § 47 gives
//     them general information).
//
// A message from a guardian is seen by the group's staff and its author,
// not by the other guardians: in split households that is the safe
// default; staff answer in the thread for all, or in a private thread.
package messaging

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/i18n"
)

// Message categories.
const (
	Practical = "practical"
	Health    = "health"
	Incident  = "incident"
	Consent   = "consent"
	Urgent    = "urgent"
	General   = "general"
)

// Categories in the order the forms offer them.
var Categories = []string{Practical, General, Health, Incident, Consent, Urgent}

// Sensitive categories are never sent as unreviewed machine translation.
func Sensitive(category string) bool {
	return category == Health || category == Incident || category == Consent
}

// Answers a recipient can give with one tap.
const (
	Understood  = "understood"
	Question    = "question"
	Interpreter = "interpreter"
)

// Answers in the order the buttons show them.
var Answers = []string{Understood, Question, Interpreter}

// Thread kinds.
const (
	KindChild        = "child"
	KindPrivate      = "private"
	KindAnnouncement = "announcement"
)

// Errors.
var (
	ErrNoRecipients = errors.New("no_recipients")
	ErrEmpty        = errors.New("empty")
)

// Thread is a conversation.
type Thread struct {
	ID             int64
	KindergartenID int64
	GroupID        int64 // 0: the whole kindergarten (announcements)
	ChildID        int64
	GuardianID     int64
	Kind           string
}

// Recipient is a guardian who receives a message, in their language.
type Recipient struct {
	PersonID int64
	Lang     string
}

// ReaderLanguage is the language a guardian reads messages in: the first
// of their preferred languages, else their interface language.
func ReaderLanguage(languages, ui string) string {
	if f := strings.Fields(languages); len(f) > 0 {
		return f[0]
	}
	if ui != "" {
		return ui
	}
	return "nb"
}

// KnownLanguages are the languages a person reads and writes: those of
// their profile and their interface language, as canonical codes. Staff
// correct translations and record phrasebook audio in these.
func KnownLanguages(ctx context.Context, q directory.Execer, person int64) (map[string]bool, error) {
	var langs, ui string
	if err := q.QueryRowContext(ctx, `SELECT languages, ui_language FROM people WHERE id = $1`, person).Scan(&langs, &ui); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, code := range append(strings.Fields(langs), ui) {
		if l, ok := i18n.Lookup(code); ok {
			out[l.Code] = true
		}
	}
	return out, nil
}

// GetThread reads a thread.
func GetThread(ctx context.Context, q directory.Execer, id int64) (*Thread, error) {
	t := &Thread{}
	var g, c, p sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, kindergarten_id, group_id, child_id, guardian_id, kind FROM threads WHERE id = $1`, id).
		Scan(&t.ID, &t.KindergartenID, &g, &c, &p, &t.Kind)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	t.GroupID, t.ChildID, t.GuardianID = g.Int64, c.Int64, p.Int64
	return t, err
}

func nullable(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// ChildThread returns the child's shared thread, creating it if needed.
func ChildThread(ctx context.Context, x directory.Execer, childID, createdBy int64) (*Thread, error) {
	return findOrCreate(ctx, x, KindChild, childID, 0, createdBy)
}

// PrivateThread returns the private thread between the child's group and
// one guardian, creating it if needed.
func PrivateThread(ctx context.Context, x directory.Execer, childID, guardianID, createdBy int64) (*Thread, error) {
	return findOrCreate(ctx, x, KindPrivate, childID, guardianID, createdBy)
}

// FindThread returns the child's thread of kind (KindChild, or
// KindPrivate with the guardian), or db.ErrNotFound when there is none yet.
func FindThread(ctx context.Context, q directory.Execer, kind string, childID, guardianID int64) (*Thread, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM threads WHERE kind = $1 AND child_id = $2 AND COALESCE(guardian_id, 0) = $3`, kind, childID, guardianID).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return GetThread(ctx, q, id)
}

func findOrCreate(ctx context.Context, x directory.Execer, kind string, childID, guardianID, createdBy int64) (*Thread, error) {
	t, err := FindThread(ctx, x, kind, childID, guardianID)
	if !errors.Is(err, db.ErrNotFound) {
		return t, err
	}
	var id int64
	var kg int64
	var group sql.NullInt64
	if err := x.QueryRowContext(ctx, `SELECT kindergarten_id, group_id FROM children WHERE id = $1`, childID).Scan(&kg, &group); err != nil {
		return nil, err
	}
	now := db.Now()
	err = x.QueryRowContext(ctx, `INSERT INTO threads (kindergarten_id, group_id, child_id, guardian_id, kind, created_by, created_at, last_message_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, kg, nullable(group.Int64), childID, nullable(guardianID), kind, nullable(createdBy), now).Scan(&id)
	if err != nil {
		return nil, err
	}
	return &Thread{ID: id, KindergartenID: kg, GroupID: group.Int64, ChildID: childID, GuardianID: guardianID, Kind: kind}, nil
}

// NewAnnouncement starts an announcement thread to a group (groupID) or
// to the whole kindergarten (groupID 0).
func NewAnnouncement(ctx context.Context, x directory.Execer, kg, groupID, createdBy int64) (*Thread, error) {
	var id int64
	now := db.Now()
	err := x.QueryRowContext(ctx, `INSERT INTO threads (kindergarten_id, group_id, kind, created_by, created_at, last_message_at)
		VALUES ($1, $2, 'announcement', $3, $4, $4) RETURNING id`, kg, nullable(groupID), nullable(createdBy), now).Scan(&id)
	if err != nil {
		return nil, err
	}
	return &Thread{ID: id, KindergartenID: kg, GroupID: groupID, Kind: KindAnnouncement}, nil
}

// Recipients lists the guardians who receive a staff message in thread t,
// by the rules in the package comment, each once, in their language.
func Recipients(ctx context.Context, q directory.Execer, t *Thread) ([]Recipient, error) {
	var query string
	var args []any
	switch t.Kind {
	case KindChild:
		query = `SELECT p.id, p.languages, p.ui_language FROM guardianships g JOIN people p ON p.id = g.person_id
			WHERE g.child_id = $1 AND g.parental_responsibility AND NOT g.no_information`
		args = []any{t.ChildID}
	case KindPrivate:
		query = `SELECT p.id, p.languages, p.ui_language FROM guardianships g JOIN people p ON p.id = g.person_id
			WHERE g.child_id = $1 AND g.person_id = $2 AND NOT g.no_information`
		args = []any{t.ChildID, t.GuardianID}
	case KindAnnouncement:
		if t.GroupID != 0 {
			query = `SELECT DISTINCT p.id, p.languages, p.ui_language FROM children c JOIN guardianships g ON g.child_id = c.id JOIN people p ON p.id = g.person_id
				WHERE c.group_id = $1 AND NOT g.no_information`
			args = []any{t.GroupID}
		} else {
			query = `SELECT DISTINCT p.id, p.languages, p.ui_language FROM children c JOIN guardianships g ON g.child_id = c.id JOIN people p ON p.id = g.person_id
				WHERE c.kindergarten_id = $1 AND NOT g.no_information`
			args = []any{t.KindergartenID}
		}
	default:
		return nil, errors.New("messaging: unknown thread kind " + t.Kind)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		var langs, ui string
		if err := rows.Scan(&r.PersonID, &langs, &ui); err != nil {
			return nil, err
		}
		r.Lang = ReaderLanguage(langs, ui)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PersonID < out[j].PersonID })
	return out, rows.Err()
}

// NewMessage is what a sender submits.
type NewMessage struct {
	Thread    *Thread
	AuthorID  int64
	FromStaff bool
	Category  string
	Lang      string // the language the body is written in
	Body      string // free text ("" for a phrasebook message)
	// PhraseKey and PhraseSlots make a phrasebook message: rendered in
	// each reader's language, never machine-translated.
	PhraseKey   string
	PhraseSlots map[string]string
	// StaffLang is the language staff read guardians' messages in.
	StaffLang string
	// Attachments are pictures and sound already in the media store
	// (StoreFiles). A message may be only an attachment: a voice
	// message, a photo.
	Attachments []Attachment
	// SMSSid is the gateway's id of the inbound SMS the message arrived
	// as ("" when written in the app): unique, so a retried webhook
	// cannot store it twice. ReplyTo is the message the SMS answered.
	SMSSid  string
	ReplyTo int64
}

// Sent tells what Send stored.
type Sent struct {
	MessageID     int64
	Recipients    int
	Translations  int
	Notifications int
}

// Send stores a message, its receipts, its translation jobs and its
// queued notifications in the transaction tx, so that all of it is
// stored or none. Translation never happens here: the worker fills the
// jobs in later and the reader sees "translation pending" until then.
func Send(ctx context.Context, tx *sql.Tx, m NewMessage) (*Sent, error) {
	if strings.TrimSpace(m.Body) == "" && m.PhraseKey == "" && len(m.Attachments) == 0 {
		return nil, ErrEmpty
	}
	var slots string
	if m.PhraseKey != "" {
		b, err := json.Marshal(m.PhraseSlots)
		if err != nil {
			return nil, err
		}
		slots = string(b)
	}
	var recipients []Recipient
	if m.FromStaff {
		var err error
		if recipients, err = Recipients(ctx, tx, m.Thread); err != nil {
			return nil, err
		}
		if len(recipients) == 0 {
			return nil, ErrNoRecipients
		}
	}
	now := db.Now()
	s := &Sent{Recipients: len(recipients)}
	var sid any
	if m.SMSSid != "" {
		sid = m.SMSSid
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO messages (thread_id, author_id, from_staff, category, lang, body, phrase_key, phrase_slots, created_at, sms_sid, reply_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		m.Thread.ID, nullable(m.AuthorID), m.FromStaff, m.Category, m.Lang, m.Body, m.PhraseKey, slots, now, sid, nullable(m.ReplyTo)).Scan(&s.MessageID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET last_message_at = $1 WHERE id = $2`, now, m.Thread.ID); err != nil {
		return nil, err
	}
	if err := insertReceipts(ctx, tx, s.MessageID, recipients); err != nil {
		return nil, err
	}
	if err := insertAttachments(ctx, tx, s.MessageID, m.Attachments); err != nil {
		return nil, err
	}
	// Free text waits for translation into each reader's language; a
	// guardian's message into the staff's language.
	if m.Body != "" {
		langs := map[string]bool{}
		for _, r := range recipients {
			langs[r.Lang] = true
		}
		if !m.FromStaff {
			staff := m.StaffLang
			if staff == "" {
				staff = "nb"
			}
			langs[staff] = true
		}
		delete(langs, m.Lang)
		for _, l := range sortedKeys(langs) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO message_translations (message_id, lang, status) VALUES ($1, $2, 'pending')`, s.MessageID, l); err != nil {
				return nil, err
			}
			s.Translations++
		}
	}
	n, err := queueNotifications(ctx, tx, s.MessageID, recipients, m.Category == Urgent, now)
	s.Notifications = n
	return s, err
}

// insertReceipts writes the receipts in multi-row statements: an
// announcement to a thousand families is a handful of statements.
func insertReceipts(ctx context.Context, tx *sql.Tx, msg int64, rs []Recipient) error {
	const batch = 200
	for i := 0; i < len(rs); i += batch {
		part := rs[i:min(i+batch, len(rs))]
		var b strings.Builder
		args := make([]any, 0, 3*len(part))
		b.WriteString(`INSERT INTO receipts (message_id, person_id, lang) VALUES `)
		for j, r := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			b.WriteString("($" + itoa(n+1) + ", $" + itoa(n+2) + ", $" + itoa(n+3) + ")")
			args = append(args, msg, r.PersonID, r.Lang)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// queueNotifications queues one notification per recipient and channel
// they chose (push by default). Quiet hours are applied when sending.
func queueNotifications(ctx context.Context, tx *sql.Tx, msg int64, rs []Recipient, urgent bool, now int64) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (person_id, message_id, channel, urgent, status, next_attempt_at, created_at)
		SELECT r.person_id, r.message_id, ch.channel, $2, 'queued', $3, $3
		FROM receipts r
		LEFT JOIN contact_preferences cp ON cp.person_id = r.person_id
		JOIN (SELECT 'push' AS channel UNION ALL SELECT 'email' UNION ALL SELECT 'sms') ch ON
		     (ch.channel = 'push' AND COALESCE(cp.push, TRUE))
		  OR (ch.channel = 'email' AND COALESCE(cp.email, FALSE))
		  OR (ch.channel = 'sms' AND COALESCE(cp.sms, FALSE))
		WHERE r.message_id = $1`, msg, urgent, now)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
