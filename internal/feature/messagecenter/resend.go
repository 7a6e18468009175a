package messagecenter

import (
	"database/sql"
	"net/url"
	"strconv"
	"time"

	"tillit/internal/db"
	"tillit/internal/messaging"
	"tillit/internal/notify"
	"tillit/internal/web"
)

// ResendWindow is how long after an SMS about a message another SMS about
// the same message to the same person is not queued: a second tap on
// "resend" must not flood a family's phone.
const ResendWindow = time.Hour

// Resend queues an SMS notification about message {id} to every
// recipient who has not read it or answered "I have a question" / "I need
// an interpreter", and who has a phone number. The SMS is written by the
// notification worker: "something new from the kindergarten", the link and
// the reply codes — never the message text. The router has checked that
// the actor is staff of the message's group.
func Resend(c *web.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Context()
	var category string
	var fromStaff bool
	err = c.Env.DB.R.QueryRowContext(ctx, `SELECT category, from_staff FROM messages WHERE id = $1`, id).Scan(&category, &fromStaff)
	if err == sql.ErrNoRows || (err == nil && !fromStaff) {
		// Only what staff wrote is followed up this way.
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	now := db.Now()
	queued := 0
	err = c.Env.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Recipients who need it and can be reached by SMS. A guardian of
		// the thread's child who has since lost access to information
		// is left out.
		rows, err := tx.QueryContext(ctx, `SELECT r.person_id FROM receipts r
			JOIN people p ON p.id = r.person_id
			JOIN messages m ON m.id = r.message_id JOIN threads t ON t.id = m.thread_id
			WHERE r.message_id = $1 AND p.phone <> ''
			AND (r.read_at IS NULL OR r.answer IN ('question', 'interpreter'))
			AND NOT EXISTS (SELECT 1 FROM guardianships g WHERE t.child_id IS NOT NULL AND g.child_id = t.child_id AND g.person_id = r.person_id AND g.no_information)
			ORDER BY r.person_id`, id)
		if err != nil {
			return err
		}
		var people []int64
		for rows.Next() {
			var p int64
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return err
			}
			people = append(people, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		since := now - int64(ResendWindow/time.Second)
		for _, p := range people {
			// Not again while one is waiting, nor within the hour after one
			// was queued or handed to the gateway.
			var recent int
			if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM notifications WHERE message_id = $1 AND person_id = $2 AND channel = 'sms'
					AND (status = 'queued' OR (status = 'sent' AND created_at >= $3)))
				+ (SELECT COUNT(*) FROM sms_outbox WHERE message_ref = $4 AND created_at >= $3)`,
				id, p, since, notify.ReceiptRef(id, p)).Scan(&recent); err != nil {
				return err
			}
			if recent > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (person_id, message_id, channel, urgent, status, next_attempt_at, created_at)
				VALUES ($1, $2, 'sms', $3, 'queued', $4, $4)`, p, id, category == messaging.Urgent, now); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Env.Log.Info("sms resend queued", "message", id, "count", queued, "by", c.Actor.PersonID)
	return c.Redirect("/messages/" + strconv.FormatInt(id, 10) + "/receipts?resent=" + strconv.Itoa(queued))
}

// Resent reads ?resent=N from the receipts page's address (Page.Path on
// a GET): -1 when the page was not reached from Resend.
func (d *receiptsData) Resent(requestURI string) int {
	u, err := url.Parse(requestURI)
	if err != nil {
		return -1
	}
	v := u.Query().Get("resent")
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1000000 {
		return -1
	}
	return n
}

// CanResend is true when at least one recipient who has not read the
// message or did not understand it has a phone number.
func (d *receiptsData) CanResend() bool {
	for _, r := range d.Rows {
		if (r.Unread || r.NeedsHelp) && r.Phone != "" {
			return true
		}
	}
	return false
}
