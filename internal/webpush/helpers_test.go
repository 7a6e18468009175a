package webpush

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// userAgent is the browser's side of a subscription: the keys a real
// browser keeps, so that tests can decrypt what the sender sent.
type userAgent struct {
	private *ecdh.PrivateKey
	auth    []byte
}

// newUserAgent makes fresh browser keys.
func newUserAgent(t testing.TB) *userAgent {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	return &userAgent{private: key, auth: auth}
}

// subscription returns the subscription the browser would hand the page.
func (ua *userAgent) subscription(endpoint string) Subscription {
	return Subscription{
		Endpoint: endpoint,
		P256dh:   b64.EncodeToString(ua.private.PublicKey().Bytes()),
		Auth:     b64.EncodeToString(ua.auth),
	}
}

// decrypt does what a browser does with a push body of Content-Encoding
// aes128gcm (RFC 8188 §2, RFC 8291 §3.4), written here independently of
// Encrypt: read the header, derive the keys, open the single record, strip
// the padding.
func decrypt(body []byte, uaPrivate *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("shorter than the header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("key id runs past the body")
	}
	asPublicRaw := body[21 : 21+idlen]
	record := body[21+idlen:]
	if rs < 18 || uint32(len(record)) > rs {
		return nil, fmt.Errorf("record of %d octets with rs %d: not a single record", len(record), rs)
	}
	asPublic, err := ecdh.P256().NewPublicKey(asPublicRaw)
	if err != nil {
		return nil, fmt.Errorf("key id: %w", err)
	}
	secret, err := uaPrivate.ECDH(asPublic)
	if err != nil {
		return nil, err
	}
	info := append([]byte("WebPush: info\x00"), uaPrivate.PublicKey().Bytes()...)
	info = append(info, asPublicRaw...)
	prkKey, err := hkdf.Extract(sha256.New, secret, authSecret)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("opening the record: %w", err)
	}
	// Padding: zero octets after the delimiter; 0x02 marks the last record.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 0x02 {
		return nil, errors.New("no last-record delimiter 0x02")
	}
	return plain[:end], nil
}

// vapidClaims are the claims of a verified VAPID token.
type vapidClaims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// verifyVAPID checks an Authorization header the way a push service does
// (RFC 8292 §3): "vapid t=<JWT>, k=<key>", a JWT with the ES256 header whose
// signature verifies with k. It returns the key and the claims.
func verifyVAPID(header string) (key string, claims vapidClaims, err error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", claims, fmt.Errorf("scheme is not vapid: %q", header)
	}
	var token string
	for _, param := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	if token == "" || key == "" {
		return "", claims, fmt.Errorf("missing t or k in %q", header)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", claims, errors.New("the token is not a compact JWS")
	}
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", claims, err
	}
	var jose struct{ Typ, Alg string }
	if err := json.Unmarshal(rawHeader, &jose); err != nil {
		return "", claims, err
	}
	if jose.Alg != "ES256" || jose.Typ != "JWT" {
		return "", claims, fmt.Errorf("JOSE header %s", rawHeader)
	}
	rawKey, err := b64.DecodeString(key)
	if err != nil {
		return "", claims, err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawKey)
	if err != nil {
		return "", claims, err
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", claims, errors.New("the signature is not 64 octets")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return "", claims, errors.New("the ES256 signature does not verify")
	}
	rawClaims, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", claims, err
	}
	dec := json.NewDecoder(bytes.NewReader(rawClaims))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&claims); err != nil {
		return "", claims, err
	}
	return key, claims, nil
}

// mustB64 decodes base64url test data.
func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatalf("test data %q: %v", s, err)
	}
	return b
}
