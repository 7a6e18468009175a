package webpush

import (
	"crypto/ecdh"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxEndpointLength bounds the endpoint URL. Real push services use well
// under 512 characters.
const MaxEndpointLength = 2048

// Subscription is one browser's push subscription, as its
// PushSubscription.toJSON() gives it: the endpoint to POST to, and the two
// keys the message is encrypted for.
type Subscription struct {
	// Endpoint is the push resource (RFC 8030 §4): an https URL of the
	// browser's push service. Tests may use http on 127.0.0.1, ::1 or
	// localhost.
	Endpoint string
	// P256dh is the browser's ECDH public key: an uncompressed P-256 point
	// (65 octets), base64url.
	P256dh string
	// Auth is the browser's authentication secret: 16 octets, base64url.
	Auth string
}

// subscriptionJSON is the shape of PushSubscription.toJSON().
type subscriptionJSON struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// ParseSubscription reads the JSON of a browser's PushSubscription
// ({"endpoint": …, "keys": {"p256dh": …, "auth": …}}; other members such as
// expirationTime are ignored) and validates it.
func ParseSubscription(data []byte) (Subscription, error) {
	var j subscriptionJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Subscription{}, fmt.Errorf("%w: reading the JSON: %v", ErrInvalidSubscription, err)
	}
	s := Subscription{Endpoint: j.Endpoint, P256dh: j.Keys.P256dh, Auth: j.Keys.Auth}
	if err := s.Validate(); err != nil {
		return Subscription{}, err
	}
	return s, nil
}

// Validate checks that the endpoint is an https URL (http only on the
// loopback interface, for tests), that P256dh is a point on P-256 and that
// Auth is 16 octets. Errors wrap ErrInvalidSubscription.
func (s Subscription) Validate() error {
	if _, err := s.endpointURL(); err != nil {
		return err
	}
	if _, _, err := s.keys(); err != nil {
		return err
	}
	return nil
}

// endpointURL parses and checks the endpoint.
func (s Subscription) endpointURL() (*url.URL, error) {
	bad := func(why string) (*url.URL, error) {
		return nil, fmt.Errorf("%w: endpoint %s", ErrInvalidSubscription, why)
	}
	if s.Endpoint == "" {
		return bad("is empty")
	}
	if len(s.Endpoint) > MaxEndpointLength {
		return bad(fmt.Sprintf("is longer than %d characters", MaxEndpointLength))
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return bad("is not a URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return bad("has no host")
	}
	if u.User != nil {
		return bad("carries a user name")
	}
	if u.Fragment != "" {
		return bad("has a fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return bad("must use https")
		}
	default:
		return bad("must use https")
	}
	return u, nil
}

// isLoopbackHost reports whether host names the loopback interface.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keys decodes and checks the browser's public key and auth secret.
func (s Subscription) keys() (*ecdh.PublicKey, []byte, error) {
	raw, err := decodeB64(s.P256dh)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: p256dh is not base64url", ErrInvalidSubscription)
	}
	if len(raw) != 65 || raw[0] != 4 {
		return nil, nil, fmt.Errorf("%w: p256dh is %d octets, not an uncompressed P-256 point of 65", ErrInvalidSubscription, len(raw))
	}
	pub, err := ecdh.P256().NewPublicKey(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: p256dh is not a point on P-256", ErrInvalidSubscription)
	}
	auth, err := decodeB64(s.Auth)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: auth is not base64url", ErrInvalidSubscription)
	}
	if len(auth) != 16 {
		return nil, nil, fmt.Errorf("%w: auth is %d octets, not 16", ErrInvalidSubscription, len(auth))
	}
	return pub, auth, nil
}
