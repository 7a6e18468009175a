package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/smsinbound"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

// The authorization matrix: for every route, which roles may use it on
// an object of their own kindergarten ("own") and on one of the other
// organisation's kindergarten ("other"). Everyone else must get exactly
// what a missing object gets: 404 (or, when not signed in, the way to
// sign in). Roles are the fixture's logins plus "anon".
//
// A route missing here fails the test, and so does a row for a route
// that no longer exists.
var matrix = map[string]struct{ own, other string }{
	"GET /healthz":                                 {all, all},
	"GET /static/{hash}/{name}":                    {all, none},
	"GET /{$}":                                     {all, all},
	"POST /language":                               {all, all},
	"GET /login":                                   {all, all},
	"POST /login":                                  {all, all},
	"GET /invite":                                  {all, all},
	"POST /invite":                                 {all, all},
	"GET /invite/{token}":                          {all, none}, // other: an unknown token
	"POST /invite/{token}":                         {all, all},
	"POST /login/passkey/begin":                    {all, all},
	"POST /login/passkey/finish":                   {all, all},
	"POST /api/v1/login":                           {all, all},
	"POST /logout":                                 {signedIn, signedIn},
	"GET /api/v1/me":                               {signedIn, signedIn},
	"POST /api/v1/logout":                          {signedIn, signedIn},
	"GET /profile":                                 {signedIn, signedIn},
	"POST /profile":                                {signedIn, signedIn},
	"POST /profile/password":                       {signedIn, signedIn},
	"POST /profile/sessions/{id}/end":              {signedIn, none},
	"POST /profile/passkeys/begin":                 {signedIn, signedIn},
	"POST /profile/passkeys/finish":                {signedIn, signedIn},
	"POST /profile/passkeys/{id}/delete":           {signedIn, none},
	"GET /family":                                  {guardians, guardians},
	"GET /children/{id}":                           {"owner manager leader parent coparent", "othermanager otherparent"},
	"GET /groups":                                  {staff, staff},
	"GET /groups/{id}":                             {"owner manager leader", "othermanager"},
	"POST /children/{id}/guardians":                {"owner manager leader", "othermanager"},
	"GET /invitations/{id}":                        {"owner manager leader", "othermanager"},
	"POST /invitations/{id}/renew":                 {"owner manager leader", "othermanager"},
	"GET /sw.js":                                   {all, all},
	"POST /push/subscriptions":                     {signedIn, signedIn},
	"POST /push/subscriptions/delete":              {signedIn, signedIn},
	"POST /messages/{id}/translations/{lang}":      {"leader", "othermanager"},
	"POST /messages/{id}/resend":                   {"owner manager leader", "othermanager"},
	"POST /sms/inbound":                            {all, all},
	"GET /events":                                  {signedIn, signedIn},
	"GET /inbox":                                   {signedIn, signedIn},
	"GET /threads/{id}":                            {"owner manager leader parent", "othermanager otherparent"},
	"POST /threads/{id}/messages":                  {"owner manager leader parent", "othermanager otherparent"},
	"POST /messages/{id}/answer":                   {"parent", "otherparent"},
	"POST /children/{id}/messages":                 {"owner manager leader parent coparent", "othermanager otherparent"},
	"POST /children/{id}/guardians/{pid}/messages": {"owner manager leader", "othermanager"},
	"GET /groups/{id}/messages":                    {"owner manager leader", "othermanager"},
	"GET /groups/{id}/compose":                     {"owner manager leader", "othermanager"},
	"POST /groups/{id}/announcements":              {"owner manager leader", "othermanager"},
	"GET /messages/{id}/receipts":                  {"owner manager leader", "othermanager"},
	"POST /followups/{id}/done":                    {"owner manager leader", "othermanager"},
	"GET /k/{kg}/messages":                         {admins, "othermanager"},
	"GET /k/{kg}/compose":                          {admins, "othermanager"},
	"POST /k/{kg}/announcements":                   {admins, "othermanager"},
	"GET /admin":                                   {staff, staff},
	"GET /k/{kg}/admin":                            {admins, "othermanager"},
	"POST /k/{kg}/groups":                          {admins, "othermanager"},
	"POST /groups/{id}/edit":                       {admins, "othermanager"},
	"GET /k/{kg}/children":                         {admins, "othermanager"},
	"POST /k/{kg}/children":                        {admins, "othermanager"},
	"GET /children/{id}/edit":                      {admins, "othermanager"},
	"POST /children/{id}/edit":                     {admins, "othermanager"},
	"POST /children/{id}/guardians/{pid}":          {admins, "othermanager"},
	"GET /k/{kg}/staff":                            {admins, "othermanager"},
	"POST /k/{kg}/staff":                           {admins, "othermanager"},
	"GET /k/{kg}/staff/{pid}":                      {admins, "othermanager"},
	"POST /k/{kg}/staff/{pid}":                     {admins, "othermanager"},
	"GET /k/{kg}/guardians":                        {admins, "othermanager"},
	"GET /k/{kg}/guardians/{pid}":                  {admins, "othermanager"},
	"POST /k/{kg}/guardians/{pid}":                 {admins, "othermanager"},
	"POST /k/{kg}/guardians/{pid}/invite":          {admins, "othermanager"},
	"GET /k/{kg}/import":                           {admins, "othermanager"},
	"POST /k/{kg}/import":                          {admins, "othermanager"},
	"GET /o/{org}":                                 {"owner", none},
	"POST /o/{org}/kindergartens":                  {"owner", none},
	"GET /attachments/{id}":                        {"owner manager leader parent", "othermanager otherparent"},
	"GET /k/{kg}/recordings":                       {staffOwn, "othermanager"},
	"GET /k/{kg}/recordings/{key}":                 {staffOwn, "othermanager"},
	"POST /k/{kg}/recordings/{key}/{lang}":         {"leader", "othermanager"},
	"POST /k/{kg}/recordings/{key}/{lang}/delete":  {"leader", "othermanager"},
	"GET /k/{kg}/recordings/{key}/{lang}/audio":    {"owner manager leader assistant parent coparent parentb", "othermanager otherparent"},
}

