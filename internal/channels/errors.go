package channels

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"time"
)

// SendError is the error of a failed send on any channel.
type SendError struct {
	// Channel is "smtp", "twilio" or "outbox".
	Channel string
	// Op is the step that failed: "dial", "starttls", "auth", "rcpt", "data",
	// "request", "validate", ...
	Op string
	// Code is the SMTP reply code or the HTTP status; 0 when there was none.
	Code int
	// ProviderCode is the gateway's own error code (Twilio's "code"), if any.
	ProviderCode int
	// Temporary is true when the same send may succeed later.
	Temporary bool
	// RetryAfter is the gateway's hint (HTTP Retry-After), if it gave one.
	RetryAfter time.Duration
	// Err is the underlying error.
	Err error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	s := e.Channel + " " + e.Op + ": " + kind + " failure"
	if e.Code != 0 {
		s += fmt.Sprintf(" (%d)", e.Code)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SendError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a send failure that may succeed when
// tried again later. Any other error, including nil, is not temporary.
func IsTemporary(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Temporary
}

// IsPermanent reports whether err is a send failure that will fail again
// however often it is tried.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && !se.Temporary
}

// ErrInvalid is wrapped by every error about bad input (an address, a
// phone number, a header) or bad configuration. Such errors are permanent.
var ErrInvalid = errors.New("invalid")

func invalid(channel, format string, args ...any) *SendError {
	return &SendError{Channel: channel, Op: "validate", Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

// classifySMTP turns an error from an SMTP exchange into a *SendError.
// Replies decide when there is one (4xx temporary, 5xx permanent); a
// certificate the client cannot verify is a configuration problem and
// permanent; a cancelled context and every network failure are temporary.
func classifySMTP(ctx context.Context, op string, err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	e := &SendError{Channel: "smtp", Op: op, Err: err}
	var tp *textproto.Error
	var certInvalid *x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case ctx.Err() != nil:
		e.Temporary = true
		e.Err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	case errors.As(err, &tp):
		e.Code = tp.Code
		e.Temporary = tp.Code >= 400 && tp.Code < 500
	case errors.As(err, &verify), errors.As(err, &certInvalid), errors.As(err, &unknownAuthority), errors.As(err, &hostname):
		e.Temporary = false
	case errors.Is(err, ErrInvalid):
		e.Temporary = false
	default:
		// io.EOF, resets, timeouts, refused connections, TLS alerts: the
		// network or the server failed us, not the message.
		e.Temporary = true
	}
	return e
}
