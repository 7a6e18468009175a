package demo_test

import (
	"context"
	"encoding/json"
	"testing"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/demo"
	"tillit/internal/phrasebook"
)

func TestSeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		r, err := demo.Seed(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := d.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM children`); n < 38 || n > 45 {
			t.Errorf("children = %d, want about 40", n)
		}
		if n := count(`SELECT COUNT(*) FROM groups`); n != 3 {
			t.Errorf("groups = %d", n)
		}
		for role, want := range map[string]int{"manager": 1, "pedagogical_leader": 6, "assistant": 4, "owner_admin": 1} {
			if n := count(`SELECT COUNT(*) FROM staff_roles WHERE role = $1`, role); n != want {
				t.Errorf("%s = %d, want %d", role, n, want)
			}
		}
		for _, lang := range []string{"ti", "ar", "fa-AF", "so", "uk", "ru", "kmr", "ps"} {
			if n := count(`SELECT COUNT(*) FROM people WHERE languages LIKE $1`, lang+"%"); n == 0 {
				t.Errorf("no family speaking %s first", lang)
			}
		}
		if n := count(`SELECT COUNT(*) FROM guardianships WHERE parental_responsibility = FALSE`); n == 0 {
			t.Error("no guardian without parental responsibility")
		}
		if n := count(`SELECT COUNT(*) FROM children WHERE confidential_address <> ''`); n == 0 {
			t.Error("no child with a confidential address")
		}
		for _, p := range demo.Personas {
			if _, ok, err := auth.VerifyLogin(ctx, d, p.Login, demo.Password); err != nil || !ok {
				t.Errorf("persona %s cannot sign in with the demo password", p.Login)
			}
		}
		// The week of messages: every phrasebook message is valid, a
		// family asked for an interpreter, the Tigrinya father asked.
		book, err := phrasebook.Load()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := d.R.QueryContext(ctx, `SELECT phrase_key, phrase_slots FROM messages WHERE phrase_key <> ''`)
		if err != nil {
			t.Fatal(err)
		}
		phrases := 0
		for rows.Next() {
			var key, slots string
			rows.Scan(&key, &slots)
			m := map[string]string{}
			if slots != "" && slots != "null" {
				json.Unmarshal([]byte(slots), &m)
			}
			if err := book.Check(key, m); err != nil {
				t.Errorf("demo message %s: %v", key, err)
			}
			phrases++
		}
		rows.Close()
		if phrases < 5 {
			t.Errorf("only %d phrasebook messages", phrases)
		}
		if n := count(`SELECT COUNT(*) FROM followups WHERE kind = 'interpreter' AND language = 'fa-AF'`); n != 1 {
			t.Errorf("interpreter follow-ups for Dari: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM messages WHERE lang = 'ti' AND NOT from_staff`); n != 1 {
			t.Errorf("questions from the Tigrinya father: %d", n)
		}
		// Amal's answer by SMS, in Arabic, in her private thread.
		if n := count(`SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id
			WHERE m.sms_sid IS NOT NULL AND m.lang = 'ar' AND NOT m.from_staff AND t.kind = 'private' AND t.id = $1 AND m.reply_to IS NOT NULL`, r.SMSThread); n != 1 {
			t.Errorf("SMS answers from Amal: %d", n)
		}
		if r.People["tesfay"] == 0 || r.Children["Selam Haile"] == 0 {
			t.Error("result lacks personas")
		}
	})
}
