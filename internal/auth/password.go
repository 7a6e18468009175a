// Package auth holds Tillit's sign-in machinery: password hashing,
// server-side sessions, invitations and sign-in throttling.
package auth

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MinPasswordLength is counted in characters, not bytes.
const MinPasswordLength = 12

// MaxPasswordLength bounds the work a sign-in attempt can cause.
const MaxPasswordLength = 256

// argon2id parameters (RFC 9106's second recommended option, with less
// memory to suit a small server): 64 MiB, 3 passes, 2 lanes.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// Password errors; the code is the translation key's last part.
var (
	ErrPasswordTooShort = errors.New("password_too_short")
	ErrPasswordTooLong  = errors.New("password_too_long")
	ErrPasswordCommon   = errors.New("password_common")
)

//go:embed common-passwords.txt
var commonList []byte

var common = func() map[string]bool {
	m := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(commonList))
	for s.Scan() {
		if w := strings.TrimSpace(s.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckPasswordRules says why a new password is refused, or nil.
func CheckPasswordRules(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		return ErrPasswordTooShort
	}
	if len(pw) > MaxPasswordLength {
		return ErrPasswordTooLong
	}
	if isCommon(pw) {
		return ErrPasswordCommon
	}
	return nil
}

// isCommon refuses listed passwords and one character repeated or a
// listed password repeated to reach the length.
func isCommon(pw string) bool {
	l := strings.ToLower(pw)
	if common[l] {
		return true
	}
	r, _ := utf8.DecodeRuneInString(l)
	if strings.Trim(l, string(r)) == "" {
		return true
	}
	for w := range common {
		if len(w) >= 4 && len(l)%len(w) == 0 && strings.Repeat(w, len(l)/len(w)) == l {
			return true
		}
	}
	return false
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is checked against when the login does not exist, so that
// the answer takes as long either way.
var dummyHash, _ = HashPassword("tillit-dummy-password-for-timing")

// VerifyPassword compares pw with a PHC-format argon2id hash. An empty
// hash (no password set) never matches.
func VerifyPassword(hash, pw string) bool {
	if hash == "" {
		VerifyPassword(dummyHash, pw)
		return false
	}
	if len(pw) > MaxPasswordLength {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
