// Package dbtest gives tests a fresh, migrated database on each engine.
//
// SQLite always runs. PostgreSQL runs when TILLIT_TEST_POSTGRES_URL points
// at a server where the user may create databases; each test gets its own
// throw-away database, dropped afterwards. Without the URL the PostgreSQL
// half is skipped with a message, unless TILLIT_REQUIRE_POSTGRES is set, in
// which case the skip is a failure (CI sets it).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"tillit/internal/db"
)

// Each runs fn once on SQLite and once on PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated database in a temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// Postgres returns a migrated throw-away PostgreSQL database, or skips.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	base := os.Getenv("TILLIT_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("TILLIT_REQUIRE_POSTGRES") != "" {
			t.Fatal("TILLIT_REQUIRE_POSTGRES is set but TILLIT_TEST_POSTGRES_URL is empty")
		}
		t.Skip("PostgreSQL half skipped: set TILLIT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run it")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "tillit_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create throw-away database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	d, err := db.OpenPostgres(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}
