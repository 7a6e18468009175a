package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tillit/internal/app"
	"tillit/internal/channels"
	"tillit/internal/db"
	"tillit/internal/demo"
	"tillit/internal/feature/push"
	"tillit/internal/feature/smsinbound"
	"tillit/internal/i18n"
	"tillit/internal/media"
	"tillit/internal/messaging"
	"tillit/internal/notify"
	"tillit/internal/translate"
	"tillit/internal/web"
	"tillit/internal/webpush"
)

func openDB(ctx context.Context, c *config) (*db.DB, error) {
	d, err := db.Open(c.databaseURL, c.data)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return d, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs, "data")
	c.registerServe(fs, "127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serve(ctx, &c, false, stdout, stderr, nil)
}

// serve runs the server until ctx ends.
func serve(ctx context.Context, c *config, isDemo bool, stdout, stderr io.Writer, afterStart func(addr string)) error {
	if err := i18n.Check(); err != nil {
		return err
	}
	log := c.logger(stderr)
	d, err := openDB(ctx, c)
	if err != nil {
		return err
	}
	defer d.Close()
	base := c.baseURL
	if base == "" {
		base = "http://" + c.addr
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--base-url must be like https://tillit.example.no")
	}
	host := u.Hostname()
	local := host == "127.0.0.1" || host == "localhost" || host == "::1"
	files, err := media.NewStore(filepath.Join(c.data, "files"))
	if err != nil {
		return err
	}
	env := &web.Env{DB: d, Log: log, BaseURL: strings.TrimSuffix(base, "/"), Demo: isDemo, Files: files,
		Secure: u.Scheme == "https" || !(local || c.insecure)}
	// Free text is translated in the background, never while sending.
	tr, err := translate.New(d, translate.Config{LibreTranslateURL: c.libreURL, LibreTranslateKey: c.libreKey, Apertium: c.apertium, Log: log})
	if err != nil {
		return err
	}
	worker := &messaging.TranslationWorker{DB: d, Translator: tr, Log: log}
	go worker.Run(ctx, 5*time.Second)
	// Notifications say only "something new", on the channels each person chose.
	nw := &notify.Worker{DB: d, SMS: channels.NewOutbox(d), Log: log, BaseURL: env.BaseURL}
	if c.vapidPublic != "" {
		if nw.Push, err = webpush.NewSender(webpush.Config{PublicKey: c.vapidPublic, PrivateKey: c.vapidPrivate, Subject: c.vapidSubject}); err != nil {
			return err
		}
		push.Configure(nw.Push.PublicKey())
	}
	if c.smtpHost != "" {
		m, err := channels.NewMailer(channels.SMTPConfig{Host: c.smtpHost, Port: c.smtpPort, Username: c.smtpUser, Password: c.smtpPass, From: c.smtpFrom, Log: log})
		if err != nil {
			return err
		}
		nw.Mail = m
		// The same mailer sends invitation links.
		env.Mail = m
	}
	go nw.Run(ctx, 10*time.Second)
	// SMS replies ("1", "2", "3") come from the gateway, signed with its token.
	if (c.twilioToken == "") != (c.smsInboundURL == "") {
		return fmt.Errorf("--sms-inbound-url and TILLIT_TWILIO_AUTH_TOKEN must be set together")
	}
	if c.smsInboundURL != "" {
		iu, err := url.Parse(c.smsInboundURL)
		if err != nil || iu.Host == "" || (iu.Scheme != "https" && !(iu.Scheme == "http" && local)) || !strings.HasSuffix(iu.Path, "/sms/inbound") {
			return fmt.Errorf("--sms-inbound-url must be like https://tillit.example.no/sms/inbound")
		}
	}
	smsinbound.Configure(c.twilioToken, c.smsInboundURL)
	return app.Serve(ctx, env, c.addr, func(addr string) {
		log.Info("listening", "addr", addr, "database", string(d.Dialect))
		if afterStart != nil {
			afterStart(addr)
		}
	})
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs, "data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := db.Open(c.databaseURL, c.data)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migrations\n", n)
	return nil
}

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	keep := false
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs, filepath.Join(os.TempDir(), "tillit-demo"))
	c.registerServe(fs, "127.0.0.1:8080")
	fs.BoolVar(&keep, "keep", false, "keep the demo database from the last run instead of starting afresh")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.databaseURL != "" {
		return fmt.Errorf("the demo runs on its own SQLite database; use serve for PostgreSQL")
	}
	if c.vapidPublic == "" {
		// The demo makes its own Web Push keys for each run.
		pub, priv, err := webpush.GenerateVAPIDKeys()
		if err != nil {
			return err
		}
		c.vapidPublic, c.vapidPrivate, c.vapidSubject = pub, priv, "mailto:demo@tillit.example"
	}
	dbFile := filepath.Join(c.data, "tillit.db")
	_, statErr := os.Stat(dbFile)
	fresh := !keep || os.IsNotExist(statErr)
	if fresh {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(dbFile + suffix)
		}
		d, err := openDB(ctx, &c)
		if err != nil {
			return err
		}
		_, err = demo.Seed(ctx, d)
		d.Close()
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
	}
	return serve(ctx, &c, true, stdout, stderr, func(addr string) {
		fmt.Fprintf(stdout, "\nTillit demo: Solsikken barnehage on http://%s\n\nSign in as (every password is %q):\n", addr, demo.Password)
		for _, p := range demo.Personas {
			fmt.Fprintf(stdout, "  %-10s %-18s %s\n", p.Login, p.Name, p.Who)
		}
		fmt.Fprintln(stdout, "\nStop with Ctrl+C.")
	})
}
