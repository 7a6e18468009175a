package translate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"tillit/internal/db"
)

// ProviderPerson is the Provider of a text a person wrote or corrected.
const ProviderPerson = "person"

// Memory is the translation memory: table translation_memory, one row per
// (source language, target language, normalized source text).
type Memory struct {
	db *db.DB
	// Now gives the time stored in rows (Unix seconds); tests may set it.
	Now func() int64
}

// NewMemory returns the memory kept in d.
func NewMemory(d *db.DB) *Memory { return &Memory{db: d, Now: db.Now} }

// Entry is one row of the memory.
type Entry struct {
	ID         int64
	Source     string // launch code
	Target     string // launch code
	SourceText string // the source as first translated (see cleanText)
	Text       string // the translation
	Provider   string // a provider's Name, or ProviderPerson
	// Approximate: machine-translated through a related language.
	Approximate bool
	// CheckedByPerson: a person wrote or corrected Text. CheckedBy is who
	// (0 if that person has since been deleted), CheckedAt when.
	CheckedByPerson bool
	CheckedBy       int64
	CheckedAt       int64
	CreatedAt       int64
}

func (e Entry) result() Result {
	return Result{
		Text:            e.Text,
		Provider:        e.Provider,
		Machine:         !e.CheckedByPerson,
		CheckedByPerson: e.CheckedByPerson,
		CheckedBy:       e.CheckedBy,
		Approximate:     e.Approximate && !e.CheckedByPerson,
		MemoryID:        e.ID,
	}
}

// MachineTranslation is a provider's result, for Store.
type MachineTranslation struct {
	Source, Target string // launch codes
	Text           string // the source text
	Translated     string
	Provider       string
	Approximate    bool
}

// NormalizeKey is the form of a text that the memory compares: Unicode NFC,
// every run of white space (spaces, tabs, line breaks, no-break spaces) made
// one space, trimmed. Texts that differ only there share one translation.
func NormalizeKey(text string) string {
	return strings.Join(strings.Fields(norm.NFC.String(text)), " ")
}

// Hash is the source_hash of text: SHA-256, hex, of NormalizeKey(text).
func Hash(text string) string {
	sum := sha256.Sum256([]byte(NormalizeKey(text)))
	return hex.EncodeToString(sum[:])
}

