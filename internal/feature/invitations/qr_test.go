package invitations_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"

	"tillit/internal/feature/invitations"
)

var (
	viewBoxRE = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	pathRE    = regexp.MustCompile(` d="([^"]*)"`)
	runRE     = regexp.MustCompile(`^M(\d+),(\d+)h(\d+)v1h-(\d+)z`)
)

// TestQRSVG checks the drawing against the QR standard's sizes (byte mode,
// level M: version 1 holds 14 bytes, 2 holds 26, 4 holds 62, 5 holds 84)
// and that the path draws exactly the encoder's dark modules.
func TestQRSVG(t *testing.T) {
	for _, tc := range []struct {
		n       int // text length (lower-case letters: byte mode)
		version int
	}{{1, 1}, {14, 1}, {15, 2}, {26, 2}, {62, 4}, {63, 5}, {84, 5}, {85, 6}} {
		text := strings.Repeat("x", tc.n)
		svg, err := invitations.QRSVG(text, `a "label" <x>`)
		if err != nil {
			t.Fatal(err)
		}
		s := string(svg)
		modules := 21 + 4*(tc.version-1)
		want := modules + 2*invitations.QuietZone
		m := viewBoxRE.FindStringSubmatch(s)
		if m == nil || m[1] != strconv.Itoa(want) || m[2] != strconv.Itoa(want) {
			t.Fatalf("%d bytes: viewBox %v, want %d (version %d)", tc.n, m, want, tc.version)
		}
		if !strings.Contains(s, `role="img"`) || !strings.Contains(s, `aria-label="a &#34;label&#34; &lt;x&gt;"`) {
			t.Fatalf("accessible name missing or unescaped: %s", s)
		}
		if strings.Count(s, "<path") != 1 {
			t.Fatal("want one path")
		}
		p := pathRE.FindStringSubmatch(s)
		if p == nil || p[1] == "" {
			t.Fatal("empty path")
		}
		// Redraw the path and compare with the encoder's modules.
		dark := map[[2]int]bool{}
		rest := p[1]
		for rest != "" {
			r := runRE.FindStringSubmatch(rest)
			if r == nil {
				t.Fatalf("bad path at %q", rest[:min(20, len(rest))])
			}
			x, _ := strconv.Atoi(r[1])
			y, _ := strconv.Atoi(r[2])
			w, _ := strconv.Atoi(r[3])
			if r[3] != r[4] || x < invitations.QuietZone || y < invitations.QuietZone || x+w > modules+invitations.QuietZone || y >= modules+invitations.QuietZone {
				t.Fatalf("run %q outside the code or not closed", r[0])
			}
			for i := 0; i < w; i++ {
				dark[[2]int{x + i - invitations.QuietZone, y - invitations.QuietZone}] = true
			}
			rest = rest[len(r[0]):]
		}
		code, err := qr.Encode(text, qr.M)
		if err != nil {
			t.Fatal(err)
		}
		if code.Size != modules {
			t.Fatalf("encoder size %d, want %d", code.Size, modules)
		}
		for y := 0; y < modules; y++ {
			for x := 0; x < modules; x++ {
				if code.Black(x, y) != dark[[2]int{x, y}] {
					t.Fatalf("%d bytes: module (%d,%d) drawn %v", tc.n, x, y, dark[[2]int{x, y}])
				}
			}
		}
		// The finder pattern's corner is dark: the drawing is not empty.
		if !dark[[2]int{0, 0}] || !dark[[2]int{modules - 1, 0}] || !dark[[2]int{0, modules - 1}] {
			t.Fatal("finder patterns missing")
		}
	}
}
