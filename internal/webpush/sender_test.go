package webpush

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testNow is the sender's clock in these tests.
var testNow = time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)

// fakePushService is a push service on 127.0.0.1 that checks each request
// the way RFC 8030, 8291 and 8292 say a push service may, decrypts the
// body with the subscriber's private key, and answers as the test tells it.
type fakePushService struct {
	t      *testing.T
	srv    *httptest.Server
	ua     *userAgent
	path   string
	vapid  string // the public key requests must be signed with
	want   wantHeaders
	answer func(w http.ResponseWriter)

	mu       sync.Mutex
	payloads [][]byte
	requests atomic.Int32
}

// wantHeaders are the protocol headers a request must carry.
type wantHeaders struct{ ttl, urgency, topic string }

func newFakePushService(t *testing.T, vapidPublic string) *fakePushService {
	f := &fakePushService{
		t:     t,
		ua:    newUserAgent(t),
		path:  "/push/" + strings.Repeat("Zm9v", 8),
		vapid: vapidPublic,
		want:  wantHeaders{ttl: strconv.Itoa(int(DefaultTTL / time.Second))},
		answer: func(w http.ResponseWriter) {
			w.Header().Set("Location", "/message/1")
			w.WriteHeader(http.StatusCreated)
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// subscription is the subscriber's subscription at this service.
func (f *fakePushService) subscription() Subscription {
	return f.ua.subscription(f.srv.URL + f.path)
}

func (f *fakePushService) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	t := f.t
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("push service: reading the body: %v", err)
	}
	if r.Method != http.MethodPost || r.URL.Path != f.path {
		t.Errorf("push service: %s %s, want POST %s", r.Method, r.URL.Path, f.path)
	}
	check := func(name, want string) {
		if got := r.Header.Get(name); got != want {
			t.Errorf("push service: %s: %q, want %q", name, got, want)
		}
	}
	check("Content-Encoding", "aes128gcm")
	check("Content-Type", "application/octet-stream")
	check("TTL", f.want.ttl)
	check("Urgency", f.want.urgency)
	check("Topic", f.want.topic)
	if r.ContentLength != int64(len(body)) {
		t.Errorf("push service: Content-Length %d for a body of %d", r.ContentLength, len(body))
	}
	if len(body) > RecordSize {
		t.Errorf("push service: body of %d octets, more than %d", len(body), RecordSize)
	}

	key, claims, err := verifyVAPID(r.Header.Get("Authorization"))
	if err != nil {
		t.Errorf("push service: Authorization: %v", err)
	} else {
		if key != f.vapid {
			t.Errorf("push service: k=%s, want %s", key, f.vapid)
		}
		if claims.Aud != f.srv.URL {
			t.Errorf("push service: aud %q, want the origin %q", claims.Aud, f.srv.URL)
		}
		if exp := time.Unix(claims.Exp, 0); !exp.After(testNow) || exp.After(testNow.Add(24*time.Hour)) {
			t.Errorf("push service: exp %v is not within 24 hours after %v", exp, testNow)
		}
		if claims.Sub != "mailto:drift@solsikken.example" {
			t.Errorf("push service: sub %q", claims.Sub)
		}
	}

	payload, err := decrypt(body, f.ua.private, f.ua.auth)
	if err != nil {
		t.Errorf("push service: decrypting: %v", err)
	} else {
		if padded := len(body) - headerSize - 1 - tagSize; padded%PadBlock != 0 && padded != MaxPayload {
			t.Errorf("push service: a record of %d octets is not padded to a multiple of %d", padded, PadBlock)
		}
		f.mu.Lock()
		f.payloads = append(f.payloads, payload)
		f.mu.Unlock()
	}
	f.answer(w)
}

// received returns the payloads decrypted so far.
func (f *fakePushService) received() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.payloads...)
}

