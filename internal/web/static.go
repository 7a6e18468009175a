package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

type staticFile struct {
	body  []byte
	hash  string
	ctype string
}

var static = func() map[string]staticFile {
	m := map[string]staticFile{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		h := sha256.Sum256(b)
		ct := "application/octet-stream"
		switch path.Ext(p) {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		}
		m[strings.TrimPrefix(p, "static/")] = staticFile{b, hex.EncodeToString(h[:])[:12], ct}
		return nil
	})
	return m
}()

// StaticURL names a static file with its hash, so it can be cached for ever.
func StaticURL(name string) string { return "/static/" + static[name].hash + "/" + name }

// StaticFiles lists the static files and their sizes (for budget tests).
func StaticFiles() map[string][]byte {
	out := map[string][]byte{}
	for n, f := range static {
		out[n] = f.body
	}
	return out
}

// ServeStatic serves /static/{hash}/{name}.
func ServeStatic(c *Ctx) error {
	f, ok := static[c.R.PathValue("name")]
	if !ok {
		return ErrNotFound
	}
	h := c.W.Header()
	h.Set("Content-Type", f.ctype)
	if c.R.PathValue("hash") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(c.W, c.R, "", startTime, strings.NewReader(string(f.body)))
	return nil
}
