package webpush

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchPayload is the size of a real notification: a title and a link.
var benchPayload = []byte(`{"title":"Nytt fra barnehagen","body":"Trykk for å lese","url":"/meldinger"}`)

func BenchmarkEncrypt(b *testing.B) {
	sub := newUserAgent(b).subscription("https://push.example.net/x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encrypt(benchPayload, sub, EncryptOptions{PadTo: PadBlock}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVAPIDAuthorization(b *testing.B) {
	v := newTestVAPID(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authorization("https://fcm.googleapis.com/fcm/send/abc", testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures one whole Send to a push service on 127.0.0.1
// that answers 201 at once: encryption, signing and the HTTP round trip
// on a reused connection.
func BenchmarkSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(srv.Close)
	s := newTestSender(b, Config{AllowPrivateNetworks: true})
	sub := newUserAgent(b).subscription(srv.URL + "/push/1")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Send(ctx, sub, benchPayload, SendOptions{})
		if err != nil || res.Outcome != Delivered {
			b.Fatal(res.Err, err)
		}
	}
}

// BenchmarkSendParallel is BenchmarkSend from GOMAXPROCS goroutines
// sharing one Sender, as a worker pool would.
func BenchmarkSendParallel(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(srv.Close)
	s := newTestSender(b, Config{AllowPrivateNetworks: true})
	sub := newUserAgent(b).subscription(srv.URL + "/push/1")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := s.Send(ctx, sub, benchPayload, SendOptions{})
			if err != nil || res.Outcome != Delivered {
				b.Error(res.Err, err)
				return
			}
		}
	})
}
