package channels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

// testClock is a settable clock: tests never look at the wall clock.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestOutbox(d *db.DB) (*Outbox, *testClock) {
	clock := &testClock{t: time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)}
	o := NewOutbox(d)
	o.Now = clock.now
	o.Log = slog.New(slog.DiscardHandler)
	return o, clock
}

func TestOutboxRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o, clock := newTestOutbox(d)
		var p SMSProvider = o // the default provider
		body := "ሓድሽ መልእኽቲ ካብ መውዓሊ ህጻናት። መልሲ 1, 2 ወይ 3።"
		id, err := p.Send(ctx, SMS{To: "+4791234567", Body: body, Ref: "receipt-42"})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^OB[0-9a-f]{32}$`).MatchString(id) {
			t.Errorf("id %q", id)
		}
		recent, err := o.Recent(ctx, 10)
		if err != nil || len(recent) != 1 {
			t.Fatalf("recent: %v %d", err, len(recent))
		}
		r := recent[0]
		if r.To != "+4791234567" || r.Body != body || r.Provider != "outbox" || r.ProviderID != id || r.Status != StatusRecorded ||
			r.MessageRef != "receipt-42" || r.Error != "" || !r.CreatedAt.Equal(clock.t) || !r.SentAt.Equal(clock.t) {
			t.Errorf("row %+v", r)
		}
		latest, err := o.LatestTo(ctx, "+4791234567")
		if err != nil || latest.ID != r.ID {
			t.Errorf("LatestTo: %v %+v", err, latest)
		}
		if _, err := o.LatestTo(ctx, "+4799999999"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("LatestTo unknown: %v", err)
		}
		if _, err := o.Get(ctx, r.ID+1000); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Get unknown: %v", err)
		}
		if _, err := o.Send(ctx, SMS{To: "004791234567", Body: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("invalid phone: %v", err)
		}
		if n, _ := o.Recent(ctx, 10); len(n) != 1 {
			t.Errorf("invalid SMS was recorded")
		}
	})
}

func TestOutboxQueueIsTransactional(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o, _ := newTestOutbox(d)
		rollback := errors.New("roll back")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := o.Queue(ctx, tx, SMS{To: "+4791234567", Body: "Ny melding"}); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if due, _ := o.Due(ctx, 10); len(due) != 0 {
			t.Fatalf("rolled back SMS is due: %v", due)
		}
		var ids []int64
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			for _, to := range []string{"+4791234567", "+4791234568"} {
				id, err := o.Queue(ctx, tx, SMS{To: to, Body: "Ny melding", Ref: "r-" + to})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		due, err := o.Due(ctx, 10)
		if err != nil || len(due) != 2 || due[0] != ids[0] || due[1] != ids[1] {
			t.Fatalf("due %v, %v; want %v", due, err, ids)
		}
		r, err := o.Get(ctx, ids[1])
		if err != nil || r.Status != StatusQueued || r.MessageRef != "r-+4791234568" || !r.SentAt.IsZero() || r.Provider != "" {
			t.Errorf("queued row %+v %v", r, err)
		}
		if _, err := o.LatestTo(ctx, "+4791234567"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("a queued SMS is not a candidate for replies: %v", err)
		}
		if _, err := o.Queue(ctx, d.W, SMS{To: "+47", Body: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("invalid: %v", err)
		}
	})
}

func TestOutboxDeliver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFakeTwilio(t)
		tw := newTwilio(t, f.config())
		o, clock := newTestOutbox(d)
		queue := func(to string) int64 {
			t.Helper()
			id, err := o.Queue(ctx, d.W, SMS{To: to, Body: "Ny melding fra barnehagen", Ref: "ref"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		get := func(id int64) SMSRecord {
			t.Helper()
			r, err := o.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		// Accepted by the gateway.
		ok := queue("+4791234567")
		if err := o.Deliver(ctx, tw, ok); err != nil {
			t.Fatal(err)
		}
		r := get(ok)
		if r.Status != StatusSent || r.Provider != "twilio" || !strings.HasPrefix(r.ProviderID, "SM") || !r.SentAt.Equal(clock.t) || r.Attempts != 1 {
			t.Errorf("sent row %+v", r)
		}
		if err := o.Deliver(ctx, tw, ok); !errors.Is(err, ErrNotDue) {
			t.Errorf("second delivery: %v", err)
		}
		if len(f.received()) != 1 {
			t.Errorf("gateway got %d requests", len(f.received()))
		}
		if latest, err := o.LatestTo(ctx, "+4791234567"); err != nil || latest.ID != ok {
			t.Errorf("LatestTo %v %+v", err, latest)
		}

		// The outbox as provider records instead of sending.
		rec := queue("+4791234569")
		if err := o.Deliver(ctx, o, rec); err != nil {
			t.Fatal(err)
		}
		if r := get(rec); r.Status != StatusRecorded || r.Provider != "outbox" || !strings.HasPrefix(r.ProviderID, "OB") || r.SentAt.IsZero() {
			t.Errorf("recorded row %+v", r)
		}

		// Refused for good.
		bad := queue(numberRejected)
		if err := o.Deliver(ctx, tw, bad); !IsPermanent(err) {
			t.Errorf("rejected: %v", err)
		}
		if r := get(bad); r.Status != StatusFailed || !strings.Contains(r.Error, "21211") || !r.SentAt.IsZero() {
			t.Errorf("failed row %+v", r)
		}

		// Temporary failures: back off, then give up after MaxAttempts.
		o.MaxAttempts = 3
		o.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
		broken := queue(numberBroken)
		for attempt := 1; attempt <= 2; attempt++ {
			if err := o.Deliver(ctx, tw, broken); !IsTemporary(err) {
				t.Fatalf("attempt %d: %v", attempt, err)
			}
			r := get(broken)
			if r.Status != StatusQueued || r.Attempts != attempt || !r.NextAttemptAt.Equal(clock.t.Add(time.Duration(attempt)*time.Minute)) || !strings.Contains(r.Error, "500") {
				t.Fatalf("after attempt %d: %+v", attempt, r)
			}
			if due, _ := o.Due(ctx, 10); len(due) != 0 {
				t.Fatalf("due during backoff: %v", due)
			}
			if err := o.Deliver(ctx, tw, broken); !errors.Is(err, ErrNotDue) {
				t.Fatalf("delivered during backoff: %v", err)
			}
			clock.advance(time.Duration(attempt) * time.Minute)
			if due, _ := o.Due(ctx, 10); len(due) != 1 || due[0] != broken {
				t.Fatalf("not due after backoff: %v", due)
			}
		}
		if err := o.Deliver(ctx, tw, broken); !IsTemporary(err) {
			t.Fatalf("last attempt: %v", err)
		}
		if r := get(broken); r.Status != StatusFailed || r.Attempts != 3 {
			t.Errorf("after the last attempt %+v", r)
		}

		// The gateway's Retry-After wins over a shorter backoff.
		o.Backoff = func(int) time.Duration { return time.Second }
		limited := queue(numberLimited)
		if err := o.Deliver(ctx, tw, limited); !IsTemporary(err) {
			t.Fatal(err)
		}
		if r := get(limited); !r.NextAttemptAt.Equal(clock.t.Add(7 * time.Second)) {
			t.Errorf("next attempt %v, want now+7s", r.NextAttemptAt.Sub(clock.t))
		}
	})
}

// slowProvider counts sends and blocks until released.
type slowProvider struct {
	sends   atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (p *slowProvider) Name() string { return "slow" }
func (p *slowProvider) Send(ctx context.Context, m SMS) (string, error) {
	p.sends.Add(1)
	p.started <- struct{}{}
	<-p.release
	return "SLOW1", nil
}

func TestOutboxDeliverClaimsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o, _ := newTestOutbox(d)
		id, err := o.Queue(ctx, d.W, SMS{To: "+4791234567", Body: "Ny melding"})
		if err != nil {
			t.Fatal(err)
		}
		p := &slowProvider{started: make(chan struct{}, 2), release: make(chan struct{})}
		var wg sync.WaitGroup
		wg.Add(1)
		var first error
		go func() {
			defer wg.Done()
			first = o.Deliver(ctx, p, id)
		}()
		<-p.started // the first worker is sending
		if err := o.Deliver(ctx, p, id); !errors.Is(err, ErrNotDue) {
			t.Errorf("second worker: %v", err)
		}
		if due, _ := o.Due(ctx, 10); len(due) != 0 {
			t.Errorf("a message being sent is due: %v", due)
		}
		close(p.release)
		wg.Wait()
		if first != nil || p.sends.Load() != 1 {
			t.Fatalf("first %v, sends %d", first, p.sends.Load())
		}
		if r, _ := o.Get(ctx, id); r.Status != StatusSent || r.ProviderID != "SLOW1" {
			t.Errorf("row %+v", r)
		}
	})
}

func TestOutboxDeliverRecordsOutcomeAfterCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		o, _ := newTestOutbox(d)
		id, err := o.Queue(context.Background(), d.W, SMS{To: "+4791234567", Body: "Ny melding"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		p := &cancellingProvider{cancel: cancel}
		if err := o.Deliver(ctx, p, id); err != nil {
			t.Fatal(err)
		}
		if r, _ := o.Get(context.Background(), id); r.Status != StatusSent {
			t.Errorf("accepted SMS not marked sent after cancel: %+v", r)
		}
	})
}

// cancellingProvider accepts the message and then the caller gives up.
type cancellingProvider struct{ cancel func() }

func (p *cancellingProvider) Name() string { return "cancelling" }
func (p *cancellingProvider) Send(ctx context.Context, m SMS) (string, error) {
	p.cancel()
	return "C1", nil
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestOutboxQueueMany(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o, _ := newTestOutbox(d)
		ms := make([]SMS, 2*queueBatch+50) // three INSERTs
		for i := range ms {
			ms[i] = SMS{To: fmt.Sprintf("+47900%05d", i), Body: "رسالة جديدة", Ref: fmt.Sprint("r", i)}
		}
		bad := append(append([]SMS(nil), ms...), SMS{To: "12", Body: "x"})
		if err := o.QueueMany(ctx, d.W, bad); !errors.Is(err, ErrInvalid) || !IsPermanent(err) {
			t.Fatalf("with an invalid SMS: %v", err)
		}
		if due, _ := o.Due(ctx, 10000); len(due) != 0 {
			t.Fatalf("%d stored from an invalid batch", len(due))
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error { return o.QueueMany(ctx, tx, ms) })
		if err != nil {
			t.Fatal(err)
		}
		due, err := o.Due(ctx, 10000)
		if err != nil || len(due) != len(ms) {
			t.Fatalf("due %d, %v; want %d", len(due), err, len(ms))
		}
		seen := map[string]string{}
		for _, id := range due {
			r, err := o.Get(ctx, id)
			if err != nil || r.Status != StatusQueued {
				t.Fatalf("%+v %v", r, err)
			}
			seen[r.MessageRef] = r.To
		}
		for i, m := range ms {
			if seen[m.Ref] != m.To {
				t.Fatalf("message %d: stored %q for ref %q", i, seen[m.Ref], m.Ref)
			}
		}
	})
}
