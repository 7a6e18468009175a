package phrasebook

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tillit/internal/i18n"
)

// searchDoc is an entry's folded Norwegian words, by field.
type searchDoc struct {
	title, keywords, text []string
}

// Field weights: a word that begins a title word counts most; inside a
// word (compounds such as "vinterklær" for "klær") counts less, and only
// for search words of four letters or more, so "tur" finds "turdag" but
// not "natur".
const (
	titlePrefix, titleInfix     = 30, 12
	keywordPrefix, keywordInfix = 10, 4
	textPrefix, textInfix       = 3, 1
	minInfix                    = 4
)

func (b *Book) buildIndex() {
	b.index = make([]searchDoc, len(b.entries))
	for i, e := range b.entries {
		var text strings.Builder
		for _, ps := range b.texts[i18n.Source][e.Key].forms {
			for _, p := range ps {
				text.WriteString(p.lit)
				text.WriteByte(' ')
			}
		}
		b.index[i] = searchDoc{title: words(e.Title), keywords: words(e.Keywords), text: words(text.String())}
	}
}

// Search finds entries by Norwegian words in their title, keywords and
// text, ignoring case and diacritics (æ is ae, ø is o, å is a, é is e).
// Every word of the query must match; entries whose title matches come
// first, then keyword matches, then text matches, in catalogue order
// within a rank. An empty query returns every entry.
func (b *Book) Search(query string) []Entry {
	terms := words(query)
	if len(terms) == 0 {
		return b.Entries()
	}
	type hit struct{ i, score int }
	var hits []hit
	for i, d := range b.index {
		total := 0
		for _, t := range terms {
			s := max(
				score(t, d.title, titlePrefix, titleInfix),
				score(t, d.keywords, keywordPrefix, keywordInfix),
				score(t, d.text, textPrefix, textInfix),
			)
			if s == 0 {
				total = 0
				break
			}
			total += s
		}
		if total > 0 {
			hits = append(hits, hit{i, total})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.score - a.score })
	out := make([]Entry, len(hits))
	for k, h := range hits {
		out[k] = b.entries[h.i]
	}
	return out
}

func score(term string, ws []string, prefix, infix int) int {
	best := 0
	long := utf8.RuneCountInString(term) >= minInfix
	for _, w := range ws {
		if strings.HasPrefix(w, term) {
			return prefix
		}
		if long && strings.Contains(w, term) {
			best = infix
		}
	}
	return best
}

// words folds s and splits it into words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Fold lower-cases s and removes diacritics the way a Norwegian user
// types without them: æ → ae, ø → o, å → a, é → e.
func Fold(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'æ':
			sb.WriteString("ae")
		case r == 'ø':
			sb.WriteRune('o')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
