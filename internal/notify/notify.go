// Package notify is the notification worker: it takes the notifications
// messaging.Send queued (one row per recipient and chosen channel) and
// tells each person, by Web Push, e-mail or SMS, that there is something
// new from the kindergarten.
//
// What a notification may say: only "there is something new from the
// kindergarten" (or "an urgent message from the kindergarten"), "open
// Tillit" with the link to the inbox and, in an SMS, the reply codes — in
// the recipient's interface language. Never the child's name, health
// details, an address, the sender or the message text: a notification
// passes through services Tillit does not control and shows on lock
// screens. The worker never reads the message, only its id.
//
// Quiet hours (contact_preferences.quiet_from/quiet_to, minutes after
// midnight in Oslo time; 21:00–07:00 without a row) postpone a
// notification to the end of the window, unless it is urgent.
//
// SMS go through the transactional outbox of package channels: the SMS is
// stored with the notification's state in one transaction, then handed to
// the provider; the outbox retries temporary failures. Each SMS carries
// its receipt (message and person) in sms_outbox.message_ref, so that
// MatchReply can match an inbound "1", "2" or "3" to the message.
//
// Nothing here logs a name, address, phone number or text: only ids,
// channels and outcomes.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/i18n"
	"tillit/internal/messaging"
	"tillit/internal/webpush"
	"tillit/internal/worker"
)

// Defaults.
const (
	// DefaultQuietFrom and DefaultQuietTo are the quiet hours of a person
	// without contact preferences: 21:00 to 07:00.
	DefaultQuietFrom = 21 * 60
	DefaultQuietTo   = 7 * 60
	// DefaultMaxAttempts is how often a notification is tried before it
	// is marked failed.
	DefaultMaxAttempts = 8
	// DefaultBatch is how many notifications one round takes.
	DefaultBatch = 100
	// InboxPath is where every notification points: no ids, nothing that
	// tells what the message is about.
	InboxPath = "/inbox"
	// PushTopic makes a push service keep one "something new" for a
	// device that is offline, not ten.
	PushTopic = "tillit-new"
	// PhoneCountry is the country code of numbers written without one.
	PhoneCountry = "47"
	// lease hides a notification being sent from other workers.
	lease = 5 * time.Minute
)

// Statuses of a notification.
const (
	StatusQueued  = "queued"
	StatusSent    = "sent"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Mailer is the e-mail channel (channels.Mailer implements it).
type Mailer interface {
	SendMail(ctx context.Context, m channels.Mail) error
}

// Worker sends queued notifications. Zero values: Push nil turns push off,
// Mail nil e-mail, SMS nil SMS (those notifications are "skipped").
type Worker struct {
	DB *db.DB
	// Push sends Web Push; nil when no VAPID keys are configured.
	Push *webpush.Sender
	// Mail sends e-mail; nil when no SMTP server is configured.
	Mail Mailer
	// SMS is the provider SMS are handed to: a *channels.Outbox (the
	// default, which records and sends nothing) or a gateway client.
	SMS channels.SMSProvider
	// Outbox stores every SMS before it is sent and retries failures;
	// nil: channels.NewOutbox(DB) with the worker's clock and log (or SMS
	// itself, when that is an outbox).
	Outbox *channels.Outbox
	Log    *slog.Logger
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
	// BaseURL is Tillit's public address ("https://tillit.kommune.no"),
	// for the link in e-mail and SMS.
	BaseURL string
	// Batch and MaxAttempts: zero means the defaults.
	Batch       int
	MaxAttempts int
	// PushTTL is how long a push service keeps a message for an offline
	// device; zero means webpush.DefaultTTL (a day).
	PushTTL time.Duration

	worker.Loop
}

// Run works until ctx ends: every interval and whenever woken (Wake).
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	w.Loop.Loop(ctx, interval, w.log(), "notification worker", w.RunOnce)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

func (w *Worker) outbox() *channels.Outbox {
	if w.Outbox == nil {
		if o, ok := w.SMS.(*channels.Outbox); ok {
			w.Outbox = o
		} else {
			o := channels.NewOutbox(w.DB)
			o.Now = w.now
			o.Log = w.log()
			w.Outbox = o
		}
	}
	return w.Outbox
}

// job is one due notification with what sending it needs.
type job struct {
	id, person, message int64
	channel             string
	urgent              bool
	attempts            int64
	lang, email, phone  string
	quietFrom, quietTo  int
}

// RunOnce handles the notifications that are due (up to Batch), then
// hands due SMS from the outbox to the provider, and returns how many
// notifications it handled (postponed ones included).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	now := w.now()
	rows, err := w.DB.R.QueryContext(ctx, `SELECT n.id, n.person_id, n.message_id, n.channel, n.urgent, n.attempts,
		p.ui_language, p.email, p.phone, COALESCE(cp.quiet_from, $1), COALESCE(cp.quiet_to, $2)
		FROM notifications n JOIN people p ON p.id = n.person_id LEFT JOIN contact_preferences cp ON cp.person_id = n.person_id
		WHERE n.status = 'queued' AND n.next_attempt_at <= $3 ORDER BY n.next_attempt_at, n.id LIMIT $4`,
		DefaultQuietFrom, DefaultQuietTo, now.Unix(), batch)
	if err != nil {
		return 0, fmt.Errorf("notify: due notifications: %w", err)
	}
	var jobs []job
	for rows.Next() {
		var j job
		var from, to int64
		if err := rows.Scan(&j.id, &j.person, &j.message, &j.channel, &j.urgent, &j.attempts, &j.lang, &j.email, &j.phone, &from, &to); err != nil {
			rows.Close()
			return 0, fmt.Errorf("notify: due notifications: %w", err)
		}
		j.quietFrom, j.quietTo = int(from), int(to)
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("notify: due notifications: %w", err)
	}
	done := 0
	for _, j := range jobs {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		if err := w.handle(ctx, j); err != nil {
			return done, err
		}
		done++
	}
	if w.SMS != nil {
		if err := w.deliverDueSMS(ctx, batch); err != nil {
			return done, err
		}
	}
	return done, nil
}

