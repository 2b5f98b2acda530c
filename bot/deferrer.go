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
	// reportMargin is the time a pause job keeps after DR_WAIT to send its final message.
	reportMargin = time.Minute
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

// inflight is the set of DR ids this process is pausing, so a second click on a card answers
// "already being paused" without a second POST. Across processes the DR status (stopping) is
// the guard. Claims expire, because a claim made by a request handler is released by a job
// that may run in another process.
type inflight struct {
	mu sync.Mutex
	m  map[string]claim
}

type claim struct {
	by    string // Slack user id of the approver; empty for an alert
	until time.Time
}

func newInflight() *inflight { return &inflight{m: make(map[string]claim)} }

// claim marks id as being paused by by until the given time. It reports false, and who holds
// it, when an unexpired claim exists.
func (f *inflight) claim(id, by string, now, until time.Time) (holder string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, held := f.m[id]; held && now.Before(c.until) {
		return c.by, false
	}
	f.m[id] = claim{by: by, until: until}
	return "", true
}

// holder reports whether id has an unexpired claim at now, and who holds it.
func (f *inflight) holder(id string, now time.Time) (by string, held bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.m[id]
	if !ok || !now.Before(c.until) {
		return "", false
	}
	return c.by, true
}

// hold marks id as being paused whether or not it already was: a job's own claim.
func (f *inflight) hold(id, by string, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[id] = claim{by: by, until: until}
}

func (f *inflight) release(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, id)
}

// remoteClaimTTL is how long a claim lasts when jobs run in another process (a Lambda
// deferrer): that process cannot release it, so it only covers the seconds until the job has
// read the DR status, which then guards. Short, so a retry after a quick failure is not blocked.
const remoteClaimTTL = 30 * time.Second

// claimUntil returns when a claim made now by a request handler expires.
func (b *Bot) claimUntil(now time.Time) time.Time {
	if b.local != nil {
		return now.Add(b.cfg.Wait + reportMargin) // the job releases it when it ends
	}
	return now.Add(remoteClaimTTL)
}
