package translate

import (
	"log/slog"
	"time"

	"tillit/internal/db"
)

// Config selects the providers of the standard chain. The zero value is
// the memory and "none": nothing is machine translated.
type Config struct {
	// LibreTranslateURL is the base URL of a LibreTranslate server
	// (e.g. http://127.0.0.1:5000); empty for none.
	LibreTranslateURL string
	// LibreTranslateKey is its API key, if it requires one.
	LibreTranslateKey string
	// LibreTranslateTimeout bounds one request (default DefaultLibreTimeout).
	LibreTranslateTimeout time.Duration
	// Apertium uses the apertium command for Bokmål ↔ Nynorsk when it and
	// the apertium-nno-nob pair are installed.
	Apertium bool
	// Log receives the providers' warnings (never any text).
	Log *slog.Logger
}

// New returns the standard chain on d: the memory, then Apertium for
// Bokmål ↔ Nynorsk (it is made for that pair and better at it than a
// general model), then LibreTranslate, then none.
func New(d *db.DB, cfg Config) (*Translator, error) {
	t := &Translator{Memory: NewMemory(d)}
	if cfg.Apertium {
		t.Providers = append(t.Providers, NewApertium(ApertiumConfig{Log: cfg.Log}))
	}
	if cfg.LibreTranslateURL != "" {
		lt, err := NewLibreTranslate(LibreTranslateConfig{URL: cfg.LibreTranslateURL, APIKey: cfg.LibreTranslateKey,
			Timeout: cfg.LibreTranslateTimeout, Log: cfg.Log})
		if err != nil {
			return nil, err
		}
		t.Providers = append(t.Providers, lt)
	}
	t.Providers = append(t.Providers, None{})
	return t, nil
}
