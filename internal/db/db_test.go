package db_test

import (
	"context"
	"testing"

	"tillit/internal/db"
	"tillit/internal/db/dbtest"
)

func TestMigrateTwiceAndPlaceholders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		n, err := d.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate: applied %d, err %v", n, err)
		}
		// $2 before $1: placeholders must bind by number on both databases.
		var a, b string
		if err := d.R.QueryRowContext(ctx, `SELECT $2, $1`, "one", "two").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if a != "two" || b != "one" {
			t.Fatalf("placeholders bound by position of appearance: got %q %q", a, b)
		}
		if err := d.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestForeignKeysEnforced(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		_, err := d.W.Exec(`INSERT INTO groups (kindergarten_id, name) VALUES (999999, 'x')`)
		if err == nil {
			t.Fatal("insert with a missing kindergarten succeeded: foreign keys are off")
		}
	})
}