// newTestSender makes a Sender allowed to reach 127.0.0.1, with the test
// clock.
func newTestSender(t testing.TB, cfg Config) *Sender {
	t.Helper()
	pub, priv, err := GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicKey, cfg.PrivateKey, cfg.Subject = pub, priv, "mailto:drift@solsikken.example"
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return testNow }
	return s
}

func TestSendClassifiesAnswers(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		retryAfter string
		want       Outcome
		wantAfter  time.Duration
	}{
		{"201 Created", 201, "", Delivered, 0},
		{"202 Accepted", 202, "", Delivered, 0},
		{"404 Not Found", 404, "", Gone, 0},
		{"410 Gone", 410, "", Gone, 0},
		{"429 with seconds", 429, "120", Retry, 120 * time.Second},
		{"429 without Retry-After", 429, "", Retry, 0},
		{"500", 500, "", Retry, 0},
		{"502 with garbage Retry-After", 502, "soon", Retry, 0},
		{"503 with a date", 503, testNow.Add(90 * time.Second).Format(http.TimeFormat), Retry, 90 * time.Second},
		{"503 with a date gone by", 503, testNow.Add(-time.Hour).Format(http.TimeFormat), Retry, 0},
		{"503 with a week", 503, strconv.Itoa(7 * 24 * 3600), Retry, MaxRetryAfter},
		{"400 Bad Request", 400, "", Rejected, 0},
		{"401 Unauthorized", 401, "", Rejected, 0},
		{"403 Forbidden", 403, "", Rejected, 0},
		{"413 Payload Too Large", 413, "", Rejected, 0},
		{"429 is retried but 418 is not", 418, "5", Rejected, 0},
	}
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakePushService(t, s.PublicKey())
			f.answer = func(w http.ResponseWriter) {
				if c.retryAfter != "" {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				if c.status < 300 {
					w.Header().Set("Location", f.srv.URL+"/message/7")
				}
				w.WriteHeader(c.status)
				io.WriteString(w, `{"reason":"test"}`)
			}
			payload := []byte(`{"title":"Nytt fra barnehagen","url":"/meldinger"}`)
			res, err := s.Send(context.Background(), f.subscription(), payload, SendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != c.want || res.StatusCode != c.status || res.RetryAfter != c.wantAfter {
				t.Fatalf("got %v, status %d, retry after %v; want %v, %d, %v (%v)",
					res.Outcome, res.StatusCode, res.RetryAfter, c.want, c.status, c.wantAfter, res.Err)
			}
			if got := f.received(); len(got) != 1 || !bytes.Equal(got[0], payload) {
				t.Fatalf("the push service decrypted %q", got)
			}
			if c.want == Delivered {
				if res.Err != nil || res.Location != f.srv.URL+"/message/7" {
					t.Fatalf("delivered with Err %v, Location %q", res.Err, res.Location)
				}
				return
			}
			if res.Err == nil {
				t.Fatal("no Err for a failure")
			}
			if msg := res.Err.Error(); strings.Contains(msg, f.path) || !strings.Contains(msg, strconv.Itoa(c.status)) {
				t.Fatalf("Err %q should name the status and not the endpoint's path", msg)
			}
		})
	}
}

func TestSendHeaders(t *testing.T) {
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	cases := []struct {
		opts SendOptions
		want wantHeaders
	}{
		{SendOptions{}, wantHeaders{ttl: "86400"}},
		{SendOptions{TTL: -1}, wantHeaders{ttl: "0"}},
		{SendOptions{TTL: 90 * time.Minute, Urgency: UrgencyHigh, Topic: "tillit-new"}, wantHeaders{"5400", "high", "tillit-new"}},
		{SendOptions{TTL: 1500 * time.Millisecond, Urgency: UrgencyVeryLow}, wantHeaders{ttl: "1", urgency: "very-low"}},
		{SendOptions{TTL: 365 * 24 * time.Hour, Urgency: UrgencyLow, Topic: strings.Repeat("A", 32)}, wantHeaders{strconv.Itoa(int(MaxTTL / time.Second)), "low", strings.Repeat("A", 32)}},
		{SendOptions{Urgency: UrgencyNormal}, wantHeaders{ttl: "86400", urgency: "normal"}},
	}
	for _, c := range cases {
		f := newFakePushService(t, s.PublicKey())
		f.want = c.want
		res, err := s.Send(context.Background(), f.subscription(), []byte("x"), c.opts)
		if err != nil || res.Outcome != Delivered {
			t.Fatalf("%+v: %v %v %v", c.opts, res.Outcome, res.Err, err)
		}
	}
}

