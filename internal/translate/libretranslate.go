package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// LibreTranslate limits and defaults.
const (
	// MaxResponseBytes is the largest answer read from the server.
	MaxResponseBytes = 1 << 20
	// LanguagesTTL is how long the server's list of languages is trusted.
	LanguagesTTL = time.Hour
	// languagesRetry is how long a failed refresh keeps the old list
	// before the next attempt.
	languagesRetry = time.Minute
	// DefaultLibreTimeout bounds one request when the config sets none.
	DefaultLibreTimeout = 20 * time.Second
)

// LibreTranslateConfig configures a LibreTranslate client.
type LibreTranslateConfig struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:5000.
	URL string
	// APIKey is sent with every translation when set (servers started
	// with --api-keys require one).
	APIKey string
	// Timeout bounds one request (default DefaultLibreTimeout).
	Timeout time.Duration
	// Client is the HTTP client (default: one with Timeout).
	Client *http.Client
	// Log receives warnings (never any text); default slog.Default().
	Log *slog.Logger
}

// LibreTranslate is a client for a LibreTranslate server (the self-hosted,
// open-source translation server) or any server that speaks its API:
// POST /translate and GET /languages.
type LibreTranslate struct {
	base    string
	key     string
	timeout time.Duration
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time

	refresh sync.Mutex // one /languages request at a time
	mu      sync.Mutex // guards the fields below
	langs   libreLanguages
	loaded  time.Time // when langs was fetched
	failed  time.Time // when the last refresh failed
}

// NewLibreTranslate returns a client for the server at cfg.URL.
func NewLibreTranslate(cfg LibreTranslateConfig) (*LibreTranslate, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("libretranslate: URL must be http(s)://host[:port][/path], got %q", clip(cfg.URL, 80))
	}
	c := &LibreTranslate{
		base:    strings.TrimRight(u.String(), "/"),
		key:     cfg.APIKey,
		timeout: cfg.Timeout,
		client:  cfg.Client,
		log:     cfg.Log,
		now:     time.Now,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultLibreTimeout
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: c.timeout}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Name is "libretranslate".
func (c *LibreTranslate) Name() string { return "libretranslate" }

// libreCode is a LibreTranslate language code that can stand for a launch
// language; approximate when it is a related language rather than the
// same one.
type libreCode struct {
	code        string
	approximate bool
}

// libreCodes lists, per launch language, the LibreTranslate codes to use,
// best first. Only codes the server lists are used.
var libreCodes = map[string][]libreCode{
	"nb":    {{"nb", false}, {"no", false}},
	"nn":    {{"nn", false}},
	"en":    {{"en", false}},
	"pl":    {{"pl", false}},
	"lt":    {{"lt", false}},
	"uk":    {{"uk", false}},
	"ru":    {{"ru", false}},
	"ar":    {{"ar", false}},
	"ti":    {{"ti", false}},
	"so":    {{"so", false}},
	"fa-AF": {{"prs", false}, {"fa", true}}, // Dari; "fa" is (Iranian) Persian
	"ps":    {{"ps", false}},
	"kmr":   {{"kmr", false}, {"ku", true}}, // Kurmanji; "ku" is Kurdish, unspecified
}

// libreLanguages is the server's list: code → the codes it translates
// into. nil until loaded.
type libreLanguages map[string]map[string]bool

func (l libreLanguages) pair(src, dst string) (libreCode, libreCode, bool) {
	for _, s := range libreCodes[src] {
		targets, ok := l[s.code]
		if !ok {
			continue
		}
		for _, d := range libreCodes[dst] {
			if _, listed := l[d.code]; listed && targets[d.code] && s.code != d.code {
				return s, d, true
			}
		}
	}
	return libreCode{}, libreCode{}, false
}

func (c *LibreTranslate) cached() libreLanguages {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.langs
}

// Supports reports whether the pair may be offered: by the server's list
// once it is known, by the code table before that.
func (c *LibreTranslate) Supports(source, target string) bool {
	src, ok1 := Canonical(source)
	dst, ok2 := Canonical(target)
	if !ok1 || !ok2 || src == dst {
		return false
	}
	if l := c.cached(); l != nil {
		_, _, ok := l.pair(src, dst)
		return ok
	}
	return len(libreCodes[src]) > 0 && len(libreCodes[dst]) > 0
}

