package webpush

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Sender.
const (
	// DefaultTimeout bounds one push request, from dialling to the end of
	// the answer.
	DefaultTimeout = 30 * time.Second
	// DefaultTTL is how long a push service keeps a message for a device
	// that is offline when SendOptions.TTL is zero.
	DefaultTTL = 24 * time.Hour
	// MaxTTL is the longest TTL sent; push services cap it lower anyway.
	MaxTTL = 28 * 24 * time.Hour
	// MaxRetryAfter caps a push service's Retry-After.
	MaxRetryAfter = 24 * time.Hour
	// PadBlock: Send pads every payload to a multiple of this many octets,
	// so that the push service cannot tell, say, a notification in Tigrinya
	// from one in Norwegian by its length.
	PadBlock = 128
)

// Urgency is the Urgency header of RFC 8030 §5.3: how soon a device should
// wake up for the message.
type Urgency string

// The four urgencies of RFC 8030 §5.3.
const (
	UrgencyVeryLow Urgency = "very-low"
	UrgencyLow     Urgency = "low"
	UrgencyNormal  Urgency = "normal"
	UrgencyHigh    Urgency = "high"
)

// SendOptions are the per-message headers of RFC 8030 §5.
type SendOptions struct {
	// TTL is how long the push service keeps the message while the device
	// is offline. Zero means DefaultTTL; a negative TTL sends "TTL: 0"
	// (deliver only to a device that is connected now). Rounded down to
	// seconds, capped at MaxTTL.
	TTL time.Duration
	// Urgency is "very-low", "low", "normal" or "high"; empty sends no
	// header, which push services treat as "normal".
	Urgency Urgency
	// Topic, when set, replaces an earlier message with the same topic
	// that the push service still holds for the device (RFC 8030 §5.4):
	// at most 32 characters of the base64url alphabet.
	Topic string
}

// Outcome classifies the push service's answer.
type Outcome int

const (
	// Delivered: the push service accepted the message (201 Created).
	Delivered Outcome = iota + 1
	// Gone: the subscription has expired or was withdrawn (404, 410).
	// The caller must delete it and never send to it again.
	Gone
	// Retry: a passing failure (429, 5xx, no answer, a timeout). Try again
	// later, not before Result.RetryAfter when it is set.
	Retry
	// Rejected: the push service refused this request (400, 401, 403,
	// 413, any other answer). Sending it again will not help; a 401 or
	// 403 often means the subscription was made with another VAPID key.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Gone:
		return "gone"
	case Retry:
		return "retry"
	case Rejected:
		return "rejected"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result is what came of one Send.
type Result struct {
	Outcome Outcome
	// StatusCode is the push service's HTTP status; 0 when there was no
	// answer.
	StatusCode int
	// RetryAfter is the push service's Retry-After for a Retry, capped at
	// MaxRetryAfter; 0 when it gave none (use your own back-off).
	RetryAfter time.Duration
	// Location is the push message resource of a Delivered message
	// (RFC 8030 §5), when the push service gave one.
	Location string
	// Err says what went wrong for every outcome but Delivered. It names
	// the push service's origin and status, never the endpoint's path or
	// the payload, so it may be logged.
	Err error
}

// Config configures a Sender.
type Config struct {
	// PublicKey and PrivateKey are the VAPID key pair from
	// GenerateVAPIDKeys; Subject is the operator's contact, a mailto: or
	// https: URI.
	PublicKey, PrivateKey, Subject string
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// AllowPrivateNetworks lets the Sender connect to loopback, private
	// and link-local addresses. Endpoints come from browsers, that is from
	// users, so by default they cannot make the server reach its own
	// network. Tests and a push service inside the network need it.
	AllowPrivateNetworks bool
	// Client, when not nil, is used instead of the Sender's own client
	// (for an egress proxy, say). Its redirect policy and address checks
	// are then the caller's business.
	Client *http.Client
}

// Sender sends push messages. It is safe for concurrent use; make one and
// share it, so that connections to each push service are reused.
type Sender struct {
	vapid  *VAPID
	client *http.Client
	now    func() time.Time
}

// NewSender checks the VAPID configuration and makes a Sender.
func NewSender(cfg Config) (*Sender, error) {
	v, err := NewVAPID(cfg.PublicKey, cfg.PrivateKey, cfg.Subject)
	if err != nil {
		return nil, err
	}
	client := cfg.Client
	if client == nil {
		client = newClient(cfg.Timeout, cfg.AllowPrivateNetworks)
	}
	return &Sender{vapid: v, client: client, now: time.Now}, nil
}

// PublicKey returns the VAPID public key pages subscribe with.
func (s *Sender) PublicKey() string { return s.vapid.PublicKey() }

// newClient makes an HTTP client with a timeout for each phase of a
// request, that never follows redirects and, unless allowPrivate, refuses
// to connect to addresses that are not public.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: min(10*time.Second, timeout), KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   min(10*time.Second, timeout),
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A push service answers; it does not send us elsewhere. Following
		// a redirect would also let an endpoint point anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errPrivateAddress is returned by the dialer for a non-public address.
var errPrivateAddress = errors.New("the endpoint's address is not public")

// refusePrivate is a net.Dialer Control function that refuses loopback,
// private, link-local, shared (CGNAT) and unspecified addresses. It runs
// after name resolution, for the address actually dialled.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errPrivateAddress, address)
	}
	ip := ap.Addr().Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || sharedAddressSpace.Contains(ip) {
		return errPrivateAddress
	}
	return nil
}

