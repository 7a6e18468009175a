// Package webpush sends Web Push messages: the protocol of RFC 8030, the
// message encryption of RFC 8291 (the "aes128gcm" content coding of
// RFC 8188) and the application server identification of RFC 8292 (VAPID).
//
// It uses only the standard library. The pieces:
//
//   - GenerateVAPIDKeys makes an application server key pair (P-256);
//     NewVAPID loads one with its contact (a mailto: or https: URI) and
//     signs the short-lived ES256 token of the Authorization header.
//   - Subscription is what a browser's PushManager.subscribe gives the page
//     (endpoint, p256dh, auth); ParseSubscription reads the browser's JSON
//     and Validate checks it before it is stored.
//   - Encrypt turns a payload into the body of a push request: one record
//     of at most 4096 octets, so payloads are limited to MaxPayload.
//   - Sender.Send encrypts, signs and POSTs one message and classifies the
//     push service's answer: Delivered, Gone (delete the subscription),
//     Retry (later, honouring Retry-After) or Rejected.
//
// A push message is read by a push service Tillit does not control, and its
// length is visible to it even when its content is not. The payloads
// Tillit sends therefore say only that there is something new, in the
// recipient's language (see docs/webpush.md), and Send pads them to a
// multiple of PadBlock octets.
//
// Nothing here logs: errors name the push service's origin and status, never
// the endpoint's path (which identifies a device) or the payload.
package webpush

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Errors that Send and Encrypt wrap; test for them with errors.Is.
var (
	// ErrInvalidSubscription: the endpoint or the keys cannot be used.
	ErrInvalidSubscription = errors.New("webpush: invalid subscription")
	// ErrPayloadTooLarge: the payload does not fit one 4096-octet record.
	ErrPayloadTooLarge = errors.New("webpush: payload too large")
	// ErrInvalidOptions: a TTL, Urgency or Topic the protocol does not allow.
	ErrInvalidOptions = errors.New("webpush: invalid send options")
	// ErrInvalidVAPID: a VAPID key or subject that cannot be used.
	ErrInvalidVAPID = errors.New("webpush: invalid VAPID configuration")
)

// b64 is the encoding the Push API and JWTs use: base64url without padding.
var b64 = base64.RawURLEncoding

// decodeB64 decodes base64url, with or without trailing padding.
func decodeB64(s string) ([]byte, error) {
	return b64.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
}
