package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"tillit/internal/auth"
	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

func TestPasswordRules(t *testing.T) {
	for pw, want := range map[string]error{
		"short":                   auth.ErrPasswordTooShort,
		"ÆØÅæøåÆØÅæøå":            nil, // 12 characters, 24 bytes: counted in characters
		"ÆØÅæøåÆØÅæø":             auth.ErrPasswordTooShort,
		"password1234":            auth.ErrPasswordCommon,
		"PASSWORD1234":            auth.ErrPasswordCommon,
		"aaaaaaaaaaaaaaaa":        auth.ErrPasswordCommon,
		"qwertyqwertyqwerty":      auth.ErrPasswordCommon, // a listed word repeated
		"barnehage2026":           auth.ErrPasswordCommon,
		strings.Repeat("x7", 200): auth.ErrPasswordTooLong,
		"grønne epler i kurven":   nil,
	} {
		if got := auth.CheckPasswordRules(pw); !errors.Is(got, want) {
			t.Errorf("%q: %v, want %v", pw, got, want)
		}
	}
}

func TestHashAndVerify(t *testing.T) {
	h, err := auth.HashPassword("grønne epler i kurven")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash format: %s", h)
	}
	h2, _ := auth.HashPassword("grønne epler i kurven")
	if h == h2 {
		t.Fatal("no salt: equal hashes")
	}
	if !auth.VerifyPassword(h, "grønne epler i kurven") {
		t.Fatal("right password refused")
	}
	for _, wrong := range []string{"grønne epler i kurven ", "", "Grønne epler i kurven"} {
		if auth.VerifyPassword(h, wrong) {
			t.Fatalf("%q accepted", wrong)
		}
	}
	for _, bad := range []string{"", "$argon2id$x", "$bcrypt$v=1$m=1,t=1,p=1$AAAA$AAAA", h[:len(h)-4] + "!!!!"} {
		if auth.VerifyPassword(bad, "grønne epler i kurven") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c := auth.NewCode()
		if len(c) != 11 || c[3] != '-' || c[7] != '-' || strings.ContainsAny(c, "0O1IL5S2Z8B") {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("repeated code %q", c)
		}
		seen[c] = true
		if got := auth.NormalizeCode(strings.ToLower(strings.ReplaceAll(c, "-", " "))); got != c {
			t.Fatalf("normalize %q → %q", c, got)
		}
	}
}

func TestAddressKeysGroupNeighbours(t *testing.T) {
	if auth.AddrKey("192.0.2.10:5555") != auth.AddrKey("192.0.2.200:1") {
		t.Error("one /24 should share a key")
	}
	if auth.AddrKey("192.0.2.10:5555") == auth.AddrKey("198.51.100.10:5555") {
		t.Error("different networks share a key")
	}
	if auth.AddrKey("[2001:db8::1]:443") != auth.AddrKey("[2001:db8::ffff]:443") {
		t.Error("one /56 should share a key")
	}
	if strings.Contains(auth.AddrKey("192.0.2.10:5555"), "192") {
		t.Error("the address is stored in clear")
	}
}

func TestThrottleWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k := auth.LoginKey("someone")
		for i := 0; i < auth.MaxFailuresPerLogin; i++ {
			if blocked, _ := auth.Throttled(ctx, d, k); blocked {
				t.Fatalf("blocked after %d failures", i)
			}
			if err := auth.RecordFailure(ctx, d, k); err != nil {
				t.Fatal(err)
			}
		}
		if blocked, _ := auth.Throttled(ctx, d, k); !blocked {
			t.Fatal("not blocked at the limit")
		}
		// When the window has passed, the next failure starts a new count.
		d.W.Exec(`UPDATE login_throttle SET window_start = $1`, time.Now().Add(-auth.ThrottleWindow-time.Second).Unix())
		if blocked, _ := auth.Throttled(ctx, d, k); blocked {
			t.Fatal("still blocked after the window")
		}
		auth.RecordFailure(ctx, d, k)
		var n int
		d.R.QueryRow(`SELECT failures FROM login_throttle WHERE key = $1`, k).Scan(&n)
		if n != 1 {
			t.Fatalf("failures after a new window: %d", n)
		}
	})
}
