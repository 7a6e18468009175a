// Package attachments serves the pictures and voice messages of
// messages. The router has checked policy.AttachmentView: only people
// who see the message get the file; everyone else gets the same 404 as
// for a file that does not exist.
package attachments

import (
	"database/sql"
	"strconv"

	"tillit/internal/media"
	"tillit/internal/web"
)

// Get serves GET /attachments/{id}.
func Get(c *web.Ctx) error {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return web.ErrNotFound
	}
	var kind, ct, file string
	var created int64
	err = c.Env.DB.R.QueryRowContext(c.Context(), `SELECT kind, content_type, file, created_at FROM attachments WHERE id = $1`, id).
		Scan(&kind, &ct, &file, &created)
	if err == sql.ErrNoRows {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	return c.ServeUpload(c.Env.Files, file, ct, kind+"-"+strconv.FormatInt(id, 10)+media.Extension(ct), created)
}
