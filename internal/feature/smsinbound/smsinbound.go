// Package smsinbound receives the SMS guardians send back to Tillit's
// number through the Twilio gateway: a reply code ("1", "٢", "፫" …) to a
// notification SMS is recorded as the answer to the message that SMS was
// about ("I understand", "I have a question", "I need an interpreter"),
// exactly as if the guardian had tapped it in the app.
//
// Twilio signs every webhook request (X-Twilio-Signature, HMAC-SHA1 over
// the public URL and the form with the account's auth token). A request
// that is not signed by it is refused with 403 and changes nothing. Until
// Configure has been called with a token and the URL, the endpoint answers
// 404 as if it did not exist.
//
// Nothing here logs a phone number or what was written.
package smsinbound

import (
	"net/http"
	"sync"

	"tillit/internal/channels"
	"tillit/internal/notify"
	"tillit/internal/web"
)

var (
	mu        sync.RWMutex
	authToken string
	publicURL string
)

// Configure sets the Twilio auth token and the public URL of this endpoint
// exactly as it is configured at Twilio ("https://tillit.example.no/sms/inbound"):
// behind a proxy the server cannot reconstruct it from the request. Empty
// values turn the endpoint off (404). cmd calls it once at start.
func Configure(token, url string) {
	mu.Lock()
	defer mu.Unlock()
	authToken, publicURL = token, url
}

func config() (token, url string) {
	mu.RLock()
	defer mu.RUnlock()
	return authToken, publicURL
}

// Inbound handles POST /sms/inbound: Twilio's inbound-message webhook.
// Every properly signed request gets an empty TwiML answer (no SMS back):
// a matched code, free text and an unknown sender alike, so that the
// answer tells nothing about who is known.
func Inbound(c *web.Ctx) error {
	token, url := config()
	if token == "" || url == "" {
		return web.ErrNotFound
	}
	// web.Wrap has parsed the form (bounded by the route's body limit and
	// checked for valid UTF-8).
	form := c.R.PostForm
	if !channels.ValidTwilioSignature(token, url, form, c.R.Header.Get("X-Twilio-Signature")) {
		c.Env.Log.Warn("sms inbound: bad or missing signature")
		http.Error(c.W, "forbidden", http.StatusForbidden)
		return nil
	}
	msg, person, answer, ok, err := notify.MatchReply(c.Context(), c.Env.DB, form.Get("From"), form.Get("Body"))
	if err != nil {
		return err
	}
	if ok {
		c.Env.Log.Info("sms reply matched", "message", msg, "person", person, "answer", answer)
	} else {
		// Free text or nobody to match: staff are not told here (a later
		// feature may show free-text SMS to staff); never log the text.
		c.Env.Log.Info("sms inbound not matched", "sid", form.Get("MessageSid"))
	}
	h := c.W.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.W.WriteHeader(http.StatusOK)
	_, err = c.W.Write([]byte(channels.TwilioEmptyResponse))
	return err
}
