package signin

import (
	"encoding/json"
	"net/http"
	"strings"

	"tillit/internal/auth"
	"tillit/internal/directory"
	"tillit/internal/policy"
	"tillit/internal/web"
)

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// APILogin: POST /api/v1/login with {"login","password"} sets the session
// cookie and answers like /api/v1/me.
func APILogin(c *web.Ctx) error {
	if !strings.HasPrefix(c.R.Header.Get("Content-Type"), "application/json") {
		return &web.HTTPError{Status: http.StatusUnsupportedMediaType, Key: "error.bad_request"}
	}
	var req loginRequest
	dec := json.NewDecoder(c.R.Body)
	if err := dec.Decode(&req); err != nil {
		if strings.Contains(err.Error(), "too large") {
			return web.ErrTooLarge
		}
		return web.ErrBadRequest
	}
	id, problem, err := attempt(c, req.Login, req.Password)
	if err != nil {
		return err
	}
	switch problem {
	case "":
	case "error.too_many_tries":
		return web.ErrTooManyTries
	default:
		return &web.HTTPError{Status: http.StatusUnauthorized, Key: problem}
	}
	if err := c.StartSession(id, "api"); err != nil {
		return err
	}
	a, err := policy.Load(c.Context(), c.Env.DB.R, id)
	if err != nil {
		return err
	}
	return me(c, a)
}

type meResponse struct {
	ID             int64         `json:"id"`
	Name           string        `json:"name"`
	Login          string        `json:"login"`
	UILanguage     string        `json:"ui_language"`
	Languages      []string      `json:"languages"`
	InfoPreference string        `json:"info_preference"`
	Roles          []policy.Role `json:"roles"`
	Children       []int64       `json:"children"`
}

func me(c *web.Ctx, a *policy.Actor) error {
	p, err := directory.GetPerson(c.Context(), c.Env.DB.R, a.PersonID)
	if err != nil {
		return err
	}
	r := meResponse{ID: p.ID, Name: p.Name, Login: p.Login, UILanguage: p.UILanguage, Languages: p.Languages,
		InfoPreference: p.InfoPreference, Roles: a.Roles, Children: []int64{}}
	if r.Languages == nil {
		r.Languages = []string{}
	}
	if r.Roles == nil {
		r.Roles = []policy.Role{}
	}
	for id, l := range a.Links {
		if !l.NoInformation {
			r.Children = append(r.Children, id)
		}
	}
	return c.JSON(http.StatusOK, r)
}

// APIMe returns the signed-in person, their roles and languages.
func APIMe(c *web.Ctx) error { return me(c, c.Actor) }

// APILogout ends the session.
func APILogout(c *web.Ctx) error {
	if err := auth.EndSession(c.Context(), c.Env.DB, c.SessionToken); err != nil {
		return err
	}
	c.ClearCookie(web.SessionCookie)
	return c.JSON(http.StatusOK, map[string]bool{"ok": true})
}
