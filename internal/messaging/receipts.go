package messaging

import (
	"context"
	"database/sql"
	"errors"

	"tillit/internal/db"
	"tillit/internal/directory"
)

// MarkRead records that person has seen the messages (delivered and read).
func MarkRead(ctx context.Context, x directory.Execer, personID int64, messageIDs []int64) error {
	now := db.Now()
	for _, id := range messageIDs {
		if _, err := x.ExecContext(ctx, `UPDATE receipts SET read_at = COALESCE(read_at, $1), delivered_at = COALESCE(delivered_at, $1)
			WHERE message_id = $2 AND person_id = $3`, now, id, personID); err != nil {
			return err
		}
	}
	return nil
}

// MarkDelivered records that a notification or page reached the person.
func MarkDelivered(ctx context.Context, x directory.Execer, personID, messageID int64) error {
	_, err := x.ExecContext(ctx, `UPDATE receipts SET delivered_at = COALESCE(delivered_at, $1) WHERE message_id = $2 AND person_id = $3`, db.Now(), messageID, personID)
	return err
}

// ErrBadAnswer is an answer that is not one of Answers.
var ErrBadAnswer = errors.New("bad_answer")

// Answer records a recipient's one-tap answer. "I have a question" and "I
// need an interpreter" open a follow-up for the group's staff, with the
// family's language and dialect. The receipt must exist: only recipients
// answer (db.ErrNotFound otherwise).
func Answer(ctx context.Context, tx *sql.Tx, messageID, personID int64, answer string) error {
	if answer != Understood && answer != Question && answer != Interpreter {
		return ErrBadAnswer
	}
	now := db.Now()
	res, err := tx.ExecContext(ctx, `UPDATE receipts SET answer = $1, answered_at = $2, read_at = COALESCE(read_at, $2), delivered_at = COALESCE(delivered_at, $2)
		WHERE message_id = $3 AND person_id = $4`, answer, now, messageID, personID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
	}
	if answer == Understood {
		return nil
	}
	// One open follow-up per message, person and kind.
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM followups WHERE message_id = $1 AND person_id = $2 AND kind = $3 AND done_at IS NULL`,
		messageID, personID, answer).Scan(&open); err != nil || open > 0 {
		return err
	}
	var kg int64
	var group sql.NullInt64
	var lang, ilang, dialect, ui string
	if err := tx.QueryRowContext(ctx, `SELECT t.kindergarten_id, t.group_id, p.languages, p.interpreter_language, p.interpreter_dialect, p.ui_language
		FROM messages m JOIN threads t ON t.id = m.thread_id, people p WHERE m.id = $1 AND p.id = $2`, messageID, personID).
		Scan(&kg, &group, &lang, &ilang, &dialect, &ui); err != nil {
		return err
	}
	if ilang == "" {
		ilang = ReaderLanguage(lang, ui)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO followups (kindergarten_id, group_id, message_id, person_id, kind, language, dialect, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, kg, nullable(group.Int64), messageID, personID, answer, ilang, dialect, now)
	return err
}

// ReceiptRow is one recipient's state of one message, for staff.
type ReceiptRow struct {
	PersonID    int64
	Name        string
	Lang        string
	DeliveredAt int64
	ReadAt      int64
	Answer      string
}

// Receipts lists every recipient of a message: unread first, then those
// who need help, then the rest, by name.
func Receipts(ctx context.Context, q directory.Execer, messageID int64) ([]ReceiptRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.person_id, p.name, r.lang, COALESCE(r.delivered_at, 0), COALESCE(r.read_at, 0), r.answer
		FROM receipts r JOIN people p ON p.id = r.person_id WHERE r.message_id = $1
		ORDER BY CASE WHEN r.read_at IS NULL THEN 0 WHEN r.answer IN ('question', 'interpreter') THEN 1 ELSE 2 END, p.name`, messageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReceiptRow
	for rows.Next() {
		var r ReceiptRow
		if err := rows.Scan(&r.PersonID, &r.Name, &r.Lang, &r.DeliveredAt, &r.ReadAt, &r.Answer); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Followup is an open item for staff.
type Followup struct {
	ID, MessageID, PersonID int64
	PersonName              string
	Kind, Language, Dialect string
	CreatedAt               int64
}

// OpenFollowups lists the open follow-ups of a group of kindergarten kg,
// or with groupID 0 those of the whole kindergarten (answers to
// kindergarten-wide announcements), oldest first.
func OpenFollowups(ctx context.Context, q directory.Execer, kg, groupID int64) ([]Followup, error) {
	where, args := `f.kindergarten_id = $1 AND f.group_id IS NULL`, []any{kg}
	if groupID != 0 {
		where, args = `f.kindergarten_id = $1 AND f.group_id = $2`, []any{kg, groupID}
	}
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.message_id, f.person_id, p.name, f.kind, f.language, f.dialect, f.created_at
		FROM followups f JOIN people p ON p.id = f.person_id WHERE `+where+` AND f.done_at IS NULL ORDER BY f.created_at, f.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Followup
	for rows.Next() {
		var f Followup
		if err := rows.Scan(&f.ID, &f.MessageID, &f.PersonID, &f.PersonName, &f.Kind, &f.Language, &f.Dialect, &f.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CloseFollowup marks a follow-up done.
func CloseFollowup(ctx context.Context, x directory.Execer, id, by int64) error {
	_, err := x.ExecContext(ctx, `UPDATE followups SET done_at = $1, done_by = $2 WHERE id = $3 AND done_at IS NULL`, db.Now(), by, id)
	return err
}
