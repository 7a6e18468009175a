package web

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"
)

// ServeUpload serves a file someone uploaded (from the media store) with
// the content type decided when it was checked, never sniffed by the
// browser and never run: a sandboxing Content-Security-Policy, and
// same-origin only. Range requests work (audio players need them). The
// file's name never changes, so browsers may keep it, privately, for a
// day. A file that is missing on disk answers 404 and is logged.
func (c *Ctx) ServeUpload(store interface {
	Open(string) (*os.File, error)
}, file, contentType, downloadName string, created int64) error {
	f, err := store.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			c.Env.Log.Error("upload missing from the media store", "route", c.R.Pattern)
			return ErrNotFound
		}
		return err
	}
	defer f.Close()
	h := c.W.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", strconv.Quote(file))
	h.Set("Content-Disposition", `inline; filename="`+downloadName+`"`)
	http.ServeContent(c.W, c.R, "", time.Unix(created, 0), f)
	return nil
}
