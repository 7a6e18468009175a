// Package worker runs background jobs: a round every interval, and at
// once when woken (after a message is sent), until the context ends.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop is embedded by a worker; its zero value is ready to use.
type Loop struct {
	once sync.Once
	wake chan struct{}
}

func (l *Loop) ch() chan struct{} {
	l.once.Do(func() { l.wake = make(chan struct{}, 1) })
	return l.wake
}

// Wake asks the worker to run a round now; it never blocks.
func (l *Loop) Wake() {
	select {
	case l.ch() <- struct{}{}:
	default:
	}
}

// Loop runs round until it handles nothing or fails, then waits for the
// interval or a wake-up, until ctx ends. Errors are logged as name.
func (l *Loop) Loop(ctx context.Context, interval time.Duration, log *slog.Logger, name string, round func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	wake := l.ch()
	for {
		for ctx.Err() == nil {
			n, err := round(ctx)
			if err != nil && ctx.Err() == nil {
				log.Warn(name, "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}
