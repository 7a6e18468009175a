// Package media checks, normalises and stores the pictures and sound
// people send in Tillit: photos in messages, voice messages, and the
// recordings of phrasebook entries.
//
// Nothing is trusted from the upload but its bytes. A file's kind is
// decided by its content, never by its name or the browser's
// Content-Type:
//   - Pictures (JPEG, PNG, WebP, GIF's first frame) are decoded, turned
//     upright by their EXIF orientation, scaled down to at most MaxSide
//     pixels and encoded anew as JPEG. What is stored is our own encoding:
//     no EXIF (no GPS position of a child's home), no trailing data, no
//     polyglot, and a few hundred kilobytes instead of several megabytes
//     for parents on prepaid data.
//   - Sound (WebM and Ogg with Opus or Vorbis, MP4/M4A, MP3, WAV) is
//     checked to be that container and to hold sound and no picture
//     track, and stored as it came: browsers record it that way, and
//     every browser plays at least one of them with a plain <audio>.
//
// Files are stored in a directory (Store) under random names; the
// database holds who may see them.
package media

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
)

// Kind is what a file holds.
type Kind string

// Kinds.
const (
	Image Kind = "image"
	Audio Kind = "audio"
)

// Limits.
const (
	// MaxImageUpload is the largest picture accepted (a phone camera's
	// photo is 2–8 MB).
	MaxImageUpload = 15 << 20
	// MaxAudioUpload is the largest sound file accepted: several minutes
	// of speech in any of the formats browsers record.
	MaxAudioUpload = 5 << 20
	// MaxPixels refuses pictures that would take too much memory to
	// decode (a "decompression bomb" is a small file of a huge picture).
	MaxPixels = 50_000_000
	// MaxSide is the longest side of a stored picture.
	MaxSide = 1600
	// JPEGQuality of stored pictures.
	JPEGQuality = 82
)

// Errors. Each has a message key in the "media" locale domain
// ("media.error.unsupported" …) via Code.
var (
	ErrUnsupported = errors.New("unsupported")
	ErrTooLarge    = errors.New("too_large")
	ErrEmpty       = errors.New("empty")
)

// Code is the i18n key for an error of this package, "" for others.
func Code(err error) string {
	switch {
	case errors.Is(err, ErrUnsupported):
		return "media.error.unsupported"
	case errors.Is(err, ErrTooLarge):
		return "media.error.too_large"
	case errors.Is(err, ErrEmpty):
		return "media.error.empty"
	}
	return ""
}

// File is a checked file, ready to store.
type File struct {
	Kind        Kind
	ContentType string // what we serve it as
	Data        []byte
	// Width and Height of a picture as stored.
	Width, Height int
}

// Check reads a file the user sent and checks it is of kind k: a picture
// is normalised (see the package comment), sound is checked. The
// errors are ErrEmpty, ErrTooLarge and ErrUnsupported.
func Check(k Kind, r io.Reader) (*File, error) {
	limit := int64(MaxAudioUpload)
	if k == Image {
		limit = MaxImageUpload
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	switch {
	case len(data) == 0:
		return nil, ErrEmpty
	case int64(len(data)) > limit:
		return nil, ErrTooLarge
	}
	if k == Image {
		return normaliseImage(data)
	}
	return checkAudio(data)
}

// FromForm checks the file field of a parsed multipart form. A field
// that is absent or holds no file gives (nil, nil).
func FromForm(form *multipart.Form, field string, k Kind) (*File, error) {
	if form == nil || len(form.File[field]) == 0 {
		return nil, nil
	}
	fh := form.File[field][0]
	if fh.Size == 0 && fh.Filename == "" {
		return nil, nil // an empty file input
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Check(k, f)
}

// hasAt reports whether b holds s at offset i.
func hasAt(b []byte, i int, s string) bool {
	return len(b) >= i+len(s) && bytes.Equal(b[i:i+len(s)], []byte(s))
}

var extensions = map[string]string{
	"image/jpeg": ".jpg", "audio/webm": ".webm", "audio/ogg": ".ogg",
	"audio/mp4": ".m4a", "audio/mpeg": ".mp3", "audio/wav": ".wav",
}

// Extension is the file name extension of a content type this package
// stores ("" for others).
func Extension(contentType string) string { return extensions[contentType] }