// handle sends one notification, or postpones it for quiet hours.
func (w *Worker) handle(ctx context.Context, j job) error {
	now := w.now()
	if !j.urgent {
		if quiet, end := QuietUntil(now, j.quietFrom, j.quietTo); quiet {
			_, err := w.DB.W.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = $1 WHERE id = $2 AND status = 'queued' AND next_attempt_at <= $3`,
				end.Unix(), j.id, now.Unix())
			if err != nil {
				return fmt.Errorf("notify: postpone %d: %w", j.id, err)
			}
			w.log().Debug("notification postponed for quiet hours", "notification", j.id, "channel", j.channel)
			return nil
		}
	}
	// Claim: another worker that read the same row finds it taken.
	res, err := w.DB.W.ExecContext(ctx, `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $1
		WHERE id = $2 AND status = 'queued' AND next_attempt_at <= $3`, now.Add(lease).Unix(), j.id, now.Unix())
	if err != nil {
		return fmt.Errorf("notify: claim %d: %w", j.id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	j.attempts++
	// Outcomes are written even if ctx ends meanwhile: what was sent must
	// not be sent again.
	var o outcome
	switch j.channel {
	case "push":
		o = w.sendPush(ctx, j)
	case "email":
		o = w.sendMail(ctx, j)
	case "sms":
		o = w.sendSMS(ctx, j)
	default:
		o = outcome{status: StatusFailed, err: fmt.Errorf("unknown channel %q", j.channel)}
	}
	return w.record(context.WithoutCancel(ctx), j, o)
}

// outcome of one attempt.
type outcome struct {
	status     string // sent, skipped, failed, or queued (retry)
	delivered  bool   // reached a device or a mail server: mark the receipt
	retryAfter time.Duration
	err        error
	// recorded: the state was already written (SMS, in its transaction).
	recorded bool
}

func (w *Worker) record(ctx context.Context, j job, o outcome) error {
	maxAttempts := int64(w.MaxAttempts)
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	log := w.log().With("notification", j.id, "channel", j.channel, "attempt", j.attempts)
	if o.status == StatusQueued && j.attempts >= maxAttempts {
		o.status = StatusFailed
	}
	if !o.recorded {
		var err error
		if o.status == StatusQueued {
			pause := Backoff(int(j.attempts))
			if o.retryAfter > pause {
				pause = o.retryAfter
			}
			_, err = w.DB.W.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = $1 WHERE id = $2`, w.now().Add(pause).Unix(), j.id)
			log.Info("notification will be retried", "wait", pause, "err", o.err)
		} else {
			_, err = w.DB.W.ExecContext(ctx, `UPDATE notifications SET status = $1 WHERE id = $2`, o.status, j.id)
			switch o.status {
			case StatusFailed:
				log.Warn("notification failed", "err", o.err)
			default:
				log.Info("notification "+o.status, "err", o.err)
			}
		}
		if err != nil {
			return fmt.Errorf("notify: record %d: %w", j.id, err)
		}
	}
	if o.delivered {
		if err := messaging.MarkDelivered(ctx, w.DB.W, j.person, j.message); err != nil {
			return fmt.Errorf("notify: mark delivered: %w", err)
		}
	}
	return nil
}

