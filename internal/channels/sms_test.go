package channels

import (
	"errors"
	"strings"
	"testing"
)

func TestSMSSegments(t *testing.T) {
	a := strings.Repeat
	cases := []struct {
		name, body string
		enc        string
		units      int
		count      int
	}{
		{"empty", "", GSM7, 0, 0},
		{"160 latin", a("a", 160), GSM7, 160, 1},
		{"161 latin", a("a", 161), GSM7, 161, 2},
		{"306 latin", a("a", 306), GSM7, 306, 2},
		{"307 latin", a("a", 307), GSM7, 307, 3},
		{"norwegian letters are gsm", "Hei! Ny melding fra barnehagen. Åpne Tillit: æ ø å Æ Ø Å", GSM7, 56, 1},
		{"euro takes two septets", a("€", 80), GSM7, 160, 1},
		{"81 euros", a("€", 81), GSM7, 162, 2},
		{"escape never split", a("a", 152) + "€" + a("a", 152), GSM7, 306, 3},
		{"one arabic letter makes ucs-2", "Hei " + "ب", UCS2, 5, 1},
		{"70 arabic", a("ب", 70), UCS2, 70, 1},
		{"71 arabic", a("ب", 71), UCS2, 71, 2},
		{"134 arabic", a("ب", 134), UCS2, 134, 2},
		{"135 arabic", a("ب", 135), UCS2, 135, 3},
		{"tigrinya", a("ሰ", 67), UCS2, 67, 1},
		{"emoji is two units", a("😀", 35), UCS2, 70, 1},
		{"36 emoji", a("😀", 36), UCS2, 72, 2},
		{"surrogate pair never split", a("ب", 66) + "😀" + a("ب", 66), UCS2, 134, 3},
	}
	for _, c := range cases {
		got := SMSSegments(c.body)
		if got != (Segments{Encoding: c.enc, Units: c.units, Count: c.count}) {
			t.Errorf("%s: got %+v, want %s %d units %d segments", c.name, got, c.enc, c.units, c.count)
		}
	}
}

// The notification texts the docs quote: how many segments they cost.
func TestSMSSegmentsOfNotifications(t *testing.T) {
	for _, c := range []struct {
		lang, body string
		enc        string
		count      int
	}{
		{"nb", "Ny melding fra barnehagen i Tillit. Svar 1 = Jeg forstår, 2 = Jeg har et spørsmål, 3 = Jeg trenger tolk.", GSM7, 1},
		{"ar", "رسالة جديدة من الروضة في Tillit. أجب 1 = فهمت، 2 = عندي سؤال، 3 = أحتاج مترجماً.", UCS2, 2},
		{"ti", "ሓድሽ መልእኽቲ ካብ መውዓሊ ህጻናት ኣብ Tillit። መልሲ 1 = ተረዲኡኒ፣ 2 = ሕቶ ኣለኒ፣ 3 = ተርጓሚ የድልየኒ።", UCS2, 2},
	} {
		got := SMSSegments(c.body)
		if got.Encoding != c.enc || got.Count != c.count {
			t.Errorf("%s: %+v, want %s in %d", c.lang, got, c.enc, c.count)
		}
	}
}

func TestParseReply(t *testing.T) {
	accept := map[string]int{
		"1": 1, " 1 ": 1, "1.": 1, "2\n": 2, "\t3 ": 3, "3!": 3, "1)": 1,
		"١": 1, "٢": 2, "٣": 3, // Arabic-Indic
		"۱": 1, "۲": 2, "۳": 3, // Extended Arabic-Indic (Persian, Dari, Pashto, Urdu)
		"፩": 1, "፪": 2, "፫": 3, // Ethiopic (Tigrinya, Amharic)
		"१": 1, "２": 2, // Devanagari, full-width
		"\u200f٢\u200f": 2, "\u202e1": 1, // direction marks and overrides are dropped
		"٢۔": 2, "፫።": 3, "\u00a01\u00a0": 1,
	}
	for body, want := range accept {
		if code, ok := ParseReply(body); !ok || code != want {
			t.Errorf("ParseReply(%q) = %d, %v; want %d", body, code, ok, want)
		}
	}
	for _, body := range []string{
		"", " ", "0", "4", "9", "٠", "٤", "۴", "፬", "12", "1 2", "11", "1 takk", "ja", "one", "نعم", "#1", "1a", "-1", "+1", "1.5",
		"1\u0301", // a combining mark is not a closing mark
	} {
		if code, ok := ParseReply(body); ok {
			t.Errorf("ParseReply(%q) = %d, true; want not a code", body, code)
		}
	}
}

func TestValidE164AndNormalizePhone(t *testing.T) {
	for _, s := range []string{"+4791234567", "+4741234567", "+251911234567", "+963944123456", "+12025550123"} {
		if !ValidE164(s) {
			t.Errorf("ValidE164(%q) = false", s)
		}
	}
	for _, s := range []string{"", "4791234567", "+", "+0123456789", "+47 91234567", "+47912345678901234", "+47abc", "+4791"} {
		if ValidE164(s) {
			t.Errorf("ValidE164(%q) = true", s)
		}
	}
	norm := map[string]string{
		"+47 912 34 567":   "+4791234567",
		"0047 91234567":    "+4791234567",
		"912 34 567":       "+4791234567",
		"(+47) 912-34-567": "",
		"+251 91 123 4567": "+251911234567",
		"91.23.45.67":      "+4791234567",
	}
	for raw, want := range norm {
		got, err := NormalizePhone(raw, "47")
		if want == "" {
			if err == nil {
				t.Errorf("NormalizePhone(%q) = %q; want an error", raw, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	if _, err := NormalizePhone("91234567", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("no country code: %v", err)
	}
	if _, err := NormalizePhone("+47 912 34 567; DROP", "47"); !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage: %v", err)
	}
}
