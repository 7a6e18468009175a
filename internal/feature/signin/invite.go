package signin

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"tillit/internal/auth"
	"tillit/internal/web"
)

// CodeForm asks for the short code from the paper invitation.
func CodeForm(c *web.Ctx) error {
	c.Render(http.StatusOK, pages, "code", &web.Page{Title: c.T("invite.code_title")})
	return nil
}

// CodeSubmit finds the invitation by code; wrong codes count against the
// sign-in throttle of the address, so codes cannot be guessed.
func CodeSubmit(c *web.Ctx) error {
	code := c.R.PostFormValue("code")
	ak := auth.AddrKey(c.R.RemoteAddr)
	blocked, err := auth.Throttled(c.Context(), c.Env.DB, ak)
	if err != nil {
		return err
	}
	if blocked {
		c.Render(http.StatusTooManyRequests, pages, "code", &web.Page{Title: c.T("invite.code_title"),
			Errors: map[string]string{"code": "error.too_many_tries"}, Form: map[string]string{"code": code}})
		return nil
	}
	inv, err := auth.FindInvitation(c.Context(), c.Env.DB, auth.NormalizeCode(code))
	if err != nil {
		if key := inviteProblem(err); key != "" {
			auth.RecordFailure(c.Context(), c.Env.DB, ak)
			c.Render(http.StatusBadRequest, pages, "code", &web.Page{Title: c.T("invite.code_title"),
				Errors: map[string]string{"code": key}, Form: map[string]string{"code": code}})
			return nil
		}
		return err
	}
	return acceptPage(c, http.StatusOK, inv, auth.NormalizeCode(code), nil, nil)
}

// inviteProblem maps invitation errors to message keys ("" for others).
func inviteProblem(err error) string {
	switch {
	case errors.Is(err, auth.ErrInvitationUnknown):
		return "invite.unknown"
	case errors.Is(err, auth.ErrInvitationExpired):
		return "invite.expired"
	case errors.Is(err, auth.ErrInvitationAccepted):
		return "invite.accepted"
	case errors.Is(err, auth.ErrLoginTaken):
		return "invite.login_taken"
	}
	return ""
}

type acceptData struct {
	Inv    *auth.Invitation
	Secret string
}

func acceptPage(c *web.Ctx, status int, inv *auth.Invitation, secret string, errs, form map[string]string) error {
	if form == nil {
		form = map[string]string{"login": inv.Email}
	}
	c.Render(status, pages, "accept", &web.Page{Title: c.T("invite.title"), Data: acceptData{inv, secret}, Errors: errs, Form: form})
	return nil
}

// AcceptForm shows the invitation from its link.
func AcceptForm(c *web.Ctx) error {
	token := c.R.PathValue("token")
	inv, err := auth.FindInvitation(c.Context(), c.Env.DB, token)
	if err != nil {
		if key := inviteProblem(err); key != "" {
			return &web.HTTPError{Status: http.StatusNotFound, Key: key}
		}
		return err
	}
	return acceptPage(c, http.StatusOK, inv, token, nil, nil)
}

// AcceptSubmit chooses a login and password and signs the person in.
// The {token} is the link token or the normalised code.
func AcceptSubmit(c *web.Ctx) error {
	secret := c.R.PathValue("token")
	ctx := c.Context()
	inv, err := auth.FindInvitation(ctx, c.Env.DB, secret)
	if err != nil {
		if key := inviteProblem(err); key != "" {
			return &web.HTTPError{Status: http.StatusGone, Key: key}
		}
		return err
	}
	login := strings.TrimSpace(c.R.PostFormValue("login"))
	pw := c.R.PostFormValue("password")
	pw2 := c.R.PostFormValue("password2")
	errs := map[string]string{}
	switch {
	case login == "":
		errs["login"] = "form.required"
	case utf8.RuneCountInString(login) < 3 || len(login) > 100 || strings.ContainsAny(login, " \t<>") || strings.ContainsFunc(login, isControlOrBidi):
		errs["login"] = "invite.login_invalid"
	}
	if err := auth.CheckPasswordRules(pw); err != nil {
		errs["password"] = "invite." + err.Error()
	} else if pw != pw2 {
		errs["password2"] = "invite.password_mismatch"
	}
	form := map[string]string{"login": login}
	if len(errs) > 0 {
		return acceptPage(c, http.StatusBadRequest, inv, secret, errs, form)
	}
	personID, err := auth.AcceptInvitation(ctx, c.Env.DB, inv.ID, login, pw)
	if err != nil {
		if key := inviteProblem(err); key == "invite.login_taken" {
			return acceptPage(c, http.StatusConflict, inv, secret, map[string]string{"login": key}, form)
		} else if key != "" {
			return &web.HTTPError{Status: http.StatusGone, Key: key}
		}
		return err
	}
	if err := c.StartSession(personID, "password"); err != nil {
		return err
	}
	return c.Redirect("/")
}

func isControlOrBidi(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