const (
	none      = ""
	all       = "anon owner manager leader assistant parent coparent blocked parentb othermanager otherparent"
	signedIn  = "owner manager leader assistant parent coparent blocked parentb othermanager otherparent"
	staff     = "owner manager leader assistant othermanager"
	guardians = "parent coparent parentb otherparent"
	admins    = "owner manager"
	staffOwn  = "owner manager leader assistant"
)

var roles = strings.Fields(all)

// The SMS webhook exists only when configured; the matrix tests it so.
func init() { smsinbound.Configure("matrix-token", "https://tillit.example/sms/inbound") }

func TestEveryRouteIsInTheMatrix(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range app.Routes {
		seen[r.Pattern] = true
		if _, ok := matrix[r.Pattern]; !ok {
			t.Errorf("route %q is not in the authorization matrix", r.Pattern)
		}
	}
	for p := range matrix {
		if !seen[p] {
			t.Errorf("matrix lists %q, which is not a route", p)
		}
	}
}

func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, r := range app.Routes {
			exp, ok := matrix[r.Pattern]
			if !ok {
				continue
			}
			t.Run(r.Pattern, func(t *testing.T) {
				// A fresh world per route: handlers that run may change it.
				d := freshDB(t, d)
				w := webtest.NewWorld(t, d)
				s := webtest.NewServer(t, d, app.Handler)
				for _, which := range []string{"own", "other"} {
					allowed := exp.own
					if which == "other" {
						allowed = exp.other
					}
					for _, role := range roles {
						want := strings.Contains(" "+allowed+" ", " "+role+" ")
						got, detail := try(t, s, w, r.Pattern, role, which)
						if got != want {
							t.Errorf("%s as %s on %s object: allowed=%v, want %v (%s)", r.Pattern, role, which, got, want, detail)
						}
					}
				}
			})
		}
	})
}

