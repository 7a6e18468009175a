package auth

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tillit/internal/db"
)

// Session timeouts. Staff share tablets, so their sessions end sooner;
// parents sign in on their own phone and should not have to type a
// password every day.
var (
	StaffIdle        = 2 * time.Hour
	StaffAbsolute    = 12 * time.Hour
	GuardianIdle     = 14 * 24 * time.Hour
	GuardianAbsolute = 60 * 24 * time.Hour
)

// Session is a signed-in browser or API client. The secret token lives
// only in the cookie; the database keeps its hash.
type Session struct {
	IDHash     string
	PersonID   int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	Method     string
}

// CreateSession starts a session and returns the cookie token.
func CreateSession(ctx context.Context, d *db.DB, personID int64, staff bool, userAgent, method string) (string, error) {
	idle, abs := GuardianIdle, GuardianAbsolute
	if staff {
		idle, abs = StaffIdle, StaffAbsolute
	}
	token := NewToken()
	now := time.Now()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	_, err := d.W.ExecContext(ctx, `INSERT INTO sessions (id_hash, person_id, created_at, last_seen_at, expires_at, idle_seconds, user_agent, method)
		VALUES ($1, $2, $3, $3, $4, $5, $6, $7)`,
		Hash(token), personID, now.Unix(), now.Add(abs).Unix(), int64(idle/time.Second), strings.ToValidUTF8(userAgent, ""), method)
	return token, err
}

// LookupSession returns the live session for a cookie token, or
// db.ErrNotFound. It ends sessions past their idle or absolute timeout and
// records activity at most once a minute.
func LookupSession(ctx context.Context, d *db.DB, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, db.ErrNotFound
	}
	h := Hash(token)
	var s Session
	var created, seen, expires, idle int64
	err := d.R.QueryRowContext(ctx, `SELECT id_hash, person_id, created_at, last_seen_at, expires_at, idle_seconds, user_agent, method FROM sessions WHERE id_hash = $1`, h).
		Scan(&s.IDHash, &s.PersonID, &created, &seen, &expires, &idle, &s.UserAgent, &s.Method)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	if now >= expires || now-seen >= idle {
		d.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, h)
		return nil, db.ErrNotFound
	}
	if now-seen >= 60 {
		if _, err := d.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, now, h); err != nil {
			return nil, err
		}
		seen = now
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(expires, 0)
	return &s, nil
}

// EndSession ends the session with this cookie token.
func EndSession(ctx context.Context, d *db.DB, token string) error {
	_, err := d.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, Hash(token))
	return err
}

// EndPersonSession ends one of a person's sessions by its hash; it
// reports false when there is no such session of that person.
func EndPersonSession(ctx context.Context, d *db.DB, personID int64, idHash string) (bool, error) {
	res, err := d.W.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1 AND person_id = $2`, idHash, personID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// EndAllSessions ends every session of a person except keepHash (used
// when the password changes).
func EndAllSessions(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, personID int64, keepHash string) error {
	_, err := x.ExecContext(ctx, `DELETE FROM sessions WHERE person_id = $1 AND id_hash <> $2`, personID, keepHash)
	return err
}

// ListSessions lists a person's live sessions, newest activity first.
func ListSessions(ctx context.Context, d *db.DB, personID int64) ([]Session, error) {
	now := time.Now().Unix()
	rows, err := d.R.QueryContext(ctx, `SELECT id_hash, created_at, last_seen_at, expires_at, user_agent, method FROM sessions
		WHERE person_id = $1 AND expires_at > $2 AND last_seen_at + idle_seconds > $2 ORDER BY last_seen_at DESC`, personID, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s := Session{PersonID: personID}
		var c, l, e int64
		if err := rows.Scan(&s.IDHash, &c, &l, &e, &s.UserAgent, &s.Method); err != nil {
			return nil, err
		}
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.Unix(c, 0), time.Unix(l, 0), time.Unix(e, 0)
		out = append(out, s)
	}
	return out, rows.Err()
}
