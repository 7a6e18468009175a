package messaging_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/webtest"
)

func ids(rs []messaging.Recipient) map[int64]string {
	m := map[int64]string{}
	for _, r := range rs {
		m[r.PersonID] = r.Lang
	}
	return m
}

func TestRecipientsFollowTheRights(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		child, err := messaging.ChildThread(ctx, d.W, w.ChildA1, w.Leader)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := messaging.ChildThread(ctx, d.W, w.ChildA1, w.Leader)
		if again.ID != child.ID {
			t.Fatal("a second child thread was made")
		}
		rs, err := messaging.Recipients(ctx, d.R, child)
		if err != nil {
			t.Fatal(err)
		}
		// Parent only: the coparent has no parental responsibility, Boris
		// no access to information.
		if got := ids(rs); len(got) != 1 || got[w.Parent] != "ti" {
			t.Fatalf("child thread recipients: %v", got)
		}
		priv, _ := messaging.PrivateThread(ctx, d.W, w.ChildA1, w.Coparent, w.Leader)
		if got := ids(must(messaging.Recipients(ctx, d.R, priv))); len(got) != 1 || got[w.Coparent] != "ar" {
			t.Fatalf("private thread recipients: %v", got)
		}
		blocked, _ := messaging.PrivateThread(ctx, d.W, w.ChildA1, w.Blocked, w.Leader)
		if got := must(messaging.Recipients(ctx, d.R, blocked)); len(got) != 0 {
			t.Fatalf("a private thread reached a guardian without access: %v", got)
		}
		ann, _ := messaging.NewAnnouncement(ctx, d.W, w.Kg, w.GroupA, w.Leader)
		got := ids(must(messaging.Recipients(ctx, d.R, ann)))
		if len(got) != 3 || got[w.Parent] == "" || got[w.Coparent] == "" || got[w.Pending] != "uk" || got[w.Blocked] != "" {
			t.Fatalf("group announcement recipients: %v", got)
		}
		all, _ := messaging.NewAnnouncement(ctx, d.W, w.Kg, 0, w.Manager)
		got = ids(must(messaging.Recipients(ctx, d.R, all)))
		if len(got) != 4 || got[w.ParentB] == "" || got[w.OtherParent] != "" {
			t.Fatalf("kindergarten announcement recipients: %v", got)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSendStoresEverythingAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		ann, _ := messaging.NewAnnouncement(ctx, d.W, w.Kg, w.GroupA, w.Leader)
		d.W.Exec(`INSERT INTO contact_preferences (person_id, push, email, sms) VALUES ($1, TRUE, TRUE, TRUE)`, w.Parent)
		var sent *messaging.Sent
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			sent, err = messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Husk ullklær i morgen."})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Parent (ti), coparent (ar), pending (uk): three receipts, three
		// translation jobs, push for all and e-mail and SMS for the parent.
		if sent.Recipients != 3 || sent.Translations != 3 || sent.Notifications != 5 {
			t.Fatalf("sent %+v", sent)
		}
		var pending int
		d.R.QueryRow(`SELECT COUNT(*) FROM message_translations WHERE message_id = $1 AND status = 'pending'`, sent.MessageID).Scan(&pending)
		if pending != 3 {
			t.Fatalf("pending translations: %d", pending)
		}
		// A phrasebook message needs no translation.
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb",
				PhraseKey: "clothes.wool", PhraseSlots: map[string]string{"Date": "2026-12-01"}})
			if err == nil && s.Translations != 0 {
				err = fmt.Errorf("phrasebook message queued %d translations", s.Translations)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// A guardian's message goes to staff in Norwegian: no receipts.
		child, _ := messaging.ChildThread(ctx, d.W, w.ChildA1, w.Parent)
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: child, AuthorID: w.Parent, Category: messaging.General, Lang: "ti", Body: "ሰላም"})
			if err == nil && (s.Recipients != 0 || s.Translations != 1) {
				err = fmt.Errorf("guardian message: %+v", s)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing is stored when sending fails.
		var before int
		d.R.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&before)
		empty, _ := messaging.PrivateThread(ctx, d.W, w.ChildA1, w.Blocked, w.Leader)
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: empty, AuthorID: w.Leader, FromStaff: true, Category: messaging.General, Lang: "nb", Body: "Hei"})
			return err
		})
		if !errors.Is(err, messaging.ErrNoRecipients) {
			t.Fatalf("send to nobody: %v", err)
		}
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, AuthorID: w.Leader, FromStaff: true, Category: messaging.General, Lang: "nb", Body: "  "})
			return err
		})
		if !errors.Is(err, messaging.ErrEmpty) {
			t.Fatalf("empty message: %v", err)
		}
		var after int
		d.R.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&after)
		if after != before {
			t.Fatal("a failed send stored a message")
		}
	})
}

