// Package app assembles Tillit: the route table, the HTTP server and its
// graceful shutdown.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"tillit/internal/policy"
	"tillit/internal/web"
)

// Handler builds the whole site from the route table, behind Go's
// cross-origin protection (which refuses cross-site form posts).
func Handler(env *web.Env) http.Handler {
	mux := http.NewServeMux()
	for _, r := range Routes {
		mux.Handle(r.Pattern, web.Wrap(env, r.Perm, r.MaxBody, r.Handler))
	}
	// Everything the table does not list is a 404 in the reader's language.
	mux.Handle("/", web.Wrap(env, policy.Public, 0, func(c *web.Ctx) error { return web.ErrNotFound }))
	cop := http.NewCrossOriginProtection()
	return cop.Handler(mux)
}

// Serve listens on addr until ctx ends, then shuts down gracefully,
// letting requests in flight finish (up to 15 seconds).
func Serve(ctx context.Context, env *web.Env, addr string, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           Handler(env),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(env.Log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	env.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
