package notify_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"tillit/internal/db"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/notify"
	"tillit/internal/webpush"
)

var b64 = base64.RawURLEncoding

// browser is a subscribed browser's keys: the test decrypts what the
// push service received, as the browser would.
type browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t testing.TB) *browser {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &browser{key: key, auth: auth}
}

// subscribe stores a subscription of person at endpoint.
func (b *browser) subscribe(t testing.TB, d *db.DB, person int64, endpoint string) {
	t.Helper()
	if _, err := d.W.Exec(`INSERT INTO push_subscriptions (person_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)`,
		person, endpoint, b64.EncodeToString(b.key.PublicKey().Bytes()), b64.EncodeToString(b.auth), db.Now()); err != nil {
		t.Fatal(err)
	}
}

// decrypt opens an aes128gcm push body (RFC 8188, RFC 8291 §3.4),
// written here independently of webpush.Encrypt.
func (b *browser) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, idlen := body[:16], int(body[20])
	_ = binary.BigEndian.Uint32(body[16:20])
	asRaw, record := body[21:21+idlen], body[21+idlen:]
	as, err := ecdh.P256().NewPublicKey(asRaw)
	if err != nil {
		return nil, err
	}
	secret, err := b.key.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), b.key.PublicKey().Bytes()...), asRaw...)
	prk1, _ := hkdf.Extract(sha256.New, secret, b.auth)
	ikm, _ := hkdf.Expand(sha256.New, prk1, string(info), 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, err
	}
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no delimiter")
	}
	return plain[:end], nil
}

// pushService is a push service on httptest that records the bodies and
// answers with status (201 unless set).
type pushService struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	bodies [][]byte
	heads  []http.Header
}

func newPushService(t testing.TB) *pushService {
	p := &pushService{status: http.StatusCreated}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.bodies = append(p.bodies, body)
		p.heads = append(p.heads, r.Header.Clone())
		status := p.status
		p.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *pushService) setStatus(s int) { p.mu.Lock(); p.status = s; p.mu.Unlock() }

func (p *pushService) received() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.bodies...)
}

func newSender(t testing.TB) *webpush.Sender {
	pub, priv, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	s, err := webpush.NewSender(webpush.Config{PublicKey: pub, PrivateKey: priv, Subject: "mailto:drift@example.org", AllowPrivateNetworks: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a movable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// osloAt is the next hh:mm in Oslo after now: notifications queued now
// are due then.
func osloAt(hh, mm int) time.Time {
	now := time.Now().In(i18n.Oslo)
	t := time.Date(now.Year(), now.Month(), now.Day()+1, hh, mm, 0, 0, i18n.Oslo)
	return t
}

func newWorker(d *db.DB, c *clock) *notify.Worker {
	return &notify.Worker{DB: d, Log: slog.New(slog.DiscardHandler), Now: c.Now, BaseURL: "https://tillit.example.no"}
}

// sendMessage sends a staff message in child thread to its guardians.
func sendMessage(t testing.TB, d *db.DB, child, staff int64, category, body string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		th, err := messaging.ChildThread(ctx, tx, child, staff)
		if err != nil {
			return err
		}
		s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: th, AuthorID: staff, FromStaff: true, Category: category, Lang: "nb", Body: body})
		if err != nil {
			return err
		}
		id = s.MessageID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type notification struct {
	Status   string
	Attempts int64
	Next     int64
}

func notificationOf(t testing.TB, d *db.DB, person, message int64, channel string) notification {
	t.Helper()
	var n notification
	if err := d.R.QueryRow(`SELECT status, attempts, next_attempt_at FROM notifications WHERE person_id = $1 AND message_id = $2 AND channel = $3`,
		person, message, channel).Scan(&n.Status, &n.Attempts, &n.Next); err != nil {
		t.Fatalf("notification of %d for %d on %s: %v", message, person, channel, err)
	}
	return n
}

func count(t testing.TB, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exec(t testing.TB, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.W.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}
