package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strings"

	"tillit/internal/auth"
	"tillit/internal/directory"
	"tillit/internal/importcsv"
	"tillit/internal/webpush"
)

const adminUsage = `Usage:
  tillit admin create-organisation --name NAME --kind municipality|private
  tillit admin create-kindergarten --organisation ID --name NAME
  tillit admin create-manager --kindergarten ID --name NAME --login LOGIN [--email E]
  tillit admin create-owner-admin --organisation ID --name NAME --login LOGIN [--email E]
  tillit admin reset-password --login LOGIN
  tillit admin vapid-keys            (a key pair for Web Push notifications)

create-manager, create-owner-admin and reset-password print a new random
password once; the person changes it under Profile. reset-password also
ends all of that person's sessions.
`

func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" {
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	if args[0] == "vapid-keys" {
		pub, priv, err := webpush.GenerateVAPIDKeys()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "TILLIT_VAPID_PUBLIC_KEY=%s\nTILLIT_VAPID_PRIVATE_KEY=%s\n", pub, priv)
		return nil
	}
	var c config
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs, "data")
	name := fs.String("name", "", "name")
	kind := fs.String("kind", "municipality", "municipality or private")
	org := fs.Int64("organisation", 0, "organisation id")
	kg := fs.Int64("kindergarten", 0, "kindergarten id")
	login := fs.String("login", "", "login (username)")
	email := fs.String("email", "", "e-mail address")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d, err := openDB(ctx, &c)
	if err != nil {
		return err
	}
	defer d.Close()
	cleanName := func() (string, error) {
		n, code := importcsv.ValidateName(*name)
		if code != "" {
			return "", fmt.Errorf("--name: %s", code)
		}
		return n, nil
	}
	switch args[0] {
	case "create-organisation":
		n, err := cleanName()
		if err != nil {
			return err
		}
		if *kind != "municipality" && *kind != "private" {
			return errors.New("--kind must be municipality or private")
		}
		id, err := directory.CreateOrganisation(ctx, d.W, n, *kind)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "organisation %d created\n", id)
	case "create-kindergarten":
		n, err := cleanName()
		if err != nil {
			return err
		}
		var exists int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, *org).Scan(&exists); err != nil || exists == 0 {
			return fmt.Errorf("no organisation %d", *org)
		}
		id, err := directory.CreateKindergarten(ctx, d.W, *org, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "kindergarten %d created\n", id)
	case "create-manager", "create-owner-admin":
		n, err := cleanName()
		if err != nil {
			return err
		}
		l := strings.ToLower(strings.TrimSpace(*login))
		if len(l) < 3 || strings.ContainsAny(l, " \t<>") {
			return errors.New("--login needs at least 3 characters and no spaces")
		}
		role, orgID, kgID := "manager", *org, *kg
		if args[0] == "create-owner-admin" {
			role, kgID = "owner_admin", 0
			var exists int
			if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, orgID).Scan(&exists); err != nil || exists == 0 {
				return fmt.Errorf("no organisation %d", orgID)
			}
		} else if err := d.R.QueryRowContext(ctx, `SELECT organisation_id FROM kindergartens WHERE id = $1`, kgID).Scan(&orgID); err != nil {
			return fmt.Errorf("no kindergarten %d", kgID)
		}
		pw := randomPassword()
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE login = $1`, l).Scan(&taken); err != nil {
				return err
			}
			if taken > 0 {
				return fmt.Errorf("login %q is taken", l)
			}
			id, err := directory.CreatePerson(ctx, tx, &directory.Person{Name: n, Email: strings.TrimSpace(*email), Languages: []string{"nb"}})
			if err != nil {
				return err
			}
			if err := directory.SetLogin(ctx, tx, id, l, hash); err != nil {
				return err
			}
			return directory.AddStaffRole(ctx, tx, id, orgID, kgID, role)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %q created. Sign in as %s with the password:\n%s\n", role, n, l, pw)
	case "reset-password":
		pw := randomPassword()
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM people WHERE login = $1`, strings.ToLower(strings.TrimSpace(*login))).Scan(&id); err != nil {
				if err == sql.ErrNoRows {
					return fmt.Errorf("no person with login %q", *login)
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE people SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
				return err
			}
			return auth.EndAllSessions(ctx, tx, id, "")
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New password for %s (their sessions have ended):\n%s\n", *login, pw)
	default:
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("unknown admin command %q", args[0])
	}
	return nil
}

// randomPassword makes a 20-character password from an unambiguous alphabet.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKMNPQRTUVWXY34679"
	var b strings.Builder
	for i := 0; i < 20; i++ {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}
