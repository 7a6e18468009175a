package passkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/passkey"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

var b64 = base64.RawURLEncoding

// setup starts Tillit with a BaseURL on "localhost": an IP address cannot
// be a WebAuthn relying party.
func setup(t *testing.T, d *db.DB) (*webtest.Server, *webtest.World) {
	t.Helper()
	s := webtest.NewServer(t, d, app.Handler)
	s.Env.BaseURL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	w := webtest.NewWorld(t, d)
	if _, err := d.W.Exec(`UPDATE people SET ui_language = 'nb'`); err != nil {
		t.Fatal(err)
	}
	return s, w
}

// --- a software authenticator ---

// A tiny CBOR encoder: unsigned and negative integers, byte and text
// strings, maps (the caller orders the keys canonically).
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n < 1<<8:
		return []byte{m | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n))
	}
}

func cborInt(v int64) []byte {
	if v < 0 {
		return cborHead(1, uint64(-1-v))
	}
	return cborHead(0, uint64(v))
}
func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }
func cborMap(kv ...[]byte) []byte {
	out := cborHead(5, uint64(len(kv)/2))
	for _, b := range kv {
		out = append(out, b...)
	}
	return out
}

type authenticator struct {
	key    *ecdsa.PrivateKey
	credID []byte
	handle []byte // the user handle given at registration
	count  uint32
	origin string
	rpID   string
}

func newAuthenticator(t *testing.T, s *webtest.Server) *authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	u, _ := url.Parse(s.Env.BaseURL)
	return &authenticator{key: key, credID: id, origin: s.Env.BaseURL, rpID: u.Hostname()}
}

func (a *authenticator) coseKey(t *testing.T) []byte {
	pub, err := a.key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	p := pub.Bytes() // 0x04 || X || Y
	return cborMap(cborInt(1), cborInt(2), cborInt(3), cborInt(-7), cborInt(-1), cborInt(1),
		cborInt(-2), cborBytes(p[1:33]), cborInt(-3), cborBytes(p[33:65]))
}

func (a *authenticator) authData(flags byte) []byte {
	h := sha256.Sum256([]byte(a.rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, a.count)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		Selection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
	Message string `json:"message"`
}

// create answers registration options as a browser would.
func (a *authenticator) create(t *testing.T, o creationOptions) []byte {
	t.Helper()
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.handle = handle
	ad := a.authData(0x01 | 0x04 | 0x40) // UP, UV, AT
	ad = append(ad, make([]byte, 16)...) // AAGUID
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(a.credID)))
	ad = append(ad, a.credID...)
	ad = append(ad, a.coseKey(t)...)
	att := cborMap(cborText("fmt"), cborText("none"), cborText("attStmt"), cborMap(), cborText("authData"), cborBytes(ad))
	b, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, a.origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
	})
	return b
}