// Backoff is the pause after the n-th failed attempt: 1, 2, 4, 8…
// minutes, at most an hour.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// Text is what a notification says, in one language.
type Text struct {
	Title, Body, URL string
}

// Content is the whole content of a notification to a person reading
// lang: the same for every message, so it cannot give anything away.
func Content(lang string, urgent bool, baseURL string) Text {
	l := i18n.New(lang)
	t := Text{Title: l.T("notify.new"), Body: l.T("notify.open"), URL: baseURL + InboxPath}
	if urgent {
		t.Title = l.T("notify.urgent")
	}
	return t
}

// PushPayload is the JSON the service worker shows:
// {"title", "body", "url": "/inbox"}.
func PushPayload(lang string, urgent bool) []byte {
	t := Content(lang, urgent, "")
	b, _ := json.Marshal(struct {
		Title string `json:"title"`
		Body  string `json:"body"`
		URL   string `json:"url"`
	}{t.Title, t.Body, InboxPath})
	return b
}

// SMSBody is the text of an SMS notification: something new, the link,
// and the reply codes, in lang.
func SMSBody(lang string, urgent bool, baseURL string) string {
	t := Content(lang, urgent, baseURL)
	return t.Title + " " + t.Body + ": " + t.URL + "\n" + i18n.New(lang).T("notify.sms_codes")
}

// MailText is the subject and body of an e-mail notification.
func MailText(lang string, urgent bool, baseURL string) (subject, body string) {
	t := Content(lang, urgent, baseURL)
	return t.Title, t.Title + "\n\n" + t.Body + ": " + t.URL + "\n\n-- \n" + i18n.New(lang).T("notify.email_footer") + "\n"
}

func (w *Worker) sendPush(ctx context.Context, j job) outcome {
	if w.Push == nil {
		return outcome{status: StatusSkipped, err: errors.New("push is not configured")}
	}
	rows, err := w.DB.R.QueryContext(ctx, `SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE person_id = $1 ORDER BY id`, j.person)
	if err != nil {
		return outcome{status: StatusQueued, err: err}
	}
	type sub struct {
		id int64
		s  webpush.Subscription
	}
	var subs []sub
	for rows.Next() {
		var s sub
		if err := rows.Scan(&s.id, &s.s.Endpoint, &s.s.P256dh, &s.s.Auth); err != nil {
			rows.Close()
			return outcome{status: StatusQueued, err: err}
		}
		subs = append(subs, s)
	}
	rows.Close()
	if len(subs) == 0 {
		return outcome{status: StatusSkipped, err: errors.New("no push subscriptions")}
	}
	payload := PushPayload(j.lang, j.urgent)
	opts := webpush.SendOptions{TTL: w.PushTTL, Urgency: webpush.UrgencyNormal, Topic: PushTopic}
	if j.urgent {
		opts.Urgency = webpush.UrgencyHigh
	}
	var delivered, retry bool
	var retryAfter time.Duration
	var lastErr error
	for _, s := range subs {
		res, err := w.Push.Send(ctx, s.s, payload, opts)
		if err != nil {
			// The stored subscription cannot be sent to at all.
			if errors.Is(err, webpush.ErrInvalidSubscription) {
				w.deleteSubscription(ctx, s.id)
			}
			lastErr = err
			continue
		}
		switch res.Outcome {
		case webpush.Delivered:
			delivered = true
		case webpush.Gone:
			w.deleteSubscription(ctx, s.id)
			lastErr = res.Err
		case webpush.Retry:
			retry = true
			retryAfter = max(retryAfter, res.RetryAfter)
			lastErr = res.Err
		default: // Rejected: this message will not go to this device.
			lastErr = res.Err
		}
	}
	switch {
	case delivered:
		return outcome{status: StatusSent, delivered: true}
	case retry:
		return outcome{status: StatusQueued, retryAfter: retryAfter, err: lastErr}
	default:
		return outcome{status: StatusFailed, err: lastErr}
	}
}

func (w *Worker) deleteSubscription(ctx context.Context, id int64) {
	if _, err := w.DB.W.ExecContext(context.WithoutCancel(ctx), `DELETE FROM push_subscriptions WHERE id = $1`, id); err != nil {
		w.log().Warn("notify: deleting a push subscription", "subscription", id, "err", err)
		return
	}
	w.log().Info("push subscription removed", "subscription", id)
}

