package web

import "tillit/internal/auth"

// StartSession signs a person in: any session of this browser ends and a
// new session id is issued (no fixation).
func (c *Ctx) StartSession(personID int64, method string) error {
	ctx := c.Context()
	if c.SessionToken != "" {
		auth.EndSession(ctx, c.Env.DB, c.SessionToken)
	}
	var staff int
	if err := c.Env.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_roles WHERE person_id = $1`, personID).Scan(&staff); err != nil {
		return err
	}
	token, err := auth.CreateSession(ctx, c.Env.DB, personID, staff > 0, c.R.UserAgent(), method)
	if err != nil {
		return err
	}
	c.SetCookie(SessionCookie, token, 0)
	c.ClearCookie(LangCookie)
	return nil
}