// cleanText is the form sent to providers and stored as source_text: NFC,
// line breaks as \n, no white space at line ends or around the whole text.
// Unlike NormalizeKey it keeps the line breaks, so paragraphs survive.
func cleanText(text string) string {
	text = norm.NFC.String(text)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

const entryColumns = `id, source_lang, target_lang, source_text, translated_text, provider, approximate, checked_by, checked_at, created_at`

func scanEntry(row *sql.Row) (Entry, error) {
	var e Entry
	var by, at sql.NullInt64
	err := row.Scan(&e.ID, &e.Source, &e.Target, &e.SourceText, &e.Text, &e.Provider, &e.Approximate, &by, &at, &e.CreatedAt)
	if err != nil {
		return Entry{}, err
	}
	e.CheckedByPerson = at.Valid
	e.CheckedBy = by.Int64
	e.CheckedAt = at.Int64
	return e, nil
}

// memoryKey validates a request and returns canonical codes and the hash.
func memoryKey(text, source, target string) (src, dst, hash string, err error) {
	src, dst, err = checkRequest(text, source, target)
	if err != nil {
		return "", "", "", err
	}
	if isBlank(text) {
		return "", "", "", fmt.Errorf("%w: empty text", ErrInvalidInput)
	}
	if src == dst {
		return "", "", "", fmt.Errorf("%w: source and target are both %s", ErrInvalidInput, src)
	}
	return src, dst, Hash(text), nil
}

func (m *Memory) byKey(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, src, dst, hash string) (Entry, error) {
	return scanEntry(q.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM translation_memory
		WHERE source_lang = $1 AND target_lang = $2 AND source_hash = $3`, src, dst, hash))
}

// Lookup returns the memory's translation of text, if it has one.
func (m *Memory) Lookup(ctx context.Context, text, source, target string) (Entry, bool, error) {
	src, dst, hash, err := memoryKey(text, source, target)
	if err != nil {
		return Entry{}, false, err
	}
	e, err := m.byKey(ctx, m.db.R, src, dst, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("translation memory lookup %s→%s: %w", src, dst, err)
	}
	return e, true, nil
}

// Get returns the row with this id, or db.ErrNotFound.
func (m *Memory) Get(ctx context.Context, id int64) (Entry, error) {
	e, err := scanEntry(m.db.R.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM translation_memory WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, db.ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("translation memory get: %w", err)
	}
	return e, nil
}

// Store records a machine translation and returns the row now in the
// memory. If the text already has a row — another worker's machine result
// that won a race, or a person's correction — that row is kept and
// returned: a machine result never overwrites anything.
func (m *Memory) Store(ctx context.Context, t MachineTranslation) (Entry, error) {
	src, dst, hash, err := memoryKey(t.Text, t.Source, t.Target)
	if err != nil {
		return Entry{}, err
	}
	if t.Provider == "" || t.Provider == ProviderPerson {
		return Entry{}, fmt.Errorf("%w: machine translation needs a provider name", ErrInvalidInput)
	}
	if err := CheckOutput(t.Text, t.Translated); err != nil {
		return Entry{}, fmt.Errorf("translation memory store %s→%s: %w", src, dst, err)
	}
	_, err = m.db.W.ExecContext(ctx, `INSERT INTO translation_memory
		(source_lang, target_lang, source_hash, source_text, translated_text, provider, approximate, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (source_lang, target_lang, source_hash) DO NOTHING`,
		src, dst, hash, cleanText(t.Text), t.Translated, t.Provider, t.Approximate, m.Now())
	if err != nil {
		return Entry{}, fmt.Errorf("translation memory store %s→%s: %w", src, dst, err)
	}
	e, err := m.byKey(ctx, m.db.W, src, dst, hash)
	if err != nil {
		return Entry{}, fmt.Errorf("translation memory store %s→%s: read back: %w", src, dst, err)
	}
	return e, nil
}

// Correct records a person's translation of text. It replaces the machine
// result (the same row, so every message that refers to it shows the
// correction), or creates the row when there was none. Later machine
// results never overwrite it; a later correction does.
func (m *Memory) Correct(ctx context.Context, text, source, target, corrected string, personID int64) (Entry, error) {
	src, dst, hash, err := memoryKey(text, source, target)
	if err != nil {
		return Entry{}, err
	}
	if personID <= 0 {
		return Entry{}, fmt.Errorf("%w: a correction needs the person who made it", ErrInvalidInput)
	}
	if err := checkText(corrected); err != nil {
		return Entry{}, fmt.Errorf("correction: %w", err)
	}
	corrected = cleanText(corrected)
	if corrected == "" {
		return Entry{}, fmt.Errorf("%w: empty correction", ErrInvalidInput)
	}
	now := m.Now()
	_, err = m.db.W.ExecContext(ctx, `INSERT INTO translation_memory
		(source_lang, target_lang, source_hash, source_text, translated_text, provider, approximate, checked_by, checked_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8, $8)
		ON CONFLICT (source_lang, target_lang, source_hash) DO UPDATE SET
		  translated_text = excluded.translated_text,
		  provider = excluded.provider,
		  approximate = FALSE,
		  checked_by = excluded.checked_by,
		  checked_at = excluded.checked_at`,
		src, dst, hash, cleanText(text), corrected, ProviderPerson, personID, now)
	if err != nil {
		return Entry{}, fmt.Errorf("translation memory correct %s→%s: %w", src, dst, err)
	}
	e, err := m.byKey(ctx, m.db.W, src, dst, hash)
	if err != nil {
		return Entry{}, fmt.Errorf("translation memory correct %s→%s: read back: %w", src, dst, err)
	}
	return e, nil
}
