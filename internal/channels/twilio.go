package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TwilioConfig configures the Twilio Programmable Messaging client.
type TwilioConfig struct {
	// AccountSID ("AC...") and AuthToken authenticate API calls (HTTP basic
	// auth) and sign inbound webhooks.
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or alphanumeric sender id; or set
	// MessagingServiceSID ("MG...") instead and Twilio picks the sender.
	From                string
	MessagingServiceSID string
	// BaseURL defaults to https://api.twilio.com. It must be https unless
	// it points at this machine (a test server).
	BaseURL string
	// StatusCallback, if set, is sent so Twilio reports delivery.
	StatusCallback string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Log receives one line per send, without numbers or text.
	Log *slog.Logger
}

// Twilio sends SMS through Twilio's REST API
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json).
type Twilio struct {
	cfg      TwilioConfig
	endpoint string
	client   *http.Client
	log      *slog.Logger
}

// NewTwilio checks cfg and returns a client.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	bad := func(format string, args ...any) (*Twilio, error) {
		return nil, fmt.Errorf("twilio config: %w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if cfg.AccountSID == "" || strings.ContainsAny(cfg.AccountSID, "/?#% ") {
		return bad("account sid %q", cfg.AccountSID)
	}
	if cfg.AuthToken == "" {
		return bad("no auth token")
	}
	if (cfg.From == "") == (cfg.MessagingServiceSID == "") {
		return bad("set exactly one of From and MessagingServiceSID")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.twilio.com"
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return bad("base url %q: must be https (http only for localhost)", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &Twilio{cfg: cfg, endpoint: endpoint, client: cfg.HTTPClient, log: cfg.Log}, nil
}

// Name is "twilio".
func (t *Twilio) Name() string { return "twilio" }

// twilioError is the JSON body of an error answer.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Send creates the message and returns its SID ("SM..."). 429 and 5xx
// answers and network failures are temporary; other 4xx (an invalid
// number, bad credentials) are permanent.
func (t *Twilio) Send(ctx context.Context, m SMS) (string, error) {
	if err := validateSMS("twilio", m); err != nil {
		return "", err
	}
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("Body", m.Body)
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	} else {
		form.Set("From", t.cfg.From)
	}
	if t.cfg.StatusCallback != "" {
		form.Set("StatusCallback", t.cfg.StatusCallback)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &SendError{Channel: "twilio", Op: "request", Err: err}
	}
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		// Network failure, timeout or cancellation: the request may or
		// may not have reached Twilio.
		t.log.LogAttrs(ctx, slog.LevelWarn, "twilio send failed", slog.String("op", "request"), slog.Bool("temporary", true))
		return "", &SendError{Channel: "twilio", Op: "request", Temporary: true, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", &SendError{Channel: "twilio", Op: "response", Code: resp.StatusCode, Temporary: true, Err: err}
	}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		var ok struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(body, &ok); err != nil || ok.SID == "" {
			// Twilio took the request but we cannot tell the id. Sending
			// again could duplicate it; the message is accepted though.
			return "", &SendError{Channel: "twilio", Op: "response", Code: resp.StatusCode, Err: fmt.Errorf("answer without a message sid: %v", err)}
		}
		t.log.LogAttrs(ctx, slog.LevelInfo, "twilio accepted sms", slog.String("sid", ok.SID), slog.String("status", ok.Status))
		return ok.SID, nil
	}
	var te twilioError
	_ = json.Unmarshal(body, &te)
	se := &SendError{
		Channel:      "twilio",
		Op:           "create message",
		Code:         resp.StatusCode,
		ProviderCode: te.Code,
		Temporary:    resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500,
		RetryAfter:   retryAfter(resp.Header.Get("Retry-After")),
	}
	if te.Message != "" {
		se.Err = fmt.Errorf("twilio error %d: %s", te.Code, te.Message)
	} else {
		se.Err = fmt.Errorf("http %s", resp.Status)
	}
	t.log.LogAttrs(ctx, slog.LevelWarn, "twilio send failed", slog.Int("status", resp.StatusCode), slog.Int("code", te.Code), slog.Bool("temporary", se.Temporary))
	return "", se
}

