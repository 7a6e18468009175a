package webpush

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// TokenLifetime is how long a VAPID token is valid. RFC 8292 §2 forbids more
// than 24 hours; half of that leaves room for a sender's clock running late.
const TokenLifetime = 12 * time.Hour

// GenerateVAPIDKeys makes a new application server key pair on P-256 and
// returns the public key as an uncompressed point (65 octets) and the
// private key as its 32-octet scalar, both base64url without padding. The
// public key is what pages pass to PushManager.subscribe as
// applicationServerKey; the private key is a secret of the server.
func GenerateVAPIDKeys() (public, private string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("webpush: generating the VAPID key: %w", err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		return "", "", fmt.Errorf("webpush: encoding the VAPID public key: %w", err)
	}
	priv, err := key.Bytes()
	if err != nil {
		return "", "", fmt.Errorf("webpush: encoding the VAPID private key: %w", err)
	}
	return b64.EncodeToString(pub), b64.EncodeToString(priv), nil
}

// VAPID is an application server's identity (RFC 8292): its key pair and a
// contact the push service's operator can reach.
type VAPID struct {
	key     *ecdsa.PrivateKey
	public  string
	subject string
}

// NewVAPID loads a key pair as GenerateVAPIDKeys writes it, checks that the
// two halves belong together, and checks the subject: a mailto: address or
// an https: URL (RFC 8292 §2.1). Errors wrap ErrInvalidVAPID and never
// contain the private key.
func NewVAPID(publicKey, privateKey, subject string) (*VAPID, error) {
	rawPriv, err := decodeB64(privateKey)
	if err != nil || len(rawPriv) != 32 {
		return nil, fmt.Errorf("%w: the private key must be 32 octets, base64url", ErrInvalidVAPID)
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), rawPriv)
	if err != nil {
		return nil, fmt.Errorf("%w: the private key is not a P-256 scalar", ErrInvalidVAPID)
	}
	rawPub, err := decodeB64(publicKey)
	if err != nil || len(rawPub) != 65 {
		return nil, fmt.Errorf("%w: the public key must be an uncompressed P-256 point (65 octets), base64url", ErrInvalidVAPID)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawPub)
	if err != nil {
		return nil, fmt.Errorf("%w: the public key is not a point on P-256", ErrInvalidVAPID)
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("%w: the public key does not belong to the private key", ErrInvalidVAPID)
	}
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	return &VAPID{key: key, public: b64.EncodeToString(rawPub), subject: subject}, nil
}

// checkSubject accepts "mailto:someone@example.org" and "https://host/…".
func checkSubject(subject string) error {
	switch {
	case strings.HasPrefix(subject, "mailto:"):
		addr, err := mail.ParseAddress(strings.TrimPrefix(subject, "mailto:"))
		if err != nil || addr.Name != "" {
			return fmt.Errorf("%w: the subject %q is not a mailto: address", ErrInvalidVAPID, subject)
		}
	case strings.HasPrefix(subject, "https://"):
		u, err := url.Parse(subject)
		if err != nil || u.Hostname() == "" || u.User != nil {
			return fmt.Errorf("%w: the subject %q is not an https URL", ErrInvalidVAPID, subject)
		}
	default:
		return fmt.Errorf("%w: the subject must be a mailto: or https: URI, such as mailto:drift@kommune.no", ErrInvalidVAPID)
	}
	return nil
}

// PublicKey returns the public key, base64url: the applicationServerKey a
// page subscribes with.
func (v *VAPID) PublicKey() string { return v.public }

// Subject returns the contact given to NewVAPID.
func (v *VAPID) Subject() string { return v.subject }

// Authorization returns the value of the Authorization header for a push
// to endpoint at time now: "vapid t=<JWT>, k=<public key>" (RFC 8292 §3),
// where the JWT is signed with ES256 and claims aud (the endpoint's
// origin), exp (now + TokenLifetime) and sub (the subject).
func (v *VAPID) Authorization(endpoint string, now time.Time) (string, error) {
	aud, err := origin(endpoint)
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}{aud, now.Add(TokenLifetime).Unix(), v.subject})
	if err != nil {
		return "", fmt.Errorf("webpush: encoding the VAPID claims: %w", err)
	}
	input := jwtHeader + "." + b64.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, v.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("webpush: signing the VAPID token: %w", err)
	}
	// JWS (RFC 7518 §3.4): R and S as 32-octet big-endian integers.
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + input + "." + b64.EncodeToString(sig[:]) + ", k=" + v.public, nil
}

// jwtHeader is the encoded JOSE header {"typ":"JWT","alg":"ES256"}.
var jwtHeader = b64.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))

// origin returns the ASCII serialisation of the endpoint's origin
// (RFC 6454): the scheme, the lower-case host and the port unless it is the
// scheme's default.
func origin(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%w: the endpoint has no http(s) origin", ErrInvalidSubscription)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port), nil
	}
	if strings.Contains(host, ":") { // an IPv6 literal
		host = "[" + host + "]"
	}
	return scheme + "://" + host, nil
}
