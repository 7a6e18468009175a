package demo

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/notify"
)

// seedMessages gives the demo a realistic week of messages: announcements
// from the phrasebook and in free text, a good-day note, a question from
// the Tigrinya-speaking father, a family that did not understand and
// asked for an interpreter, and a mother without mobile data who answered
// an announcement by SMS in Arabic.
func seedMessages(ctx context.Context, d *db.DB, r *Result) error {
	now := time.Now().In(i18n.Oslo)
	day := func(offset int) string { return now.AddDate(0, 0, offset).Format("2006-01-02") }
	type msg struct {
		ago     time.Duration
		thread  func(tx *sql.Tx) (*messaging.Thread, error)
		m       messaging.NewMessage
		answers map[string]string // login → answer
		readers []string          // logins who read it
	}
	group := func(name, by string) func(tx *sql.Tx) (*messaging.Thread, error) {
		return func(tx *sql.Tx) (*messaging.Thread, error) {
			return messaging.NewAnnouncement(ctx, tx, r.Kindergarten, r.Groups[name], r.People[by])
		}
	}
	child := func(name, by string) func(tx *sql.Tx) (*messaging.Thread, error) {
		return func(tx *sql.Tx) (*messaging.Thread, error) {
			return messaging.ChildThread(ctx, tx, r.Children[name], r.People[by])
		}
	}
	staff := func(login, category, body, key string, slots map[string]string) messaging.NewMessage {
		return messaging.NewMessage{AuthorID: r.People[login], FromStaff: true, Category: category, Lang: "nb", Body: body, PhraseKey: key, PhraseSlots: slots}
	}
	week := []msg{
		{ago: 6 * 24 * time.Hour, thread: group("Blåbær", "kari"), m: staff("kari", messaging.Practical, "", "clothes.winter_kit", nil),
			answers: map[string]string{"tesfay": messaging.Understood, "rania": messaging.Understood}, readers: []string{"mehret", "soraya"}},
		{ago: 5 * 24 * time.Hour, thread: func(tx *sql.Tx) (*messaging.Thread, error) {
			return messaging.NewAnnouncement(ctx, tx, r.Kindergarten, 0, r.People["styrer"])
		}, m: staff("styrer", messaging.Practical, "", "planning.day_closed", map[string]string{"Date": day(9)}),
			answers: map[string]string{"amal": messaging.Understood, "olena": messaging.Understood}, readers: []string{"marte", "iryna"}},
		{ago: 4 * 24 * time.Hour, thread: group("Tyttebær", "mariam"), m: staff("mariam", messaging.Practical, "", "trips.trip_to_place",
			map[string]string{"Place": "place.forest", "Date": day(3), "Time": "09:30"}),
			answers: map[string]string{"farida": messaging.Interpreter, "tesfay": messaging.Question, "amal": messaging.Understood}, readers: []string{"olena"}},
		{ago: 3 * 24 * time.Hour, thread: group("Multe", "bjorn"), m: staff("bjorn", messaging.Practical,
			"Hei! Neste uke begynner vi med skiskole på tirsdager. Barna som har ski, kan ta dem med. Vi har noen ski å låne ut til dem som ikke har.", "", nil),
			answers: map[string]string{"olena": messaging.Understood}, readers: []string{"rania"}},
		{ago: 2 * 24 * time.Hour, thread: child("Selam Haile", "kari"), m: staff("kari", messaging.General, "", "praise.good_day", map[string]string{"Child": "Selam"}),
			answers: map[string]string{"tesfay": messaging.Understood}},
		{ago: 36 * time.Hour, thread: child("Selam Haile", "kari"), m: messaging.NewMessage{AuthorID: r.People["tesfay"], Category: messaging.General, Lang: "ti",
			Body: "ሰላም ካሪ። ኣብ ዕለት ዑደት ሰላም እንታይ ክትሕዝ ኣለዋ? መግቢ ካብ ገዛ ድዩ? የቐንየልና።"}},
		{ago: 20 * time.Hour, thread: child("Zahra Ahmadi", "mariam"), m: staff("mariam", messaging.Practical, "", "clothes.spare_needed",
			map[string]string{"Child": "Zahra", "Item": "item.clothing.wool_underwear"})},
		{ago: 3 * time.Hour, thread: group("Tyttebær", "ahmed"), m: staff("ahmed", messaging.Practical, "", "food.packed_lunch_tomorrow", nil),
			readers: []string{"amal"}},
	}
	var lunch int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for _, w := range week {
			th, err := w.thread(tx)
			if err != nil {
				return err
			}
			w.m.Thread = th
			s, err := messaging.Send(ctx, tx, w.m)
			if err != nil {
				return err
			}
			switch w.m.PhraseKey {
			case "trips.trip_to_place":
				r.TripMessage = s.MessageID
			case "food.packed_lunch_tomorrow":
				lunch = s.MessageID
			}
			if th.Kind == messaging.KindChild && th.ChildID == r.Children["Selam Haile"] {
				r.SelamThread = th.ID
			}
			at := now.Add(-w.ago).Unix()
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET created_at = $1 WHERE id = $2`, at, s.MessageID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE threads SET created_at = $1, last_message_at = $1 WHERE id = $2`, at, th.ID); err != nil {
				return err
			}
			for _, login := range w.readers {
				if err := messaging.MarkRead(ctx, tx, r.People[login], []int64{s.MessageID}); err != nil {
					return err
				}
			}
			for login, a := range w.answers {
				if err := messaging.Answer(ctx, tx, s.MessageID, r.People[login], a); err != nil {
					return err
				}
			}
		}
		// The demo's notifications have "gone out" already.
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET status = 'sent'`)
		return err
	})
	if err != nil {
		return err
	}
	return seedSMSAnswer(ctx, d, r, lunch, now.Add(-2*time.Hour))
}

// seedSMSAnswer: Amal Haddad gets notifications by SMS. The SMS about the
// packed-lunch announcement is in the outbox (recorded, as the demo sends
// none), and she answered it in Arabic by SMS, through the same code as
// the gateway's webhook: it is in her private thread with Tyttebær,
// "received by SMS", waiting for translation into Norwegian.
func seedSMSAnswer(ctx context.Context, d *db.DB, r *Result, msg int64, at time.Time) error {
	amal := r.People["amal"]
	var phone string
	if err := d.R.QueryRowContext(ctx, `SELECT phone FROM people WHERE id = $1`, amal).Scan(&phone); err != nil {
		return err
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO contact_preferences (person_id, push, sms) VALUES ($1, FALSE, TRUE)`, amal); err != nil {
		return err
	}
	ob := channels.NewOutbox(d)
	var id int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = ob.Queue(ctx, tx, channels.SMS{To: phone, Body: notify.SMSBody("ar", false, ""), Ref: notify.ReceiptRef(msg, amal)})
		return err
	})
	if err != nil {
		return err
	}
	if err := ob.Deliver(ctx, ob, id); err != nil {
		return err
	}
	res, err := notify.ReceiveText(ctx, d, "SMdemo0000000000000000000000000001", phone,
		"شكراً على التذكير. طفلي لا يأكل الخبز، هل يمكن أن أرسل له أرزاً في علبة الغداء؟")
	if err != nil {
		return err
	}
	if res.Outcome != notify.TextStored {
		return fmt.Errorf("demo: the SMS answer was not stored (%s)", res.Outcome)
	}
	r.SMSThread = res.ThreadID
	if _, err := d.W.ExecContext(ctx, `UPDATE messages SET created_at = $1 WHERE id = $2`, at.Unix(), res.MessageID); err != nil {
		return err
	}
	_, err = d.W.ExecContext(ctx, `UPDATE threads SET created_at = $1, last_message_at = $1 WHERE id = $2`, at.Unix(), res.ThreadID)
	return err
}
