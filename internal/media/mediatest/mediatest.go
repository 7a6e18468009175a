// Package mediatest makes small but well-formed pictures and sound files
// for tests: containers laid out byte by byte as their specifications
// describe them, and pictures drawn and encoded with the standard library.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

// WebM is an audio/webm file with an Opus track, as MediaRecorder makes
// (with video, a VP8 track too).
func WebM(video bool) []byte {
	b := []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")
	b = append(b, "\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff\x16\x54\xae\x6b\x8f\xae\x8d\xd7\x81\x01\x83\x81\x02\x86\x86A_OPUS"...)
	if video {
		b = append(b, "\xae\x8c\xd7\x81\x02\x83\x81\x01\x86\x85V_VP8"...)
	}
	return append(b, bytes.Repeat([]byte{0}, 64)...)
}

// Ogg is an Ogg file whose first packet is codec ("OpusHead", "\x01vorbis").
func Ogg(codec string) []byte {
	b := []byte("OggS\x00\x02")
	b = append(b, make([]byte, 20)...)
	b = append(b, 1, byte(len(codec)+11))
	b = append(b, codec...)
	return append(b, bytes.Repeat([]byte{1}, 64)...)
}

func box(typ string, body ...[]byte) []byte {
	inner := bytes.Join(body, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(inner)))
	return append(append(b, typ...), inner...)
}

// MP4 is an ISO media file with one track per handler ("soun", "vide").
func MP4(handlers ...string) []byte {
	var trak [][]byte
	for _, h := range handlers {
		trak = append(trak, box("trak", box("mdia", box("hdlr", make([]byte, 8), []byte(h), make([]byte, 12)))))
	}
	return append(box("ftyp", []byte("M4A \x00\x00\x00\x00isomM4A ")), box("moov", trak...)...)
}

// WAV is a PCM wave file.
func WAV() []byte {
	b := []byte("RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x08\x00\x00")
	return append(b, make([]byte, 2048)...)
}

// MP3 is three MPEG-1 layer III frames.
func MP3() []byte {
	frame := append([]byte{0xff, 0xfb, 0x90, 0x00}, make([]byte, 413)...) // 128 kbit/s, 44.1 kHz: 417 bytes
	return bytes.Repeat(frame, 3)
}

// PNG is a w×h PNG picture of two colours.
func PNG(w, h int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(200 * x / w), 120, 60, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}
