package auth

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"tillit/internal/db"
)

// Sign-in throttling: after too many failures in a window, further
// attempts for that login, or from that address block, are refused until
// the window ends. Kept in the database so that every node sees it.
var (
	ThrottleWindow      = 15 * time.Minute
	MaxFailuresPerLogin = 8
	MaxFailuresPerAddr  = 40
)

// LoginKey and AddrKey name the two counters of an attempt. Addresses are
// grouped (IPv4 /24, IPv6 /56) so one household or one attacker's block
// counts together; the address itself is not stored.
func LoginKey(login string) string { return "login:" + Hash(strings.ToLower(login))[:32] }

func AddrKey(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remote); err != nil {
		return "addr:unknown"
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 56
	}
	p, _ := a.Unmap().Prefix(bits)
	return "addr:" + Hash(p.String())[:32]
}

// Throttled reports whether any key is over its limit.
func Throttled(ctx context.Context, d *db.DB, keys ...string) (bool, error) {
	now := time.Now().Unix()
	for _, k := range keys {
		var failures, start int64
		err := d.R.QueryRowContext(ctx, `SELECT failures, window_start FROM login_throttle WHERE key = $1`, k).Scan(&failures, &start)
		if err != nil {
			continue // no row: no failures
		}
		limit := MaxFailuresPerLogin
		if strings.HasPrefix(k, "addr:") {
			limit = MaxFailuresPerAddr
		}
		if now-start < int64(ThrottleWindow/time.Second) && failures >= int64(limit) {
			return true, nil
		}
	}
	return false, nil
}

// RecordFailure counts a failed attempt against each key.
func RecordFailure(ctx context.Context, d *db.DB, keys ...string) error {
	now := time.Now().Unix()
	win := int64(ThrottleWindow / time.Second)
	for _, k := range keys {
		_, err := d.W.ExecContext(ctx, `INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET
			  failures = CASE WHEN $2 - login_throttle.window_start >= $3 THEN 1 ELSE login_throttle.failures + 1 END,
			  window_start = CASE WHEN $2 - login_throttle.window_start >= $3 THEN $2 ELSE login_throttle.window_start END`, k, now, win)
		if err != nil {
			return err
		}
	}
	return nil
}

// ClearFailures forgets the failures of a login after it succeeds.
func ClearFailures(ctx context.Context, d *db.DB, key string) error {
	_, err := d.W.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}
