package live_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/live"
	"tillit/internal/policy"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

// server is the app with GET /events as the route table will have it.
func server(t *testing.T, d *db.DB) *webtest.Server {
	return webtest.NewServer(t, d, func(env *web.Env) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("GET /events", web.Wrap(env, policy.SignedIn, 0, live.Events))
		mux.Handle("/", app.Handler(env))
		return mux
	})
}

// stream is an open /events response; events carries each event's id.
type stream struct {
	events chan int64
	header http.Header
}

// open connects c to /events (with Last-Event-ID when last is not ""),
// and waits for the "retry:" line, so the stream's starting point is set.
func open(t *testing.T, s *webtest.Server, c *webtest.Client, last string) *stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/events: status %d", res.StatusCode)
	}
	st := &stream{events: make(chan int64, 8), header: res.Header}
	retry := make(chan bool, 1)
	go func() {
		defer close(st.events)
		sc := bufio.NewScanner(res.Body)
		var id int64
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "retry: 3000":
				retry <- true
			case strings.HasPrefix(line, "id: "):
				id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if d := strings.TrimPrefix(line, "data: "); d != "{}" {
					t.Errorf("event carries data: %q", d)
				}
			case line == "" && event != "":
				if event != "message" {
					t.Errorf("event %q", event)
				}
				st.events <- id
				id, event = 0, ""
			}
		}
	}()
	select {
	case <-retry:
	case <-time.After(10 * time.Second):
		t.Fatal("/events: no retry line")
	}
	return st
}

// next waits (generously) for the next event.
func (st *stream) next(t *testing.T, who string) int64 {
	t.Helper()
	select {
	case id, ok := <-st.events:
		if !ok {
			t.Fatalf("%s: stream ended without an event", who)
		}
		return id
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no event", who)
	}
	return 0
}

// quiet fails if any of the streams sends an event during d.
func quiet(t *testing.T, d time.Duration, streams map[string]*stream) {
	t.Helper()
	deadline := time.After(d)
	for {
		for who, st := range streams {
			select {
			case id, ok := <-st.events:
				if ok {
					t.Errorf("%s got event %d", who, id)
				}
				delete(streams, who)
			default:
			}
		}
		select {
		case <-deadline:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := server(t, d)

		// Anonymous: the router sends them to sign in.
		if res := s.Anonymous(t).Get("/events"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Fatalf("anonymous: %d %q", res.Status, res.Location)
		}

		parentC := s.Login(t, "parent", webtest.Password)
		parent := open(t, s, parentC, "")
		if ct := parent.header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := parent.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		if xa := parent.header.Get("X-Accel-Buffering"); xa != "no" {
			t.Errorf("X-Accel-Buffering %q", xa)
		}
		// The coparent has no parental responsibility: not a recipient of
		// the child's thread. The assistant works in the other group.
		coparent := open(t, s, s.Login(t, "coparent", webtest.Password), "")
		assistant := open(t, s, s.Login(t, "assistant", webtest.Password), "")
		other := open(t, s, s.Login(t, "othermanager", webtest.Password), "")
		leaderC := s.Login(t, "leader", webtest.Password)
		manager := open(t, s, s.Login(t, "manager", webtest.Password), "")

		if res := leaderC.PostForm("/threads/"+strconv.FormatInt(w.Thread, 10)+"/messages", url.Values{"category": {"practical"}, "body": {"Vi går på tur i morgen."}}); res.Status != http.StatusSeeOther {
			t.Fatalf("leader writes: %d\n%s", res.Status, res.Body)
		}
		var sent int64
		if err := d.R.QueryRow(`SELECT MAX(id) FROM messages WHERE thread_id = $1`, w.Thread).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent <= w.Message {
			t.Fatalf("message not stored: %d", sent)
		}
		if id := parent.next(t, "parent"); id != sent {
			t.Errorf("parent: event id %d, want %d", id, sent)
		}
		if id := manager.next(t, "manager"); id != sent {
			t.Errorf("manager: event id %d, want %d", id, sent)
		}

		// Resuming: from an older id the event comes at once; from the
		// id already seen, nothing is sent again.
		older := open(t, s, parentC, strconv.FormatInt(w.Message, 10))
		if id := older.next(t, "parent resuming"); id != sent {
			t.Errorf("resume: event id %d, want %d", id, sent)
		}
		seen := open(t, s, parentC, strconv.FormatInt(sent, 10))

		quiet(t, 5*time.Second, map[string]*stream{
			"coparent": coparent, "assistant": assistant, "othermanager": other,
			"parent (already seen)": seen, "parent (again)": parent,
		})

		// The parent answers: the leader's page hears of it.
		leader := open(t, s, leaderC, "")
		if res := parentC.PostForm("/threads/"+strconv.FormatInt(w.Thread, 10)+"/messages", url.Values{"category": {"general"}, "body": {"Takk!"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("parent writes: %d\n%s", res.Status, res.Body)
		}
		if id := leader.next(t, "leader"); id <= sent {
			t.Errorf("leader: event id %d, want > %d", id, sent)
		}
	})
}
