package alerts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// Ledger is what the alert routes need of the ledger every instance shares (package ledger):
// dedup keys claimed across instances and restarts, and the storm budget. *ledger.Memory and
// *ledger.DynamoDB satisfy it. Any error from it means the route does nothing and answers 503,
// so the sender retries.
type Ledger interface {
	Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error)
	Release(ctx context.Context, key, holder string) error
	Reserve(ctx context.Context, budget string, ids []string, max int, window time.Duration) (ledger.Budget, error)
}

// What the alert routes keep in the ledger. Keys are hashed: they stay short whatever a sender
// puts in a fingerprint or a label, and no sender's text is stored.
const (
	alertKeyPrefix   = "alert#"         // one alert, or one signed request, being or been handled
	refusalKeyPrefix = "alert-refused#" // a request refused as a whole, reported to the channel
	// budgetName is the one storm budget of every alert route: DR_ALERT_MAX_IDS counts ids
	// whichever sender named them.
	budgetName = "alerts"
	// budgetNoticeKey picks the one request per window, on whichever instance, that tells the
	// channel the budget is spent.
	budgetNoticeKey = "budget-notice#" + budgetName

	// claimConcurrency bounds the claims of one request in flight at once: a request may carry
	// many alerts, and one after another they would not fit the answer budget.
	claimConcurrency = 16
	// releaseTimeout bounds giving keys back, which happens after the request's own context may
	// have run out (a slow Slack).
	releaseTimeout = 2 * time.Second
)

func hashedKey(prefix, s string) string {
	sum := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(sum[:16])
}

// newHolder names one request in the records it writes.
func newHolder(source string) string { return source + " request " + rand.Text() }

// ledgerError is an error of the ledger: nothing was done, and the sender is answered 503 with a
// body that does not name the ledger. The log line does.
type ledgerError struct {
	op  string
	err error
}

func (e *ledgerError) Error() string { return "ledger " + e.op + ": " + e.err.Error() }
func (e *ledgerError) Unwrap() error { return e.err }

// claims are the dedup keys one request holds. They are given back together when the request
// ends without acting (refused, or Actions failed), so that the sender's retry, or the alert
// once a storm has passed, can act.
type claims struct {
	l      Ledger
	holder string

	mu   sync.Mutex
	keys []string
}

// claimAll claims keys until the given time and reports which were free. Several keys are
// claimed at once; the first error of the ledger is returned, and the keys claimed before it
// stay in c to be released.
func (c *claims) claimAll(ctx context.Context, keys []string, until time.Time) ([]bool, error) {
	free := make([]bool, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, claimConcurrency)
	var wg sync.WaitGroup
	for i, key := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := c.l.Claim(ctx, key, c.holder, until)
			if err != nil {
				errs[i] = &ledgerError{op: "claim", err: err}
				return
			}
			if free[i] = r.OK; r.OK {
				c.mu.Lock()
				c.keys = append(c.keys, key)
				c.mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return free, nil
}

// release gives every claimed key back. A key that cannot be released stays claimed until it
// expires, and its alert is ignored as a duplicate meanwhile: that errs on the side of doing
// nothing, and is logged.
func (c *claims) release(ctx context.Context, log *slog.Logger) {
	c.mu.Lock()
	keys := c.keys
	c.keys = nil
	c.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	for _, k := range keys {
		if err := c.l.Release(ctx, k, c.holder); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "alert key not released: its alert is ignored until the key expires",
				slog.String("key", k), slog.String("error", err.Error()))
		}
	}
}
