package auth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"tillit/internal/db"
)

// InvitationTTL is how long an invitation can be accepted.
var InvitationTTL = 14 * 24 * time.Hour

// Invitation errors; each is also an i18n key's last part.
var (
	ErrInvitationUnknown  = errors.New("invitation_unknown")
	ErrInvitationExpired  = errors.New("invitation_expired")
	ErrInvitationAccepted = errors.New("invitation_accepted")
	ErrLoginTaken         = errors.New("login_taken")
)

// NewInvitation holds the secrets of a fresh invitation: they are shown
// once (link, code and QR code) and only their hashes are stored.
type NewInvitation struct {
	ID    int64
	Token string
	Code  string
}

// CreateInvitation invites person to kindergarten kg. Any earlier,
// unaccepted invitation of the same person there is replaced, so only the
// newest link and code work.
func CreateInvitation(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, person, kg, createdBy int64) (*NewInvitation, error) {
	if _, err := x.ExecContext(ctx, `DELETE FROM invitations WHERE person_id = $1 AND kindergarten_id = $2 AND accepted_at IS NULL`, person, kg); err != nil {
		return nil, err
	}
	inv := &NewInvitation{Token: NewToken(), Code: NewCode()}
	var by any
	if createdBy != 0 {
		by = createdBy
	}
	now := time.Now()
	err := x.QueryRowContext(ctx, `INSERT INTO invitations (person_id, kindergarten_id, token_hash, code_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		person, kg, Hash(inv.Token), Hash(inv.Code), by, now.Unix(), now.Add(InvitationTTL).Unix()).Scan(&inv.ID)
	return inv, err
}

// Invitation is a stored invitation as the acceptance page needs it.
type Invitation struct {
	ID               int64
	PersonID         int64
	PersonName       string
	Email            string
	KindergartenName string
	UILanguage       string
	ExpiresAt        time.Time
}

// FindInvitation finds an open invitation by its link token or its code.
func FindInvitation(ctx context.Context, d *db.DB, tokenOrCode string) (*Invitation, error) {
	t := strings.TrimSpace(tokenOrCode)
	if t == "" || len(t) > 100 {
		return nil, ErrInvitationUnknown
	}
	h := Hash(t)
	hc := Hash(NormalizeCode(t))
	var inv Invitation
	var expires int64
	var accepted sql.NullInt64
	err := d.R.QueryRowContext(ctx, `SELECT i.id, i.person_id, p.name, p.email, k.name, p.ui_language, i.expires_at, i.accepted_at
		FROM invitations i JOIN people p ON p.id = i.person_id JOIN kindergartens k ON k.id = i.kindergarten_id
		WHERE i.token_hash = $1 OR i.code_hash = $2`, h, hc).
		Scan(&inv.ID, &inv.PersonID, &inv.PersonName, &inv.Email, &inv.KindergartenName, &inv.UILanguage, &expires, &accepted)
	if err == sql.ErrNoRows {
		return nil, ErrInvitationUnknown
	}
	if err != nil {
		return nil, err
	}
	if accepted.Valid {
		return nil, ErrInvitationAccepted
	}
	inv.ExpiresAt = time.Unix(expires, 0)
	if time.Now().After(inv.ExpiresAt) {
		return nil, ErrInvitationExpired
	}
	return &inv, nil
}

// AcceptInvitation sets the person's login and password and marks the
// invitation used, in one transaction: accepting twice fails the second
// time, and nothing changes when the login is taken.
func AcceptInvitation(ctx context.Context, d *db.DB, invID int64, login, password string) (personID int64, err error) {
	hash, err := HashPassword(password)
	if err != nil {
		return 0, err
	}
	login = strings.ToLower(strings.TrimSpace(login))
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		var expires int64
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND expires_at > $1`, db.Now(), invID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInvitationAccepted
		}
		if err := tx.QueryRowContext(ctx, `SELECT person_id, expires_at FROM invitations WHERE id = $1`, invID).Scan(&personID, &expires); err != nil {
			return err
		}
		// An invitation never replaces an existing account's login and
		// password: whoever holds a code must not take over an account.
		var existing sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT login FROM people WHERE id = $1`, personID).Scan(&existing); err != nil {
			return err
		}
		if existing.Valid && existing.String != "" {
			return ErrInvitationAccepted
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE login = $1 AND id <> $2`, login, personID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrLoginTaken
		}
		_, err = tx.ExecContext(ctx, `UPDATE people SET login = $1, password_hash = $2 WHERE id = $3`, login, hash, personID)
		return err
	})
	return personID, err
}

// VerifyLogin checks a login and password and returns the person id.
// It takes as long for an unknown login as for a wrong password.
func VerifyLogin(ctx context.Context, d *db.DB, login, password string) (int64, bool, error) {
	var id int64
	var hash string
	err := d.R.QueryRowContext(ctx, `SELECT id, password_hash FROM people WHERE login = $1`, strings.ToLower(strings.TrimSpace(login))).Scan(&id, &hash)
	if err == sql.ErrNoRows {
		VerifyPassword("", password)
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return id, VerifyPassword(hash, password), nil
}

// RenewInvitation gives open invitation id a new link, code and expiry,
// keeping its id; the old secrets stop working.
func RenewInvitation(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, id int64) (*NewInvitation, error) {
	inv := &NewInvitation{ID: id, Token: NewToken(), Code: NewCode()}
	now := time.Now()
	res, err := x.ExecContext(ctx, `UPDATE invitations SET token_hash = $1, code_hash = $2, created_at = $3, expires_at = $4 WHERE id = $5 AND accepted_at IS NULL`,
		Hash(inv.Token), Hash(inv.Code), now.Unix(), now.Add(InvitationTTL).Unix(), id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrInvitationAccepted
	}
	return inv, nil
}
