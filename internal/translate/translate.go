// Package translate turns free text from one of Tillit's launch languages
// into another through a chain: the translation memory in the database
// first (the same text is never translated twice, and a person's
// correction replaces the machine result everywhere), then the first
// configured provider that offers the language pair — a LibreTranslate
// server, Apertium for Bokmål ↔ Nynorsk — and otherwise no translation at
// all, which the reader sees as the original with a "not translated — ask
// for help" action.
//
// Providers classify their failures with three errors: ErrUnsupported (the
// pair or the text is not offered: try the next provider, or show the
// original), ErrUnavailable (the provider is down, slow, rate-limited or
// misconfigured: retry later) and ErrBadResponse (it answered, but with
// something that is not a translation: do not retry). Only ErrUnavailable
// is worth a retry.
//
// No text passes through a log: errors and log records name the provider,
// the languages and what went wrong, never the words.
package translate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"tillit/internal/i18n"
)

// Provider is one machine-translation service. Languages are Tillit's
// launch codes (nb, nn, en, pl, lt, uk, ru, ar, ti, so, fa-AF, ps, kmr).
type Provider interface {
	// Name is stored with each translation ("libretranslate", "apertium").
	Name() string
	// Translate returns text in the target language, or an error that
	// wraps ErrUnsupported, ErrUnavailable or ErrBadResponse.
	Translate(ctx context.Context, text, source, target string) (string, error)
	// Supports reports, cheaply and without waiting on the network,
	// whether the provider may offer the pair. Translate has the last
	// word: it may still answer ErrUnsupported.
	Supports(source, target string) bool
}

// Approximator is implemented by providers that reach some languages only
// through a related one (Dari through Persian, Kurmanji through a generic
// Kurdish model): the reader is then told the translation is approximate.
type Approximator interface {
	Approximate(source, target string) bool
}

var (
	// ErrUnsupported: the provider does not offer this pair or this text
	// (too long for it, refused by it). Try the next provider.
	ErrUnsupported = errors.New("translation not offered")
	// ErrUnavailable: the provider is down, timed out, answered 429 or 5xx,
	// or refused our key. Retry later.
	ErrUnavailable = errors.New("translation provider unavailable")
	// ErrBadResponse: the provider answered with something that is not a
	// translation (not JSON, empty, wrong type, invalid UTF-8, absurdly
	// long). Retrying will not help.
	ErrBadResponse = errors.New("translation provider gave a bad answer")
	// ErrInvalidInput: the caller passed an unknown language code, invalid
	// UTF-8, a NUL byte or a text longer than MaxTextBytes. No provider is
	// asked.
	ErrInvalidInput = errors.New("invalid translation request")
)

// Retryable reports whether err is worth retrying later.
func Retryable(err error) bool { return errors.Is(err, ErrUnavailable) }

// MaxTextBytes is the longest text the chain translates. Messages are far
// shorter; the messaging feature sets its own, lower limit.
const MaxTextBytes = 16 << 10

// Canonical returns the launch language code for code (case-insensitive:
// "FA-af" → "fa-AF").
func Canonical(code string) (string, bool) {
	l, ok := i18n.Lookup(code)
	if !ok {
		return "", false
	}
	return l.Code, true
}

// Result is what the reader is shown.
type Result struct {
	// Text is the translation, or the original when Untranslated or when
	// source and target are the same language.
	Text string
	// Provider produced Text: a provider's Name, "person" for a correction,
	// or "" when nothing was translated.
	Provider string
	// Machine: Text is an unreviewed machine translation; label it so,
	// name the source language and keep the original one tap away.
	Machine bool
	// CheckedByPerson: a person wrote or corrected Text (CheckedBy is the
	// person's id).
	CheckedByPerson bool
	CheckedBy       int64
	// Approximate: the machine translated into or from a related language
	// (Dari via Persian, Kurmanji via generic Kurdish).
	Approximate bool
	// FromMemory: Text came from the translation memory; no provider was
	// asked.
	FromMemory bool
	// Untranslated: no provider offers the pair; Text is the original and
	// the reader gets the "not translated — ask for help" action.
	Untranslated bool
	// MemoryID is the translation_memory row holding Text (0 when none).
	// Messages should refer to it rather than copy Text, so that a later
	// correction shows everywhere.
	MemoryID int64
}

// Translator is the chain: memory, then Providers in order.
type Translator struct {
	// Memory may be nil (no memory: every call asks a provider).
	Memory *Memory
	// Providers are tried in order; the first whose Supports accepts the
	// pair and that does not answer ErrUnsupported wins.
	Providers []Provider
	// OnProviderCall, when set, is called before every provider call
	// (tests use it to assert that something made no call).
	OnProviderCall func(provider, source, target string)

	calls  atomic.Int64
	flight flightGroup
}

// totalCalls counts provider calls made by every Translator in the process.
var totalCalls atomic.Int64

// Calls is how many times this Translator has called a provider.
func (t *Translator) Calls() int64 { return t.calls.Load() }

// ProviderCalls is how many times any Translator in the process has called
// a provider.
func ProviderCalls() int64 { return totalCalls.Load() }

