package messaging_test

import (
	"context"
	"database/sql"
	"log/slog"
	"testing"
	"time"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/messaging"
	"tillit/internal/translate"
	"tillit/internal/translate/libretest"
	"tillit/internal/webtest"
)

func TestTranslationWorker(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		srv := libretest.New(t, map[string][]string{"nb": {"en", "ar", "uk"}, "en": {"nb"}, "ar": {"nb"}, "uk": {"nb"}})
		down, calls := &srv.Down, &srv.Calls
		tr, err := translate.New(d, translate.Config{LibreTranslateURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Now()
		wk := &messaging.TranslationWorker{DB: d, Translator: tr, Log: slog.New(slog.DiscardHandler), MaxAttempts: 3, Now: func() time.Time { return clock }}
		status := func(msg int64, lang string) (st, text string) {
			d.R.QueryRow(`SELECT status, text FROM message_translations WHERE message_id = $1 AND lang = $2`, msg, lang).Scan(&st, &text)
			return
		}
		// The fixture's message (nb, to the Tigrinya-reading parent): no
		// provider offers ti, so it is marked "none".
		ann, _ := messaging.NewAnnouncement(ctx, d.W, w.Kg, w.GroupA, w.Leader)
		var msg int64
		d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Tur til skogen i morgen."})
			msg = s.MessageID
			return err
		})
		if n, err := wk.RunOnce(ctx); err != nil || n != 5 { // ti, ar, uk here; ti and pl of the fixtures
			t.Fatalf("first round: %d %v", n, err)
		}
		if st, text := status(msg, "ar"); st != "done" || text != "[ar] Tur til skogen i morgen." {
			t.Fatalf("ar: %s %q", st, text)
		}
		if st, _ := status(msg, "ti"); st != "none" {
			t.Fatalf("ti: %s", st)
		}
		if st, _ := status(w.Message, "ti"); st != "none" {
			t.Fatalf("fixture message ti: %s", st)
		}
		// The same text again is served from the memory: no request.
		before := calls.Load()
		d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Tur til  skogen i morgen. "})
			msg = s.MessageID
			return err
		})
		wk.RunOnce(ctx)
		if calls.Load() != before {
			t.Fatalf("the same text was translated again (%d requests)", calls.Load()-before)
		}
		if st, _ := status(msg, "uk"); st != "done" {
			t.Fatalf("uk from memory: %s", st)
		}
		// A provider that is down: the job waits and is retried, then fails.
		down.Store(true)
		d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Foreldremøte torsdag."})
			msg = s.MessageID
			return err
		})
		wk.RunOnce(ctx)
		if st, _ := status(msg, "ar"); st != "pending" {
			t.Fatalf("after a 503: %s", st)
		}
		if n, _ := wk.RunOnce(ctx); n != 0 {
			t.Fatalf("a postponed job was retried at once (%d)", n)
		}
		down.Store(false)
		clock = clock.Add(2 * time.Minute)
		wk.RunOnce(ctx)
		if st, _ := status(msg, "ar"); st != "done" {
			t.Fatalf("after the provider came back: %s", st)
		}
		down.Store(true)
		d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Husk matpakke."})
			msg = s.MessageID
			return err
		})
		for i := 0; i < 5; i++ {
			wk.RunOnce(ctx)
			clock = clock.Add(time.Hour)
		}
		if st, _ := status(msg, "ar"); st != "failed" {
			t.Fatalf("after %d attempts: %s", wk.MaxAttempts, st)
		}
		var messages int
		d.R.QueryRow(`SELECT COUNT(*) FROM messages WHERE id = $1`, msg).Scan(&messages)
		if messages != 1 {
			t.Fatal("the message was lost")
		}
	})
}