// sharedAddressSpace is 100.64.0.0/10 (RFC 6598), used inside carriers
// and cloud networks.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// Send encrypts payload for sub, signs the request with the VAPID key and
// POSTs it to the subscription's endpoint, then classifies the answer.
//
// It returns an error, and sends nothing, when the input cannot be sent:
// an invalid subscription (ErrInvalidSubscription), a payload over
// MaxPayload (ErrPayloadTooLarge) or invalid options (ErrInvalidOptions).
// Every other failure, including the network's, is a Result; Send does not
// retry or sleep: the caller's worker does that with Result.RetryAfter.
func (s *Sender) Send(ctx context.Context, sub Subscription, payload []byte, opts SendOptions) (Result, error) {
	headers, err := opts.headers()
	if err != nil {
		return Result{}, err
	}
	if _, err := sub.endpointURL(); err != nil {
		return Result{}, err
	}
	padTo := max(PadBlock, (len(payload)+PadBlock-1)/PadBlock*PadBlock)
	body, err := Encrypt(payload, sub, EncryptOptions{PadTo: padTo})
	if err != nil {
		return Result{}, err
	}
	auth, err := s.vapid.Authorization(sub.Endpoint, s.now())
	if err != nil {
		return Result{}, err
	}
	service, _ := origin(sub.Endpoint)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("%w: making the request", ErrInvalidSubscription)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Authorization", auth)
	for k, v := range headers {
		req.Header.Set(k, v)
	}

	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error carries the whole endpoint; keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		res := Result{Outcome: Retry, Err: fmt.Errorf("webpush: push to %s: %w", service, err)}
		if errors.Is(err, errPrivateAddress) {
			res.Outcome = Rejected
		}
		return res, nil
	}
	defer resp.Body.Close()
	// Read a little of the answer so the connection can be reused; a push
	// service's error text may help an operator.
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	res := Result{StatusCode: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		res.Outcome = Delivered
		res.Location = resp.Header.Get("Location")
		return res, nil
	case code == http.StatusNotFound || code == http.StatusGone:
		res.Outcome = Gone
	case code == http.StatusTooManyRequests || code >= 500:
		res.Outcome = Retry
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	default:
		res.Outcome = Rejected
	}
	res.Err = fmt.Errorf("webpush: push to %s: %s%s", service, resp.Status, summary(detail))
	return res, nil
}

// summary makes a one-line excerpt of an error answer.
func summary(b []byte) string {
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
	if text == "" {
		return ""
	}
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "…"
	}
	return ": " + text
}

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3): seconds or an
// HTTP date. It returns 0 when there is none or it cannot be read.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// headers checks the options and returns the protocol headers they make.
func (o SendOptions) headers() (map[string]string, error) {
	h := make(map[string]string, 3)
	ttl := o.TTL
	switch {
	case ttl == 0:
		ttl = DefaultTTL
	case ttl < 0:
		ttl = 0
	case ttl > MaxTTL:
		ttl = MaxTTL
	}
	h["TTL"] = strconv.FormatInt(int64(ttl/time.Second), 10)
	switch o.Urgency {
	case "":
	case UrgencyVeryLow, UrgencyLow, UrgencyNormal, UrgencyHigh:
		h["Urgency"] = string(o.Urgency)
	default:
		return nil, fmt.Errorf("%w: urgency %q is not very-low, low, normal or high", ErrInvalidOptions, o.Urgency)
	}
	if o.Topic != "" {
		if len(o.Topic) > 32 || strings.IndexFunc(o.Topic, notBase64URL) >= 0 {
			return nil, fmt.Errorf("%w: a topic is at most 32 characters of A–Z, a–z, 0–9, - and _", ErrInvalidOptions)
		}
		h["Topic"] = o.Topic
	}
	return h, nil
}

func notBase64URL(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
