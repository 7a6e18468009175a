package invitations

import (
	"fmt"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// QuietZone is the white margin around a QR code, in modules (the
// standard asks for four).
const QuietZone = 4

// QRSVG encodes text as a QR code (error correction level M, which
// survives a crease or a smudge on paper) and draws it as a small inline
// SVG: a white square and one path of the dark modules, each row's runs
// of dark modules drawn as one rectangle. label is the image's accessible
// name. The size of the image is (modules + 2*QuietZone) units square.
func QRSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	n := code.Size + 2*QuietZone
	var path strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < code.Size && code.Black(x, y) {
				x++
			}
			fmt.Fprintf(&path, "M%d,%dh%dv1h-%dz", start+QuietZone, y+QuietZone, x-start, x-start)
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, template.HTMLEscapeString(label), n, n, path.String())
	return template.HTML(svg), nil
}