// freshDB gives each route its own database of the same engine.
func freshDB(t *testing.T, d *db.DB) *db.DB {
	if d.Dialect == db.Postgres {
		return dbtest.Postgres(t)
	}
	return dbtest.SQLite(t)
}

var personOf = map[string]func(w *webtest.World) int64{
	"owner": func(w *webtest.World) int64 { return w.Owner }, "manager": func(w *webtest.World) int64 { return w.Manager },
	"leader": func(w *webtest.World) int64 { return w.Leader }, "assistant": func(w *webtest.World) int64 { return w.Assistant },
	"parent": func(w *webtest.World) int64 { return w.Parent }, "coparent": func(w *webtest.World) int64 { return w.Coparent },
	"blocked": func(w *webtest.World) int64 { return w.Blocked }, "parentb": func(w *webtest.World) int64 { return w.ParentB },
	"othermanager": func(w *webtest.World) int64 { return w.OtherManager }, "otherparent": func(w *webtest.World) int64 { return w.OtherParent },
}

// try makes the request as role on the own or other object and reports
// whether it got past the permission check.
func try(t *testing.T, s *webtest.Server, w *webtest.World, pattern, role, which string) (bool, string) {
	ctx := context.Background()
	c := s.Anonymous(t)
	var me int64
	if role != "anon" {
		me = personOf[role](w)
		staffRole := role == "owner" || role == "manager" || role == "leader" || role == "assistant" || role == "othermanager"
		tok, err := auth.CreateSession(ctx, s.DB, me, staffRole, "matrix", "test")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(s.URL)
		c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
	}
	own := which == "own"
	pick := func(a, b int64) string {
		if own {
			return fmt.Sprint(a)
		}
		return fmt.Sprint(b)
	}
	method, path, _ := strings.Cut(pattern, " ")
	isGroup := strings.HasPrefix(path, "/groups/")
	isChild := strings.HasPrefix(path, "/children/")
	isInv := strings.HasPrefix(path, "/invitations/")
	repl := map[string]string{
		"{$}":   "",
		"{kg}":  pick(w.Kg, w.OtherKg),
		"{org}": pick(w.Org, w.OtherOrg),
	}
	switch {
	case isGroup:
		repl["{id}"] = pick(w.GroupA, w.OtherGroup)
	case isChild:
		repl["{id}"] = pick(w.ChildA1, w.OtherChild)
	case strings.HasPrefix(path, "/threads/"):
		repl["{id}"] = pick(w.Thread, w.OtherThread)
	case strings.HasPrefix(path, "/messages/"):
		repl["{id}"] = pick(w.Message, w.OtherMessage)
	case strings.HasPrefix(path, "/attachments/"):
		repl["{id}"] = fmt.Sprint(matrixAttachment(t, s, pick(w.Message, w.OtherMessage)))
	case strings.HasPrefix(path, "/followups/"):
		repl["{id}"] = pick(w.Followup, w.OtherFollowup)
	case isInv:
		repl["{id}"] = pick(w.PendingInvitation.ID, otherInvitation(t, s, w))
	case strings.HasPrefix(path, "/profile/sessions/"):
		if own {
			tok, _ := auth.CreateSession(ctx, s.DB, me, false, "other device", "test")
			repl["{id}"] = auth.Hash(tok)
		} else {
			tok, _ := auth.CreateSession(ctx, s.DB, w.OtherParent, false, "someone else", "test")
			if role == "otherparent" {
				tok, _ = auth.CreateSession(ctx, s.DB, w.Parent, false, "someone else", "test")
			}
			repl["{id}"] = auth.Hash(tok)
		}
	case strings.HasPrefix(path, "/profile/passkeys/"):
		owner := me
		if !own {
			owner = w.OtherParent
			if role == "otherparent" {
				owner = w.Parent
			}
		}
		id := fmt.Sprintf("pk-%s-%s-%d", role, which, owner)
		s.DB.W.Exec(`INSERT INTO passkeys (id, person_id, credential, created_at) VALUES ($1, $2, '{}', 0)`, id, owner)
		repl["{id}"] = id
	}
	switch {
	case strings.HasPrefix(path, "/children/{id}/guardians/{pid}"), strings.HasPrefix(path, "/k/{kg}/guardians/{pid}"):
		repl["{pid}"] = pick(w.Parent, w.OtherParent)
	case strings.HasPrefix(path, "/k/{kg}/staff/{pid}"):
		repl["{pid}"] = pick(w.Leader, w.OtherManager)
	}
	if strings.Contains(path, "{lang}") {
		repl["{lang}"] = pick2(own, "ti", "pl")
		s.DB.W.Exec(`UPDATE message_translations SET status = 'done', text = 'x' WHERE message_id IN ($1, $2)`, w.Message, w.OtherMessage)
		s.DB.W.Exec(`UPDATE people SET languages = languages || ' ti pl' WHERE id IN ($1, $2)`, w.Leader, w.OtherManager)
	}
	if strings.Contains(path, "{key}") {
		repl["{key}"] = "clothes.spare_needed"
		if strings.HasSuffix(path, "/audio") {
			name, _ := s.Env.Files.Save([]byte("sound"))
			s.DB.W.Exec(`INSERT INTO phrase_audio (kindergarten_id, phrase_key, lang, content_type, size, file, created_at) VALUES ($1, 'clothes.spare_needed', $2, 'audio/webm', 5, $3, 0)`,
				pick(w.Kg, w.OtherKg), repl["{lang}"], name)
		}
	}
	if strings.Contains(path, "{token}") {
		repl["{token}"] = "not-a-real-token"
		if own {
			repl["{token}"] = w.PendingInvitation.Token
		}
	}
	if strings.Contains(path, "{hash}") {
		u := web.StaticURL("tillit.css")
		if !own {
			u = "/static/0/missing.css"
		}
		path = u
	}
	for k, v := range repl {
		path = strings.ReplaceAll(path, k, v)
	}
	var res *webtest.Response
	if path == "/events" {
		// A stream: only its status and headers are read.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
		r, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r.Body.Close()
		res = &webtest.Response{Status: r.StatusCode, Header: r.Header, Location: r.Header.Get("Location")}
	} else if method == http.MethodGet {
		res = c.Get(path)
	} else if strings.HasPrefix(path, "/api/") || strings.Contains(path, "/passkey") {
		res = c.Post(path, "application/json", strings.NewReader("{}"))
	} else {
		res = c.PostForm(path, url.Values{})
	}
	detail := fmt.Sprintf("%s %s → %d %s", method, path, res.Status, res.Location)
	switch {
	case res.Status == http.StatusNotFound:
		return false, detail
	case res.Status == http.StatusUnauthorized && strings.Contains(res.Body, "error.signed_out"):
		return false, detail
	case res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location, "/login?next="):
		return false, detail
	}
	return true, detail
}

// matrixAttachment adds a voice message file to message msg.
func matrixAttachment(t *testing.T, s *webtest.Server, msg string) int64 {
	name, err := s.Env.Files.Save([]byte("sound"))
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.DB.W.QueryRow(`INSERT INTO attachments (message_id, kind, content_type, size, file, created_at) VALUES ($1, 'audio', 'audio/webm', 5, $2, 0) RETURNING id`, msg, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// otherInvitation is an invitation of the other kindergarten.
func otherInvitation(t *testing.T, s *webtest.Server, w *webtest.World) int64 {
	var id int64
	if err := s.DB.R.QueryRow(`SELECT id FROM invitations WHERE kindergarten_id = $1`, w.OtherKg).Scan(&id); err == nil {
		return id
	}
	inv, err := auth.CreateInvitation(context.Background(), s.DB.W, w.OtherParent, w.OtherKg, w.OtherManager)
	if err != nil {
		t.Fatal(err)
	}
	return inv.ID
}

func pick2(own bool, a, b string) string {
	if own {
		return a
	}
	return b
}
