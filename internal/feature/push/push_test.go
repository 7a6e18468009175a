package push_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"tillit/internal/app"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
	"tillit/internal/feature/push"
	"tillit/internal/policy"
	"tillit/internal/web"
	"tillit/internal/webtest"
)

// handler is the site with this feature's routes, as the route table
// will have them.
func handler(env *web.Env) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /push/subscriptions", web.Wrap(env, policy.SignedIn, 0, push.Subscribe))
	mux.Handle("POST /push/subscriptions/delete", web.Wrap(env, policy.SignedIn, 0, push.Unsubscribe))
	mux.Handle("GET /sw.js", web.Wrap(env, policy.Public, 0, push.ServiceWorker))
	mux.Handle("/", app.Handler(env))
	return http.NewCrossOriginProtection().Handler(mux)
}

var b64 = base64.RawURLEncoding

// subscription is what a browser's PushSubscription.toJSON() gives, with
// real P-256 keys.
func subscription(t testing.TB, endpoint string) (string, string) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	p256dh := b64.EncodeToString(key.PublicKey().Bytes())
	j, _ := json.Marshal(map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{"p256dh": p256dh, "auth": b64.EncodeToString(auth)}})
	return string(j), p256dh
}

type row struct {
	Person int64
	P256dh string
}

func subs(t testing.TB, d *db.DB) map[string]row {
	t.Helper()
	rows, err := d.R.Query(`SELECT endpoint, person_id, p256dh FROM push_subscriptions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var e string
		var r row
		rows.Scan(&e, &r.Person, &r.P256dh)
		out[e] = r
	}
	return out
}

const ep = "https://fcm.googleapis.com/fcm/send/abc123"

func TestSubscribeAndUnsubscribe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, handler)
		parent := s.Login(t, "parent", webtest.Password)

		body, key := subscription(t, ep)
		res := parent.Post("/push/subscriptions", "application/json", strings.NewReader(body))
		if res.Status != http.StatusCreated || !strings.Contains(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("subscribe: %d %s", res.Status, res.Body)
		}
		if got := subs(t, d); len(got) != 1 || got[ep] != (row{w.Parent, key}) {
			t.Fatalf("stored %v", got)
		}
		// The same device again, with new keys: updated, not doubled.
		body2, key2 := subscription(t, ep)
		parent.Post("/push/subscriptions", "application/json", strings.NewReader(body2))
		if got := subs(t, d); len(got) != 1 || got[ep].P256dh != key2 || got[ep].P256dh == key {
			t.Fatalf("after resubscribing: %v", got)
		}
		// Someone else signs in on that device: it is theirs now.
		other := s.Login(t, "parentb", webtest.Password)
		if res := other.Post("/push/subscriptions", "application/json", strings.NewReader(body2)); res.Status != http.StatusCreated {
			t.Fatalf("re-assign: %d", res.Status)
		}
		if got := subs(t, d); len(got) != 1 || got[ep].Person != w.ParentB {
			t.Fatalf("after another person subscribed the device: %v", got)
		}
		// The parent cannot delete what is no longer theirs.
		del := `{"endpoint":"` + ep + `"}`
		if res := parent.Post("/push/subscriptions/delete", "application/json", strings.NewReader(del)); res.Status != http.StatusOK {
			t.Fatalf("delete of another's: %d", res.Status)
		}
		if got := subs(t, d); len(got) != 1 {
			t.Fatalf("another person's subscription was deleted: %v", got)
		}
		if res := other.Post("/push/subscriptions/delete", "application/json", strings.NewReader(del)); res.Status != http.StatusOK {
			t.Fatalf("delete: %d", res.Status)
		}
		if got := subs(t, d); len(got) != 0 {
			t.Fatalf("after deleting: %v", got)
		}
	})
}

func TestBadSubscriptions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, handler)
		parent := s.Login(t, "parent", webtest.Password)
		good, _ := subscription(t, ep)
		realKey := func() string { _, k := subscription(t, ep); return k }()
		for name, body := range map[string]string{
			"not JSON":         `endpoint=x`,
			"truncated":        good[:len(good)-5],
			"no keys":          `{"endpoint":"` + ep + `"}`,
			"http endpoint":    strings.Replace(good, "https://fcm.googleapis.com", "http://fcm.googleapis.com", 1),
			"not a url":        strings.Replace(good, ep, "javascript:alert(1)", 1),
			"key not on curve": `{"endpoint":"` + ep + `","keys":{"p256dh":"BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}`,
			"short auth":       `{"endpoint":"` + ep + `","keys":{"p256dh":"` + realKey + `","auth":"AAAA"}}`,
		} {
			res := parent.Post("/push/subscriptions", "application/json", strings.NewReader(body))
			var j struct{ Error, Message string }
			json.Unmarshal([]byte(res.Body), &j)
			if res.Status != http.StatusBadRequest || j.Error != "push.invalid" || j.Message == "" || j.Message == "push.invalid" {
				t.Errorf("%s: %d %s", name, res.Status, res.Body)
			}
		}
		if res := parent.Post("/push/subscriptions", "text/plain", strings.NewReader(good)); res.Status != http.StatusBadRequest {
			t.Errorf("text/plain: %d", res.Status)
		}
		if res := parent.Post("/push/subscriptions/delete", "application/json", strings.NewReader(`{}`)); res.Status != http.StatusBadRequest {
			t.Errorf("delete without endpoint: %d", res.Status)
		}
		if got := subs(t, d); len(got) != 0 {
			t.Fatalf("stored %v", got)
		}
		// Signed out: nothing is stored.
		anon := s.Anonymous(t)
		if res := anon.Post("/push/subscriptions", "application/json", strings.NewReader(good)); res.Status == http.StatusCreated {
			t.Errorf("anonymous subscribe: %d", res.Status)
		}
		// Another site cannot subscribe a signed-in person's session.
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/push/subscriptions", strings.NewReader(good))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := parent.Do(req); res.Status == http.StatusCreated {
			t.Errorf("cross-site subscribe: %d", res.Status)
		}
		if got := subs(t, d); len(got) != 0 {
			t.Fatalf("stored %v", got)
		}
	})
}

func TestOnlyTheNewestDevicesAreKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := webtest.NewWorld(t, d)
		s := webtest.NewServer(t, d, handler)
		parent := s.Login(t, "parent", webtest.Password)
		for i := 0; i < push.MaxDevices+3; i++ {
			b, _ := subscription(t, ep+"/"+string(rune('a'+i)))
			if res := parent.Post("/push/subscriptions", "application/json", strings.NewReader(b)); res.Status != http.StatusCreated {
				t.Fatal(res.Status)
			}
		}
		got := subs(t, d)
		if len(got) != push.MaxDevices {
			t.Fatalf("%d subscriptions kept", len(got))
		}
		if _, ok := got[ep+"/"+string(rune('a'+push.MaxDevices+2))]; !ok {
			t.Error("the newest device was dropped")
		}
		if _, ok := got[ep+"/a"]; ok {
			t.Error("the oldest device was kept")
		}
		_ = w
	})
}

func TestServiceWorker(t *testing.T) {
	d := dbtest.SQLite(t)
	s := webtest.NewServer(t, d, handler)
	res := s.Anonymous(t).Get("/sw.js")
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET /sw.js: %d %q", res.Status, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"'push'", "showNotification", "tag: 'tillit'", "'notificationclick'", "u.origin !== o"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the service worker lacks %q", want)
		}
	}
	files := web.StaticFiles()
	if n := len(files["push.js"]) + len(files["sw.js"]); n >= 3072 {
		t.Errorf("push.js and sw.js are %d octets together, budget 3 KB", n)
	}
	if !strings.Contains(string(files["push.js"]), "'/push/subscriptions'") || !strings.Contains(string(files["push.js"]), "register('/sw.js')") {
		t.Error("push.js does not post to the routes")
	}
}

func TestPreferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := webtest.NewWorld(t, d)
		p, err := push.LoadPreferences(ctx, d.R, w.Parent)
		if err != nil || p != push.DefaultPreferences {
			t.Fatalf("defaults: %+v %v", p, err)
		}
		form := map[string]string{"notify_sms": "1", "quiet_from": "22:30", "quiet_to": "06:15"}
		p, errs := push.ParsePreferences(func(k string) string { return form[k] })
		if len(errs) != 0 || p != (push.Preferences{SMS: true, QuietFrom: 22*60 + 30, QuietTo: 6*60 + 15}) {
			t.Fatalf("parsed %+v %v", p, errs)
		}
		if err := push.SavePreferences(ctx, d.W, w.Parent, p); err != nil {
			t.Fatal(err)
		}
		p.Email = true
		if err := push.SavePreferences(ctx, d.W, w.Parent, p); err != nil {
			t.Fatal(err)
		}
		if got, _ := push.LoadPreferences(ctx, d.R, w.Parent); got != p {
			t.Fatalf("loaded %+v, saved %+v", got, p)
		}
		if got, _ := push.LoadPreferences(ctx, d.R, w.ParentB); got != push.DefaultPreferences {
			t.Fatalf("another person's preferences changed: %+v", got)
		}
		for _, bad := range []string{"24:00", "7:00", "07:60", "+7:00", "ab:cd", "07:00:00"} {
			form := map[string]string{"quiet_from": bad, "quiet_to": "07:00"}
			if _, errs := push.ParsePreferences(func(k string) string { return form[k] }); errs["quiet_from"] != "form.invalid" {
				t.Errorf("quiet_from %q accepted", bad)
			}
		}
		if push.Clock(7*60+5) != "07:05" || push.Clock(21*60) != "21:00" {
			t.Error("Clock")
		}
	})
}
