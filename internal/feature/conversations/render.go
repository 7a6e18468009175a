package conversations

import (
	"context"
	"database/sql"
	"encoding/json"
	"html"
	"html/template"
	"strings"
	"time"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/phrasebook"
)

// book is the phrasebook, loaded once. Rendering a phrasebook message
// never asks a translation provider: every language is in the book.
var book, bookErr = phrasebook.Load()

// Message is one stored message as RenderMessage needs it.
type Message struct {
	ID         int64
	ThreadID   int64
	AuthorID   int64
	AuthorName string
	FromStaff  bool
	Category   string
	Lang       string // the language the body was written in
	Body       string // free text ("" for a phrasebook message)
	PhraseKey  string
	// PhraseSlots is the JSON object of slot values as stored.
	PhraseSlots string
	CreatedAt   int64
	// SMS: it arrived as a free-text SMS (messages.sms_sid is set).
	// ReplyTo is the message it answered, in thread ReplyThread.
	SMS         bool
	ReplyTo     int64
	ReplyThread int64
}

// messageColumns select a Message (scanMessage) from messages m LEFT JOIN
// people p ON p.id = m.author_id.
const messageColumns = `m.id, m.thread_id, COALESCE(m.author_id, 0), COALESCE(p.name, ''), m.from_staff, m.category, m.lang, m.body, m.phrase_key, m.phrase_slots, m.created_at,
	m.sms_sid IS NOT NULL, COALESCE(m.reply_to, 0), COALESCE((SELECT x.thread_id FROM messages x WHERE x.id = m.reply_to), 0)`

// dest is where a row of messageColumns is scanned to.
func (m *Message) dest() []any {
	return []any{&m.ID, &m.ThreadID, &m.AuthorID, &m.AuthorName, &m.FromStaff, &m.Category, &m.Lang, &m.Body, &m.PhraseKey, &m.PhraseSlots, &m.CreatedAt,
		&m.SMS, &m.ReplyTo, &m.ReplyThread}
}

func scanMessage(s interface{ Scan(...any) error }) (*Message, error) {
	m := &Message{}
	err := s.Scan(m.dest()...)
	return m, err
}

// LoadMessage reads one message with its author's name (db.ErrNotFound
// when there is none). It checks no rights: the caller has.
func LoadMessage(ctx context.Context, q directory.Execer, id int64) (*Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages m LEFT JOIN people p ON p.id = m.author_id WHERE m.id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	return m, err
}

// Translation states of a free-text message for one reader (View.MT).
const (
	MTOriginal = ""        // written in the reader's language, or a phrasebook message
	MTMachine  = "machine" // machine-translated: labelled, original one tap away
	MTChecked  = "checked" // translation checked by a person
	MTPending  = "pending" // the worker has not translated it yet: the original is shown
	MTNone     = "none"    // not translated (failed or no provider): the original is shown
)

// View is one message rendered for one reader.
type View struct {
	ID        int64
	ThreadID  int64
	AuthorID  int64
	Author    string // show with dir=auto
	FromStaff bool
	Time      time.Time
	// SMS: received by SMS; ReplyTo and ReplyThread: the message it
	// answered and its thread (0 when none).
	SMS         bool
	ReplyTo     int64
	ReplyThread int64

	Category    string // practical, health, …
	CategoryKey string // i18n key of its word: "msg.category.health"
	Icon        string // the category's emoji

	// Text is what the reader reads, as plain text; HTML is the same
	// escaped for HTML (newlines kept as text: style with
	// white-space: pre-wrap). Put it in an element with lang=Lang and
	// dir=Dir ("auto" for free text).
	Text string
	HTML template.HTML
	Lang string
	Dir  string

	// Phrasebook messages: Phrase is true, Pictogram its emoji, Fallback
	// true when the entry lacks the reader's language and Lang tells
	// which one is shown instead. Missing: the entry no longer exists.
	Phrase    bool
	PhraseKey string
	Pictogram string
	Fallback  bool
	Missing   bool

	// Free text: MT is one of the MT… states; SourceLang the language it
	// was written in (SourceLangKey its i18n name key, "lang.nb");
	// Original the original text when a translation is shown.
	MT            string
	SourceLang    string
	SourceLangKey string
	Original      string

	// Attachments are the message's pictures and sound (filled in by the
	// thread page); OnlyAttachment is true when there is no text at all.
	Attachments    []messaging.Attachment
	OnlyAttachment bool
	// Audio is the URL of the phrasebook entry read aloud in Lang, when
	// someone of the kindergarten has recorded it.
	Audio string
}

