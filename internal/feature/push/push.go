// Package push is the browser's side of Web Push: the routes where a
// signed-in person's device subscribes and unsubscribes, the service
// worker (GET /sw.js, at the root so that its scope is the whole site),
// and each person's contact preferences (channels and quiet hours) for
// the profile page. The notification worker (package notify) sends.
//
// A subscription belongs to the device that made it: an endpoint already
// stored for someone else is moved to the person who signed in on that
// device now (it changed hands, or another family member signed in), so
// the previous person no longer gets notifications on a device they
// cannot see.
package push

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"tillit/internal/db"
	"tillit/internal/directory"
	"tillit/internal/web"
	"tillit/internal/webpush"
)

// MaxDevices bounds the subscriptions one person keeps; the oldest go.
const MaxDevices = 10

var applicationKey atomic.Value // string

// Configure sets the VAPID public key pages subscribe with ("" when push
// is off). serve calls it with webpush.Sender.PublicKey().
func Configure(publicKey string) { applicationKey.Store(publicKey) }

// ApplicationKey is the VAPID public key for the page's data-key
// attribute, or "" when push is off (then the page shows no button).
func ApplicationKey(env *web.Env) string {
	k, _ := applicationKey.Load().(string)
	return k
}

// fail answers a JSON endpoint with an error key and its message.
func fail(c *web.Ctx, status int, key string) error {
	return c.JSON(status, map[string]string{"error": key, "message": c.T(key)})
}

func readJSON(c *web.Ctx) ([]byte, bool) {
	if !strings.HasPrefix(c.R.Header.Get("Content-Type"), "application/json") {
		return nil, false
	}
	b, err := io.ReadAll(c.R.Body)
	return b, err == nil
}

// Subscribe stores the device's subscription for the signed-in person:
// POST /push/subscriptions with PushSubscription.toJSON().
func Subscribe(c *web.Ctx) error {
	body, ok := readJSON(c)
	if !ok {
		return fail(c, http.StatusBadRequest, "push.invalid")
	}
	sub, err := webpush.ParseSubscription(body)
	if err != nil {
		return fail(c, http.StatusBadRequest, "push.invalid")
	}
	ctx := c.Context()
	person := c.Person.ID
	err = c.Env.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		res, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET person_id = $1, p256dh = $2, auth = $3, created_at = $4 WHERE endpoint = $5`,
			person, sub.P256dh, sub.Auth, now, sub.Endpoint)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (person_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)`,
				person, sub.Endpoint, sub.P256dh, sub.Auth, now); err != nil {
				return err
			}
		}
		// Keep the newest MaxDevices.
		_, err = tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE person_id = $1 AND id NOT IN
			(SELECT id FROM push_subscriptions WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`, person, MaxDevices)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"ok": true, "message": c.T("push.ok")})
}

// Unsubscribe deletes the signed-in person's subscription of one device:
// POST /push/subscriptions/delete with {"endpoint": …}. Another person's
// endpoint is left alone, with the same answer.
func Unsubscribe(c *web.Ctx) error {
	body, ok := readJSON(c)
	if !ok {
		return fail(c, http.StatusBadRequest, "push.invalid")
	}
	var in struct {
		Endpoint string `json:"endpoint"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Endpoint == "" || len(in.Endpoint) > webpush.MaxEndpointLength {
		return fail(c, http.StatusBadRequest, "push.invalid")
	}
	if _, err := c.Env.DB.W.ExecContext(c.Context(), `DELETE FROM push_subscriptions WHERE endpoint = $1 AND person_id = $2`, in.Endpoint, c.Person.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "message": c.T("push.off_ok")})
}

// ServiceWorker serves GET /sw.js: from the root, so that its scope is
// the whole site. Not cached for long, so that a new version is found.
func ServiceWorker(c *web.Ctx) error {
	body, ok := web.StaticFiles()["sw.js"]
	if !ok {
		return web.ErrNotFound
	}
	h := c.W.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.W.WriteHeader(http.StatusOK)
	if c.R.Method != http.MethodHead {
		c.W.Write(body)
	}
	return nil
}

// Preferences are how a person wants to be told about new messages.
type Preferences struct {
	Push, Email, SMS bool
	// QuietFrom and QuietTo are minutes after midnight, Oslo time; equal
	// values mean no quiet hours.
	QuietFrom, QuietTo int
}

// DefaultPreferences are those of a person who never chose: push only,
// quiet from 21:00 to 07:00.
var DefaultPreferences = Preferences{Push: true, QuietFrom: 21 * 60, QuietTo: 7 * 60}

// LoadPreferences reads a person's preferences (the defaults without a row).
func LoadPreferences(ctx context.Context, q directory.Execer, personID int64) (Preferences, error) {
	p := DefaultPreferences
	var from, to int64
	err := q.QueryRowContext(ctx, `SELECT push, email, sms, quiet_from, quiet_to FROM contact_preferences WHERE person_id = $1`, personID).
		Scan(&p.Push, &p.Email, &p.SMS, &from, &to)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPreferences, nil
	}
	p.QuietFrom, p.QuietTo = int(from), int(to)
	return p, err
}

// SavePreferences stores a person's preferences.
func SavePreferences(ctx context.Context, x directory.Execer, personID int64, p Preferences) error {
	res, err := x.ExecContext(ctx, `UPDATE contact_preferences SET push = $1, email = $2, sms = $3, quiet_from = $4, quiet_to = $5 WHERE person_id = $6`,
		p.Push, p.Email, p.SMS, p.QuietFrom, p.QuietTo, personID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = x.ExecContext(ctx, `INSERT INTO contact_preferences (person_id, push, email, sms, quiet_from, quiet_to) VALUES ($1, $2, $3, $4, $5, $6)`,
		personID, p.Push, p.Email, p.SMS, p.QuietFrom, p.QuietTo)
	return err
}

// ParsePreferences reads the profile form's fields notify_push,
// notify_email, notify_sms (checkboxes, "1") and quiet_from, quiet_to
// ("HH:MM", as <input type="time"> sends it; both empty = no quiet
// hours). errs maps a field to the i18n key of its error.
func ParsePreferences(form func(string) string) (p Preferences, errs map[string]string) {
	p.Push, p.Email, p.SMS = form("notify_push") == "1", form("notify_email") == "1", form("notify_sms") == "1"
	errs = map[string]string{}
	from, to := strings.TrimSpace(form("quiet_from")), strings.TrimSpace(form("quiet_to"))
	if from == "" && to == "" {
		return p, errs
	}
	var ok bool
	if p.QuietFrom, ok = parseClock(from); !ok {
		errs["quiet_from"] = "form.invalid"
	}
	if p.QuietTo, ok = parseClock(to); !ok {
		errs["quiet_to"] = "form.invalid"
	}
	return p, errs
}

// Clock formats minutes after midnight as "HH:MM" for <input type="time">.
func Clock(minutes int) string {
	h, m := minutes/60, minutes%60
	return string([]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
}

func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || s[0] == '+' || s[3] == '+' {
		return 0, false
	}
	return h*60 + m, true
}
