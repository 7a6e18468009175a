package channels

import (
	"strings"
	"unicode"
)

// The reply codes an SMS notification offers.
const (
	ReplyUnderstood  = 1 // "I understand"
	ReplyQuestion    = 2 // "I have a question"
	ReplyInterpreter = 3 // "I need an interpreter"
)

// ParseReply reads a reply code from an SMS body: one digit 1, 2 or 3,
// in ASCII, Arabic-Indic (١٢٣), Extended Arabic-Indic as typed in Persian,
// Dari, Pashto and Urdu (۱۲۳), Ethiopic (፩፪፫, Tigrinya and Amharic),
// Devanagari (१२३) or full-width (１２３) form. Surrounding spaces,
// invisible direction marks that phones add to right-to-left text, and one
// closing full stop or similar mark ("1.", "٢۔", "፫።") are ignored.
// Anything else — words, two digits, "1 thanks" — is not a code: ok is
// false and the messaging feature should treat the body as a free-text
// answer.
func ParseReply(body string) (code int, ok bool) {
	s := strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, body)
	s = strings.TrimSpace(s)
	s = strings.TrimRightFunc(s, isClosingMark)
	s = strings.TrimSpace(s)
	rs := []rune(s)
	if len(rs) != 1 {
		return 0, false
	}
	d := digitValue(rs[0])
	if d < ReplyUnderstood || d > ReplyInterpreter {
		return 0, false
	}
	return d, true
}

// isInvisible: direction marks and zero-width characters.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u061c', '\ufeff', '\u2060':
		return true
	}
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// isClosingMark: at most these may follow the digit.
func isClosingMark(r rune) bool {
	switch r {
	case '.', '!', ')', ',', '\u06d4' /* ۔ Urdu full stop */, '\u1362' /* ። Ethiopic full stop */, '\u060c' /* ، Arabic comma */, '\u3002', '\uff0e':
		return true
	}
	return unicode.IsSpace(r)
}

// digitValue returns the value of a decimal digit in one of the scripts
// ParseReply accepts, or -1.
func digitValue(r rune) int {
	for _, zero := range []rune{'0', '\u0660', '\u06f0', '\u0966', '\uff10'} {
		if r >= zero && r <= zero+9 {
			return int(r - zero)
		}
	}
	// Ethiopic has no zero: ፩ (U+1369) is one ... ፱ (U+1371) is nine.
	if r >= '\u1369' && r <= '\u1371' {
		return int(r-'\u1369') + 1
	}
	return -1
}
