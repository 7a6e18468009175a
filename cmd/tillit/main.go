// Command tillit is the whole of Tillit in one binary:
//
//	tillit demo     serve the demo kindergarten on http://127.0.0.1:8080
//	tillit serve    serve for real use
//	tillit migrate  apply database migrations and exit
//	tillit admin    create organisations, kindergartens, managers; reset passwords
//	tillit import   import children, guardians and groups from CSV
//
// Every flag can also be given as an environment variable: --data is
// TILLIT_DATA, --database-url is TILLIT_DATABASE_URL, and so on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tillit:", err)
		}
		os.Exit(2)
	}
}

const usage = `Tillit — the kindergarten and its families, in every family's language.

Usage:
  tillit demo [--addr 127.0.0.1:8080] [--keep]   serve the demo kindergarten
  tillit serve [flags]                           serve for real use
  tillit migrate [flags]                         apply migrations and exit
  tillit admin COMMAND [flags]                   administration (tillit admin help)
  tillit import --kindergarten ID FILE.csv       import children and guardians

Run "tillit COMMAND -h" for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "demo":
		return demoCmd(ctx, args[1:], stdout, stderr)
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "admin":
		return adminCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// config is what every command shares.
type config struct {
	addr, data, databaseURL, baseURL, logFormat string
	insecure                                    bool
	libreURL, libreKey                          string
	apertium                                    bool
	vapidPublic, vapidPrivate, vapidSubject     string
	smtpHost, smtpUser, smtpPass, smtpFrom      string
	smtpPort                                    int
	twilioToken, smsInboundURL                  string
}

// envDefault returns the TILLIT_* variable for a flag, or def.
func envDefault(flagName, def string) string {
	if v, ok := os.LookupEnv("TILLIT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))); ok {
		return v
	}
	return def
}

func (c *config) register(fs *flag.FlagSet, defaultData string) {
	fs.StringVar(&c.data, "data", envDefault("data", defaultData), "directory for the SQLite database and uploaded files (TILLIT_DATA)")
	fs.StringVar(&c.databaseURL, "database-url", envDefault("database-url", ""), "postgres://… to use PostgreSQL instead of SQLite (TILLIT_DATABASE_URL)")
	fs.StringVar(&c.logFormat, "log-format", envDefault("log-format", "text"), "text or json (TILLIT_LOG_FORMAT)")
}

func (c *config) registerServe(fs *flag.FlagSet, defaultAddr string) {
	fs.StringVar(&c.addr, "addr", envDefault("addr", defaultAddr), "address to listen on (TILLIT_ADDR)")
	fs.StringVar(&c.baseURL, "base-url", envDefault("base-url", ""), "public URL people use, e.g. https://tillit.example.no (TILLIT_BASE_URL; default http://ADDR)")
	fs.StringVar(&c.libreURL, "libretranslate-url", envDefault("libretranslate-url", ""), "LibreTranslate server for free-text messages, e.g. http://127.0.0.1:5000 (TILLIT_LIBRETRANSLATE_URL)")
	fs.StringVar(&c.libreKey, "libretranslate-key", envDefault("libretranslate-key", ""), "its API key, if it needs one (TILLIT_LIBRETRANSLATE_KEY)")
	fs.BoolVar(&c.apertium, "apertium", envDefault("apertium", "true") == "true", "use the apertium command for Bokmål ↔ Nynorsk when installed (TILLIT_APERTIUM)")
	fs.StringVar(&c.vapidPublic, "vapid-public-key", envDefault("vapid-public-key", ""), "Web Push application server public key (TILLIT_VAPID_PUBLIC_KEY; tillit admin vapid-keys makes a pair)")
	fs.StringVar(&c.vapidPrivate, "vapid-private-key", envDefault("vapid-private-key", ""), "its private key (TILLIT_VAPID_PRIVATE_KEY)")
	fs.StringVar(&c.vapidSubject, "vapid-subject", envDefault("vapid-subject", ""), "contact for push services, mailto: or https: (TILLIT_VAPID_SUBJECT)")
	fs.StringVar(&c.smtpHost, "smtp-host", envDefault("smtp-host", ""), "SMTP server for e-mail notifications (TILLIT_SMTP_HOST; empty: no e-mail)")
	port, _ := strconv.Atoi(envDefault("smtp-port", "587"))
	fs.IntVar(&c.smtpPort, "smtp-port", port, "SMTP port, STARTTLS required (TILLIT_SMTP_PORT)")
	fs.StringVar(&c.smtpUser, "smtp-user", envDefault("smtp-user", ""), "SMTP user (TILLIT_SMTP_USER)")
	c.smtpPass = os.Getenv("TILLIT_SMTP_PASSWORD") // secrets only from the environment
	fs.StringVar(&c.smtpFrom, "smtp-from", envDefault("smtp-from", ""), "sender address (TILLIT_SMTP_FROM)")
	c.twilioToken = os.Getenv("TILLIT_TWILIO_AUTH_TOKEN") // secrets only from the environment
	fs.StringVar(&c.smsInboundURL, "sms-inbound-url", envDefault("sms-inbound-url", ""), "public URL of the SMS reply webhook as set at the gateway, e.g. https://tillit.example.no/sms/inbound (TILLIT_SMS_INBOUND_URL; needs TILLIT_TWILIO_AUTH_TOKEN)")
	fs.BoolVar(&c.insecure, "insecure-cookies", envDefault("insecure-cookies", "") == "true", "send cookies over plain HTTP (only for local testing; TILLIT_INSECURE_COOKIES=true)")
}

func (c *config) logger(w io.Writer) *slog.Logger {
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
