// Package passkey lets people sign in with a passkey (WebAuthn) instead of
// a password: adding one on the profile page, signing in with one on the
// sign-in page (no username needed: the passkey says whose it is), and
// removing one. The browser side is internal/web/static/passkey.js; every
// page still works without it, with the password.
//
// Design:
//   - relying party ID is the host name of Env.BaseURL, the only accepted
//     origin is BaseURL's origin; an IP address cannot be a relying party,
//     so on such a server passkeys are simply not offered;
//   - the user handle stored on the authenticator is the person id as 8
//     big-endian bytes;
//   - between "begin" and "finish" the ceremony's state lives in the table
//     passkey_ceremonies under the hash of a random token that only the
//     browser has, in the HttpOnly cookie tillit_ceremony; it lasts five
//     minutes and can be used once. A registration ceremony belongs to the
//     person who began it, a sign-in ceremony to nobody;
//   - failed passkey sign-ins count against the address's sign-in throttle.
package passkey

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/web"
)

// CeremonyCookie holds the secret that ties a ceremony's two steps to one
// browser.
const CeremonyCookie = "tillit_ceremony"

// CeremonyTTL is how long one has to answer the passkey prompt.
const CeremonyTTL = 5 * time.Minute

// MaxPerPerson bounds how many passkeys one person can have.
const MaxPerPerson = 20

