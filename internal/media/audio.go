package media

import (
	"bytes"
	"encoding/binary"
)

// checkAudio decides by content whether data is sound in a container
// browsers record or play, holding sound and no picture track.
func checkAudio(data []byte) (*File, error) {
	if len(data) < 64 {
		return nil, ErrUnsupported
	}
	var f *File
	switch {
	case hasAt(data, 0, "\x1a\x45\xdf\xa3"):
		f = checkWebM(data)
	case hasAt(data, 0, "OggS"):
		f = checkOgg(data)
	case hasAt(data, 4, "ftyp"):
		f = checkMP4(data)
	case hasAt(data, 0, "RIFF") && hasAt(data, 8, "WAVEfmt "):
		f = &File{ContentType: "audio/wav"}
	case hasAt(data, 0, "ID3") || mp3Frame(data):
		f = &File{ContentType: "audio/mpeg"}
	}
	if f == nil {
		return nil, ErrUnsupported
	}
	f.Kind, f.Data = Audio, data
	return f, nil
}

// checkWebM: the EBML header names the "webm" document type, a track's
// codec is Opus or Vorbis, and no track is video (MediaRecorder in
// Chromium and Firefox records audio/webm;codecs=opus).
func checkWebM(data []byte) *File {
	head := data[:min(len(data), 64)]
	// DocType element 0x4282, size 0x84, "webm".
	if !bytes.Contains(head, []byte("\x42\x82\x84webm")) {
		return nil
	}
	if !bytes.Contains(data, []byte("A_OPUS")) && !bytes.Contains(data, []byte("A_VORBIS")) {
		return nil
	}
	if bytes.Contains(data, []byte("V_VP8")) || bytes.Contains(data, []byte("V_VP9")) || bytes.Contains(data, []byte("V_AV1")) || bytes.Contains(data, []byte("V_MPEG")) {
		return nil
	}
	return &File{ContentType: "audio/webm"}
}

// checkOgg: the first page starts an Opus or Vorbis stream, and no
// Theora stream is anywhere.
func checkOgg(data []byte) *File {
	if len(data) < 27 {
		return nil
	}
	segs := int(data[26])
	body := 27 + segs
	if body+8 > len(data) {
		return nil
	}
	if !hasAt(data, body, "OpusHead") && !hasAt(data, body, "\x01vorbis") {
		return nil
	}
	if bytes.Contains(data, []byte("\x80theora")) {
		return nil
	}
	return &File{ContentType: "audio/ogg"}
}

// checkMP4: an ISO base media file (Safari records audio/mp4; phones'
// voice recorders write .m4a) whose tracks are sound ("soun" handlers)
// and none is video ("vide").
func checkMP4(data []byte) *File {
	if n := binary.BigEndian.Uint32(data); n < 8 || int(n) > len(data) {
		return nil
	}
	sound := false
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("hdlr"))
		if j < 0 {
			break
		}
		at := i + j + 4 + 8 // version and flags, pre_defined, then the handler type
		switch {
		case hasAt(data, at, "soun"):
			sound = true
		case hasAt(data, at, "vide"):
			return nil
		}
		i += j + 4
	}
	if !sound {
		return nil
	}
	return &File{ContentType: "audio/mp4"}
}

// mp3Frame reports whether data starts with an MPEG audio layer III frame
// header followed by another one where the first says it ends.
func mp3Frame(data []byte) bool {
	n := mp3FrameLen(data)
	return n > 0 && mp3FrameLen(data[min(n, len(data)):]) > 0
}

// mp3FrameLen returns the length of the MPEG-1 layer III frame at the
// start of b, 0 when there is none.
func mp3FrameLen(b []byte) int {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xfe != 0xfa { // sync, MPEG-1, layer III
		return 0
	}
	rates := [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}
	freqs := [4]int{44100, 48000, 32000, 0}
	br, sr := rates[b[2]>>4], freqs[(b[2]>>2)&3]
	if br == 0 || sr == 0 {
		return 0
	}
	return 144*br*1000/sr + int((b[2]>>1)&1)
}
