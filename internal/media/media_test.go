package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"

	"tillit/internal/media/mediatest"
)

// picture is a w×h picture: red on the left half, blue on the right, with
// a green top row, so orientation can be checked.
func picture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			if y < h/8 {
				c = color.RGBA{0, 255, 0, 255}
			}
			m.Set(x, y, c)
		}
	}
	return m
}

func encode(t *testing.T, format string, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, m)
	case "jpeg":
		err = jpeg.Encode(&b, m, &jpeg.Options{Quality: 90})
	case "gif":
		err = gif.Encode(&b, m, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif inserts an APP1 EXIF segment with an orientation tag and a GPS
// marker string right after the JPEG's start-of-image marker.
func withExif(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	binary.Write(&tiff, binary.BigEndian, uint16(1))                // one entry
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})      // orientation, SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))                // count
	binary.Write(&tiff, binary.BigEndian, []uint16{orientation, 0}) // value
	binary.Write(&tiff, binary.BigEndian, uint32(0))                // no next IFD
	tiff.WriteString("GPS 59.9139N 10.7522E home of the child")     // what must not survive
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xff, 0xe1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func decode(t *testing.T, f *File) image.Image {
	t.Helper()
	if f.ContentType != "image/jpeg" || f.Kind != Image || Extension(f.ContentType) != ".jpg" {
		t.Fatalf("stored as %q %q %q", f.Kind, f.ContentType, Extension(f.ContentType))
	}
	m, format, err := image.Decode(bytes.NewReader(f.Data))
	if err != nil || format != "jpeg" {
		t.Fatalf("stored picture does not decode as JPEG: %v %s", err, format)
	}
	if m.Bounds().Dx() != f.Width || m.Bounds().Dy() != f.Height {
		t.Fatalf("size %v, File says %dx%d", m.Bounds(), f.Width, f.Height)
	}
	return m
}

func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(a uint32, e uint8) bool { return int(a>>8)-int(e) < 60 && int(e)-int(a>>8) < 60 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

func TestImagesAreReencodedAndScaled(t *testing.T) {
	for _, format := range []string{"png", "jpeg", "gif"} {
		t.Run(format, func(t *testing.T) {
			src := encode(t, format, picture(3200, 1600))
			// A polyglot: script after the end of the picture.
			src = append(src, []byte("<script>alert(1)</script>")...)
			f, err := Check(Image, bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, f)
			if f.Width != MaxSide || f.Height != MaxSide/2 {
				t.Errorf("scaled to %dx%d, want %dx%d", f.Width, f.Height, MaxSide, MaxSide/2)
			}
			if bytes.Contains(f.Data, []byte("<script")) {
				t.Error("trailing bytes survived")
			}
			if !near(m.At(10, f.Height-10), 255, 0, 0) || !near(m.At(f.Width-10, f.Height-10), 0, 0, 255) {
				t.Error("colours lost")
			}
		})
	}
	t.Run("small pictures keep their size", func(t *testing.T) {
		f, err := Check(Image, bytes.NewReader(encode(t, "png", picture(40, 30))))
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != 40 || f.Height != 30 {
			t.Errorf("%dx%d", f.Width, f.Height)
		}
	})
}

func TestExifOrientationAppliedAndDropped(t *testing.T) {
	// A camera held upright stores a landscape picture with orientation
	// 6: turn it 90° clockwise. The green top row then is the right side.
	for _, tc := range []struct {
		o          uint16
		w, h       int
		greenAt    [2]int // a point that must be green after turning
		notGreenAt [2]int
	}{
		{1, 320, 160, [2]int{160, 2}, [2]int{160, 150}},
		{3, 320, 160, [2]int{160, 157}, [2]int{160, 2}},
		{6, 160, 320, [2]int{157, 160}, [2]int{2, 160}},
		{8, 160, 320, [2]int{2, 160}, [2]int{157, 160}},
	} {
		src := withExif(encode(t, "jpeg", picture(320, 160)), tc.o)
		if got := jpegOrientation(src); got != int(tc.o) {
			t.Fatalf("orientation read as %d, want %d", got, tc.o)
		}
		f, err := Check(Image, bytes.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		m := decode(t, f)
		if f.Width != tc.w || f.Height != tc.h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", tc.o, f.Width, f.Height, tc.w, tc.h)
		}
		if !near(m.At(tc.greenAt[0], tc.greenAt[1]), 0, 255, 0) || near(m.At(tc.notGreenAt[0], tc.notGreenAt[1]), 0, 255, 0) {
			t.Errorf("orientation %d: the picture is not upright", tc.o)
		}
		if bytes.Contains(f.Data, []byte("GPS")) || bytes.Contains(f.Data, []byte("Exif")) {
			t.Errorf("orientation %d: EXIF survived", tc.o)
		}
	}
}

// pngHeader is a valid PNG signature and IHDR chunk claiming w×h pixels.
func pngHeader(w, h uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, []uint32{w, h})
	ihdr.Write([]byte{8, 6, 0, 0, 0})
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

func TestBadPicturesRefused(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"html named photo.jpg", []byte("<!doctype html><script>alert(document.cookie)</script>"), ErrUnsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ErrUnsupported},
		{"decompression bomb", pngHeader(100000, 100000), ErrTooLarge},
		{"truncated jpeg", encode(t, "jpeg", picture(64, 64))[:200], ErrUnsupported},
		{"too many bytes", append(encode(t, "png", picture(8, 8)), make([]byte, MaxImageUpload)...), ErrTooLarge},
		{"sound as picture", mediatest.WebM(false), ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Check(Image, bytes.NewReader(tc.data))
			if !errors.Is(err, tc.want) || f != nil {
				t.Fatalf("got %v, %v; want %v", f, err, tc.want)
			}
			if Code(err) == "" {
				t.Error("no message key")
			}
		})
	}
}

