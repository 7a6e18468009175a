package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	_ "image/gif" // decoders by content
	"image/jpeg"
	_ "image/png"
	"runtime"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// slots bounds how many pictures are decoded at once: a phone photo takes
// about 0.45 s and 100 MB while it is being scaled (BenchmarkPhonePhoto).
var slots = make(chan struct{}, max(2, runtime.NumCPU()))

// normaliseImage decodes a picture, turns it upright, scales it down to
// MaxSide and encodes it anew as JPEG: nothing of the uploaded bytes is
// kept but the picture.
func normaliseImage(data []byte) (*File, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, ErrUnsupported
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels || cfg.Width > 30000 || cfg.Height > 30000 {
		return nil, ErrTooLarge
	}
	slots <- struct{}{}
	defer func() { <-slots }()
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrUnsupported
	}
	orientation := 1
	if format == "jpeg" {
		orientation = jpegOrientation(data)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if s := max(w, h); s > MaxSide {
		w, h = max(1, w*MaxSide/s), max(1, h*MaxSide/s)
	}
	// Transparent parts become white, not black, in a JPEG.
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.BiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	out := orient(dst, orientation)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, err
	}
	ob := out.Bounds()
	return &File{Kind: Image, ContentType: "image/jpeg", Data: buf.Bytes(), Width: ob.Dx(), Height: ob.Dy()}, nil
}

// jpegOrientation reads the EXIF orientation (1–8) of a JPEG; 1 when it
// has none or it cannot be read.
func jpegOrientation(data []byte) int {
	if !hasAt(data, 0, "\xff\xd8") {
		return 1
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		if marker == 0xda || marker == 0xd9 { // start of scan, end: no EXIF before the picture
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && hasAt(seg, 0, "Exif\x00\x00") {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// exifOrientation finds tag 0x0112 in IFD0 of a TIFF structure.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient returns m turned by an EXIF orientation so that it shows
// upright.
func orient(m *image.RGBA, o int) image.Image {
	if o <= 1 || o > 8 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // turned 180°
				dx, dy = w-1-x, h-1-y
			case 4: // upside down, mirrored
				dx, dy = x, h-1-y
			case 5: // mirrored, turned 90° counter-clockwise
				dx, dy = y, x
			case 6: // turned 90° clockwise to show upright
				dx, dy = h-1-y, x
			case 7: // mirrored, turned 90° clockwise
				dx, dy = h-1-y, w-1-x
			case 8: // turned 90° counter-clockwise to show upright
				dx, dy = y, w-1-x
			}
			i := m.PixOffset(x, y)
			j := out.PixOffset(dx, dy)
			copy(out.Pix[j:j+4], m.Pix[i:i+4])
		}
	}
	return out
}
