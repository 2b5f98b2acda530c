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

// errTooManyLookups: the user asking already has maxLookupsPerUser lookups running.
var errTooManyLookups = fmt.Errorf("%w: too many lookups of this user", errUnavailable)

const (
	// Pauses (resumes with them) and lookups have slots of their own, so lookups piling up behind a slow DR API
	// (which is when a pause is likely needed) never keep a pause from starting. A pause job
	// mostly sleeps between polls, and the ledger lets one run per DR, so its cap only guards
	// against a flood; lookups are also capped per user, so one person cannot take them all.
	// These are limits on this process's goroutines, not promises: nothing else depends on
	// them holding across instances (each instance guards its own slots), so they stay here
	// rather than in the ledger.
	maxLocalPauses    = 64
	maxLocalLookups   = 64
	maxLookupsPerUser = 4
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
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pauses  int            // pause and resume jobs running
	lookups map[string]int // lookup jobs running, per requesting user
	nLookup int            // lookup jobs running in all
}

func newLocalDeferrer(b *Bot) *localDeferrer {
	base, cancel := context.WithCancel(context.Background())
	return &localDeferrer{b: b, base: base, cancel: cancel, lookups: make(map[string]int)}
}

// take reserves a slot for job, or says why there is none; the returned func gives it back.
// It is called with d.mu held.
func (d *localDeferrer) take(job Job) (func(), error) {
	if job.Kind.acts() {
		if d.pauses >= maxLocalPauses {
			return nil, fmt.Errorf("%w: %d pauses running", errUnavailable, d.pauses)
		}
		d.pauses++
		return func() { d.mu.Lock(); d.pauses--; d.mu.Unlock() }, nil
	}
	user := job.Requester
	switch {
	case d.lookups[user] >= maxLookupsPerUser:
		return nil, fmt.Errorf("%w: %d running", errTooManyLookups, d.lookups[user])
	case d.nLookup >= maxLocalLookups:
		return nil, fmt.Errorf("%w: %d lookups running", errUnavailable, d.nLookup)
	}
	d.lookups[user]++
	d.nLookup++
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.nLookup--
		if d.lookups[user]--; d.lookups[user] == 0 {
			delete(d.lookups, user)
		}
	}, nil
}

// Defer starts job in a goroutine and returns at once.
func (d *localDeferrer) Defer(ctx context.Context, job Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%w: shutting down", errUnavailable)
	}
	free, err := d.take(job)
	if err != nil {
		return err
	}
	timeout := lookupJobTimeout
	if job.Kind.acts() {
		timeout = d.b.cfg.Wait + reportMargin
	}
	// Keep the request's values (trace ids) but not its cancellation: the request ends now.
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	stop := context.AfterFunc(d.base, cancel)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer free()
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
