package importcsv

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextLen is the maximum length, in characters (runes), of any field.
const MaxTextLen = 200

// Confidentiality values for Child.ConfidentialAddress and
// Guardian.ConfidentialAddress.
const (
	ConfidentialNone     = ""
	Confidential         = "fortrolig"
	StrictlyConfidential = "strengt_fortrolig"
)

// LaunchLanguages are the language codes accepted for guardians, in their
// canonical spelling.
var LaunchLanguages = []string{"nb", "nn", "en", "pl", "lt", "uk", "ru", "ar", "ti", "so", "fa-AF", "ps", "kmr"}

// isBidi reports whether r is a Unicode bidirectional formatting character
// that can be used to make text display differently from its logical order.
func isBidi(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C: // LRM, RLM, ALM
		return true
	}
	return false
}

// isControl reports control characters (Unicode category Cc) and the line and
// paragraph separators. Other format characters (such as the zero-width
// non-joiner used in Persian) are allowed.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// ValidateText applies the rules shared by every field: valid UTF-8, no bidi
// control characters, surrounding white space trimmed, no control
// characters, at most MaxTextLen characters. It returns the cleaned value and
// "" or an error code. An empty result is not an error here.
func ValidateText(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "", CodeInvalidUTF8
	}
	for _, r := range s {
		if isBidi(r) {
			return "", CodeBidiChars
		}
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if isControl(r) {
			return "", CodeControlChars
		}
	}
	if utf8.RuneCountInString(s) > MaxTextLen {
		return "", CodeTooLong
	}
	return s, ""
}

// ValidateName validates a person or group name: the ValidateText rules,
// runs of white space collapsed to one space, not empty (CodeRequired), and
// no '<' or '>' (CodeMarkupChars). Apostrophes, quotes, parentheses,
// semicolons and the like are ordinary characters in names.
func ValidateName(s string) (string, string) {
	s, code := ValidateText(s)
	if code != "" {
		return "", code
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", CodeRequired
	}
	if strings.ContainsAny(s, "<>") {
		return "", CodeMarkupChars
	}
	return s, ""
}

// ValidateEmail checks an optional e-mail address loosely: exactly one '@',
// something on both sides, no white space, no '<' or '>', and a dot inside
// the domain. The domain is lower-cased. An empty value is accepted.
func ValidateEmail(s string) (string, string) {
	s, code := ValidateText(s)
	if code != "" || s == "" {
		return s, code
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") ||
		strings.IndexFunc(s, unicode.IsSpace) >= 0 || strings.ContainsAny(s, "<>") {
		return "", CodeInvalidEmail
	}
	dot := strings.Index(domain, ".")
	if dot <= 0 || strings.HasSuffix(domain, ".") {
		return "", CodeInvalidEmail
	}
	return local + "@" + strings.ToLower(domain), ""
}

// NormalizePhone checks an optional phone number made of digits, spaces and
// an optional leading '+' (a leading "00" is read as '+'). Spaces are
// removed. Eight digits without a country code are Norwegian and become
// "+47XXXXXXXX"; "+47" must be followed by exactly eight digits; other
// international numbers need 7 to 15 digits. An empty value is accepted.
func NormalizePhone(s string) (string, string) {
	s, code := ValidateText(s)
	if code != "" || s == "" {
		return s, code
	}
	plus := false
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		plus, s = true, rest
	}
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ':
		default:
			return "", CodeInvalidPhone
		}
	}
	d := digits.String()
	if !plus {
		if rest, ok := strings.CutPrefix(d, "00"); ok {
			plus, d = true, rest
		}
	}
	if !plus {
		if len(d) != 8 {
			return "", CodeInvalidPhone
		}
		return "+47" + d, ""
	}
	if strings.HasPrefix(d, "47") && len(d) != 10 {
		return "", CodeInvalidPhone
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", CodeInvalidPhone
	}
	return "+" + d, ""
}

var languageByLower = func() map[string]string {
	m := make(map[string]string, len(LaunchLanguages))
	for _, l := range LaunchLanguages {
		m[strings.ToLower(l)] = l
	}
	return m
}()

// ParseLanguages parses an optional list of language codes separated by
// spaces, '|' or ','. Matching is case-insensitive and the result uses the
// canonical spelling from LaunchLanguages ("fa-af" becomes "fa-AF"), in the
// order given, without duplicates. An empty value gives nil.
func ParseLanguages(s string) ([]string, string) {
	langs, _, code := parseLanguages(s)
	return langs, code
}

// parseLanguages is ParseLanguages that also returns the offending token.
func parseLanguages(s string) ([]string, string, string) {
	s, code := ValidateText(s)
	if code != "" {
		return nil, "", code
	}
	tokens := strings.FieldsFunc(s, func(r rune) bool {
		return r == '|' || r == ',' || unicode.IsSpace(r)
	})
	var out []string
	for _, t := range tokens {
		l, ok := languageByLower[strings.ToLower(t)]
		if !ok {
			return nil, t, CodeUnknownLanguage
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, "", ""
}

// ParseBool parses yes/no/ja/nei/true/false/1/0 (case-insensitive). An empty
// value gives def.
func ParseBool(s string, def bool) (bool, string) {
	s, code := ValidateText(s)
	if code != "" {
		return def, code
	}
	switch strings.ToLower(s) {
	case "":
		return def, ""
	case "yes", "ja", "true", "1":
		return true, ""
	case "no", "nei", "false", "0":
		return false, ""
	}
	return def, CodeInvalidBool
}

// ParseConfidentiality parses a confidential-address marker: empty,
// "fortrolig" or "strengt_fortrolig" (case-insensitive; a space or '-' may
// stand for the underscore).
func ParseConfidentiality(s string) (string, string) {
	s, code := ValidateText(s)
	if code != "" {
		return "", code
	}
	norm := strings.ToLower(strings.Join(strings.Fields(s), "_"))
	norm = strings.ReplaceAll(norm, "-", "_")
	switch norm {
	case ConfidentialNone:
		return ConfidentialNone, ""
	case Confidential:
		return Confidential, ""
	case StrictlyConfidential:
		return StrictlyConfidential, ""
	}
	return "", CodeUnknownConfidentiality
}

const maxDisplay = 100

// displayValue makes a raw cell safe to show in an error report.
func displayValue(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxDisplay {
			b.WriteString("…")
			break
		}
		if isBidi(r) || isControl(r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
		} else {
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}
