// Package live tells an open page that something new has arrived, with
// Server-Sent Events. It carries no content: only the id of the newest
// message the person may see; the page then fetches itself again. Pages
// work the same without it.
//
// There is no in-process broker: each stream polls the database, so any
// number of servers behind a load balancer see the same messages.
package live

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tillit/internal/policy"
	"tillit/internal/web"
)

// Timing of a stream. The server's WriteTimeout is 60 s: a stream ends
// before it, and the browser reconnects after retry milliseconds with
// Last-Event-ID, so nothing is missed.
const (
	pollEvery      = 2 * time.Second
	heartbeatEvery = 25 * time.Second
	streamFor      = 55 * time.Second
	retryMillis    = 3000
)

// Events serves GET /events: a text/event-stream that sends
// "event: message" with the newest visible message id whenever it grows.
func Events(c *web.Ctx) error {
	q, args := newestQuery(c.Actor)
	newest := func(ctx context.Context) (int64, error) {
		var n int64
		err := c.Env.DB.R.QueryRowContext(ctx, q, args...).Scan(&n)
		return n, err
	}
	last, ok := lastEventID(c.R.Header.Get("Last-Event-ID"))
	if !ok {
		n, err := newest(c.Context())
		if err != nil {
			return err
		}
		last = n
	}

	ctx, cancel := context.WithTimeout(c.Context(), streamFor)
	defer cancel()
	rc := http.NewResponseController(c.W)
	h := c.W.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	c.W.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		if _, err := c.W.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: " + strconv.Itoa(retryMillis) + "\n\n") {
		return nil
	}

	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	check := func() bool {
		n, err := newest(ctx)
		if err != nil {
			if !errors.Is(ctx.Err(), context.Canceled) && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				c.Env.Log.Error("live: newest message", "err", err)
			}
			return false
		}
		if n <= last {
			return true
		}
		last = n
		return send("id: " + strconv.FormatInt(n, 10) + "\nevent: message\ndata: {}\n\n")
	}
	// Resuming after a reconnect: tell at once what came in between.
	if ok && !check() {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
			if !check() {
				return nil
			}
		case <-beat.C:
			if !send(": keep-alive\n\n") {
				return nil
			}
		}
	}
}

// lastEventID reads the Last-Event-ID header the browser sends when it
// reconnects; anything but a plain positive number is ignored.
func lastEventID(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// newestQuery builds ONE query for the id of the newest message a can see:
//   - messages they received (their receipts — the access list for
//     guardians),
//   - messages they wrote themselves in their children's threads,
//   - for staff, every message in the threads of the groups they are staff
//     of (StaffOfGroup): assigned groups in a kindergarten they work in,
//     the whole kindergarten for managers, every kindergarten of the
//     organisation for owner admins; and kindergarten-wide announcements
//     where they work (WorksIn).
func newestQuery(a *policy.Actor) (string, []any) {
	args := []any{a.PersonID}
	ph := func(ids []int64) string {
		var b strings.Builder
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, id)
			b.WriteString("$" + strconv.Itoa(len(args)))
		}
		return b.String()
	}
	parts := []string{
		`SELECT MAX(message_id) AS n FROM receipts WHERE person_id = $1`,
	}
	var children []int64
	for id := range a.Links {
		children = append(children, id)
	}
	if len(children) > 0 {
		parts = append(parts, `SELECT MAX(m.id) FROM messages m JOIN threads t ON t.id = m.thread_id
			WHERE m.author_id = $1 AND t.child_id IN (`+ph(children)+`)`)
	}
	if a.IsStaff() {
		var groups, workKgs, adminKgs, orgs []int64
		for g := range a.Groups {
			groups = append(groups, g)
		}
		workKgs = a.KindergartenIDs()
		for _, r := range a.Roles {
			switch r.Role {
			case policy.OwnerAdmin:
				orgs = append(orgs, r.OrganisationID)
			case policy.Manager:
				adminKgs = append(adminKgs, r.KindergartenID)
			}
		}
		var or []string
		worksIn := func() string {
			var w []string
			if len(workKgs) > 0 {
				w = append(w, `t.kindergarten_id IN (`+ph(workKgs)+`)`)
			}
			if len(orgs) > 0 {
				w = append(w, `k.organisation_id IN (`+ph(orgs)+`)`)
			}
			if len(w) == 0 {
				return "FALSE"
			}
			return "(" + strings.Join(w, " OR ") + ")"
		}
		if len(groups) > 0 {
			or = append(or, `(t.group_id IN (`+ph(groups)+`) AND `+worksIn()+`)`)
		}
		if len(adminKgs) > 0 {
			or = append(or, `t.kindergarten_id IN (`+ph(adminKgs)+`)`)
		}
		if len(orgs) > 0 {
			or = append(or, `k.organisation_id IN (`+ph(orgs)+`)`)
		}
		or = append(or, `(t.kind = 'announcement' AND t.group_id IS NULL AND `+worksIn()+`)`)
		parts = append(parts, `SELECT MAX(m.id) FROM messages m JOIN threads t ON t.id = m.thread_id
			JOIN kindergartens k ON k.id = t.kindergarten_id WHERE `+strings.Join(or, " OR "))
	}
	return `SELECT COALESCE(MAX(n), 0) FROM (` + strings.Join(parts, " UNION ALL ") + `) s`, args
}