// get signs a sign-in challenge as a browser would.
func (a *authenticator) get(t *testing.T, challenge string) []byte {
	t.Helper()
	a.count++
	ad := a.authData(0x01 | 0x04)
	cd := clientData("webauthn.get", challenge, a.origin)
	h := sha256.Sum256(cd)
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, sha256Sum(append(append([]byte{}, ad...), h[:]...)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(a.handle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// --- helpers ---

func postJSON(c *webtest.Client, path string, body []byte) *webtest.Response {
	if body == nil {
		body = []byte("{}")
	}
	return c.Post(path, "application/json", bytes.NewReader(body))
}

func errorKey(t *testing.T, res *webtest.Response) string {
	t.Helper()
	var j struct{ Error, Message string }
	if err := json.Unmarshal([]byte(res.Body), &j); err != nil {
		t.Fatalf("not JSON (%d): %.200s", res.Status, res.Body)
	}
	if j.Error != "" && j.Message == "" {
		t.Errorf("error %s without a message", j.Error)
	}
	return j.Error
}

func beginRegistration(t *testing.T, c *webtest.Client) creationOptions {
	t.Helper()
	res := postJSON(c, "/profile/passkeys/begin", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("register begin: %d %s", res.Status, res.Body)
	}
	var o creationOptions
	if err := json.Unmarshal([]byte(res.Body), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func beginLogin(t *testing.T, c *webtest.Client) string {
	t.Helper()
	res := postJSON(c, "/login/passkey/begin", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("login begin: %d %s", res.Status, res.Body)
	}
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			Allow     []any  `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(res.Body), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.PublicKey.Allow) != 0 {
		t.Error("a discoverable sign-in must not list credentials")
	}
	return o.PublicKey.Challenge
}

func cookie(t *testing.T, s *webtest.Server, c *webtest.Client, name string) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// register adds a passkey for a client's person and returns the
// authenticator holding it.
func register(t *testing.T, s *webtest.Server, c *webtest.Client) *authenticator {
	t.Helper()
	a := newAuthenticator(t, s)
	o := beginRegistration(t, c)
	res := postJSON(c, "/profile/passkeys/finish", a.create(t, o))
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `"ok":true`) {
		t.Fatalf("register finish: %d %s", res.Status, res.Body)
	}
	return a
}

// --- tests ---

func TestRegisterAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		parent := s.Login(t, "parent", webtest.Password)

		o := beginRegistration(t, parent)
		if o.PublicKey.RP.ID != "localhost" {
			t.Errorf("rp.id = %q", o.PublicKey.RP.ID)
		}
		if h, _ := b64.DecodeString(o.PublicKey.User.ID); !bytes.Equal(h, passkey.Handle(w.Parent)) {
			t.Errorf("user handle %x, want the person id", h)
		}
		if sel := o.PublicKey.Selection; sel.ResidentKey != "preferred" || sel.UserVerification != "preferred" {
			t.Errorf("authenticator selection %+v", sel)
		}
		if o.Message == "" {
			t.Error("begin carries no message for failures")
		}
		ck := cookie(t, s, parent, passkey.CeremonyCookie)
		if ck == "" {
			t.Fatal("no ceremony cookie")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkey_ceremonies WHERE id_hash = $1 AND person_id = $2`, auth.Hash(ck), w.Parent); n != 1 {
			t.Fatal("ceremony not stored under the cookie's hash")
		}
		a := newAuthenticator(t, s)
		res := postJSON(parent, "/profile/passkeys/finish", a.create(t, o))
		if res.Status != http.StatusOK {
			t.Fatalf("register finish: %d %s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys WHERE id = $1 AND person_id = $2`, b64.EncodeToString(a.credID), w.Parent); n != 1 {
			t.Fatal("passkey not stored")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkey_ceremonies`); n != 0 {
			t.Error("ceremony not used up")
		}
		// The profile lists it, with the script that offers more.
		page := parent.Get("/profile?saved=passkey_added")
		if !strings.Contains(page.Body, "/profile/passkeys/"+b64.EncodeToString(a.credID)+"/delete") ||
			!strings.Contains(page.Body, web.StaticURL("passkey.js")) || !strings.Contains(page.Body, "Passnøkkelen er lagt til.") {
			t.Errorf("profile does not list the passkey:\n%s", page.Text())
		}
		// Adding again excludes the existing passkey; the same one again
		// is refused.
		o = beginRegistration(t, parent)
		if len(o.PublicKey.Exclude) != 1 || o.PublicKey.Exclude[0].ID != b64.EncodeToString(a.credID) {
			t.Errorf("excludeCredentials = %+v", o.PublicKey.Exclude)
		}
		if res := postJSON(parent, "/profile/passkeys/finish", a.create(t, o)); res.Status != http.StatusConflict && res.Status != http.StatusBadRequest {
			t.Errorf("same passkey twice: %d", res.Status)
		}

		// Sign in without a username.
		anon := s.Anonymous(t)
		ch := beginLogin(t, anon)
		res = postJSON(anon, "/login/passkey/finish?next=/children/1", a.get(t, ch))
		if res.Status != http.StatusOK {
			t.Fatalf("login finish: %d %s", res.Status, res.Body)
		}
		var j struct {
			OK       bool
			Redirect string
		}
		json.Unmarshal([]byte(res.Body), &j)
		if !j.OK || j.Redirect != "/children/1" {
			t.Errorf("login answer %s", res.Body)
		}
		if res := anon.Get("/profile"); res.Status != http.StatusOK || !strings.Contains(res.Body, `value="Pedro Parent"`) {
			t.Errorf("signed in with passkey, GET /profile: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM sessions WHERE person_id = $1 AND method = 'passkey'`, w.Parent); n != 1 {
			t.Error("session not marked as a passkey sign-in")
		}
		var cred string
		if err := d.R.QueryRow(`SELECT credential FROM passkeys WHERE id = $1 AND last_used_at IS NOT NULL`, b64.EncodeToString(a.credID)).Scan(&cred); err != nil {
			t.Fatalf("last use not recorded: %v", err)
		}
		if !strings.Contains(cred, `"signCount":1`) {
			t.Errorf("sign count not updated: %s", cred)
		}
		// An open redirect is not followed.
		anon2 := s.Anonymous(t)
		ch = beginLogin(t, anon2)
		res = postJSON(anon2, "/login/passkey/finish?next=//evil.example", a.get(t, ch))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"redirect":"/"`) {
			t.Errorf("next=//evil.example: %d %s", res.Status, res.Body)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		parent := s.Login(t, "parent", webtest.Password)
		a := register(t, s, parent)
		failures := func() int {
			return count(t, d, `SELECT COALESCE(SUM(failures), 0) FROM login_throttle`)
		}

		// Finish without begin.
		anon := s.Anonymous(t)
		if res := postJSON(anon, "/login/passkey/finish", a.get(t, "AAAA")); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.expired" {
			t.Errorf("finish without begin: %d %s", res.Status, res.Body)
		}
		// A replayed answer: the ceremony is used up.
		ch := beginLogin(t, anon)
		answer := a.get(t, ch)
		if res := postJSON(anon, "/login/passkey/finish", answer); res.Status != http.StatusOK {
			t.Fatalf("sign in: %d %s", res.Status, res.Body)
		}
		thief := s.Anonymous(t)
		beginLogin(t, thief)
		if res := postJSON(thief, "/login/passkey/finish", answer); res.Status != http.StatusBadRequest {
			t.Errorf("replayed answer: %d", res.Status)
		}
		// A wrong signature.
		ch = beginLogin(t, thief)
		forged := newAuthenticator(t, s)
		forged.credID, forged.handle = a.credID, a.handle
		before := failures()
		if res := postJSON(thief, "/login/passkey/finish", forged.get(t, ch)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.login_failed" {
			t.Errorf("forged signature: %d %s", res.Status, res.Body)
		}
		if failures() <= before {
			t.Error("a failed passkey sign-in was not counted")
		}
		// The right key, but claiming to be another person.
		ch = beginLogin(t, thief)
		a.handle = passkey.Handle(w.Manager)
		if res := postJSON(thief, "/login/passkey/finish", a.get(t, ch)); res.Status != http.StatusBadRequest {
			t.Errorf("user handle of another person: %d", res.Status)
		}
		a.handle = passkey.Handle(w.Parent)
		// Another site's answer (phishing): the origin is wrong.
		ch = beginLogin(t, thief)
		a.origin = "http://localhost.evil.example"
		if res := postJSON(thief, "/login/passkey/finish", a.get(t, ch)); res.Status != http.StatusBadRequest {
			t.Errorf("wrong origin: %d", res.Status)
		}
		a.origin = s.Env.BaseURL
		// A registration ceremony cannot finish a sign-in.
		beginRegistration(t, parent)
		if res := postJSON(parent, "/login/passkey/finish", a.get(t, "AAAA")); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.expired" {
			t.Errorf("sign-in with a registration ceremony: %d %s", res.Status, res.Body)
		}
		// A removed passkey no longer signs in.
		if res := parent.PostForm("/profile/passkeys/"+b64.EncodeToString(a.credID)+"/delete", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.Status)
		}
		ch = beginLogin(t, thief)
		if res := postJSON(thief, "/login/passkey/finish", a.get(t, ch)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.unknown" {
			t.Errorf("removed passkey: %d %s", res.Status, res.Body)
		}
		if res := thief.Get("/family"); res.Status != http.StatusSeeOther {
			t.Errorf("the thief got in: %d", res.Status)
		}
		// Not JSON.
		beginLogin(t, thief)
		if res := thief.Post("/login/passkey/finish", "text/plain", strings.NewReader("{}")); res.Status != http.StatusBadRequest {
			t.Errorf("text/plain: %d", res.Status)
		}
	})
}

func TestSignInThrottled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		c := s.Anonymous(t)
		for i := 0; i < auth.MaxFailuresPerAddr; i++ {
			postJSON(c, "/login/passkey/finish", []byte("{}"))
		}
		if res := postJSON(c, "/login/passkey/begin", nil); res.Status != http.StatusTooManyRequests || errorKey(t, res) != "error.too_many_tries" {
			t.Errorf("begin after %d failures: %d", auth.MaxFailuresPerAddr, res.Status)
		}
		if res := postJSON(c, "/login/passkey/finish", nil); res.Status != http.StatusTooManyRequests {
			t.Errorf("finish after %d failures: %d", auth.MaxFailuresPerAddr, res.Status)
		}
	})
}

func TestRegisterRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, w := setup(t, d)
		parent := s.Login(t, "parent", webtest.Password)
		manager := s.Login(t, "manager", webtest.Password)

		// Begin needs a signed-in person; the router answers 404.
		anon := s.Anonymous(t)
		for _, p := range []string{"/profile/passkeys/begin", "/profile/passkeys/finish"} {
			if res := postJSON(anon, p, nil); res.Status != http.StatusNotFound {
				t.Errorf("anonymous %s: %d, want 404", p, res.Status)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkey_ceremonies`); n != 0 {
			t.Error("anonymous begin stored a ceremony")
		}
		// Finish without begin.
		a := newAuthenticator(t, s)
		var o creationOptions
		o.PublicKey.Challenge, o.PublicKey.User.ID = "AAAA", b64.EncodeToString(passkey.Handle(w.Parent))
		if res := postJSON(parent, "/profile/passkeys/finish", a.create(t, o)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.expired" {
			t.Errorf("finish without begin: %d %s", res.Status, res.Body)
		}
		// The manager's ceremony cookie in the parent's browser: refused,
		// and the manager's ceremony is not used up.
		mo := beginRegistration(t, manager)
		mck := cookie(t, s, manager, passkey.CeremonyCookie)
		u, _ := url.Parse(s.URL)
		parent.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: passkey.CeremonyCookie, Value: mck, Path: "/"}})
		if res := postJSON(parent, "/profile/passkeys/finish", a.create(t, mo)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.expired" {
			t.Errorf("another person's ceremony: %d %s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys`); n != 0 {
			t.Fatal("a passkey was stored")
		}
		if res := postJSON(manager, "/profile/passkeys/finish", a.create(t, mo)); res.Status != http.StatusOK {
			t.Errorf("the manager's own ceremony after the attempt: %d %s", res.Status, res.Body)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys WHERE person_id = $1`, w.Manager); n != 1 {
			t.Error("manager's passkey not stored")
		}
		// A sign-in ceremony cannot add a passkey.
		beginLogin(t, parent)
		b := newAuthenticator(t, s)
		if res := postJSON(parent, "/profile/passkeys/finish", b.create(t, o)); res.Status != http.StatusBadRequest {
			t.Errorf("registration with a sign-in ceremony: %d", res.Status)
		}
		// An expired ceremony.
		o = beginRegistration(t, parent)
		if _, err := d.W.Exec(`UPDATE passkey_ceremonies SET expires_at = 1`); err != nil {
			t.Fatal(err)
		}
		if res := postJSON(parent, "/profile/passkeys/finish", b.create(t, o)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.expired" {
			t.Errorf("expired ceremony: %d %s", res.Status, res.Body)
		}
		// Another site's answer; a changed challenge.
		o = beginRegistration(t, parent)
		b.origin = "https://evil.example"
		if res := postJSON(parent, "/profile/passkeys/finish", b.create(t, o)); res.Status != http.StatusBadRequest || errorKey(t, res) != "passkey.failed" {
			t.Errorf("wrong origin: %d %s", res.Status, res.Body)
		}
		b.origin = s.Env.BaseURL
		o = beginRegistration(t, parent)
		o.PublicKey.Challenge = b64.EncodeToString(make([]byte, 32))
		if res := postJSON(parent, "/profile/passkeys/finish", b.create(t, o)); res.Status != http.StatusBadRequest {
			t.Errorf("wrong challenge: %d", res.Status)
		}
		// Garbage.
		beginRegistration(t, parent)
		if res := postJSON(parent, "/profile/passkeys/finish", []byte(`{"id":"<script>"}`)); res.Status != http.StatusBadRequest {
			t.Errorf("garbage: %d", res.Status)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys WHERE person_id = $1`, w.Parent); n != 0 {
			t.Errorf("%d passkeys stored for the parent by refused attempts", n)
		}
	})
}

func TestDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := setup(t, d)
		parent := s.Login(t, "parent", webtest.Password)
		manager := s.Login(t, "manager", webtest.Password)
		mine := register(t, s, parent)
		theirs := register(t, s, manager)
		tid := b64.EncodeToString(theirs.credID)
		for _, id := range []string{tid, "no-such-passkey"} {
			if res := parent.PostForm("/profile/passkeys/"+id+"/delete", nil); res.Status != http.StatusNotFound {
				t.Errorf("deleting %s: %d, want 404", id, res.Status)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys WHERE id = $1`, tid); n != 1 {
			t.Fatal("the manager's passkey was deleted by a parent")
		}
		if res := s.Anonymous(t).PostForm("/profile/passkeys/"+tid+"/delete", nil); res.Status != http.StatusNotFound {
			t.Errorf("anonymous delete: %d", res.Status)
		}
		res := parent.PostForm("/profile/passkeys/"+b64.EncodeToString(mine.credID)+"/delete", nil)
		if res.Status != http.StatusSeeOther || res.Location != "/profile?saved=passkey_deleted" {
			t.Errorf("delete own: %d %s", res.Status, res.Location)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM passkeys WHERE id = $1`, b64.EncodeToString(mine.credID)); n != 0 {
			t.Error("own passkey not deleted")
		}
		if res := parent.Get(res.Location); !strings.Contains(res.Body, "Passnøkkelen er fjernet.") || !strings.Contains(res.Body, "Du har ingen passnøkler ennå.") {
			t.Error("profile after delete")
		}
	})
}

func TestUnavailableOnIPAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := webtest.NewServer(t, d, app.Handler) // BaseURL http://127.0.0.1:port
		webtest.NewWorld(t, d)
		parent := s.Login(t, "parent", webtest.Password)
		if res := postJSON(parent, "/profile/passkeys/begin", nil); res.Status != http.StatusServiceUnavailable || errorKey(t, res) != "passkey.unavailable" {
			t.Errorf("register begin: %d %s", res.Status, res.Body)
		}
		if res := postJSON(s.Anonymous(t), "/login/passkey/begin", nil); res.Status != http.StatusServiceUnavailable {
			t.Errorf("login begin: %d", res.Status)
		}
	})
}

func TestDeviceName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36":                            "Chrome|Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1":    "Safari|iPhone",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0":              "Edge|Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0":                                                                     "Firefox|Linux",
		"Mozilla/5.0 (Linux; Android 14; SM-A146P) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36": "Samsung Internet|Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15":                      "Safari|Mac",
		"Go-http-client/1.1": "|",
		"":                   "|",
	} {
		b, s := passkey.ParseUA(ua)
		if got := b + "|" + s; got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}