// Passkey is a stored passkey as the profile page lists it.
type Passkey struct {
	ID         string // base64url credential id
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

// List returns a person's passkeys, oldest first.
func List(ctx context.Context, d *db.DB, personID int64) ([]Passkey, error) {
	rows, err := d.R.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM passkeys WHERE person_id = $1 ORDER BY created_at, id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt = time.Unix(created, 0)
		if used.Valid {
			p.LastUsedAt = time.Unix(used.Int64, 0)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Available reports whether this server can offer passkeys: its BaseURL
// must name a host (not an IP address) over http(s).
func Available(env *web.Env) bool {
	_, err := relyingParty(env)
	return err == nil
}

// relyingParty is the WebAuthn configuration for this server.
func relyingParty(env *web.Env) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(env.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, errors.New("passkey: BaseURL is not an http(s) URL")
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL}
	return webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Tillit",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		Timeouts:      webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
		// We ask for no extensions; an older phone's browser that reports
		// one anyway should not make the passkey fail.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
}

// Handle is the WebAuthn user handle of a person: the id as 8 big-endian
// bytes.
func Handle(personID int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(personID))
}

// personFromHandle reverses Handle.
func personFromHandle(h []byte) (int64, bool) {
	if len(h) != 8 {
		return 0, false
	}
	id := int64(binary.BigEndian.Uint64(h))
	return id, id > 0
}

// user is a person as the WebAuthn library sees them.
type user struct {
	id          int64
	name, login string
	creds       []webauthn.Credential
}

func (u *user) WebAuthnID() []byte { return Handle(u.id) }
func (u *user) WebAuthnName() string {
	if u.login != "" {
		return u.login
	}
	return u.name
}
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// loadUser reads a person and their credentials (all of them, or only the
// one with id credID when it is not "").
func loadUser(ctx context.Context, d *db.DB, personID int64, credID string) (*user, error) {
	u := &user{id: personID}
	var login sql.NullString
	err := d.R.QueryRowContext(ctx, `SELECT name, login FROM people WHERE id = $1`, personID).Scan(&u.name, &login)
	if err == sql.ErrNoRows {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.login = login.String
	q := `SELECT credential FROM passkeys WHERE person_id = $1`
	args := []any{personID}
	if credID != "" {
		q += ` AND id = $2`
		args = append(args, credID)
	}
	rows, err := d.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		var cr webauthn.Credential
		if err := json.Unmarshal([]byte(s), &cr); err != nil {
			return nil, err
		}
		u.creds = append(u.creds, cr)
	}
	return u, rows.Err()
}

// fail answers a JSON endpoint with an error key and its message in the
// reader's language (passkey.js shows the message).
func fail(c *web.Ctx, status int, key string) error {
	return c.JSON(status, map[string]string{"error": key, "message": c.T(key)})
}

// saveCeremony stores a ceremony's state for the browser's next step.
// personID is 0 for a sign-in.
func saveCeremony(c *web.Ctx, personID int64, sd *webauthn.SessionData) error {
	ctx := c.Context()
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	now := time.Now()
	if _, err := c.Env.DB.W.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE expires_at <= $1`, now.Unix()); err != nil {
		return err
	}
	if ck, err := c.R.Cookie(CeremonyCookie); err == nil && ck.Value != "" {
		// A ceremony begun again replaces the one before.
		if _, err := c.Env.DB.W.ExecContext(ctx, `DELETE FROM passkey_ceremonies WHERE id_hash = $1`, auth.Hash(ck.Value)); err != nil {
			return err
		}
	}
	var person any
	if personID != 0 {
		person = personID
	}
	token := auth.NewToken()
	if _, err := c.Env.DB.W.ExecContext(ctx, `INSERT INTO passkey_ceremonies (id_hash, person_id, data, expires_at) VALUES ($1, $2, $3, $4)`,
		auth.Hash(token), person, string(data), now.Add(CeremonyTTL).Unix()); err != nil {
		return err
	}
	c.SetCookie(CeremonyCookie, token, CeremonyTTL)
	return nil
}

// errNoCeremony: no cookie, an unknown or expired one, or one that
// belongs to someone else.
var errNoCeremony = errors.New("no ceremony")

// takeCeremony removes and returns the browser's ceremony (each can be
// used once). personID must be the one who began it (0: a sign-in); a
// ceremony of another person is neither returned nor used up.
func takeCeremony(c *web.Ctx, personID int64) (*webauthn.SessionData, error) {
	ck, err := c.R.Cookie(CeremonyCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, errNoCeremony
	}
	c.ClearCookie(CeremonyCookie)
	q := `DELETE FROM passkey_ceremonies WHERE id_hash = $1 AND person_id IS NULL RETURNING data, expires_at`
	args := []any{auth.Hash(ck.Value)}
	if personID != 0 {
		q = `DELETE FROM passkey_ceremonies WHERE id_hash = $1 AND person_id = $2 RETURNING data, expires_at`
		args = append(args, personID)
	}
	var data string
	var expires int64
	err = c.Env.DB.W.QueryRowContext(c.Context(), q, args...).Scan(&data, &expires)
	if err == sql.ErrNoRows {
		return nil, errNoCeremony
	}
	if err != nil {
		return nil, err
	}
	if time.Now().Unix() >= expires {
		return nil, errNoCeremony
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(data), &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

// readJSON reads a JSON request body (within the route's size limit).
func readJSON(c *web.Ctx) ([]byte, error) {
	if !strings.HasPrefix(c.R.Header.Get("Content-Type"), "application/json") {
		return nil, errors.New("not JSON")
	}
	return io.ReadAll(c.R.Body)
}

// options is what begin answers: the options for navigator.credentials
// and a message in the reader's language for when the browser's part
// fails.
type options struct {
	PublicKey any    `json:"publicKey"`
	Message   string `json:"message"`
}

// RegisterBegin starts adding a passkey for the signed-in person.
func RegisterBegin(c *web.Ctx) error {
	rp, err := relyingParty(c.Env)
	if err != nil {
		return fail(c, http.StatusServiceUnavailable, "passkey.unavailable")
	}
	u, err := loadUser(c.Context(), c.Env.DB, c.Actor.PersonID, "")
	if err != nil {
		return err
	}
	if len(u.creds) >= MaxPerPerson {
		return fail(c, http.StatusBadRequest, "passkey.too_many")
	}
	creation, sd, err := rp.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return err
	}
	if err := saveCeremony(c, c.Actor.PersonID, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, options{creation.Response, c.T("passkey.failed")})
}

// RegisterFinish checks the browser's answer and stores the passkey.
func RegisterFinish(c *web.Ctx) error {
	rp, err := relyingParty(c.Env)
	if err != nil {
		return fail(c, http.StatusServiceUnavailable, "passkey.unavailable")
	}
	body, err := readJSON(c)
	if err != nil {
		return fail(c, http.StatusBadRequest, "passkey.failed")
	}
	sd, err := takeCeremony(c, c.Actor.PersonID)
	if errors.Is(err, errNoCeremony) {
		return fail(c, http.StatusBadRequest, "passkey.expired")
	}
	if err != nil {
		return err
	}
	u, err := loadUser(c.Context(), c.Env.DB, c.Actor.PersonID, "")
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return fail(c, http.StatusBadRequest, "passkey.failed")
	}
	cred, err := rp.CreateCredential(u, *sd, parsed)
	if err != nil {
		c.Env.Log.Info("passkey registration refused", "err", err)
		return fail(c, http.StatusBadRequest, "passkey.failed")
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	name := []rune(Device(c, c.R.UserAgent()))
	if len(name) > 100 {
		name = name[:100]
	}
	res, err := c.Env.DB.W.ExecContext(c.Context(), `INSERT INTO passkeys (id, person_id, name, credential, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
		id, c.Actor.PersonID, string(name), string(data), db.Now())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fail(c, http.StatusConflict, "passkey.exists")
	}
	return c.JSON(http.StatusOK, map[string]bool{"ok": true})
}

// LoginBegin starts a sign-in with a passkey: the browser lets the person
// choose one of their passkeys for this site.
func LoginBegin(c *web.Ctx) error {
	rp, err := relyingParty(c.Env)
	if err != nil {
		return fail(c, http.StatusServiceUnavailable, "passkey.unavailable")
	}
	ak := auth.AddrKey(c.R.RemoteAddr)
	if blocked, err := auth.Throttled(c.Context(), c.Env.DB, ak); err != nil {
		return err
	} else if blocked {
		return fail(c, http.StatusTooManyRequests, "error.too_many_tries")
	}
	assertion, sd, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	if err := saveCeremony(c, 0, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, options{assertion.Response, c.T("passkey.login_failed")})
}

