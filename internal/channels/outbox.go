package channels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"tillit/internal/db"
)

// Statuses of a row in sms_outbox.
const (
	StatusQueued   = "queued"
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusRecorded = "recorded"
)

// Outbox is the default SMS provider, which sends nothing and records each
// message in sms_outbox with status "recorded", and the transactional
// outbox through which real providers are used: Queue stores a message
// in the caller's transaction, Deliver sends it later and retries
// temporary failures.
type Outbox struct {
	db *db.DB
	// Now is the clock (tests set it).
	Now func() time.Time
	// MaxAttempts is how often Deliver tries one message before marking it
	// failed; default 6.
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt (n from 1);
	// default 1, 2, 4, 8... minutes, at most an hour.
	Backoff func(n int) time.Duration
	// Lease is how long a message being delivered is hidden from Due, so
	// that two workers do not send it twice; default 5 minutes.
	Lease time.Duration
	// Log receives one line per delivery, without phone numbers or text.
	Log *slog.Logger
}

// NewOutbox returns an Outbox on d with the defaults.
func NewOutbox(d *db.DB) *Outbox {
	return &Outbox{
		db:          d,
		Now:         time.Now,
		MaxAttempts: 6,
		Backoff:     DefaultBackoff,
		Lease:       5 * time.Minute,
		Log:         slog.Default(),
	}
}

// DefaultBackoff waits 1, 2, 4, 8... minutes after the n-th failure, at
// most an hour.
func DefaultBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// Name is "outbox".
func (o *Outbox) Name() string { return "outbox" }

// Querier is a *sql.Tx or a *sql.DB.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Send records m as sent by the outbox (status "recorded") and returns its
// id ("OB" and 32 hex digits). Nothing leaves the server.
func (o *Outbox) Send(ctx context.Context, m SMS) (string, error) {
	if err := validateSMS("outbox", m); err != nil {
		return "", err
	}
	pid := newOutboxID()
	now := o.Now().Unix()
	_, err := o.db.W.ExecContext(ctx, `INSERT INTO sms_outbox (to_phone, body, provider, provider_id, status, created_at, sent_at, message_ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.To, m.Body, o.Name(), pid, StatusRecorded, now, now, m.Ref)
	if err != nil {
		return "", &SendError{Channel: "outbox", Op: "insert", Temporary: true, Err: err}
	}
	return pid, nil
}

func newOutboxID() string { return "OB" + randomHex(16) }

// Queue stores m with status "queued", due at once, through q (the
// caller's transaction, so the message is stored with whatever caused it
// or not at all), and returns its row id.
func (o *Outbox) Queue(ctx context.Context, q Querier, m SMS) (int64, error) {
	if err := validateSMS("outbox", m); err != nil {
		return 0, err
	}
	now := o.Now().Unix()
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO sms_outbox (to_phone, body, status, next_attempt_at, created_at, message_ref)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.To, m.Body, StatusQueued, now, now, m.Ref).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("queue sms: %w", err)
	}
	return id, nil
}

// queueBatch is how many rows one INSERT of QueueMany writes: 6
// parameters a row stays far below both databases' parameter limits.
const queueBatch = 200

// QueueMany stores many messages like Queue, with multi-row INSERTs (an
// announcement to a whole kindergarten). Either all are valid and stored
// or none is stored and the first invalid one is reported; within the
// caller's transaction the inserts are all-or-nothing as well.
func (o *Outbox) QueueMany(ctx context.Context, q Querier, ms []SMS) error {
	for i, m := range ms {
		if err := validateSMS("outbox", m); err != nil {
			return fmt.Errorf("sms %d: %w", i, err)
		}
	}
	now := o.Now().Unix()
	for start := 0; start < len(ms); start += queueBatch {
		chunk := ms[start:min(start+queueBatch, len(ms))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO sms_outbox (to_phone, body, status, next_attempt_at, created_at, message_ref) VALUES `)
		args := make([]any, 0, 6*len(chunk))
		for i, m := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
			args = append(args, m.To, m.Body, StatusQueued, now, now, m.Ref)
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("queue sms: %w", err)
		}
	}
	return nil
}