// Approximate reports whether the pair goes through a related language
// (Dari as Persian, Kurmanji as generic Kurdish) on this server.
func (c *LibreTranslate) Approximate(source, target string) bool {
	src, _ := Canonical(source)
	dst, _ := Canonical(target)
	s, d, ok := c.cached().pair(src, dst)
	return ok && (s.approximate || d.approximate)
}

// Refresh fetches the server's list of languages now (at start-up, say).
// Translate fetches it by itself when it is missing or older than an hour.
func (c *LibreTranslate) Refresh(ctx context.Context) error {
	c.refresh.Lock()
	defer c.refresh.Unlock()
	return c.fetchLanguages(ctx)
}

// languages returns the server's list, fetching it when missing or stale.
// A failed refresh keeps the old list (and waits a minute before the next
// attempt); only with no list at all is the failure returned.
func (c *LibreTranslate) languages(ctx context.Context) (libreLanguages, error) {
	fresh := func() (libreLanguages, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		now := c.now()
		if c.langs != nil && (now.Sub(c.loaded) < LanguagesTTL || now.Sub(c.failed) < languagesRetry) {
			return c.langs, true
		}
		return c.langs, false
	}
	if l, ok := fresh(); ok {
		return l, nil
	}
	c.refresh.Lock()
	defer c.refresh.Unlock()
	if l, ok := fresh(); ok { // another caller refreshed meanwhile
		return l, nil
	}
	err := c.fetchLanguages(ctx)
	l := c.cached()
	if err != nil && l != nil {
		c.log.Warn("libretranslate: could not refresh the language list; using the old one", "err", err)
		return l, nil
	}
	return l, err
}

type libreLanguage struct {
	Code    string    `json:"code"`
	Name    string    `json:"name"`
	Targets *[]string `json:"targets"`
}

