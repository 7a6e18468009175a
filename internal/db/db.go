// Package db opens Tillit's database (embedded SQLite by default, PostgreSQL
// when a URL is given) and applies the embedded, versioned migrations.
//
// Queries are written once, with $1-style placeholders, and run unchanged on
// both databases: modernc.org/sqlite binds $N by position, pgx natively.
// Times are stored as Unix seconds (BIGINT) and booleans as BOOLEAN, which
// both databases accept.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the application's handle: one writer and a pool of readers for
// SQLite (SQLite allows one writer at a time), one pool for PostgreSQL.
type DB struct {
	Dialect Dialect
	// W is used for every transaction and write.
	W *sql.DB
	// R is used for reads outside transactions.
	R *sql.DB
}

// ErrNotFound is returned when a row does not exist (or, to the caller,
// is not visible: see package policy).
var ErrNotFound = errors.New("not found")

// OpenSQLite opens (creating if needed) the database file tillit.db in dir.
func OpenSQLite(dir string) (*DB, error) {
	if dir == "" {
		return nil, errors.New("no data directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	dsn := filepath.Join(dir, "tillit.db")
	pragmas := "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", "file:"+dsn+pragmas)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", "file:"+dsn+pragmas+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	d := &DB{Dialect: SQLite, W: w, R: r}
	if err := d.Ping(context.Background()); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenPostgres connects to the PostgreSQL database at url.
func OpenPostgres(url string) (*DB, error) {
	p, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	p.SetMaxOpenConns(20)
	p.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Dialect: Postgres, W: p, R: p}
	if err := d.Ping(context.Background()); err != nil {
		p.Close()
		return nil, err
	}
	return d, nil
}

// Open chooses PostgreSQL when url is set, SQLite in dir otherwise.
func Open(url, dir string) (*DB, error) {
	if url != "" {
		if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
			return nil, fmt.Errorf("database url must start with postgres://")
		}
		return OpenPostgres(url)
	}
	return OpenSQLite(dir)
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := d.W.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return d.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.W.Close()
	if d.R != d.W {
		if e := d.R.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Tx runs fn in one transaction on the writer, committing when fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Now is the time stored in rows: Unix seconds.
func Now() int64 { return time.Now().Unix() }
