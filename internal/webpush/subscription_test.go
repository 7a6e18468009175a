package webpush

import (
	"errors"
	"strings"
	"testing"
)

func TestSubscriptionValidate(t *testing.T) {
	ua := newUserAgent(t)
	ok := []string{
		"https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bX",
		"https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
		"https://web.push.apple.com/QGuQyavXutnMH",
		"http://127.0.0.1:8090/notify/abc",
		"http://localhost:8090/notify/abc",
		"http://[::1]:8090/notify/abc",
	}
	for _, e := range ok {
		if err := ua.subscription(e).Validate(); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	bad := []string{
		"",
		"http://push.example.net/x",
		"http://10.0.0.1/x",
		"ftp://push.example.net/x",
		"javascript:alert(1)",
		"https:///x",
		"https://user:pw@push.example.net/x",
		"https://push.example.net/x#frag",
		"/relative/path",
		"https://push.example.net/" + strings.Repeat("a", MaxEndpointLength),
	}
	for _, e := range bad {
		err := ua.subscription(e).Validate()
		if !errors.Is(err, ErrInvalidSubscription) {
			t.Errorf("%q: %v, want ErrInvalidSubscription", e, err)
		}
	}
	// Keys are checked too.
	s := ua.subscription(ok[0])
	s.P256dh = s.P256dh[:len(s.P256dh)-2]
	if err := s.Validate(); !errors.Is(err, ErrInvalidSubscription) {
		t.Errorf("a 64-octet p256dh: %v", err)
	}
}

func TestParseSubscription(t *testing.T) {
	// As Chromium's PushSubscription.toJSON() writes it.
	data := `{"endpoint":"https://fcm.googleapis.com/fcm/send/abc:APA91b","expirationTime":null,` +
		`"keys":{"p256dh":"` + rfcUAPublic + `","auth":"` + rfcAuth + `"}}`
	s, err := ParseSubscription([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := Subscription{Endpoint: "https://fcm.googleapis.com/fcm/send/abc:APA91b", P256dh: rfcUAPublic, Auth: rfcAuth}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	for _, bad := range []string{
		``,
		`[]`,
		`{"endpoint":"https://fcm.googleapis.com/x"}`,
		`{"endpoint":"http://fcm.googleapis.com/x","keys":{"p256dh":"` + rfcUAPublic + `","auth":"` + rfcAuth + `"}}`,
		`{"endpoint":"https://fcm.googleapis.com/x","keys":{"p256dh":"` + rfcAuth + `","auth":"` + rfcAuth + `"}}`,
	} {
		if _, err := ParseSubscription([]byte(bad)); !errors.Is(err, ErrInvalidSubscription) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
