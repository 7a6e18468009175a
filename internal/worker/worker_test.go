package worker_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"tillit/internal/worker"
)

func TestWakeRunsARoundAndStopEnds(t *testing.T) {
	var l worker.Loop
	var rounds atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	queued := 3
	go func() {
		l.Loop(ctx, time.Hour, slog.New(slog.DiscardHandler), "test", func(context.Context) (int, error) {
			rounds.Add(1)
			if queued > 0 {
				queued--
				return 1, nil
			}
			return 0, errors.New("nothing")
		})
		close(done)
	}()
	// The first round drains what is queued (3 rounds of 1, then 0).
	for rounds.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	l.Wake()
	l.Wake() // a second wake-up while one is pending is dropped, not blocked
	for rounds.Load() < 5 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
