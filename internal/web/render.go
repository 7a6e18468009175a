package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"tillit/internal/i18n"
)

//go:embed templates/*.html
var layoutFS embed.FS

// Page is what every template gets as its dot.
type Page struct {
	Title string
	Data  any
	// Errors maps a form field to an i18n key of its problem; Notice is a
	// key of a confirmation shown at the top.
	Errors map[string]string
	Notice string
	// Form holds submitted values to show again after an error, so that
	// nothing typed is lost.
	Form map[string]string

	c *Ctx
}

// T translates in the reader's language.
func (p *Page) T(key string, args ...any) string { return p.c.T(key, args...) }

// Lang and Dir go on <html>.
func (p *Page) Lang() string { return p.c.L.Lang.Code }
func (p *Page) Dir() string  { return p.c.L.Dir() }

// Person is the signed-in person (nil when anonymous).
func (p *Page) Person() *Person { return p.c.Person }

// IsStaff, IsGuardian pick the navigation.
func (p *Page) IsStaff() bool    { return p.c.Actor.IsStaff() }
func (p *Page) IsGuardian() bool { return p.c.Actor.IsGuardian() }

// Demo is true on the demo server.
func (p *Page) Demo() bool { return p.c.Env.Demo }

// Path is the current path, for the language switcher's return.
// On a GET it keeps the query, so that switching language on a
// composed preview keeps what was chosen.
func (p *Page) Path() string {
	if p.c.R.Method == http.MethodGet {
		return p.c.R.URL.RequestURI()
	}
	return p.c.R.URL.Path
}

// Languages are the launch languages for the switcher.
func (p *Page) Languages() []i18n.Language { return i18n.Languages }

// Date, DateTime and Time format in Europe/Oslo for the reader.
func (p *Page) Date(t time.Time) string      { return p.c.L.Date(t) }
func (p *Page) ShortDate(t time.Time) string { return p.c.L.ShortDate(t) }
func (p *Page) DateTime(t time.Time) string  { return p.c.L.DateTime(t) }

// Err returns the translated problem of a field ("" if none).
func (p *Page) Err(field string) string {
	if k := p.Errors[field]; k != "" {
		return p.c.T(k)
	}
	return ""
}

// Value returns the submitted value of a field.
func (p *Page) Value(field string) string { return p.Form[field] }

// Static is the URL of a static file with its content hash.
func (p *Page) Static(name string) string { return StaticURL(name) }

// Templates are a feature's pages, each parsed once together with the
// layout and the shared partials. A page file NAME.html defines "main"
// (and may define "title"); files whose names start with "_" are partials
// parsed into every page of the feature.
type Templates struct{ pages map[string]*template.Template }

var funcs = template.FuncMap{
	"list": func(v ...any) []any { return v },
	"join": strings.Join,
}

// MustTemplates parses every *.html of fsys's directory dir (nil fsys:
// only the shared pages of this package).
func MustTemplates(fsys fs.FS, dir string) *Templates {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(layoutFS, "templates/*.html"))
	ts := &Templates{pages: map[string]*template.Template{}}
	if fsys == nil {
		fsys, dir = layoutFS, "templates"
	}
	names, err := fs.Glob(fsys, dir+"/*.html")
	if err != nil {
		panic(err)
	}
	var partials []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			partials = append(partials, n)
		}
	}
	for _, n := range names {
		pn := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(pn, "_") || pn == "layout" {
			continue
		}
		t := template.Must(base.Clone())
		if len(partials) > 0 {
			t = template.Must(t.ParseFS(fsys, partials...))
		}
		ts.pages[pn] = template.Must(t.ParseFS(fsys, n))
	}
	return ts
}

// Render writes the page template name inside the layout. It executes
// into a buffer first, so a failing template sends a clean error, not
// half a page.
func (c *Ctx) Render(status int, ts *Templates, name string, page *Page) {
	page.c = c
	t := ts.pages[name]
	var buf bytes.Buffer
	err := errors.New("no such page template")
	if t != nil {
		err = t.ExecuteTemplate(&buf, "layout", page)
	}
	if err != nil {
		c.Env.Log.Error("template", "name", name, "err", err)
		http.Error(c.W, "template error", http.StatusInternalServerError)
		return
	}
	h := c.W.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.W.WriteHeader(status)
	c.W.Write(buf.Bytes())
}

// JSON writes v as JSON.
func (c *Ctx) JSON(status int, v any) error {
	c.W.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.W.Header().Set("Cache-Control", "no-store")
	c.W.WriteHeader(status)
	return json.NewEncoder(c.W).Encode(v)
}

// IsAPI reports whether the request is to the JSON API.
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
