package webpush

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// The worked example of RFC 8291 Section 5, with the keys of Appendix A,
// all base64url as the RFC prints them.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcASPublic  = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml" +
		"mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT" +
		"pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

// rfcSubscription is the example's user agent, subscribed at a made-up
// endpoint (the example has none).
func rfcSubscription() Subscription {
	return Subscription{Endpoint: "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV", P256dh: rfcUAPublic, Auth: rfcAuth}
}

func TestEncryptRFC8291Example(t *testing.T) {
	asPrivate, err := ecdh.P256().NewPrivateKey(mustB64(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.EncodeToString(asPrivate.PublicKey().Bytes()); got != rfcASPublic {
		t.Fatalf("the example's application server public key: got %s", got)
	}
	body, err := Encrypt([]byte(rfcPlaintext), rfcSubscription(), EncryptOptions{
		Ephemeral: asPrivate,
		Salt:      mustB64(t, rfcSalt),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := mustB64(t, rfcBody)
	if !bytes.Equal(body, want) {
		t.Fatalf("the encrypted body differs from RFC 8291 Section 5:\n got  %s\n want %s", b64.EncodeToString(body), rfcBody)
	}
}

// TestDecryptRFC8291Example checks the test's own decrypt, which the other
// tests rely on, against the RFC's body.
func TestDecryptRFC8291Example(t *testing.T) {
	uaPrivate, err := ecdh.P256().NewPrivateKey(mustB64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.EncodeToString(uaPrivate.PublicKey().Bytes()); got != rfcUAPublic {
		t.Fatalf("the example's user agent public key: got %s", got)
	}
	plain, err := decrypt(mustB64(t, rfcBody), uaPrivate, mustB64(t, rfcAuth))
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != rfcPlaintext {
		t.Fatalf("decrypted %q", plain)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	ua := newUserAgent(t)
	sub := ua.subscription("https://push.example.net/x")
	cases := []struct {
		name  string
		plain []byte
		padTo int
	}{
		{"empty", nil, 0},
		{"one octet", []byte{0}, 0},
		{"text", []byte(`{"title":"Nytt fra barnehagen","lang":"ti","body":"ሓድሽ ካብ መውዓሊ ህጻናት"}`), 0},
		{"ends in zeros", []byte{1, 2, 0, 0, 0}, 0},
		{"ends in the delimiter", []byte{'a', 2}, 64},
		{"padded", []byte("hei"), 128},
		{"padded past the maximum", []byte("hei"), 100000},
		{"largest", bytes.Repeat([]byte("x"), MaxPayload), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := Encrypt(c.plain, sub, EncryptOptions{PadTo: c.padTo})
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > RecordSize {
				t.Errorf("body of %d octets is over %d", len(body), RecordSize)
			}
			if rs := binary.BigEndian.Uint32(body[16:20]); rs != RecordSize {
				t.Errorf("record size %d, want %d", rs, RecordSize)
			}
			wantLen := headerSize + max(len(c.plain), min(c.padTo, MaxPayload)) + 1 + tagSize
			if len(body) != wantLen {
				t.Errorf("body of %d octets, want %d", len(body), wantLen)
			}
			got, err := decrypt(body, ua.private, ua.auth)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.plain) {
				t.Fatalf("decrypted %q, want %q", got, c.plain)
			}
		})
	}
}

func TestEncryptIsFreshEachTime(t *testing.T) {
	ua := newUserAgent(t)
	sub := ua.subscription("https://push.example.net/x")
	a, err := Encrypt([]byte("same"), sub, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encrypt([]byte("same"), sub, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[:16], b[:16]) {
		t.Error("two messages share a salt")
	}
	if bytes.Equal(a[21:86], b[21:86]) {
		t.Error("two messages share an ephemeral key")
	}
	// Another browser's keys cannot open it.
	other := newUserAgent(t)
	if _, err := decrypt(a, other.private, other.auth); err == nil {
		t.Error("another user agent decrypted the message")
	}
	// Nor can the right key with the wrong auth secret.
	if _, err := decrypt(a, ua.private, other.auth); err == nil {
		t.Error("decrypted with the wrong auth secret")
	}
}

func TestEncryptRejects(t *testing.T) {
	ua := newUserAgent(t)
	good := ua.subscription("https://push.example.net/x")
	point := ua.private.PublicKey().Bytes()
	notOnCurve := bytes.Clone(point)
	notOnCurve[64] ^= 1
	compressed := append([]byte{2 + point[64]&1}, point[1:33]...)

	cases := []struct {
		name  string
		sub   Subscription
		plain []byte
		opts  EncryptOptions
		want  error
	}{
		{"one octet too many", good, make([]byte, MaxPayload+1), EncryptOptions{}, ErrPayloadTooLarge},
		{"p256dh not base64url", Subscription{Endpoint: good.Endpoint, P256dh: "BCVx+sr7/", Auth: good.Auth}, nil, EncryptOptions{}, ErrInvalidSubscription},
		{"p256dh compressed", Subscription{Endpoint: good.Endpoint, P256dh: b64.EncodeToString(compressed), Auth: good.Auth}, nil, EncryptOptions{}, ErrInvalidSubscription},
		{"p256dh not on the curve", Subscription{Endpoint: good.Endpoint, P256dh: b64.EncodeToString(notOnCurve), Auth: good.Auth}, nil, EncryptOptions{}, ErrInvalidSubscription},
		{"auth of 15 octets", Subscription{Endpoint: good.Endpoint, P256dh: good.P256dh, Auth: b64.EncodeToString(ua.auth[:15])}, nil, EncryptOptions{}, ErrInvalidSubscription},
		{"auth missing", Subscription{Endpoint: good.Endpoint, P256dh: good.P256dh}, nil, EncryptOptions{}, ErrInvalidSubscription},
		{"salt of 8 octets", good, nil, EncryptOptions{Salt: make([]byte, 8)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := Encrypt(c.plain, c.sub, c.opts)
			if err == nil {
				t.Fatalf("no error; a body of %d octets", len(body))
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
}

// TestEncryptAcceptsPaddedBase64 takes keys with "=" padding, as some
// libraries write them.
func TestEncryptAcceptsPaddedBase64(t *testing.T) {
	ua := newUserAgent(t)
	sub := ua.subscription("https://push.example.net/x")
	sub.Auth += "=="
	if !strings.HasSuffix(sub.Auth, "==") {
		t.Fatal("setup")
	}
	body, err := Encrypt([]byte("x"), sub, EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decrypt(body, ua.private, ua.auth); err != nil || string(got) != "x" {
		t.Fatalf("decrypted %q, %v", got, err)
	}
}