func (w *Worker) sendMail(ctx context.Context, j job) outcome {
	if w.Mail == nil {
		return outcome{status: StatusSkipped, err: errors.New("e-mail is not configured")}
	}
	if j.email == "" {
		return outcome{status: StatusSkipped, err: errors.New("no e-mail address")}
	}
	subject, body := MailText(j.lang, j.urgent, w.BaseURL)
	err := w.Mail.SendMail(ctx, channels.Mail{To: j.email, Subject: subject, TextBody: body, Lang: i18n.New(j.lang).Lang.Code})
	return sendOutcome(err)
}

// sendOutcome classifies a channels error.
func sendOutcome(err error) outcome {
	if err == nil {
		return outcome{status: StatusSent, delivered: true}
	}
	if channels.IsTemporary(err) {
		var se *channels.SendError
		errors.As(err, &se)
		return outcome{status: StatusQueued, retryAfter: se.RetryAfter, err: err}
	}
	return outcome{status: StatusFailed, err: err}
}

// ReceiptRef is the sms_outbox.message_ref of an SMS notification.
func ReceiptRef(messageID, personID int64) string {
	return fmt.Sprintf("receipt:%d:%d", messageID, personID)
}

// ParseReceiptRef reads a ReceiptRef.
func ParseReceiptRef(ref string) (messageID, personID int64, ok bool) {
	n, err := fmt.Sscanf(ref, "receipt:%d:%d", &messageID, &personID)
	if err != nil || n != 2 || ReceiptRef(messageID, personID) != ref {
		return 0, 0, false
	}
	return messageID, personID, true
}

func (w *Worker) sendSMS(ctx context.Context, j job) outcome {
	if w.SMS == nil {
		return outcome{status: StatusSkipped, err: errors.New("SMS is not configured")}
	}
	if j.phone == "" {
		return outcome{status: StatusSkipped, err: errors.New("no phone number")}
	}
	phone, err := channels.NormalizePhone(j.phone, PhoneCountry)
	if err != nil {
		return outcome{status: StatusFailed, err: errors.New("the phone number is not valid")}
	}
	ob := w.outbox()
	m := channels.SMS{To: phone, Body: SMSBody(j.lang, j.urgent, w.BaseURL), Ref: ReceiptRef(j.message, j.person)}
	// The SMS and "sent" are stored together: a crash cannot send twice.
	var smsID int64
	err = w.DB.Tx(ctx, func(tx *sql.Tx) error {
		id, err := ob.Queue(ctx, tx, m)
		if err != nil {
			return err
		}
		smsID = id
		_, err = tx.ExecContext(ctx, `UPDATE notifications SET status = 'sent' WHERE id = $1`, j.id)
		return err
	})
	if err != nil {
		if channels.IsPermanent(err) {
			return outcome{status: StatusFailed, err: err}
		}
		return outcome{status: StatusQueued, err: err}
	}
	return w.deliverSMS(ctx, smsID, j.id)
}

// deliverSMS hands a queued SMS to the provider. The outbox keeps a
// temporary failure queued and retries it (deliverDueSMS); a permanent
// one fails the notification.
func (w *Worker) deliverSMS(ctx context.Context, smsID, notification int64) outcome {
	err := w.outbox().Deliver(ctx, w.SMS, smsID)
	_, recordOnly := w.SMS.(*channels.Outbox)
	switch {
	case err == nil:
		// The built-in outbox records and sends nothing: no device reached.
		return outcome{status: StatusSent, delivered: !recordOnly, recorded: true}
	case errors.Is(err, channels.ErrNotDue):
		return outcome{status: StatusSent, recorded: true}
	case channels.IsTemporary(err):
		if r, gerr := w.outbox().Get(ctx, smsID); gerr == nil && r.Status == channels.StatusFailed {
			w.failNotification(ctx, notification)
			return outcome{status: StatusFailed, err: err, recorded: true}
		}
		return outcome{status: StatusSent, err: err, recorded: true}
	default:
		w.failNotification(ctx, notification)
		return outcome{status: StatusFailed, err: err, recorded: true}
	}
}

func (w *Worker) failNotification(ctx context.Context, id int64) {
	if id == 0 {
		return
	}
	if _, err := w.DB.W.ExecContext(context.WithoutCancel(ctx), `UPDATE notifications SET status = 'failed' WHERE id = $1`, id); err != nil {
		w.log().Warn("notify: marking failed", "notification", id, "err", err)
	}
}