// LoginFinish checks the signed challenge and signs the passkey's owner in,
// exactly like a password sign-in. It answers {"ok":true,"redirect":…};
// ?next= is honoured when it is a local path.
func LoginFinish(c *web.Ctx) error {
	ctx := c.Context()
	rp, err := relyingParty(c.Env)
	if err != nil {
		return fail(c, http.StatusServiceUnavailable, "passkey.unavailable")
	}
	ak := auth.AddrKey(c.R.RemoteAddr)
	if blocked, err := auth.Throttled(ctx, c.Env.DB, ak); err != nil {
		return err
	} else if blocked {
		return fail(c, http.StatusTooManyRequests, "error.too_many_tries")
	}
	refuse := func(status int, key string) error {
		if err := auth.RecordFailure(ctx, c.Env.DB, ak); err != nil {
			return err
		}
		return fail(c, status, key)
	}
	body, err := readJSON(c)
	if err != nil {
		return refuse(http.StatusBadRequest, "passkey.login_failed")
	}
	sd, err := takeCeremony(c, 0)
	if errors.Is(err, errNoCeremony) {
		return refuse(http.StatusBadRequest, "passkey.expired")
	}
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return refuse(http.StatusBadRequest, "passkey.login_failed")
	}
	var lookupErr error
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		pid, ok := personFromHandle(userHandle)
		if !ok {
			return nil, db.ErrNotFound
		}
		u, err := loadUser(ctx, c.Env.DB, pid, base64.RawURLEncoding.EncodeToString(rawID))
		if err == nil && len(u.creds) == 0 {
			err = db.ErrNotFound
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		return u, nil
	}
	wu, cred, err := rp.ValidatePasskeyLogin(handler, *sd, parsed)
	if err != nil {
		if lookupErr != nil && !errors.Is(lookupErr, db.ErrNotFound) {
			return lookupErr
		}
		if errors.Is(lookupErr, db.ErrNotFound) {
			// A passkey we do not know (removed from the profile, or
			// from another server): say so, so that the person uses
			// the password instead.
			return refuse(http.StatusBadRequest, "passkey.unknown")
		}
		c.Env.Log.Info("passkey sign-in refused", "err", err)
		return refuse(http.StatusBadRequest, "passkey.login_failed")
	}
	if cred.Authenticator.CloneWarning {
		c.Env.Log.Warn("passkey sign-in refused: signature counter went backwards (cloned authenticator?)")
		return refuse(http.StatusBadRequest, "passkey.login_failed")
	}
	u := wu.(*user)
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if _, err := c.Env.DB.W.ExecContext(ctx, `UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3 AND person_id = $4`,
		string(data), db.Now(), base64.RawURLEncoding.EncodeToString(cred.ID), u.id); err != nil {
		return err
	}
	if err := c.StartSession(u.id, "passkey"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "redirect": web.SafeNext(c.R.URL.Query().Get("next"), "/")})
}

// Delete removes one of the signed-in person's passkeys (the route has
// already checked that it is theirs).
func Delete(c *web.Ctx) error {
	res, err := c.Env.DB.W.ExecContext(c.Context(), `DELETE FROM passkeys WHERE id = $1 AND person_id = $2`, c.R.PathValue("id"), c.Actor.PersonID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return web.ErrNotFound
	}
	return c.Redirect("/profile?saved=passkey_deleted")
}

// Device describes a browser by its User-Agent in the reader's language:
// "Chrome på Android". It knows only the common browsers and systems.
func Device(c *web.Ctx, ua string) string {
	browser, system := ParseUA(ua)
	switch {
	case browser != "" && system != "":
		return c.T("passkey.device", "Browser", browser, "System", system)
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return c.T("passkey.device_unknown")
}

// ParseUA finds a browser and an operating system name in a User-Agent.
// The order matters: Edge and Opera also say Chrome, Chrome says Safari.
func ParseUA(ua string) (browser, system string) {
	has := func(s string) bool { return strings.Contains(ua, s) }
	switch {
	case has("Edg/") || has("EdgA/") || has("EdgiOS/"):
		browser = "Edge"
	case has("OPR/") || has("Opera"):
		browser = "Opera"
	case has("SamsungBrowser/"):
		browser = "Samsung Internet"
	case has("Firefox/") || has("FxiOS/"):
		browser = "Firefox"
	case has("Chrome/") || has("CriOS/") || has("Chromium/"):
		browser = "Chrome"
	case has("Safari/") && has("Version/"):
		browser = "Safari"
	case has("Tillit"):
		browser = "Tillit"
	}
	switch {
	case has("Android"):
		system = "Android"
	case has("iPhone"):
		system = "iPhone"
	case has("iPad"):
		system = "iPad"
	case has("CrOS"):
		system = "ChromeOS"
	case has("Windows"):
		system = "Windows"
	case has("Macintosh") || has("Mac OS X"):
		system = "Mac"
	case has("Linux"):
		system = "Linux"
	}
	return browser, system
}
