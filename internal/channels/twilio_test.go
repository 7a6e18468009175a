package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testToken   = "f00dcafef00dcafef00dcafef00dcafe"
)

// fakeTwilio speaks the documented Messages resource of Twilio's REST API:
// POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded,
// HTTP basic auth, 201 with the message resource, errors as
// {code, message, more_info, status}. Some To numbers trigger failures.
type fakeTwilio struct {
	srv   *httptest.Server
	mu    sync.Mutex
	forms []url.Values
	n     int
}

const (
	numberRejected = "+4790000400" // 400, code 21211
	numberLimited  = "+4790000429" // 429 with Retry-After: 7
	numberBroken   = "+4790000500" // 500
)

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) received() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

func twilioFail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testAccount+"/Messages.json" {
		twilioFail(w, 404, 20404, "The requested resource was not found")
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != testAccount || pass != testToken {
		twilioFail(w, 401, 20003, "Authenticate")
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		twilioFail(w, 400, 20001, "Content-Type must be form-encoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioFail(w, 400, 20001, "bad form")
		return
	}
	form := r.PostForm
	f.mu.Lock()
	f.forms = append(f.forms, form)
	f.n++
	n := f.n
	f.mu.Unlock()
	to := form.Get("To")
	switch {
	case (form.Get("From") == "") == (form.Get("MessagingServiceSid") == ""):
		twilioFail(w, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
	case form.Get("Body") == "":
		twilioFail(w, 400, 21602, "Message body is required")
	case !ValidE164(to) || to == numberRejected:
		twilioFail(w, 400, 21211, "The 'To' number "+to+" is not a valid phone number")
	case to == numberLimited:
		w.Header().Set("Retry-After", "7")
		twilioFail(w, 429, 20429, "Too Many Requests")
	case to == numberBroken:
		twilioFail(w, 500, 20500, "Internal Server Error")
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{
			"sid": fmt.Sprintf("SM%032x", n), "status": "queued", "to": to, "from": form.Get("From"),
			"body": form.Get("Body"), "account_sid": testAccount, "num_segments": "1",
		})
	}
}

func (f *fakeTwilio) config() TwilioConfig {
	return TwilioConfig{AccountSID: testAccount, AuthToken: testToken, From: "+4759440000", BaseURL: f.srv.URL, Log: slog.New(slog.DiscardHandler)}
}

func newTwilio(t testing.TB, cfg TwilioConfig) *Twilio {
	t.Helper()
	tw, err := NewTwilio(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tw
}

func TestTwilioSend(t *testing.T) {
	f := newFakeTwilio(t)
	tw := newTwilio(t, f.config())
	body := "رسالة جديدة من الروضة. أجب 1 = فهمت، 2 = عندي سؤال، 3 = أحتاج مترجماً"
	sid, err := tw.Send(context.Background(), SMS{To: "+4791234567", Body: body, Ref: "receipt-17"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^SM[0-9a-f]{32}$`).MatchString(sid) {
		t.Errorf("sid %q", sid)
	}
	forms := f.received()
	if len(forms) != 1 {
		t.Fatalf("%d requests", len(forms))
	}
	got := forms[0]
	if got.Get("To") != "+4791234567" || got.Get("From") != "+4759440000" || got.Get("Body") != body || got.Has("MessagingServiceSid") {
		t.Errorf("form %v", got)
	}
	if got.Has("Ref") || strings.Contains(got.Encode(), "receipt-17") {
		t.Error("the reference left the server")
	}

	cfg := f.config()
	cfg.From, cfg.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
	cfg.StatusCallback = "https://tillit.example/sms/status"
	if _, err := newTwilio(t, cfg).Send(context.Background(), SMS{To: "+4791234567", Body: "Hei"}); err != nil {
		t.Fatal(err)
	}
	got = f.received()[1]
	if got.Get("MessagingServiceSid") != cfg.MessagingServiceSID || got.Has("From") || got.Get("StatusCallback") != cfg.StatusCallback {
		t.Errorf("form with messaging service %v", got)
	}
}

func TestTwilioSendFailures(t *testing.T) {
	f := newFakeTwilio(t)
	cases := []struct {
		name         string
		cfg          func(*TwilioConfig)
		to           string
		temporary    bool
		status, code int
		retryAfter   time.Duration
	}{
		{name: "invalid number 400", to: numberRejected, status: 400, code: 21211},
		{name: "wrong token 401", cfg: func(c *TwilioConfig) { c.AuthToken = "wrong" }, to: "+4791234567", status: 401, code: 20003},
		{name: "wrong account 404", cfg: func(c *TwilioConfig) { c.AccountSID = "AC00000000000000000000000000000000" }, to: "+4791234567", status: 404, code: 20404},
		{name: "rate limited 429", to: numberLimited, temporary: true, status: 429, code: 20429, retryAfter: 7 * time.Second},
		{name: "server error 500", to: numberBroken, temporary: true, status: 500, code: 20500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := f.config()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			_, err := newTwilio(t, cfg).Send(context.Background(), SMS{To: c.to, Body: "Ny melding fra barnehagen"})
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SendError", err)
			}
			if se.Temporary != c.temporary || se.Code != c.status || se.ProviderCode != c.code || se.RetryAfter != c.retryAfter {
				t.Errorf("got %+v", se)
			}
		})
	}
	t.Run("server down", func(t *testing.T) {
		down := newFakeTwilio(t)
		cfg := down.config()
		down.srv.Close()
		_, err := newTwilio(t, cfg).Send(context.Background(), SMS{To: "+4791234567", Body: "Hei"})
		if !IsTemporary(err) {
			t.Fatalf("got %v, want temporary", err)
		}
	})
	t.Run("invalid input is not sent", func(t *testing.T) {
		before := len(f.received())
		tw := newTwilio(t, f.config())
		for _, m := range []SMS{{To: "91234567", Body: "Hei"}, {To: "+4791234567", Body: " "}, {To: "+4791234567", Body: strings.Repeat("a", MaxSMSBody+1)}, {To: "+4791234567", Body: "\xff"}} {
			if _, err := tw.Send(context.Background(), m); !errors.Is(err, ErrInvalid) || !IsPermanent(err) {
				t.Errorf("%+v: got %v", m, err)
			}
		}
		if len(f.received()) != before {
			t.Error("invalid SMS reached the gateway")
		}
	})
}

func TestNewTwilioConfig(t *testing.T) {
	base := TwilioConfig{AccountSID: testAccount, AuthToken: testToken, From: "+4759440000"}
	if tw, err := NewTwilio(base); err != nil || !strings.HasPrefix(tw.endpoint, "https://api.twilio.com/2010-04-01/Accounts/"+testAccount+"/Messages.json") {
		t.Fatalf("default: %v", err)
	}
	for name, change := range map[string]func(*TwilioConfig){
		"plain http to a remote host": func(c *TwilioConfig) { c.BaseURL = "http://api.example.org" },
		"no token":                    func(c *TwilioConfig) { c.AuthToken = "" },
		"no sender":                   func(c *TwilioConfig) { c.From = "" },
		"two senders":                 func(c *TwilioConfig) { c.MessagingServiceSID = "MG1" },
		"account with a slash":        func(c *TwilioConfig) { c.AccountSID = "AC1/../x" },
	} {
		c := base
		change(&c)
		if _, err := NewTwilio(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// Twilio's own worked example of a request signature.
func TestTwilioSignatureDocumentedExample(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := TwilioSignature("12345", u, params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("signature %q", got)
	}
	if !ValidTwilioSignature("12345", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Error("documented signature rejected")
	}
	params.Set("Digits", "1235")
	if ValidTwilioSignature("12345", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Error("changed parameter accepted")
	}
}

func TestTwilioInboundWebhook(t *testing.T) {
	tw := newTwilio(t, TwilioConfig{AccountSID: testAccount, AuthToken: testToken, From: "+4759440000"})
	// The URL as configured at Twilio; Tillit runs behind a proxy, so the
	// request reaches the test server under another address.
	const public = "https://tillit.example/sms/twilio?kg=7"
	var mu sync.Mutex
	var got []InboundSMS
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := tw.ParseInbound(w, r, public)
		switch {
		case errors.Is(err, ErrBadSignature):
			http.Error(w, "forbidden", http.StatusForbidden)
		case err != nil:
			http.Error(w, "bad request", http.StatusBadRequest)
		default:
			mu.Lock()
			got = append(got, in)
			mu.Unlock()
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, TwilioEmptyResponse)
		}
	}))
	defer srv.Close()

	form := func(body string) url.Values {
		return url.Values{
			"MessageSid": {"SM11111111111111111111111111111111"}, "SmsSid": {"SM11111111111111111111111111111111"},
			"AccountSid": {testAccount}, "From": {"+4791234567"}, "To": {"+4759440000"},
			"Body": {body}, "NumMedia": {"0"}, "FromCountry": {"NO"},
		}
	}
	post := func(f url.Values, signature string, method string) int {
		req, _ := http.NewRequest(method, srv.URL+"/sms/twilio?kg=7", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if signature != "" {
			req.Header.Set("X-Twilio-Signature", signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	valid := form("٢")
	if code := post(valid, TwilioSignature(testToken, public, valid), "POST"); code != 200 {
		t.Fatalf("valid webhook answered %d", code)
	}
	if len(got) != 1 || got[0].From != "+4791234567" || got[0].To != "+4759440000" || got[0].Body != "٢" || got[0].MessageSID != "SM11111111111111111111111111111111" {
		t.Fatalf("parsed %+v", got)
	}
	if code, ok := ParseReply(got[0].Body); !ok || code != ReplyQuestion {
		t.Errorf("reply %d %v", code, ok)
	}
	// Twilio may sign an https URL with its default port written out.
	if code := post(valid, TwilioSignature(testToken, "https://tillit.example:443/sms/twilio?kg=7", valid), "POST"); code != 200 {
		t.Errorf("signature over the URL with :443 answered %d", code)
	}

	tampered := form("3")
	forged := []struct {
		name string
		f    url.Values
		sig  string
	}{
		{"signed with another token", valid, TwilioSignature("not-the-token", public, valid)},
		{"body changed after signing", tampered, TwilioSignature(testToken, public, valid)},
		{"signed for another url", valid, TwilioSignature(testToken, "https://evil.example/sms/twilio?kg=7", valid)},
		{"no signature", valid, ""},
		{"garbage signature", valid, "AAAA"},
	}
	for _, c := range forged {
		if code := post(c.f, c.sig, "POST"); code != http.StatusForbidden {
			t.Errorf("%s: answered %d, want 403", c.name, code)
		}
	}
	other := form("1")
	other.Set("AccountSid", "AC00000000000000000000000000000000")
	if code := post(other, TwilioSignature(testToken, public, other), "POST"); code != http.StatusBadRequest {
		t.Errorf("other account: %d", code)
	}
	if code := post(valid, TwilioSignature(testToken, public, valid), "PUT"); code != http.StatusBadRequest {
		t.Errorf("PUT: %d", code)
	}
	big := form(strings.Repeat("x", MaxWebhookBody))
	if code := post(big, TwilioSignature(testToken, public, big), "POST"); code != http.StatusBadRequest {
		t.Errorf("enormous body: %d", code)
	}
	if len(got) != 2 {
		t.Errorf("%d webhooks accepted, want 2", len(got))
	}
}
