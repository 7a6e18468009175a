// Package smsinbound receives the SMS guardians send back to Tillit's
// number through the Twilio gateway: a reply code ("1", "٢", "፫" …) to a
// notification SMS is recorded as the answer to the message that SMS was
// about ("I understand", "I have a question", "I need an interpreter"),
// exactly as if the guardian had tapped it in the app. Any other text is
// checked like a message typed in the app and becomes a message from the
// guardian to the group's staff, marked "received by SMS", in the thread
// of the message it answers (notify.ReceiveText has the rules): parents
// without a smartphone or data answer in their own language, and staff
// read it translated into Norwegian.
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
	"tillit/internal/feature/conversations"
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
	if err := receive(c, form.Get("MessageSid"), form.Get("From"), form.Get("Body")); err != nil {
		return err
	}
	h := c.W.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.W.WriteHeader(http.StatusOK)
	_, err := c.W.Write([]byte(channels.TwilioEmptyResponse))
	return err
}

// receive handles one signed inbound SMS: a reply code becomes an answer,
// other text a message from the guardian. Whatever happens, the log gets
// the SMS id, ids and outcomes, never the number or the text.
func receive(c *web.Ctx, sid, from, body string) error {
	log := c.Env.Log.With("sid", sid)
	if _, isCode := channels.ParseReply(body); isCode {
		msg, person, answer, ok, err := notify.MatchReply(c.Context(), c.Env.DB, from, body)
		if err != nil {
			return err
		}
		if ok {
			log.Info("sms reply matched", "message", msg, "person", person, "answer", answer)
		} else {
			log.Info("sms reply not matched")
		}
		return nil
	}
	if !validSID(sid) {
		// Without the id a retried webhook could store the text twice.
		log.Warn("sms text refused: no valid MessageSid")
		return nil
	}
	text, code := conversations.ValidateBody(body)
	if code != "" {
		log.Info("sms text refused", "reason", code)
		return nil
	}
	r, err := notify.ReceiveText(c.Context(), c.Env.DB, sid, from, text)
	if err != nil {
		return err
	}
	if r.Outcome == notify.TextStored {
		log.Info("sms text stored", "message", r.MessageID, "thread", r.ThreadID, "person", r.PersonID, "reply_to", r.ReplyTo)
	} else {
		log.Info("sms text not stored", "outcome", r.Outcome)
	}
	return nil
}

// validSID accepts Twilio's message ids ("SM" or "MM" and 32 hex digits)
// and, for other gateways, up to 64 letters and digits.
func validSID(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
