package channels

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

const benchArabic = "رسالة جديدة من الروضة في Tillit. أجب 1 = فهمت، 2 = عندي سؤال، 3 = أحتاج مترجماً."

func BenchmarkSMSSegments(b *testing.B) {
	for b.Loop() {
		SMSSegments(benchArabic)
	}
}

func BenchmarkParseReply(b *testing.B) {
	for b.Loop() {
		ParseReply(" \u200f٢۔ ")
	}
}

func BenchmarkTwilioSignature(b *testing.B) {
	params := url.Values{"MessageSid": {"SM1"}, "AccountSid": {testAccount}, "From": {"+4791234567"}, "To": {"+4759440000"}, "Body": {"٢"}}
	for b.Loop() {
		TwilioSignature(testToken, "https://tillit.example/sms/twilio", params)
	}
}

func BenchmarkBuildMail(b *testing.B) {
	m, err := NewMailer(SMTPConfig{Host: "smtp.example.org", From: "Tillit <varsel@barnehage.example>"})
	if err != nil {
		b.Fatal(err)
	}
	msg := Mail{To: "forelder@example.org", Subject: "رسالة جديدة من الروضة", TextBody: benchArabic, Lang: "ar"}
	for b.Loop() {
		if _, _, _, err := m.build(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// One whole SMTP session per message: connect, EHLO, STARTTLS (a full
// TLS handshake), AUTH, MAIL, RCPT, DATA, QUIT, against the local server.
func BenchmarkSendMail(b *testing.B) {
	srv := newTestSMTPServer(b).start()
	m, err := NewMailer(srv.config())
	if err != nil {
		b.Fatal(err)
	}
	msg := Mail{To: "forelder@example.org", Subject: "رسالة جديدة من الروضة", TextBody: benchArabic, Lang: "ar"}
	for b.Loop() {
		if err := m.SendMail(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTwilioSend(b *testing.B) {
	f := newFakeTwilio(b)
	tw, err := NewTwilio(f.config())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := tw.Send(context.Background(), SMS{To: "+4791234567", Body: benchArabic}); err != nil {
			b.Fatal(err)
		}
	}
}

// Queueing the SMS of an announcement to 1,000 guardians in one
// transaction (the messaging feature adds its receipts to the same one).
func BenchmarkOutboxQueue1000(b *testing.B) {
	for _, eng := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(eng.name, func(b *testing.B) {
			d := eng.open(b)
			o := NewOutbox(d)
			ctx := context.Background()
			for b.Loop() {
				err := d.Tx(ctx, func(tx *sql.Tx) error {
					for i := range 1000 {
						if _, err := o.Queue(ctx, tx, SMS{To: fmt.Sprintf("+47900%05d", i), Body: benchArabic, Ref: fmt.Sprint(i)}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The same with QueueMany: multi-row INSERTs.
func BenchmarkOutboxQueueMany1000(b *testing.B) {
	ms := make([]SMS, 1000)
	for i := range ms {
		ms[i] = SMS{To: fmt.Sprintf("+47900%05d", i), Body: benchArabic, Ref: fmt.Sprint(i)}
	}
	for _, eng := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(eng.name, func(b *testing.B) {
			d := eng.open(b)
			o := NewOutbox(d)
			ctx := context.Background()
			for b.Loop() {
				if err := d.Tx(ctx, func(tx *sql.Tx) error { return o.QueueMany(ctx, tx, ms) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Delivering one queued SMS through the outbox provider: claim, load,
// record.
func BenchmarkOutboxDeliver(b *testing.B) {
	d := dbtest.SQLite(b)
	o := NewOutbox(d)
	ctx := context.Background()
	for b.Loop() {
		id, err := o.Queue(ctx, d.W, SMS{To: "+4791234567", Body: benchArabic})
		if err != nil {
			b.Fatal(err)
		}
		if err := o.Deliver(ctx, o, id); err != nil {
			b.Fatal(err)
		}
	}
}