func TestAnswersAndFollowups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		d.W.Exec(`UPDATE people SET needs_interpreter = TRUE, interpreter_language = 'ti', interpreter_dialect = 'Eritrean' WHERE id = $1`, w.Parent)
		child, _ := messaging.ChildThread(ctx, d.W, w.ChildA1, w.Leader)
		var msg int64
		d.Tx(ctx, func(tx *sql.Tx) error {
			s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: child, AuthorID: w.Leader, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Hei"})
			msg = s.MessageID
			return err
		})
		answer := func(person int64, a string) error {
			return d.Tx(ctx, func(tx *sql.Tx) error { return messaging.Answer(ctx, tx, msg, person, a) })
		}
		if err := answer(w.Coparent, messaging.Understood); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a non-recipient answered: %v", err)
		}
		if err := answer(w.Parent, "maybe"); !errors.Is(err, messaging.ErrBadAnswer) {
			t.Fatalf("bad answer: %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := answer(w.Parent, messaging.Interpreter); err != nil {
				t.Fatal(err)
			}
		}
		all, err := messaging.OpenFollowups(ctx, d.R, w.Kg, w.GroupA)
		var fs []messaging.Followup
		for _, f := range all {
			if f.MessageID == msg {
				fs = append(fs, f)
			}
		}
		if err != nil || len(fs) != 1 || fs[0].Language != "ti" || fs[0].Dialect != "Eritrean" || fs[0].Kind != "interpreter" {
			t.Fatalf("followups: %+v %v", fs, err)
		}
		rows, _ := messaging.Receipts(ctx, d.R, msg)
		if len(rows) != 1 || rows[0].Answer != messaging.Interpreter || rows[0].ReadAt == 0 {
			t.Fatalf("receipts: %+v", rows)
		}
		messaging.CloseFollowup(ctx, d.W, fs[0].ID, w.Leader)
		if open, _ := messaging.OpenFollowups(ctx, d.R, w.Kg, w.GroupA); len(open) != len(all)-1 {
			t.Fatal("follow-up still open")
		}
	})
}

// BenchmarkAnnouncement1000 stores an announcement to 1,000 guardians in
// the 13 launch languages, with all receipts, translation jobs and queued
// notifications, in one transaction.
func BenchmarkAnnouncement1000(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b)
			} else {
				d = dbtest.Postgres(b)
			}
			ctx := context.Background()
			org, _ := directory.CreateOrganisation(ctx, d.W, "Stor kommune", "municipality")
			kg, _ := directory.CreateKindergarten(ctx, d.W, org, "Stor barnehage")
			g, _ := directory.CreateGroup(ctx, d.W, kg, "Alle")
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				for i := 0; i < 1000; i++ {
					c, err := directory.CreateChild(ctx, tx, &directory.Child{KindergartenID: kg, GroupID: g, FirstName: "Barn", LastName: fmt.Sprint(i), BirthDate: "2022-01-01"})
					if err != nil {
						return err
					}
					lang := i18n.Languages[i%len(i18n.Languages)].Code
					p, err := directory.CreatePerson(ctx, tx, &directory.Person{Name: fmt.Sprint("Forelder ", i), Languages: []string{lang}})
					if err != nil {
						return err
					}
					if err := directory.SetLink(ctx, tx, directory.Link{ChildID: c, PersonID: p, ParentalResponsibility: true}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ann, err := messaging.NewAnnouncement(ctx, d.W, kg, g, 0)
				if err != nil {
					b.Fatal(err)
				}
				err = d.Tx(ctx, func(tx *sql.Tx) error {
					s, err := messaging.Send(ctx, tx, messaging.NewMessage{Thread: ann, FromStaff: true, Category: messaging.Practical, Lang: "nb", Body: "Planleggingsdag fredag: barnehagen er stengt."})
					if err == nil && (s.Recipients != 1000 || s.Translations != 12 || s.Notifications != 1000) {
						err = fmt.Errorf("sent %+v", s)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