// deliverDueSMS retries the outbox's due SMS; a notification SMS that
// gets through marks its receipt delivered.
func (w *Worker) deliverDueSMS(ctx context.Context, limit int) error {
	ob := w.outbox()
	ids, err := ob.Due(ctx, limit)
	if err != nil {
		return err
	}
	_, recordOnly := w.SMS.(*channels.Outbox)
	for _, id := range ids {
		err := ob.Deliver(ctx, w.SMS, id)
		if err != nil && !channels.IsTemporary(err) && !channels.IsPermanent(err) && !errors.Is(err, channels.ErrNotDue) {
			return err
		}
		if err != nil || recordOnly {
			continue
		}
		r, err := ob.Get(ctx, id)
		if err != nil {
			return err
		}
		if msg, person, ok := ParseReceiptRef(r.MessageRef); ok {
			if err := messaging.MarkDelivered(ctx, w.DB.W, person, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// QuietUntil tells whether t falls in the quiet hours from–to (minutes
// after midnight, Oslo time; the window may wrap midnight; from == to
// means none) and, if so, when they end. Values outside a day mean the
// defaults.
func QuietUntil(t time.Time, from, to int) (bool, time.Time) {
	if from < 0 || from >= 24*60 || to < 0 || to >= 24*60 {
		from, to = DefaultQuietFrom, DefaultQuietTo
	}
	if from == to {
		return false, time.Time{}
	}
	local := t.In(i18n.Oslo)
	m := local.Hour()*60 + local.Minute()
	y, mo, d := local.Date()
	end := func(days int) time.Time {
		return time.Date(y, mo, d+days, to/60, to%60, 0, 0, i18n.Oslo)
	}
	if from < to {
		if m >= from && m < to {
			return true, end(0)
		}
		return false, time.Time{}
	}
	switch {
	case m >= from:
		return true, end(1)
	case m < to:
		return true, end(0)
	}
	return false, time.Time{}
}

// LatestReceipt finds what an SMS from phone (E.164) answers: the
// receipt (message and person) of the newest notification SMS Tillit sent
// or recorded to that number, provided that person still has the number
// (numbers change hands). found is false when there is none.
func LatestReceipt(ctx context.Context, q directory.Execer, phone string) (messageID, personID int64, found bool, err error) {
	var ref string
	err = q.QueryRowContext(ctx, `SELECT message_ref FROM sms_outbox WHERE to_phone = $1 AND status IN ('sent', 'recorded') AND message_ref LIKE 'receipt:%'
		ORDER BY id DESC LIMIT 1`, phone).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	msg, person, good := ParseReceiptRef(ref)
	if !good {
		return 0, 0, false, nil
	}
	var current string
	if err := q.QueryRowContext(ctx, `SELECT phone FROM people WHERE id = $1`, person).Scan(&current); errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	} else if err != nil {
		return 0, 0, false, err
	}
	if p, err := channels.NormalizePhone(current, PhoneCountry); err != nil || p != phone {
		return 0, 0, false, nil
	}
	return msg, person, true, nil
}

// MatchReply reads an inbound SMS: when body is a reply code ("1", "٢",
// "፫." …) from a phone Tillit sent a notification to, it records the
// answer on the receipt of the newest notification SMS to that phone
// (whose person must still have that number) and returns it. ok is false
// when the body is not a code, or there is nothing to match it to; the
// caller then treats the SMS as free text for staff.
func MatchReply(ctx context.Context, d *db.DB, fromPhone, body string) (messageID, personID int64, answer string, ok bool, err error) {
	code, isCode := channels.ParseReply(body)
	if !isCode {
		return 0, 0, "", false, nil
	}
	answer = map[int]string{channels.ReplyUnderstood: messaging.Understood, channels.ReplyQuestion: messaging.Question, channels.ReplyInterpreter: messaging.Interpreter}[code]
	phone, perr := channels.NormalizePhone(fromPhone, PhoneCountry)
	if perr != nil {
		return 0, 0, "", false, nil
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		msg, person, found, err := LatestReceipt(ctx, tx, phone)
		if err != nil || !found {
			return err
		}
		switch err := messaging.Answer(ctx, tx, msg, person, answer); {
		case errors.Is(err, db.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		messageID, personID, ok = msg, person, true
		return nil
	})
	if err != nil {
		return 0, 0, "", false, fmt.Errorf("notify: matching a reply: %w", err)
	}
	if !ok {
		answer = ""
	}
	return messageID, personID, answer, ok, nil
}
