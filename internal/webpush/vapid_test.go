package webpush

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func newTestVAPID(t testing.TB) *VAPID {
	t.Helper()
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVAPID(pub, priv, "mailto:drift@solsikken.example")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGenerateVAPIDKeys(t *testing.T) {
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	rawPub, err := b64.DecodeString(pub)
	if err != nil || len(rawPub) != 65 || rawPub[0] != 4 {
		t.Fatalf("public key %q: %d octets, %v", pub, len(rawPub), err)
	}
	rawPriv, err := b64.DecodeString(priv)
	if err != nil || len(rawPriv) != 32 {
		t.Fatalf("private key: %d octets, %v", len(rawPriv), err)
	}
	v, err := NewVAPID(pub, priv, "https://tillit.example.no/kontakt")
	if err != nil {
		t.Fatal(err)
	}
	if v.PublicKey() != pub {
		t.Errorf("PublicKey() = %s, want %s", v.PublicKey(), pub)
	}
	pub2, priv2, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	if pub2 == pub || priv2 == priv {
		t.Error("two calls made the same key")
	}
}

// TestVAPIDRFC8291Keys loads the key pair of the RFC 8291 example, which is
// a P-256 key pair like any VAPID pair.
func TestVAPIDRFC8291Keys(t *testing.T) {
	if _, err := NewVAPID(rfcASPublic, rfcASPrivate, "mailto:a@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewVAPID(rfcUAPublic, rfcASPrivate, "mailto:a@example.org"); !errors.Is(err, ErrInvalidVAPID) {
		t.Fatalf("a public key of another pair: %v", err)
	}
}

func TestNewVAPIDRejects(t *testing.T) {
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	const subject = "mailto:drift@solsikken.example"
	cases := []struct{ name, pub, priv, subject string }{
		{"no keys", "", "", subject},
		{"private key short", pub, priv[:20], subject},
		{"private key is the public key", pub, pub, subject},
		{"public key short", pub[:40], priv, subject},
		{"public key not base64url", strings.Replace(pub, pub[5:6], "+", 1), priv, subject},
		{"private key zero", pub, b64.EncodeToString(make([]byte, 32)), subject},
		{"no subject", pub, priv, ""},
		{"http subject", pub, priv, "http://tillit.example.no"},
		{"mailto without an address", pub, priv, "mailto:"},
		{"mailto with a display name", pub, priv, "mailto:Drift <drift@example.no>"},
		{"bare address", pub, priv, "drift@example.no"},
		{"https without a host", pub, priv, "https://"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewVAPID(c.pub, c.priv, c.subject)
			if !errors.Is(err, ErrInvalidVAPID) {
				t.Fatalf("error %v, want ErrInvalidVAPID", err)
			}
			if len(c.priv) > 8 && strings.Contains(err.Error(), c.priv) {
				t.Fatalf("the error shows the private key: %v", err)
			}
		})
	}
}

func TestVAPIDAuthorization(t *testing.T) {
	v := newTestVAPID(t)
	now := time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	cases := []struct{ endpoint, aud string }{
		{"https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b", "https://fcm.googleapis.com"},
		{"https://Updates.Push.Services.Mozilla.com:443/wpush/v2/gAAAA?x=1", "https://updates.push.services.mozilla.com"},
		{"https://push.example.net:8443/p/1", "https://push.example.net:8443"},
		{"http://localhost:8090/notify/abc", "http://localhost:8090"},
		{"http://127.0.0.1:80/notify/abc", "http://127.0.0.1"},
		{"https://[2001:db8::1]/p", "https://[2001:db8::1]"},
		{"https://[2001:db8::1]:444/p", "https://[2001:db8::1]:444"},
	}
	for _, c := range cases {
		header, err := v.Authorization(c.endpoint, now)
		if err != nil {
			t.Fatalf("%s: %v", c.endpoint, err)
		}
		key, claims, err := verifyVAPID(header)
		if err != nil {
			t.Fatalf("%s: %v", c.endpoint, err)
		}
		if key != v.PublicKey() {
			t.Errorf("k=%s, want the public key %s", key, v.PublicKey())
		}
		if claims.Aud != c.aud {
			t.Errorf("%s: aud %q, want %q", c.endpoint, claims.Aud, c.aud)
		}
		if claims.Exp != now.Add(TokenLifetime).Unix() {
			t.Errorf("exp %d, want %d", claims.Exp, now.Add(TokenLifetime).Unix())
		}
		if claims.Exp > now.Add(24*time.Hour).Unix() {
			t.Errorf("exp is more than 24 hours away (RFC 8292 §2)")
		}
		if claims.Sub != "mailto:drift@solsikken.example" {
			t.Errorf("sub %q", claims.Sub)
		}
	}
}

// TestVAPIDSignatureIsChecked makes sure verifyVAPID, which the sender
// tests rely on, rejects a token signed by another key or altered.
func TestVAPIDSignatureIsChecked(t *testing.T) {
	v, other := newTestVAPID(t), newTestVAPID(t)
	now := time.Unix(1_800_000_000, 0)
	header, err := v.Authorization("https://push.example.net/x", now)
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(header, "k="+v.PublicKey(), "k="+other.PublicKey(), 1)
	if _, _, err := verifyVAPID(swapped); err == nil {
		t.Error("verified with another key")
	}
	tok := strings.TrimPrefix(strings.Split(header, ",")[0], "vapid t=")
	parts := strings.Split(tok, ".")
	otherHeader, err := v.Authorization("https://evil.example.net/x", now)
	if err != nil {
		t.Fatal(err)
	}
	otherParts := strings.Split(strings.TrimPrefix(strings.Split(otherHeader, ",")[0], "vapid t="), ".")
	forged := "vapid t=" + parts[0] + "." + otherParts[1] + "." + parts[2] + ", k=" + v.PublicKey()
	if _, _, err := verifyVAPID(forged); err == nil {
		t.Error("verified claims the signature was not made for")
	}
}

func TestVAPIDAuthorizationRejectsBadEndpoint(t *testing.T) {
	v := newTestVAPID(t)
	for _, e := range []string{"", "push.example.net/x", "ftp://push.example.net/x", "https:///x"} {
		if _, err := v.Authorization(e, time.Unix(0, 0)); !errors.Is(err, ErrInvalidSubscription) {
			t.Errorf("%q: %v", e, err)
		}
	}
}