func TestSendPayloadSizes(t *testing.T) {
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	f := newFakePushService(t, s.PublicKey())
	sizes := []int{0, 1, PadBlock - 1, PadBlock, PadBlock + 1, 1000, MaxPayload - 1, MaxPayload}
	for _, n := range sizes {
		payload := bytes.Repeat([]byte{'y'}, n)
		res, err := s.Send(context.Background(), f.subscription(), payload, SendOptions{})
		if err != nil || res.Outcome != Delivered {
			t.Fatalf("%d octets: %v %v %v", n, res.Outcome, res.Err, err)
		}
	}
	got := f.received()
	if len(got) != len(sizes) {
		t.Fatalf("%d pushes arrived, want %d", len(got), len(sizes))
	}
	for i, n := range sizes {
		if len(got[i]) != n {
			t.Errorf("push %d: %d octets arrived, %d sent", i, len(got[i]), n)
		}
	}

	before := f.requests.Load()
	_, err := s.Send(context.Background(), f.subscription(), make([]byte, MaxPayload+1), SendOptions{})
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("MaxPayload+1 octets: %v, want ErrPayloadTooLarge", err)
	}
	if f.requests.Load() != before {
		t.Fatal("a payload too large was sent anyway")
	}
}

func TestSendRejectsInput(t *testing.T) {
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	f := newFakePushService(t, s.PublicKey())
	good := f.subscription()
	noAuth := good
	noAuth.Auth = ""
	plainHTTP := good
	plainHTTP.Endpoint = strings.Replace(good.Endpoint, "127.0.0.1", "push.example.net", 1)
	cases := []struct {
		name string
		sub  Subscription
		opts SendOptions
		want error
	}{
		{"urgency not in the RFC", good, SendOptions{Urgency: "urgent"}, ErrInvalidOptions},
		{"topic too long", good, SendOptions{Topic: strings.Repeat("a", 33)}, ErrInvalidOptions},
		{"topic with a space", good, SendOptions{Topic: "new message"}, ErrInvalidOptions},
		{"topic not ASCII", good, SendOptions{Topic: "nytt-fra-bhg-æ"}, ErrInvalidOptions},
		{"no auth secret", noAuth, SendOptions{}, ErrInvalidSubscription},
		{"http to another host", plainHTTP, SendOptions{}, ErrInvalidSubscription},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Send(context.Background(), c.sub, []byte("x"), c.opts); !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
	if n := f.requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the push service", n)
	}
}

