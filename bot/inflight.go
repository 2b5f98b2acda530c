package bot

import (
	"sync"
	"time"
)

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