// Icons are the categories' emoji.
var Icons = map[string]string{
	"practical": "📋",
	"general":   "💬",
	"health":    "🩺",
	"incident":  "⚠️",
	"consent":   "✍️",
	"urgent":    "🚨",
}

// Preview shortens v.Text to at most n characters for lists.
func (v *View) Preview(n int) string {
	s := strings.Join(strings.Fields(v.Text), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// RenderMessage renders message m for a reader who reads readerLang:
// a phrasebook message in that language (no translation provider is
// involved); free text as the original when written in readerLang, else
// the finished translation from message_translations, labelled, with
// the original kept, else the original with "translation pending" or
// "not translated". It checks no rights: the caller has.
func RenderMessage(ctx context.Context, q directory.Execer, m *Message, readerLang string) (*View, error) {
	if readerLang == "" {
		readerLang = i18n.Source
	}
	v := &View{
		ID: m.ID, ThreadID: m.ThreadID, AuthorID: m.AuthorID, Author: m.AuthorName, FromStaff: m.FromStaff,
		SMS: m.SMS, ReplyTo: m.ReplyTo, ReplyThread: m.ReplyThread,
		Time: time.Unix(m.CreatedAt, 0), Category: m.Category, CategoryKey: "msg.category." + m.Category, Icon: Icons[m.Category],
		SourceLang: m.Lang, SourceLangKey: "lang." + m.Lang,
	}
	if m.PhraseKey != "" {
		v.Phrase, v.PhraseKey = true, m.PhraseKey
		slots := map[string]string{}
		if m.PhraseSlots != "" {
			if err := json.Unmarshal([]byte(m.PhraseSlots), &slots); err != nil {
				slots = map[string]string{}
			}
		}
		var r phrasebook.Rendered
		err := bookErr
		if err == nil {
			r, err = book.Render(m.PhraseKey, slots, readerLang)
		}
		if err != nil {
			// The entry or its values no longer render (a changed
			// book): say so rather than show another language's text.
			v.Missing = true
			v.Lang, v.Dir = readerLang, "auto"
			return v, nil
		}
		v.Text, v.HTML, v.Lang, v.Dir = r.Text, r.HTML, r.Lang, r.Dir
		v.Pictogram, v.Fallback = r.Pictogram, r.Fallback
		return v, nil
	}

	if m.Body == "" {
		// A voice message or a picture without words.
		v.Lang, v.Dir, v.OnlyAttachment = m.Lang, "auto", true
		return v, nil
	}
	original := func() {
		v.Text, v.Lang, v.Dir = m.Body, m.Lang, "auto"
		v.HTML = template.HTML(html.EscapeString(m.Body)) //nolint:gosec // escaped
	}
	if strings.EqualFold(m.Lang, readerLang) {
		original()
		return v, nil
	}
	var status, text, provider string
	var checked sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT status, text, provider, checked_by FROM message_translations WHERE message_id = $1 AND lang = $2`, m.ID, readerLang).
		Scan(&status, &text, &provider, &checked)
	if err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	switch {
	case err == nil && status == "done" && text != "":
		v.Text, v.Lang, v.Dir = text, readerLang, "auto"
		v.HTML = template.HTML(html.EscapeString(text)) //nolint:gosec // escaped
		v.Original = m.Body
		v.MT = MTMachine
		// checked_by is cleared when the person is deleted; the
		// provider still says a person wrote it.
		if checked.Valid || provider == "person" {
			v.MT = MTChecked
		}
	case err == nil && status == "pending":
		original()
		v.MT = MTPending
	default:
		original()
		v.MT = MTNone
	}
	return v, nil
}