func TestSendNetworkFailuresAreRetried(t *testing.T) {
	t.Run("nobody listens", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		s := newTestSender(t, Config{AllowPrivateNetworks: true})
		ua := newUserAgent(t)
		res, err := s.Send(context.Background(), ua.subscription("http://"+addr+"/push/secret-device-id"), []byte("x"), SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Retry || res.StatusCode != 0 || res.Err == nil {
			t.Fatalf("got %v %d %v, want a Retry with an Err", res.Outcome, res.StatusCode, res.Err)
		}
		if strings.Contains(res.Err.Error(), "secret-device-id") {
			t.Fatalf("the Err shows the endpoint's path: %v", res.Err)
		}
	})

	t.Run("the push service hangs", func(t *testing.T) {
		s := newTestSender(t, Config{AllowPrivateNetworks: true, Timeout: 200 * time.Millisecond})
		f := newFakePushService(t, s.PublicKey())
		release := make(chan struct{})
		f.answer = func(w http.ResponseWriter) { <-release }
		defer close(release)
		res, err := s.Send(context.Background(), f.subscription(), []byte("x"), SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Retry || res.Err == nil {
			t.Fatalf("got %v %v, want Retry after the timeout", res.Outcome, res.Err)
		}
	})

	t.Run("the context is cancelled", func(t *testing.T) {
		s := newTestSender(t, Config{AllowPrivateNetworks: true})
		f := newFakePushService(t, s.PublicKey())
		ctx, cancel := context.WithCancel(context.Background())
		release := make(chan struct{})
		f.answer = func(w http.ResponseWriter) { cancel(); <-release }
		defer close(release)
		res, err := s.Send(ctx, f.subscription(), []byte("x"), SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Retry || !errors.Is(res.Err, context.Canceled) {
			t.Fatalf("got %v %v, want Retry with context.Canceled", res.Outcome, res.Err)
		}
	})
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	target := newFakePushService(t, s.PublicKey())
	f := newFakePushService(t, s.PublicKey())
	f.answer = func(w http.ResponseWriter) {
		w.Header().Set("Location", target.srv.URL+target.path)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	res, err := s.Send(context.Background(), f.subscription(), []byte("x"), SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Rejected || res.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("got %v %d, want Rejected 307", res.Outcome, res.StatusCode)
	}
	if n := target.requests.Load(); n != 0 {
		t.Fatalf("the redirect was followed %d times", n)
	}
}

// TestSendRefusesPrivateAddresses: by default a Sender does not connect to
// the server's own network, whatever endpoint a browser (or an attacker)
// registered.
func TestSendRefusesPrivateAddresses(t *testing.T) {
	s := newTestSender(t, Config{})
	f := newFakePushService(t, s.PublicKey())
	for _, endpoint := range []string{
		f.srv.URL + f.path,
		strings.Replace(f.srv.URL, "127.0.0.1", "localhost", 1) + f.path,
	} {
		sub := f.ua.subscription(endpoint)
		res, err := s.Send(context.Background(), sub, []byte("x"), SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Rejected || !errors.Is(res.Err, errPrivateAddress) {
			t.Fatalf("%s: got %v %v, want Rejected for a private address", endpoint, res.Outcome, res.Err)
		}
	}
	if n := f.requests.Load(); n != 0 {
		t.Fatalf("%d requests reached a loopback push service", n)
	}
}

func TestRefusePrivate(t *testing.T) {
	refused := []string{"127.0.0.1:443", "10.1.2.3:443", "172.16.0.1:443", "192.168.1.1:443", "169.254.169.254:80",
		"100.64.0.1:443", "0.0.0.0:443", "[::1]:443", "[fe80::1]:443", "[fd00::1]:443", "[::ffff:127.0.0.1]:443", "[::]:443"}
	for _, a := range refused {
		if err := refusePrivate("tcp", a, nil); !errors.Is(err, errPrivateAddress) {
			t.Errorf("%s: %v, want refused", a, err)
		}
	}
	for _, a := range []string{"142.250.74.42:443", "[2a00:1450:400f:80c::200a]:443"} {
		if err := refusePrivate("tcp", a, nil); err != nil {
			t.Errorf("%s: %v, want allowed", a, err)
		}
	}
}

// TestSendConcurrently shares one Sender among goroutines (run with -race).
func TestSendConcurrently(t *testing.T) {
	s := newTestSender(t, Config{AllowPrivateNetworks: true})
	f := newFakePushService(t, s.PublicKey())
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Send(context.Background(), f.subscription(), []byte(strconv.Itoa(i)), SendOptions{})
			if err == nil && res.Outcome != Delivered {
				err = res.Err
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.received()); got != n {
		t.Fatalf("%d of %d pushes arrived", got, n)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{Delivered: "delivered", Gone: "gone", Retry: "retry", Rejected: "rejected", 0: "outcome(0)"} {
		if o.String() != want {
			t.Errorf("%d: %q", int(o), o.String())
		}
	}
}