func (c *LibreTranslate) fetchLanguages(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			c.mu.Lock()
			c.failed = c.now()
			c.mu.Unlock()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/languages", nil)
	if err != nil {
		return fmt.Errorf("libretranslate languages: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	body, status, after, err := c.do(req)
	if err != nil {
		return fmt.Errorf("libretranslate languages: %w", err)
	}
	if status != http.StatusOK {
		err := c.statusError(status, body, "", after)
		if errors.Is(err, ErrUnsupported) { // 400 on a plain GET: not a LibreTranslate server
			err = fmt.Errorf("%w: %v", ErrBadResponse, err)
		}
		return fmt.Errorf("libretranslate languages: %w", err)
	}
	var list []libreLanguage
	if err := json.Unmarshal(body, &list); err != nil {
		return fmt.Errorf("libretranslate languages: %w: not a JSON list of languages", ErrBadResponse)
	}
	langs := libreLanguages{}
	for _, l := range list {
		if l.Code == "" {
			return fmt.Errorf("libretranslate languages: %w: a language without a code", ErrBadResponse)
		}
		langs[l.Code] = map[string]bool{}
	}
	if len(langs) == 0 {
		return fmt.Errorf("libretranslate languages: %w: the server lists no language", ErrBadResponse)
	}
	for _, l := range list {
		if l.Targets == nil { // servers older than the "targets" field translate between all
			for code := range langs {
				langs[l.Code][code] = true
			}
			continue
		}
		for _, t := range *l.Targets {
			langs[l.Code][t] = true
		}
	}
	c.mu.Lock()
	c.langs, c.loaded = langs, c.now()
	c.mu.Unlock()
	return nil
}

type libreRequest struct {
	Q      string `json:"q"`
	Source string `json:"source"`
	Target string `json:"target"`
	Format string `json:"format"`
	APIKey string `json:"api_key,omitempty"`
}

// Translate asks the server. See the package comment for the errors.
func (c *LibreTranslate) Translate(ctx context.Context, text, source, target string) (string, error) {
	src, dst, err := checkRequest(text, source, target)
	if err != nil {
		return "", fmt.Errorf("libretranslate: %w", err)
	}
	langs, err := c.languages(ctx)
	if err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	s, d, ok := langs.pair(src, dst)
	if !ok {
		return "", fmt.Errorf("libretranslate %s→%s: %w: the server does not list the pair", src, dst, ErrUnsupported)
	}
	payload, err := json.Marshal(libreRequest{Q: text, Source: s.code, Target: d.code, Format: "text", APIKey: c.key})
	if err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/translate", bytes.NewReader(payload))
	if err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	body, status, after, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	if status != http.StatusOK {
		err := c.statusError(status, body, text, after)
		if errors.Is(err, ErrUnsupported) {
			// Perhaps the server dropped a language since we asked:
			// fetch the list again on the next call.
			c.mu.Lock()
			c.loaded = time.Time{}
			c.mu.Unlock()
		}
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	var answer struct {
		TranslatedText json.RawMessage `json:"translatedText"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w: not JSON", src, dst, ErrBadResponse)
	}
	if answer.TranslatedText == nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w: no translatedText", src, dst, ErrBadResponse)
	}
	var out string
	if err := json.Unmarshal(answer.TranslatedText, &out); err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w: translatedText is not a string", src, dst, ErrBadResponse)
	}
	if err := CheckOutput(text, out); err != nil {
		return "", fmt.Errorf("libretranslate %s→%s: %w", src, dst, err)
	}
	return out, nil
}

// do sends req and reads at most MaxResponseBytes of valid UTF-8, and the
// Retry-After seconds of a 429 or 503. Transport failures and timeouts
// wrap ErrUnavailable; an oversized or non-UTF-8 body wraps ErrBadResponse.
func (c *LibreTranslate) do(req *http.Request) (body []byte, status int, after time.Duration, err error) {
	req.Header.Set("User-Agent", "Tillit")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: reading the answer: %w", ErrUnavailable, err)
	}
	if len(body) > MaxResponseBytes {
		return nil, 0, 0, fmt.Errorf("%w: answer (status %d) larger than %d bytes", ErrBadResponse, resp.StatusCode, MaxResponseBytes)
	}
	if resp.StatusCode == http.StatusOK && !utf8.Valid(body) {
		return nil, 0, 0, fmt.Errorf("%w: answer is not valid UTF-8", ErrBadResponse)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
	}
	return body, resp.StatusCode, after, nil
}

// UnavailableError is an ErrUnavailable with the server's Retry-After.
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.RetryAfter)
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// RetryAfter returns how long the provider asked us to wait, if it did.
func RetryAfter(err error) (time.Duration, bool) {
	var u *UnavailableError
	if errors.As(err, &u) {
		return u.RetryAfter, true
	}
	return 0, false
}

// statusError classifies a non-200 answer. text is the request's text: a
// server message that quotes it is withheld, so that no text reaches an
// error or a log.
func (c *LibreTranslate) statusError(status int, body []byte, text string, after time.Duration) error {
	msg := serverMessage(body, text)
	var err error
	switch {
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
		// LibreTranslate answers 400 for an unsupported language and for a
		// text over its character limit: not offered, try elsewhere.
		err = fmt.Errorf("%w: server refused the request (%d%s)", ErrUnsupported, status, msg)
	case status == http.StatusForbidden:
		c.log.Warn("libretranslate: the server refused the API key (set or fix the key)", "status", status)
		err = fmt.Errorf("%w: server refused the API key (%d%s)", ErrUnavailable, status, msg)
	case status == http.StatusTooManyRequests:
		err = fmt.Errorf("%w: rate limited (%d%s)", ErrUnavailable, status, msg)
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		err = fmt.Errorf("%w: no LibreTranslate API at the configured URL (%d)", ErrUnavailable, status)
	case status == http.StatusRequestTimeout || status >= 500:
		err = fmt.Errorf("%w: server error (%d%s)", ErrUnavailable, status, msg)
	default:
		err = fmt.Errorf("%w: unexpected status %d%s", ErrBadResponse, status, msg)
	}
	if after > 0 && errors.Is(err, ErrUnavailable) {
		return &UnavailableError{RetryAfter: after, Err: err}
	}
	return err
}

// serverMessage extracts {"error": "..."} from an error answer, cleaned
// and short, or "" — withheld when it quotes the text.
func serverMessage(body []byte, text string) string {
	var e struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return ""
	}
	msg, ok := e.Error.(string)
	if !ok {
		return ""
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(msg, "?"))
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	if t := strings.TrimSpace(text); t != "" && (strings.Contains(msg, t) || (len(t) > 12 && strings.Contains(msg, t[:12]))) {
		return ": server message withheld (it quotes the text)"
	}
	return ": " + clip(msg, 200)
}
