package translate

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// realApertium returns the provider backed by the installed apertium, or
// skips (fails when TILLIT_REQUIRE_APERTIUM is set).
func realApertium(tb testing.TB) *Apertium {
	tb.Helper()
	log, _ := newLogger()
	a := NewApertium(ApertiumConfig{Log: log})
	if err := a.Detect(context.Background()); err != nil {
		if os.Getenv("TILLIT_REQUIRE_APERTIUM") != "" {
			tb.Fatalf("TILLIT_REQUIRE_APERTIUM is set but Apertium does not work: %v", err)
		}
		tb.Skipf("Apertium skipped: %v (apt-get install apertium apertium-nno-nob to run it)", err)
	}
	return a
}

func TestApertiumBokmalNynorsk(t *testing.T) {
	a := realApertium(t)
	ctx := context.Background()
	if !a.Supports("nb", "nn") || !a.Supports("nn", "nb") || a.Supports("nb", "en") || a.Supports("en", "nn") {
		t.Fatal("Supports is wrong")
	}
	out, err := a.Translate(ctx, "Jeg liker ikke fisk. Hva heter du?", "nb", "nn")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Eg ") || !strings.Contains(out, "ikkje") || !strings.Contains(out, "Kva heiter du?") {
		t.Errorf("nb→nn = %q", out)
	}
	out, err = a.Translate(ctx, "Eg likar ikkje fisk. Kva heiter du?", "nn", "nb")
	if err != nil {
		t.Fatal(err)
	}
	if out != "Jeg liker ikke fisk. Hva heter du?" {
		t.Errorf("nn→nb = %q", out)
	}
	// Paragraphs, unknown words (no '*' marks), markup characters and
	// other scripts pass through.
	in := "Hei\n\nVi går på tur i morgen, kl. 08:30.\nXyzzy <b>&amp; 50$ [x] 😀 عربي"
	out, err = a.Translate(ctx, in, "nb", "nn")
	if err != nil {
		t.Fatal(err)
	}
	want := "Hei\n\nMe går på tur i morgon, kl. 08:30.\nXyzzy <b>&amp; 50$ [x] 😀 عربي"
	if out != want && out != strings.Replace(want, "Me går", "Vi går", 1) {
		t.Errorf("nb→nn = %q, want %q", out, want)
	}
	if _, err := a.Translate(ctx, "Hei", "nb", "en"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("nb→en: %v", err)
	}
}

// fakeApertium writes a stand-in for the apertium command: a shell script
// that reads the text on stdin like the real one and answers the probe
// properly, and otherwise does what body says ($in holds the text).
func fakeApertium(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake apertium is a shell script")
	}
	path := filepath.Join(t.TempDir(), "apertium")
	script := `#!/bin/sh
in=$(cat)
case "$in" in
*"Kari"*) printf '%s' "$in"; exit 0 ;;
esac
` + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeApertiumTranslating is a fake that "translates" a few words by sed.
func fakeApertiumTranslating(t *testing.T) string {
	return fakeApertium(t, `case "$2" in
nob-nno) printf '%s' "$in" | sed -e 's/Jeg/Eg/g; s/ikke/ikkje/g; s/Hva/Kva/g' ;;
nno-nob) printf '%s' "$in" | sed -e 's/Eg/Jeg/g; s/ikkje/ikke/g; s/Kva/Hva/g' ;;
*) echo "Error: Mode $2 does not exist" >&2; exit 1 ;;
esac`)
}

