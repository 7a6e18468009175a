package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns a random URL-safe secret of 32 bytes.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how secrets are stored: only their SHA-256, so a copy of the
// database does not hand out sessions or invitations.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// codeAlphabet has no look-alikes (0/O, 1/I/L, 5/S, 2/Z, 8/B): the code
// is read aloud and typed from paper.
const codeAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// NewCode returns a short invitation code like "K7Q-MXP-4RT" (9 symbols
// of 25: about 42 bits; codes expire and sign-in attempts are throttled).
func NewCode() string {
	out := make([]byte, 0, 11)
	b := make([]byte, 1)
	for n := 0; n < 9; {
		rand.Read(b)
		if b[0] >= 250 { // 250 = 10*25: keep the symbols equally likely
			continue
		}
		if n == 3 || n == 6 {
			out = append(out, '-')
		}
		out = append(out, codeAlphabet[int(b[0])%len(codeAlphabet)])
		n++
	}
	return string(out)
}

// NormalizeCode upper-cases a typed code and drops spaces and dashes, so
// "k7q mxp 4rt" matches "K7Q-MXP-4RT".
func NormalizeCode(s string) string {
	out := make([]byte, 0, 9)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c == ' ' || c == '-' {
			continue
		}
		out = append(out, c)
	}
	if len(out) != 9 {
		return string(out)
	}
	return string(out[:3]) + "-" + string(out[3:6]) + "-" + string(out[6:])
}
