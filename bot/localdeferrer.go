package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// errUnavailable: the in-process deferrer is shutting down or full.
var errUnavailable = errors.New("bot: deferred work unavailable")

const (
	// maxLocalJobs caps concurrent in-process jobs: a pause job mostly sleeps between polls,
	// so the cap only guards against a flood.
	maxLocalJobs = 64
	// interruptGrace is how long Shutdown waits, after its context ended, for cancelled jobs
	// to tell Slack they were interrupted.
	interruptGrace = 5 * time.Second
	// lookupJobTimeout bounds a deferred status, list or dry-run lookup.
	lookupJobTimeout = time.Minute
)

// localDeferrer runs each job in a goroutine of this process, detached from the request that
// deferred it, and tracks it for Shutdown.
type localDeferrer struct {
	b      *Bot
	base   context.Context // cancelled when Shutdown gives up waiting
	cancel context.CancelFunc
	slots  chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
}

func newLocalDeferrer(b *Bot) *localDeferrer {
	base, cancel := context.WithCancel(context.Background())
	return &localDeferrer{b: b, base: base, cancel: cancel, slots: make(chan struct{}, maxLocalJobs)}
}

// Defer starts job in a goroutine and returns at once.
func (d *localDeferrer) Defer(ctx context.Context, job Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%w: shutting down", errUnavailable)
	}
	select {
	case d.slots <- struct{}{}:
	default:
		return fmt.Errorf("%w: %d jobs running", errUnavailable, maxLocalJobs)
	}
	timeout := lookupJobTimeout
	if job.Kind == JobPause {
		timeout = d.b.cfg.Wait + reportMargin
	}
	// Keep the request's values (trace ids) but not its cancellation: the request ends now.
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	stop := context.AfterFunc(d.base, cancel)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.slots }()
		defer cancel()
		defer stop()
		if err := d.b.Run(jctx, job); err != nil {
			d.b.log.LogAttrs(jctx, slog.LevelError, "deferred job failed",
				slog.String("job", string(job.Kind)),
				slog.String("disaster_recovery_id", job.ID),
				slog.String("error", err.Error()))
		}
	}()
	return nil
}

func (d *localDeferrer) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	d.cancel()
	select {
	case <-done:
	case <-time.After(interruptGrace):
	}
	return fmt.Errorf("bot: shutdown: %w", ctx.Err())
}
