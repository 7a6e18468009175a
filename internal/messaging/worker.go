package messaging

import (
	"context"
	"log/slog"
	"time"

	"tillit/internal/db"
	"tillit/internal/translate"
	"tillit/internal/worker"
)

// TranslationWorker fills in the translation jobs Send queued: free text
// is never translated on the request path. A job that meets an
// unavailable provider is retried with growing pauses; after MaxAttempts,
// or when the provider answers garbage, it is marked failed and the
// reader sees the original with "not translated — ask for help".
type TranslationWorker struct {
	DB         *db.DB
	Translator *translate.Translator
	Log        *slog.Logger
	// Batch is how many jobs one round takes (default 50).
	Batch int
	// MaxAttempts before a job fails for good (default 8).
	MaxAttempts int
	// Now is the clock (tests move it).
	Now func() time.Time

	worker.Loop
}

// Run works until ctx ends, every interval and whenever woken (Wake).
func (w *TranslationWorker) Run(ctx context.Context, interval time.Duration) {
	w.Loop.Loop(ctx, interval, w.Log, "translation worker", w.RunOnce)
}

func (w *TranslationWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

type job struct {
	msg             int64
	lang, src, body string
	attempts        int64
}

// RunOnce handles the jobs that are due and returns how many it handled.
func (w *TranslationWorker) RunOnce(ctx context.Context) (int, error) {
	batch, maxAttempts := w.Batch, w.MaxAttempts
	if batch <= 0 {
		batch = 50
	}
	if maxAttempts <= 0 {
		maxAttempts = 8
	}
	now := w.now().Unix()
	rows, err := w.DB.R.QueryContext(ctx, `SELECT t.message_id, t.lang, m.lang, m.body, t.attempts FROM message_translations t JOIN messages m ON m.id = t.message_id
		WHERE t.status = 'pending' AND t.next_attempt_at <= $1 ORDER BY t.next_attempt_at, t.message_id LIMIT $2`, now, batch)
	if err != nil {
		return 0, err
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.msg, &j.lang, &j.src, &j.body, &j.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if err := w.do(ctx, j, maxAttempts); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

func (w *TranslationWorker) do(ctx context.Context, j job, maxAttempts int) error {
	res, err := w.Translator.Translate(ctx, j.body, j.src, j.lang)
	exec := func(q string, args ...any) error {
		_, e := w.DB.W.ExecContext(ctx, q, args...)
		return e
	}
	switch {
	case err == nil && res.Untranslated:
		return exec(`UPDATE message_translations SET status = 'none', attempts = attempts + 1 WHERE message_id = $1 AND lang = $2`, j.msg, j.lang)
	case err == nil:
		var checked, memory any
		if res.CheckedByPerson && res.CheckedBy != 0 {
			checked = res.CheckedBy
		}
		if res.MemoryID != 0 {
			memory = res.MemoryID
		}
		return exec(`UPDATE message_translations SET status = 'done', text = $1, provider = $2, checked_by = $3, memory_id = $4, attempts = attempts + 1
			WHERE message_id = $5 AND lang = $6`, res.Text, res.Provider, checked, memory, j.msg, j.lang)
	case translate.Retryable(err) && j.attempts+1 < int64(maxAttempts):
		pause := time.Duration(1<<min(j.attempts, 10)) * 30 * time.Second
		if after, ok := translate.RetryAfter(err); ok && after > pause {
			pause = after
		}
		w.Log.Info("translation postponed", "message", j.msg, "lang", j.lang, "attempt", j.attempts+1, "err", err)
		return exec(`UPDATE message_translations SET attempts = attempts + 1, next_attempt_at = $1 WHERE message_id = $2 AND lang = $3`,
			w.now().Add(pause).Unix(), j.msg, j.lang)
	default:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.Log.Warn("translation failed", "message", j.msg, "lang", j.lang, "err", err)
		return exec(`UPDATE message_translations SET status = 'failed', attempts = attempts + 1 WHERE message_id = $1 AND lang = $2`, j.msg, j.lang)
	}
}