func TestAudioByContent(t *testing.T) {
	good := []struct {
		name string
		data []byte
		ct   string
	}{
		{"webm opus (Chromium, Firefox)", mediatest.WebM(false), "audio/webm"},
		{"ogg opus", mediatest.Ogg("OpusHead"), "audio/ogg"},
		{"ogg vorbis", mediatest.Ogg("\x01vorbis"), "audio/ogg"},
		{"mp4 (Safari, voice recorders)", mediatest.MP4("soun"), "audio/mp4"},
		{"wav", mediatest.WAV(), "audio/wav"},
		{"mp3", mediatest.MP3(), "audio/mpeg"},
		{"mp3 with ID3", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), mediatest.MP3()...), "audio/mpeg"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Check(Audio, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != tc.ct || f.Kind != Audio || !bytes.Equal(f.Data, tc.data) || Extension(f.ContentType) == "" {
				t.Errorf("got %q %q", f.ContentType, Extension(f.ContentType))
			}
		})
	}
	bad := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"webm with a video track", mediatest.WebM(true), ErrUnsupported},
		{"ogg theora", append(mediatest.Ogg("OpusHead"), "\x80theora"...), ErrUnsupported},
		{"mp4 video", mediatest.MP4("soun", "vide"), ErrUnsupported},
		{"mp4 without sound", mediatest.MP4("text"), ErrUnsupported},
		{"html", []byte(strings.Repeat("<script>alert(1)</script>", 5)), ErrUnsupported},
		{"a picture", encode(t, "png", picture(16, 16)), ErrUnsupported},
		{"random bytes after a sync word", append([]byte{0xff, 0xfb, 0x90, 0x00}, bytes.Repeat([]byte{7}, 600)...), ErrUnsupported},
		{"too many bytes", append(mediatest.WebM(false), make([]byte, MaxAudioUpload)...), ErrTooLarge},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if f, err := Check(Audio, bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", f, err, tc.want)
			}
		})
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	name, err := s.Save([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	if st.Size() != 5 || st.Mode().Perm() != 0o600 {
		t.Errorf("size %d mode %v", st.Size(), st.Mode())
	}
	other, _ := s.Save([]byte("hello"))
	if other == name {
		t.Error("two files, one name")
	}
	for _, bad := range []string{"../../etc/passwd", "", name + "/..", strings.ToUpper(name), "0123"} {
		if _, err := s.Open(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("Open(%q) = %v", bad, err)
		}
	}
	if err := s.Remove(name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(name); !os.IsNotExist(err) {
		t.Errorf("removed file opens: %v", err)
	}
	if err := s.Remove(name); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func BenchmarkPhonePhoto(b *testing.B) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, picture(4000, 3000), &jpeg.Options{Quality: 90})
	src := withExif(buf.Bytes(), 6)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Check(Image, bytes.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
}
