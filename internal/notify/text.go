package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/messaging"
)

// What ReceiveText did with a free-text SMS. Only TextStored stores
// anything; the others are for the log, which never gets the number or
// the text.
const (
	// TextStored: the SMS is a message from the guardian (MessageID).
	TextStored = "stored"
	// TextDuplicate: a message with this SMS id exists (a gateway retry).
	TextDuplicate = "duplicate"
	// TextUnknown: no person in Tillit has the number.
	TextUnknown = "unknown_number"
	// TextShared: more than one person has the number: who wrote it, and
	// for which family, would be a guess.
	TextShared = "shared_number"
	// TextNotGuardian: the one person with the number is not a guardian.
	TextNotGuardian = "not_guardian"
	// TextNoThread: Tillit never sent an SMS notification to this
	// guardian on this number, so there is nothing it answers.
	TextNoThread = "no_thread"
	// TextNoAccess: the guardian may no longer see the child the message
	// was about ("no access to information", or no longer linked).
	TextNoAccess = "no_access"
)

// TextResult tells what ReceiveText did; ids only.
type TextResult struct {
	Outcome                       string
	MessageID, ThreadID, PersonID int64
	// ReplyTo is the message the SMS answered.
	ReplyTo int64
}

// ReceiveText stores a free-text SMS (not a reply code) as a message from
// the guardian who sent it, as if written in the app: through
// messaging.Send, in their reading language, with a translation job into
// Norwegian for staff, marked with the SMS id sid (unique: a retried
// webhook stores it once) and the message it answers. body must already
// be checked like a message typed in the app (conversations.ValidateBody).
//
// The rules, none of which guesses:
//   - the number (E.164 after normalising from) must belong to exactly one
//     person, a guardian; unknown and shared numbers store nothing;
//   - it answers the newest notification SMS sent to that number, which
//     must have gone to that same person (LatestReceipt); without one
//     nothing is stored (no thread is made out of nothing);
//   - that message's thread decides where the answer goes: the child's
//     shared thread when the guardian has parental responsibility there,
//     their own private thread as it is; otherwise — an announcement, or a
//     guardian without parental responsibility — the guardian's private
//     thread with the group (messaging.PrivateThread) about the child the
//     message was about (for an announcement, their child in its group, or
//     in its kindergarten for a kindergarten-wide one, the lowest id when
//     there are several): the same places the app lets them write;
//   - the guardian must still be linked to that child without "no access
//     to information", or nothing is stored.
func ReceiveText(ctx context.Context, d *db.DB, sid, from, body string) (TextResult, error) {
	var r TextResult
	phone, err := channels.NormalizePhone(from, PhoneCountry)
	if err != nil {
		r.Outcome = TextUnknown
		return r, nil
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE sms_sid = $1`, sid).Scan(&n); err != nil || n > 0 {
			r.Outcome = TextDuplicate
			return err
		}
		person, outcome, err := phoneHolder(ctx, tx, phone)
		if err != nil || outcome != "" {
			r.Outcome = outcome
			return err
		}
		r.PersonID = person
		msg, to, found, err := LatestReceipt(ctx, tx, phone)
		if err != nil {
			return err
		}
		if !found || to != person {
			r.Outcome = TextNoThread
			return nil
		}
		r.ReplyTo = msg
		th, lang, err := answerThread(ctx, tx, msg, person)
		if err != nil {
			return err
		}
		if th == nil {
			r.Outcome = TextNoAccess
			return nil
		}
		sent, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: person, Category: messaging.General,
			Lang: lang, Body: body, StaffLang: "nb", SMSSid: sid, ReplyTo: msg})
		if err != nil {
			return err
		}
		r.Outcome, r.MessageID, r.ThreadID = TextStored, sent.MessageID, th.ID
		return nil
	})
	if err != nil {
		// Two deliveries of the same SMS at once: the unique index let
		// one through.
		var n int
		if e := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE sms_sid = $1`, sid).Scan(&n); e == nil && n > 0 {
			return TextResult{Outcome: TextDuplicate}, nil
		}
		return TextResult{}, fmt.Errorf("notify: storing an SMS text: %w", err)
	}
	return r, nil
}

