package policy

import (
	"context"
	"database/sql"
)

// thread reads what the rules need of a thread.
func thread(ctx context.Context, q *sql.DB, id int64) (org, kg, group, child, guardian int64, kind string, ok bool, err error) {
	var g, c, p sql.NullInt64
	ok, err = scan(ctx, q, `SELECT k.organisation_id, k.id, t.group_id, t.child_id, t.guardian_id, t.kind
		FROM threads t JOIN kindergartens k ON k.id = t.kindergarten_id WHERE t.id = $1`, []any{id}, &org, &kg, &g, &c, &p, &kind)
	return org, kg, g.Int64, c.Int64, p.Int64, kind, ok, err
}

// seesThread: staff of the thread's group (the whole kindergarten for a
// kindergarten-wide announcement); a guardian with parental
// responsibility who still sees the child (child thread), the guardian of
// a private thread, or a guardian who received the announcement.
func seesThread(ctx context.Context, q *sql.DB, a *Actor, id int64) (bool, error) {
	org, kg, group, child, guardian, kind, ok, err := thread(ctx, q, id)
	if !ok || err != nil || a == nil {
		return false, err
	}
	if kind == "announcement" && group == 0 {
		if a.WorksIn(org, kg) {
			return true, nil
		}
	} else if a.StaffOfGroup(org, kg, group) {
		return true, nil
	}
	switch kind {
	case "child":
		// The shared thread is for guardians with parental
		// responsibility; the others talk to staff in a private thread.
		l, linked := a.Links[child]
		return linked && !l.NoInformation && l.ParentalResponsibility, nil
	case "private":
		l, linked := a.Links[child]
		return linked && !l.NoInformation && guardian == a.PersonID, nil
	}
	var n int
	return scan(ctx, q, `SELECT 1 FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.thread_id = $1 AND r.person_id = $2 LIMIT 1`, []any{id, a.PersonID}, &n)
}

// staffOfThread: staff of the thread's group; anyone working in the
// kindergarten for a kindergarten-wide announcement.
func staffOfThread(ctx context.Context, q *sql.DB, a *Actor, threadID int64) (bool, error) {
	org, kg, group, _, _, kind, ok, err := thread(ctx, q, threadID)
	if !ok || err != nil {
		return false, err
	}
	if kind == "announcement" && group == 0 {
		return a.WorksIn(org, kg), nil
	}
	return a.StaffOfGroup(org, kg, group), nil
}

// SeesMessage: staff of the message's thread see every message of it; a
// guardian sees the messages they received (a receipt) and the ones
// they wrote, while they may still see the thread.
func SeesMessage(ctx context.Context, q *sql.DB, a *Actor, msg int64) (bool, error) {
	if a == nil {
		return false, nil
	}
	var threadID, author int64
	ok, err := scan(ctx, q, `SELECT m.thread_id, COALESCE(m.author_id, 0) FROM messages m WHERE m.id = $1`, []any{msg}, &threadID, &author)
	if !ok || err != nil {
		return false, err
	}
	if staff, err := staffOfThread(ctx, q, a, threadID); staff || err != nil {
		return staff, err
	}
	if author != a.PersonID {
		var n int
		if ok, err := scan(ctx, q, `SELECT 1 FROM receipts WHERE message_id = $1 AND person_id = $2`, []any{msg, a.PersonID}, &n); !ok || err != nil {
			return false, err
		}
	}
	return seesThread(ctx, q, a, threadID)
}

// Messaging permissions.
var (
	// ThreadView: may read and write in thread {id}.
	ThreadView = Permission{Name: "in thread {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		return seesThread(ctx, q, a, id(pv, "id"))
	}}

	// MessageRecipient: received message {id} and still sees its thread.
	MessageRecipient = Permission{Name: "recipient of message {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var thread int64
		ok, err := scan(ctx, q, `SELECT m.thread_id FROM receipts r JOIN messages m ON m.id = r.message_id WHERE r.message_id = $1 AND r.person_id = $2`, []any{id(pv, "id"), a.PersonID}, &thread)
		if !ok || err != nil {
			return false, err
		}
		return seesThread(ctx, q, a, thread)
	}}

	// MessageStaff: staff of the group of message {id}'s thread.
	MessageStaff = Permission{Name: "staff of message {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var threadID int64
		ok, err := scan(ctx, q, `SELECT thread_id FROM messages WHERE id = $1`, []any{id(pv, "id")}, &threadID)
		if !ok || err != nil {
			return false, err
		}
		return staffOfThread(ctx, q, a, threadID)
	}}

	// AttachmentView: sees the message attachment {id} belongs to — staff
	// of its thread, the guardian who wrote it, a guardian who received
	// it — while they may still see the thread.
	AttachmentView = Permission{Name: "sees the message of attachment {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var msg int64
		ok, err := scan(ctx, q, `SELECT message_id FROM attachments WHERE id = $1`, []any{id(pv, "id")}, &msg)
		if !ok || err != nil {
			return false, err
		}
		return SeesMessage(ctx, q, a, msg)
	}}

	// FollowupStaff: staff of follow-up {id}'s group.
	FollowupStaff = Permission{Name: "staff of follow-up {id}", SignedIn: true, check: func(ctx context.Context, q *sql.DB, a *Actor, pv PathValue) (bool, error) {
		var org, kg int64
		var group sql.NullInt64
		ok, err := scan(ctx, q, `SELECT k.organisation_id, k.id, f.group_id FROM followups f JOIN kindergartens k ON k.id = f.kindergarten_id WHERE f.id = $1`, []any{id(pv, "id")}, &org, &kg, &group)
		if !ok || err != nil {
			return false, err
		}
		if !group.Valid {
			return a.AdminsKindergarten(org, kg), nil
		}
		return a.StaffOfGroup(org, kg, group.Int64), nil
	}}
)