// Due returns the ids of up to limit queued messages whose time has come,
// oldest first.
func (o *Outbox) Due(ctx context.Context, limit int) ([]int64, error) {
	rows, err := o.db.R.QueryContext(ctx, `SELECT id FROM sms_outbox WHERE status = $1 AND next_attempt_at <= $2
		ORDER BY next_attempt_at, id LIMIT $3`, StatusQueued, o.Now().Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("due sms: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due sms: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ErrNotDue is returned by Deliver for a message that is not queued, not
// yet due, or being delivered by another worker.
var ErrNotDue = errors.New("sms is not queued or not due")

// Deliver sends the queued message id through p and records the outcome:
// "sent" with p's id; "recorded" when p is an Outbox (nothing is sent);
// on a temporary error the message stays queued until the backoff has
// passed (or the gateway's Retry-After, if longer) and the error is
// returned; on a permanent error, or a temporary one at the last attempt,
// it is marked "failed" and the error returned.
func (o *Outbox) Deliver(ctx context.Context, p SMSProvider, id int64) error {
	now := o.Now()
	// Claim: push next_attempt_at past the lease, so Due no longer offers
	// the row while this attempt runs, and count the attempt.
	res, err := o.db.W.ExecContext(ctx, `UPDATE sms_outbox SET attempts = attempts + 1, next_attempt_at = $1
		WHERE id = $2 AND status = $3 AND next_attempt_at <= $4`, now.Add(o.Lease).Unix(), id, StatusQueued, now.Unix())
	if err != nil {
		return fmt.Errorf("claim sms %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("claim sms %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("sms %d: %w", id, ErrNotDue)
	}
	var m SMS
	var attempts int
	if err := o.db.W.QueryRowContext(ctx, `SELECT to_phone, body, message_ref, attempts FROM sms_outbox WHERE id = $1`, id).
		Scan(&m.To, &m.Body, &m.Ref, &attempts); err != nil {
		return fmt.Errorf("load sms %d: %w", id, err)
	}
	// The outcome is written even if ctx is cancelled meanwhile: a message
	// a provider accepted must not be sent again.
	wctx := context.WithoutCancel(ctx)
	log := o.Log.With(slog.Int64("sms", id), slog.String("provider", p.Name()), slog.Int("attempt", attempts))

	if _, ok := p.(*Outbox); ok {
		_, err := o.db.W.ExecContext(wctx, `UPDATE sms_outbox SET status = $1, provider = $2, provider_id = $3, sent_at = $4, error = ''
			WHERE id = $5`, StatusRecorded, p.Name(), newOutboxID(), o.Now().Unix(), id)
		if err != nil {
			return fmt.Errorf("record sms %d: %w", id, err)
		}
		log.LogAttrs(ctx, slog.LevelInfo, "sms recorded")
		return nil
	}

	pid, sendErr := p.Send(ctx, m)
	if sendErr == nil {
		_, err := o.db.W.ExecContext(wctx, `UPDATE sms_outbox SET status = $1, provider = $2, provider_id = $3, sent_at = $4, error = ''
			WHERE id = $5`, StatusSent, p.Name(), pid, o.Now().Unix(), id)
		if err != nil {
			return fmt.Errorf("mark sms %d sent: %w", id, err)
		}
		log.LogAttrs(ctx, slog.LevelInfo, "sms sent", slog.String("provider_id", pid))
		return nil
	}

	var se *SendError
	errors.As(sendErr, &se)
	code, retryAfter := 0, time.Duration(0)
	if se != nil {
		code, retryAfter = se.Code, se.RetryAfter
	}
	msg := truncate(sendErr.Error(), 500)
	if IsTemporary(sendErr) && attempts < o.MaxAttempts {
		wait := max(o.Backoff(attempts), retryAfter)
		_, err := o.db.W.ExecContext(wctx, `UPDATE sms_outbox SET error = $1, provider = $2, next_attempt_at = $3 WHERE id = $4`,
			msg, p.Name(), o.Now().Add(wait).Unix(), id)
		if err != nil {
			return errors.Join(sendErr, fmt.Errorf("reschedule sms %d: %w", id, err))
		}
		log.LogAttrs(ctx, slog.LevelWarn, "sms send failed, will retry", slog.Int("code", code), slog.Duration("wait", wait))
		return sendErr
	}
	_, err = o.db.W.ExecContext(wctx, `UPDATE sms_outbox SET status = $1, error = $2, provider = $3 WHERE id = $4`,
		StatusFailed, msg, p.Name(), id)
	if err != nil {
		return errors.Join(sendErr, fmt.Errorf("mark sms %d failed: %w", id, err))
	}
	log.LogAttrs(ctx, slog.LevelWarn, "sms send failed for good", slog.Int("code", code), slog.Bool("temporary", IsTemporary(sendErr)))
	return sendErr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// SMSRecord is one row of sms_outbox.
type SMSRecord struct {
	ID            int64
	To            string
	Body          string
	Provider      string
	ProviderID    string
	Status        string
	Error         string
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	// SentAt is zero until the message was sent or recorded.
	SentAt     time.Time
	MessageRef string
}

const recordColumns = `id, to_phone, body, provider, provider_id, status, error, attempts, next_attempt_at, created_at, sent_at, message_ref`

func scanRecord(s interface{ Scan(...any) error }) (SMSRecord, error) {
	var r SMSRecord
	var next, created int64
	var sent sql.NullInt64
	err := s.Scan(&r.ID, &r.To, &r.Body, &r.Provider, &r.ProviderID, &r.Status, &r.Error, &r.Attempts, &next, &created, &sent, &r.MessageRef)
	if err != nil {
		return r, err
	}
	r.NextAttemptAt = time.Unix(next, 0)
	r.CreatedAt = time.Unix(created, 0)
	if sent.Valid {
		r.SentAt = time.Unix(sent.Int64, 0)
	}
	return r, nil
}

// Get returns the row id, or db.ErrNotFound.
func (o *Outbox) Get(ctx context.Context, id int64) (SMSRecord, error) {
	r, err := scanRecord(o.db.R.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM sms_outbox WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, db.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("get sms %d: %w", id, err)
	}
	return r, nil
}

// Recent returns the last limit rows, newest first (for a demo or an
// operator's page showing what the outbox recorded).
func (o *Outbox) Recent(ctx context.Context, limit int) ([]SMSRecord, error) {
	rows, err := o.db.R.QueryContext(ctx, `SELECT `+recordColumns+` FROM sms_outbox ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent sms: %w", err)
	}
	defer rows.Close()
	var out []SMSRecord
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("recent sms: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestTo returns the newest message sent or recorded to phone (E.164),
// or db.ErrNotFound: the candidate an inbound reply from that phone
// answers. Deciding whether it really does is the messaging feature's job.
func (o *Outbox) LatestTo(ctx context.Context, phone string) (SMSRecord, error) {
	r, err := scanRecord(o.db.R.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM sms_outbox
		WHERE to_phone = $1 AND status IN ($2, $3) ORDER BY id DESC LIMIT 1`, phone, StatusSent, StatusRecorded))
	if errors.Is(err, sql.ErrNoRows) {
		return r, db.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("latest sms: %w", err)
	}
	return r, nil
}