// Translate translates text from source to target through the chain.
//
// Same language, empty text: the original. A memory hit: the stored text,
// without asking a provider. Otherwise the first provider that offers the
// pair; its result is stored in the memory. When no provider offers the
// pair the result is Untranslated (no error). When a provider that offers
// it failed, the error wraps ErrUnavailable (retry later) or, when none was
// merely unavailable, ErrBadResponse.
func (t *Translator) Translate(ctx context.Context, text, source, target string) (Result, error) {
	src, dst, err := checkRequest(text, source, target)
	if err != nil {
		return Result{}, err
	}
	if src == dst || isBlank(text) {
		return Result{Text: text}, nil
	}
	if r, ok, err := t.fromMemory(ctx, text, src, dst); err != nil || ok {
		return r, err
	}
	// One translation at a time per text in this process; a concurrent
	// caller waits and then finds the result in the memory.
	key := src + "\x00" + dst + "\x00" + Hash(text)
	return t.flight.do(ctx, key, func() (Result, error) {
		if r, ok, err := t.fromMemory(ctx, text, src, dst); err != nil || ok {
			return r, err
		}
		return t.fromProviders(ctx, text, src, dst)
	})
}

func (t *Translator) fromMemory(ctx context.Context, text, src, dst string) (Result, bool, error) {
	if t.Memory == nil {
		return Result{}, false, nil
	}
	e, ok, err := t.Memory.Lookup(ctx, text, src, dst)
	if err != nil || !ok {
		return Result{}, false, err
	}
	r := e.result()
	r.FromMemory = true
	return r, true, nil
}

func (t *Translator) fromProviders(ctx context.Context, text, src, dst string) (Result, error) {
	sendText := cleanText(text)
	var unavailable, bad error
	for _, p := range t.Providers {
		if !p.Supports(src, dst) {
			continue
		}
		t.calls.Add(1)
		totalCalls.Add(1)
		if t.OnProviderCall != nil {
			t.OnProviderCall(p.Name(), src, dst)
		}
		out, err := p.Translate(ctx, sendText, src, dst)
		if err == nil {
			err = CheckOutput(sendText, out)
			if err != nil {
				err = fmt.Errorf("%s %s→%s: %w", p.Name(), src, dst, err)
			}
		}
		switch {
		case err == nil:
			approx := false
			if a, ok := p.(Approximator); ok {
				approx = a.Approximate(src, dst)
			}
			if t.Memory == nil {
				return Result{Text: out, Provider: p.Name(), Machine: true, Approximate: approx}, nil
			}
			e, err := t.Memory.Store(ctx, MachineTranslation{
				Source: src, Target: dst, Text: sendText, Translated: out,
				Provider: p.Name(), Approximate: approx,
			})
			if err != nil {
				return Result{}, err
			}
			return e.result(), nil
		case errors.Is(err, ErrUnsupported):
			continue
		case errors.Is(err, ErrBadResponse):
			if bad == nil {
				bad = err
			}
		default:
			if !errors.Is(err, ErrUnavailable) {
				err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			if unavailable == nil {
				unavailable = err
			}
		}
	}
	if unavailable != nil {
		return Result{}, unavailable
	}
	if bad != nil {
		return Result{}, bad
	}
	return Result{Text: text, Untranslated: true}, nil
}

// checkRequest validates a request and returns the canonical codes.
func checkRequest(text, source, target string) (string, string, error) {
	src, ok := Canonical(source)
	if !ok {
		return "", "", fmt.Errorf("%w: unknown source language %q", ErrInvalidInput, clip(source, 16))
	}
	dst, ok := Canonical(target)
	if !ok {
		return "", "", fmt.Errorf("%w: unknown target language %q", ErrInvalidInput, clip(target, 16))
	}
	if err := checkText(text); err != nil {
		return "", "", err
	}
	return src, dst, nil
}

func checkText(text string) error {
	switch {
	case len(text) > MaxTextBytes:
		return fmt.Errorf("%w: text of %d bytes is longer than %d", ErrInvalidInput, len(text), MaxTextBytes)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidInput)
	case strings.IndexByte(text, 0) >= 0:
		return fmt.Errorf("%w: text contains a NUL byte", ErrInvalidInput)
	}
	return nil
}

// CheckOutput rejects a provider's answer that cannot be a translation of
// in: invalid UTF-8, empty when in was not, or absurdly long (more than ten
// times as many characters as in, with a floor of 100 characters so that
// "Ja" may become a longer word). The error wraps ErrBadResponse.
func CheckOutput(in, out string) error {
	switch {
	case !utf8.ValidString(out):
		return fmt.Errorf("%w: translation is not valid UTF-8", ErrBadResponse)
	case strings.TrimSpace(out) == "" && strings.TrimSpace(in) != "":
		return fmt.Errorf("%w: empty translation", ErrBadResponse)
	case strings.IndexByte(out, 0) >= 0:
		return fmt.Errorf("%w: translation contains a NUL byte", ErrBadResponse)
	}
	n, m := utf8.RuneCountInString(in), utf8.RuneCountInString(out)
	if m > max(10*n, 100) {
		return fmt.Errorf("%w: translation of %d characters for %d", ErrBadResponse, m, n)
	}
	return nil
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// clip shortens s for an error message (language codes, server errors).
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// flightGroup lets one caller per key do the work while the others wait for
// it and then do their own (they find the result in the memory).
type flightGroup struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (g *flightGroup) do(ctx context.Context, key string, fn func() (Result, error)) (Result, error) {
	for {
		g.mu.Lock()
		if g.m == nil {
			g.m = map[string]chan struct{}{}
		}
		ch, busy := g.m[key]
		if !busy {
			ch = make(chan struct{})
			g.m[key] = ch
			g.mu.Unlock()
			defer func() {
				g.mu.Lock()
				delete(g.m, key)
				g.mu.Unlock()
				close(ch)
			}()
			return fn()
		}
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Result{}, fmt.Errorf("%w: waiting for the same text's translation: %w", ErrUnavailable, ctx.Err())
		}
	}
}
