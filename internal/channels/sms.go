package channels

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// SMS is one text message to one phone.
type SMS struct {
	// To is the recipient in E.164 form: "+4791234567".
	To string
	// Body is the text, in the recipient's language.
	Body string
	// Ref is the messaging feature's reference for this SMS (its receipt).
	// It is stored with the message (sms_outbox.message_ref) and never sent.
	Ref string
}

// SMSProvider sends SMS. Send returns the provider's id for the message;
// a non-nil error is a *SendError (see IsTemporary).
type SMSProvider interface {
	Name() string
	Send(ctx context.Context, m SMS) (providerID string, err error)
}

// MaxSMSBody is the longest body accepted, in characters (Twilio's limit;
// that is about 23 UCS-2 segments, far more than a notification needs).
const MaxSMSBody = 1600

// ValidE164 reports whether s is an E.164 number: "+", a country code not
// starting with 0, at most 15 digits in all and (in practice) at least 8.
func ValidE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizePhone turns a number as people write it ("+47 912 34 567",
// "0047 91234567", "912 34 567") into E.164. Numbers without a "+" or
// "00" prefix get countryCode ("47" for Norway); with countryCode "" they
// are rejected.
func NormalizePhone(raw, countryCode string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("%w: phone number contains %q", ErrInvalid, r)
		}
	}
	s := b.String()
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case countryCode != "":
		s = "+" + strings.TrimPrefix(countryCode, "+") + s
	default:
		return "", fmt.Errorf("%w: phone number without country code", ErrInvalid)
	}
	if !ValidE164(s) {
		return "", fmt.Errorf("%w: not a phone number in E.164 form", ErrInvalid)
	}
	return s, nil
}

// validateSMS checks what every provider requires.
func validateSMS(channel string, m SMS) error {
	if !ValidE164(m.To) {
		return invalid(channel, "recipient is not an E.164 number")
	}
	if strings.TrimSpace(m.Body) == "" {
		return invalid(channel, "empty body")
	}
	if !utf8.ValidString(m.Body) {
		return invalid(channel, "body is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(m.Body); n > MaxSMSBody {
		return invalid(channel, "body has %d characters, more than %d", n, MaxSMSBody)
	}
	if strings.ContainsRune(m.Body, 0) {
		return invalid(channel, "body contains NUL")
	}
	return nil
}

// SMS encodings.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Segments describes how a body travels: in which encoding, how many
// units it takes (GSM-7 septets or UTF-16 code units) and in how many
// segments (parts) it is billed.
type Segments struct {
	Encoding string
	Units    int
	Count    int
}

// SMSSegments counts the segments body needs. A body that fits the GSM-7
// alphabet (with its extension table, whose characters take two septets)
// takes 160 septets in one segment or 153 per segment when split; any
// other body is sent as UCS-2: 70 code units in one, 67 per segment when
// split. A character is never split across segments. Arabic, Tigrinya,
// Dari and Ukrainian text is UCS-2; Norwegian (æøå) and English are GSM-7.
// An empty body counts 0 segments.
func SMSSegments(body string) Segments {
	gsm := true
	units := 0
	for _, r := range body {
		n := gsm7Septets(r)
		if n == 0 {
			gsm = false
			break
		}
		units += n
	}
	if gsm {
		return Segments{Encoding: GSM7, Units: units, Count: pack(body, 160, 153, gsm7Septets)}
	}
	units = 0
	for _, r := range body {
		units += utf16Units(r)
	}
	return Segments{Encoding: UCS2, Units: units, Count: pack(body, 70, 67, utf16Units)}
}

// pack counts segments: single if all fits in one, else greedy parts of
// at most multi units without splitting a character.
func pack(body string, single, multi int, size func(rune) int) int {
	total := 0
	for _, r := range body {
		total += size(r)
	}
	if total == 0 {
		return 0
	}
	if total <= single {
		return 1
	}
	count, used := 1, 0
	for _, r := range body {
		n := size(r)
		if used+n > multi {
			count++
			used = 0
		}
		used += n
	}
	return count
}

func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// The GSM 03.38 default alphabet (3GPP TS 23.038), apart from the ASCII
// letters and digits, which are all in it.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà"

// Characters reached through the escape of the extension table: two septets.
const gsm7Extension = "\f^{}\\[~]|€"

func gsm7Septets(r rune) int {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return 1
	case strings.ContainsRune(gsm7Basic, r):
		return 1
	case strings.ContainsRune(gsm7Extension, r):
		return 2
	}
	return 0
}