// phoneSeparators are the characters channels.NormalizePhone drops.
var phoneSeparators = []string{" ", "-", ".", "(", ")", "\u00a0"}

// phoneHolder finds the one person whose number normalises to phone and
// checks that they are a guardian; outcome is "" when found.
func phoneHolder(ctx context.Context, tx *sql.Tx, phone string) (int64, string, error) {
	// Numbers are stored as typed or imported; compare them normalised.
	// The SQL narrows by the last digits, which normalising keeps.
	digits := strings.TrimPrefix(phone, "+")
	stripped := "phone"
	for _, s := range phoneSeparators {
		stripped = "REPLACE(" + stripped + ", '" + s + "', '')"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, phone FROM people WHERE phone <> '' AND `+stripped+` LIKE $1`, "%"+digits[max(0, len(digits)-6):])
	if err != nil {
		return 0, "", err
	}
	var holders []int64
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return 0, "", err
		}
		if n, err := channels.NormalizePhone(p, PhoneCountry); err == nil && n == phone {
			holders = append(holders, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	switch {
	case len(holders) == 0:
		return 0, TextUnknown, nil
	case len(holders) > 1:
		return 0, TextShared, nil
	}
	var links int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM guardianships WHERE person_id = $1`, holders[0]).Scan(&links); err != nil {
		return 0, "", err
	}
	if links == 0 {
		return 0, TextNotGuardian, nil
	}
	return holders[0], "", nil
}

// answerThread is where guardian person's answer to message msg goes, by
// the rules of ReceiveText, and the language they write in; nil when they
// may not write about that child any more.
func answerThread(ctx context.Context, tx *sql.Tx, msg, person int64) (*messaging.Thread, string, error) {
	var thread int64
	var langs, ui string
	if err := tx.QueryRowContext(ctx, `SELECT m.thread_id, p.languages, p.ui_language FROM messages m, people p WHERE m.id = $1 AND p.id = $2`, msg, person).
		Scan(&thread, &langs, &ui); err != nil {
		return nil, "", err
	}
	lang := messaging.ReaderLanguage(langs, ui)
	t, err := messaging.GetThread(ctx, tx, thread)
	if err != nil {
		return nil, "", err
	}
	child := t.ChildID
	if t.Kind == messaging.KindAnnouncement {
		q := `SELECT c.id FROM guardianships g JOIN children c ON c.id = g.child_id
			WHERE g.person_id = $1 AND NOT g.no_information AND c.group_id = $2 ORDER BY c.id LIMIT 1`
		args := []any{person, t.GroupID}
		if t.GroupID == 0 {
			q = `SELECT c.id FROM guardianships g JOIN children c ON c.id = g.child_id
				WHERE g.person_id = $1 AND NOT g.no_information AND c.kindergarten_id = $2 AND c.group_id IS NOT NULL ORDER BY c.id LIMIT 1`
			args = []any{person, t.KindergartenID}
		}
		switch err := tx.QueryRowContext(ctx, q, args...).Scan(&child); {
		case errors.Is(err, sql.ErrNoRows):
			return nil, lang, nil
		case err != nil:
			return nil, "", err
		}
	}
	var responsible, noInfo bool
	switch err := tx.QueryRowContext(ctx, `SELECT parental_responsibility, no_information FROM guardianships WHERE child_id = $1 AND person_id = $2`, child, person).
		Scan(&responsible, &noInfo); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, lang, nil
	case err != nil:
		return nil, "", err
	case noInfo:
		return nil, lang, nil
	}
	switch {
	case t.Kind == messaging.KindChild && responsible:
		return t, lang, nil
	case t.Kind == messaging.KindPrivate && t.GuardianID == person:
		return t, lang, nil
	}
	th, err := messaging.PrivateThread(ctx, tx, child, person, person)
	return th, lang, err
}