// retryAfter reads a Retry-After header in seconds (the HTTP-date form is
// not used by Twilio and is ignored).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, time.Hour)
}

// InboundSMS is an SMS someone sent to our Twilio number.
type InboundSMS struct {
	MessageSID string
	AccountSID string
	From       string
	To         string
	Body       string
}

// ErrBadSignature is returned for a webhook request whose
// X-Twilio-Signature does not match: answer it with 403.
var ErrBadSignature = errors.New("twilio webhook: bad or missing signature")

// TwilioEmptyResponse is a TwiML answer to an inbound SMS that sends no
// reply; serve it with Content-Type text/xml.
const TwilioEmptyResponse = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// MaxWebhookBody limits what ParseInbound reads.
const MaxWebhookBody = 64 << 10

// ParseInbound reads Twilio's inbound-message webhook (a form POST) and
// checks its signature. publicURL is the webhook URL exactly as it is
// configured at Twilio, query string included: behind a proxy the server
// cannot reconstruct it from the request. Errors wrap ErrBadSignature
// (answer 403) or ErrInvalid (answer 400).
func (t *Twilio) ParseInbound(w http.ResponseWriter, r *http.Request, publicURL string) (InboundSMS, error) {
	if r.Method != http.MethodPost {
		return InboundSMS{}, fmt.Errorf("twilio webhook: %w: method %s", ErrInvalid, r.Method)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxWebhookBody)
	if err := r.ParseForm(); err != nil {
		return InboundSMS{}, fmt.Errorf("twilio webhook: %w: %v", ErrInvalid, err)
	}
	if !ValidTwilioSignature(t.cfg.AuthToken, publicURL, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		return InboundSMS{}, ErrBadSignature
	}
	f := r.PostForm
	in := InboundSMS{
		MessageSID: f.Get("MessageSid"),
		AccountSID: f.Get("AccountSid"),
		From:       f.Get("From"),
		To:         f.Get("To"),
		Body:       f.Get("Body"),
	}
	if in.AccountSID != t.cfg.AccountSID {
		return InboundSMS{}, fmt.Errorf("twilio webhook: %w: message for another account", ErrInvalid)
	}
	if in.MessageSID == "" || !ValidE164(in.From) {
		return InboundSMS{}, fmt.Errorf("twilio webhook: %w: missing MessageSid or From", ErrInvalid)
	}
	return in, nil
}

// TwilioSignature computes X-Twilio-Signature as Twilio documents it:
// base64(HMAC-SHA1(authToken, url + for each POST parameter, sorted by
// name, the name followed by its value)).
func TwilioSignature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL)
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			io.WriteString(mac, k)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidTwilioSignature checks signature in constant time. Because Twilio
// may sign an https URL with or without its default port, both forms of
// fullURL are tried.
func ValidTwilioSignature(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	got := []byte(signature)
	ok := false
	for _, u := range urlVariants(fullURL) {
		if hmac.Equal(got, []byte(TwilioSignature(authToken, u, params))) {
			ok = true
		}
	}
	return ok
}

// urlVariants returns fullURL and the same URL with the default port
// added or removed.
func urlVariants(fullURL string) []string {
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return []string{fullURL}
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return []string{fullURL}
	}
	v := *u
	if u.Port() == "" {
		v.Host = net.JoinHostPort(u.Hostname(), def)
	} else if u.Port() == def {
		v.Host = u.Hostname()
		if strings.Contains(v.Host, ":") {
			v.Host = "[" + v.Host + "]"
		}
	} else {
		return []string{fullURL}
	}
	return []string{fullURL, v.String()}
}
