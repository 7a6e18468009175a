package translate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Apertium defaults.
const (
	DefaultApertiumTimeout = 30 * time.Second
	// DefaultApertiumConcurrency bounds the apertium pipelines running at
	// once: each loads its dictionaries anew and takes a core for about
	// half a second.
	DefaultApertiumConcurrency = 2
	apertiumProbe              = "Jeg heter Kari og liker ikke fisk."
	apertiumProbeNynorsk       = "Eg heiter Kari og likar ikkje fisk."
)

// apertiumModes are the Apertium directions for the pairs we offer.
var apertiumModes = map[[2]string]string{
	{"nb", "nn"}: "nob-nno",
	{"nn", "nb"}: "nno-nob",
}

// ApertiumConfig configures the Apertium provider.
type ApertiumConfig struct {
	// Command is the apertium program (default "apertium", found on PATH).
	Command string
	// Timeout bounds one translation (default DefaultApertiumTimeout).
	Timeout time.Duration
	// MaxInputBytes is the longest text accepted (default MaxTextBytes);
	// longer texts are ErrUnsupported.
	MaxInputBytes int
	// Concurrency bounds parallel pipelines (default DefaultApertiumConcurrency).
	Concurrency int
	// Log receives the result of detection (never any text).
	Log *slog.Logger
}

// Apertium translates Bokmål ↔ Nynorsk with the apertium command and the
// apertium-nno-nob language pair (Debian packages apertium and
// apertium-nno-nob): `apertium -u nob-nno`, text on stdin. -u drops the
// '*' that marks unknown words, which pass through unchanged.
type Apertium struct {
	cfg ApertiumConfig
	sem chan struct{}
	now func() time.Time

	mu       sync.Mutex // guards the detection below
	detected bool       // settled: found and probed, or definitely absent
	retryAt  time.Time  // a probe timed out: probe again after this
	path     string
	ok       map[[2]string]bool // pairs whose probe translation worked
	err      error              // why none works
}

// NewApertium returns the provider; it looks for the command and probes
// each direction once, on first use or on Detect.
func NewApertium(cfg ApertiumConfig) *Apertium {
	if cfg.Command == "" {
		cfg.Command = "apertium"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultApertiumTimeout
	}
	if cfg.MaxInputBytes <= 0 {
		cfg.MaxInputBytes = MaxTextBytes
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultApertiumConcurrency
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Apertium{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency), now: time.Now}
}

// Name is "apertium".
func (a *Apertium) Name() string { return "apertium" }

// Detect finds the command and probes each direction. The answer is kept;
// only when a probe merely timed out (a busy machine) is it probed again,
// at most once a minute. It returns an error when no direction works.
func (a *Apertium) Detect(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.detected && (a.retryAt.IsZero() || !a.now().Before(a.retryAt)) {
		a.detect(ctx)
	}
	return a.err
}

// works reports whether the direction's probe worked.
func (a *Apertium) works(pair [2]string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*a.cfg.Timeout)
	defer cancel()
	a.Detect(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok[pair]
}

func (a *Apertium) detect(ctx context.Context) {
	a.ok = map[[2]string]bool{}
	path, err := exec.LookPath(a.cfg.Command)
	if err != nil {
		a.detected = true
		a.err = fmt.Errorf("apertium: %w: command %q not found: %w", ErrUnsupported, a.cfg.Command, err)
		a.cfg.Log.Info("apertium not installed: no Bokmål ↔ Nynorsk translation by Apertium", "command", a.cfg.Command)
		return
	}
	a.path = path
	var problems []string
	timedOut := false
	for pair, mode := range apertiumModes {
		probe := apertiumProbe
		if pair[0] == "nn" {
			probe = apertiumProbeNynorsk
		}
		out, err := a.run(ctx, mode, probe, true)
		if err == nil {
			err = CheckOutput(probe, out)
		}
		if err != nil {
			timedOut = timedOut || errors.Is(err, ErrUnavailable)
			problems = append(problems, err.Error())
			continue
		}
		a.ok[pair] = true
	}
	a.detected = !timedOut
	if timedOut {
		a.retryAt = a.now().Add(time.Minute)
	}
	if len(a.ok) == 0 {
		a.err = fmt.Errorf("apertium: %w: no direction works (is apertium-nno-nob installed?): %s", ErrUnsupported, strings.Join(problems, "; "))
		a.cfg.Log.Warn("apertium found but its nno-nob pair does not work", "problems", strings.Join(problems, "; "))
		return
	}
	a.err = nil
	a.cfg.Log.Info("apertium ready", "path", path, "nb→nn", a.ok[[2]string{"nb", "nn"}], "nn→nb", a.ok[[2]string{"nn", "nb"}])
}