func TestApertiumFaults(t *testing.T) {
	ctx := context.Background()
	log, logs := newLogger()
	text := "Barnet hadde feber og må hentes"

	t.Run("works", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertiumTranslating(t), Log: log})
		out, err := a.Translate(ctx, "Jeg liker ikke fisk", "nb", "nn")
		if err != nil || out != "Eg liker ikkje fisk" {
			t.Errorf("= %q, %v", out, err)
		}
	})
	t.Run("not installed", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: filepath.Join(t.TempDir(), "no-such-apertium"), Log: log})
		if a.Supports("nb", "nn") {
			t.Error("supports nb→nn without the command")
		}
		if _, err := a.Translate(ctx, text, "nb", "nn"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("pair not installed", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `echo "Error: Mode $2 does not exist" >&2; exit 1`), Log: log})
		// The probe passes for this fake, so break the probe too:
		a.cfg.Command = fakeApertiumNoProbe(t)
		err := a.Detect(ctx)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("Detect = %v", err)
		}
		if a.Supports("nb", "nn") || a.Supports("nn", "nb") {
			t.Error("supports a pair whose probe failed")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `sleep 60; echo late`), Timeout: 300 * time.Millisecond, Log: log})
		_, err := a.Translate(ctx, text, "nb", "nn")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		noText(t, text, err.Error())
	})
	t.Run("crash", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `echo "Segmentation fault: $in" >&2; exit 139`), Log: log})
		_, err := a.Translate(ctx, text, "nb", "nn")
		if !errors.Is(err, ErrBadResponse) || Retryable(err) {
			t.Errorf("err = %v", err)
		}
		noText(t, text, err.Error())
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `printf 'hei \377\376'`), Log: log})
		if _, err := a.Translate(ctx, text, "nb", "nn"); !errors.Is(err, ErrBadResponse) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("endless output", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `yes "$in"`), Log: log})
		if _, err := a.Translate(ctx, text, "nb", "nn"); !errors.Is(err, ErrBadResponse) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("empty output", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertium(t, `exit 0`), Log: log})
		if _, err := a.Translate(ctx, text, "nb", "nn"); !errors.Is(err, ErrBadResponse) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("too long", func(t *testing.T) {
		a := NewApertium(ApertiumConfig{Command: fakeApertiumTranslating(t), MaxInputBytes: 10, Log: log})
		if _, err := a.Translate(ctx, text, "nb", "nn"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("err = %v", err)
		}
	})
	noText(t, text, logs.String())
}

// A probe that times out (a busy machine) is tried again a minute later,
// not taken as "not installed" for good.
func TestApertiumProbeTimeoutRetried(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake apertium is a shell script")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "apertium")
	script := "#!/bin/sh\nin=$(cat)\nif [ ! -e " + dir + "/warm ]; then touch " + dir + "/warm; sleep 60; fi\nprintf '%s' \"$in\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	log, _ := newLogger()
	a := NewApertium(ApertiumConfig{Command: path, Timeout: 300 * time.Millisecond, Log: log})
	clock := time.Unix(1_700_000_000, 0)
	a.now = func() time.Time { return clock }
	// The first probe times out, the second works.
	a.Detect(context.Background())
	if n := len(a.ok); n != 1 {
		t.Fatalf("%d directions work after one probe timed out", n)
	}
	if err := a.Detect(context.Background()); err != nil || len(a.ok) != 1 {
		t.Fatalf("probed again within the minute: %v, %d", err, len(a.ok))
	}
	clock = clock.Add(61 * time.Second)
	if err := a.Detect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !a.Supports("nb", "nn") || !a.Supports("nn", "nb") {
		t.Error("not both directions after the second probe")
	}
}

// fakeApertiumNoProbe fails every call, the probe included, like an
// apertium without the nno-nob pair.
func fakeApertiumNoProbe(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "apertium")
	if err := os.WriteFile(path, []byte("#!/bin/sh\ncat >/dev/null\necho \"Error: Mode $2 does not exist\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// The timeout kills the whole pipeline, not just the shell: no stage is
// left running.
func TestApertiumTimeoutKillsPipeline(t *testing.T) {
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("pgrep not installed")
	}
	cmd := fakeApertium(t, "sleep 61 | cat\nsleep 61")
	a := NewApertium(ApertiumConfig{Command: cmd, Timeout: 300 * time.Millisecond})
	if _, err := a.Translate(context.Background(), "Hei", "nb", "nn"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	// SIGKILL is delivered at once, but the kernel may take a moment to
	// reap; look a few times.
	var out []byte
	for range 50 {
		out, _ = exec.Command("pgrep", "-f", "^sleep 61$").Output()
		if len(strings.TrimSpace(string(out))) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("pipeline stages still running: pids %s", out)
}
