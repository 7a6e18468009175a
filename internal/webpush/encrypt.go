package webpush

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Sizes of the aes128gcm message (RFC 8188 §2, RFC 8291 §4).
const (
	// RecordSize is the record size written in the header. A push message
	// is one record, and push services need not accept bodies over 4096
	// octets (RFC 8030 §7.2).
	RecordSize = 4096
	// headerSize: salt (16) + rs (4) + idlen (1) + keyid, the application
	// server's public key (65).
	headerSize = 16 + 4 + 1 + 65
	// tagSize is the AES-GCM authentication tag.
	tagSize = 16
	// MaxPayload is the largest plaintext that fits: 4096 octets less the
	// header, the padding delimiter and the tag (RFC 8291 §4).
	MaxPayload = RecordSize - headerSize - 1 - tagSize
)

// EncryptOptions adjusts Encrypt. The zero value is what a sender wants:
// a fresh ephemeral key and salt for every message, no padding.
type EncryptOptions struct {
	// Ephemeral, when not nil, is used as the application server's
	// one-time ECDH key instead of a fresh one. Only for tests (the
	// RFC 8291 example): reusing a key with the same salt reuses the
	// content key.
	Ephemeral *ecdh.PrivateKey
	// Salt, when not nil, must be 16 octets and is used instead of a
	// random salt. Only for tests.
	Salt []byte
	// PadTo pads the plaintext with zero octets to at least this length
	// (at most MaxPayload), so that the body's length tells less about the
	// payload's.
	PadTo int
}

// Encrypt encrypts plaintext for the subscription's browser and returns
// the body of a push request with Content-Encoding: aes128gcm: the RFC 8188
// header (salt, record size 4096, the ephemeral public key as key id)
// followed by one record. The keys are derived as RFC 8291 §3.3–3.4 says.
//
// Errors wrap ErrInvalidSubscription (bad keys) or ErrPayloadTooLarge
// (more than MaxPayload octets).
func Encrypt(plaintext []byte, sub Subscription, opts EncryptOptions) ([]byte, error) {
	uaPublic, authSecret, err := sub.keys()
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPayload {
		return nil, fmt.Errorf("%w: %d octets, at most %d fit one record", ErrPayloadTooLarge, len(plaintext), MaxPayload)
	}

	asPrivate := opts.Ephemeral
	if asPrivate == nil {
		if asPrivate, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
			return nil, fmt.Errorf("webpush: generating the ephemeral key: %w", err)
		}
	} else if asPrivate.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("webpush: the ephemeral key is not on P-256")
	}
	salt := opts.Salt
	if salt == nil {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return nil, fmt.Errorf("webpush: making the salt: %w", err)
		}
	} else if len(salt) != 16 {
		return nil, fmt.Errorf("webpush: the salt is %d octets, not 16", len(salt))
	}

	ecdhSecret, err := asPrivate.ECDH(uaPublic)
	if err != nil {
		return nil, fmt.Errorf("webpush: ECDH with the subscription's key: %w", err)
	}
	asPublic := asPrivate.PublicKey().Bytes()
	cek, nonce, err := deriveKeys(ecdhSecret, authSecret, uaPublic.Bytes(), asPublic, salt)
	if err != nil {
		return nil, err
	}

	// The record's plaintext: the payload, the delimiter 0x02 that marks
	// the last record (RFC 8188 §2), then zero octets of padding.
	size := len(plaintext)
	if opts.PadTo > size {
		size = min(opts.PadTo, MaxPayload)
	}
	record := make([]byte, size+1, size+1+tagSize)
	copy(record, plaintext)
	record[len(plaintext)] = 0x02

	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("webpush: AES: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webpush: GCM: %w", err)
	}

	body := make([]byte, headerSize, headerSize+len(record)+tagSize)
	copy(body, salt)
	binary.BigEndian.PutUint32(body[16:20], RecordSize)
	body[20] = byte(len(asPublic))
	copy(body[21:], asPublic)
	// One record has sequence number 0, so its nonce is NONCE itself
	// (RFC 8188 §2.3: NONCE XOR SEQ).
	return gcm.Seal(body, nonce, record, nil), nil
}

// deriveKeys computes the content encryption key and the nonce from the
// ECDH secret, the auth secret, both public keys and the salt.
func deriveKeys(ecdhSecret, authSecret, uaPublic, asPublic, salt []byte) (cek, nonce []byte, err error) {
	// RFC 8291 §3.4: IKM = HKDF(salt=auth_secret, ikm=ecdh_secret,
	// info="WebPush: info" || 0x00 || ua_public || as_public, L=32).
	keyInfo := make([]byte, 0, 14+len(uaPublic)+len(asPublic))
	keyInfo = append(keyInfo, "WebPush: info\x00"...)
	keyInfo = append(keyInfo, uaPublic...)
	keyInfo = append(keyInfo, asPublic...)
	ikm, err := hkdf.Key(sha256.New, ecdhSecret, authSecret, string(keyInfo), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: deriving the IKM: %w", err)
	}
	// RFC 8188 §2.2 and §2.3: PRK = HKDF-Extract(salt, IKM), then the
	// 16-octet CEK and the 12-octet NONCE.
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: deriving the PRK: %w", err)
	}
	if cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, fmt.Errorf("webpush: deriving the CEK: %w", err)
	}
	if nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12); err != nil {
		return nil, nil, fmt.Errorf("webpush: deriving the nonce: %w", err)
	}
	return cek, nonce, nil
}