// Supports is true for nb→nn and nn→nb when the probe translation in that
// direction worked. The first call runs the detection (about a second).
func (a *Apertium) Supports(source, target string) bool {
	src, ok1 := Canonical(source)
	dst, ok2 := Canonical(target)
	if !ok1 || !ok2 {
		return false
	}
	if _, ok := apertiumModes[[2]string{src, dst}]; !ok {
		return false
	}
	return a.works([2]string{src, dst})
}

// Translate runs apertium on text.
func (a *Apertium) Translate(ctx context.Context, text, source, target string) (string, error) {
	src, dst, err := checkRequest(text, source, target)
	if err != nil {
		return "", fmt.Errorf("apertium: %w", err)
	}
	mode, ok := apertiumModes[[2]string{src, dst}]
	if !ok || !a.Supports(src, dst) {
		return "", fmt.Errorf("apertium %s→%s: %w", src, dst, ErrUnsupported)
	}
	if len(text) > a.cfg.MaxInputBytes {
		return "", fmt.Errorf("apertium %s→%s: %w: text of %d bytes is over the limit of %d", src, dst, ErrUnsupported, len(text), a.cfg.MaxInputBytes)
	}
	out, err := a.run(ctx, mode, text, false)
	if err != nil {
		return "", fmt.Errorf("apertium %s→%s: %w", src, dst, err)
	}
	if err := CheckOutput(text, out); err != nil {
		return "", fmt.Errorf("apertium %s→%s: %w", src, dst, err)
	}
	return out, nil
}

// run pipes text through `apertium -u mode`. Its standard error is quoted
// only for the probe (whose text is ours).
func (a *Apertium) run(ctx context.Context, mode, text string, probe bool) (string, error) {
	select {
	case a.sem <- struct{}{}:
		defer func() { <-a.sem }()
	case <-ctx.Done():
		return "", fmt.Errorf("%w: waiting for a free apertium slot: %w", ErrUnavailable, ctx.Err())
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.cfg.Command, "-u", mode)
	killGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = strings.NewReader(text)
	stdout := &limitedBuffer{max: max(10*len(text), 4096) + 4096, onOver: cancel}
	stderr := &limitedBuffer{max: 2048, truncate: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	switch {
	case stdout.over:
		return "", fmt.Errorf("%w: apertium %s wrote more than %d bytes", ErrBadResponse, mode, stdout.max)
	case ctx.Err() != nil:
		return "", fmt.Errorf("%w: apertium %s did not finish in time: %w", ErrUnavailable, mode, ctx.Err())
	case err != nil:
		var exit *exec.ExitError
		if !errors.As(err, &exit) { // could not start it at all
			return "", fmt.Errorf("%w: running apertium %s: %w", ErrUnavailable, mode, err)
		}
		detail := ""
		if probe {
			detail = ": " + clip(strings.TrimSpace(stderr.String()), 300)
		}
		return "", fmt.Errorf("%w: apertium %s failed (%v)%s", ErrBadResponse, mode, exit.ProcessState, detail)
	}
	out := stdout.String()
	if !strings.HasSuffix(text, "\n") {
		out = strings.TrimRight(out, "\n")
	}
	return out, nil
}

// limitedBuffer keeps at most max bytes: past that it calls onOver (which
// kills the command) and fails the write or, with truncate, drops the rest.
// (The buffer is a field, not embedded: an embedded bytes.Buffer's
// ReadFrom would let io.Copy bypass Write and the limit.)
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	truncate bool
	onOver   func()
	over     bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); len(p) > room {
		b.over = true
		if !b.truncate {
			if b.onOver != nil {
				b.onOver()
			}
			return 0, errors.New("output over the limit")
		}
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) String() string { return b.buf.String() }
