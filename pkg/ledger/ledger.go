package ledger

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// State is what a record says of its key.
type State string

const (
	// Held: claimed and in use; the holder may still Mark or Release it.
	Held State = "held"
	// Done: used; it stays used until it expires.
	Done State = "done"
	// Void: cancelled; it stays cancelled until it expires.
	Void State = "void"
)

// Record is the state of one key.
type Record struct {
	Key    string
	Holder string    // who claimed or marked it
	State  State     //
	At     time.Time // when it was claimed or marked, to the millisecond
	Until  time.Time // when it expires, in whole seconds
}

// Result is the answer of Claim and Mark.
type Result struct {
	// OK: the call took effect and Record is what it wrote. Otherwise Record is what stands in
	// its way: who holds, used or voided the key, in what state, since when.
	OK bool
	Record
}

// Budget is the answer of Reserve.
type Budget struct {
	// OK: the ids were admitted and recorded. Otherwise nothing was recorded.
	OK bool
	// IDs are the distinct ids within the window, oldest first: after this call when OK,
	// as they stand when refused.
	IDs []string
	// Next is when the oldest of IDs leaves the window; zero when IDs is empty.
	Next time.Time
}

// ErrUnavailable is matched, with errors.Is, by every error that means the ledger could not
// answer, so nothing may be done that it was asked to guard.
var ErrUnavailable = errors.New("ledger unavailable")

// UnavailableError says which ledger could not be reached, and why.
type UnavailableError struct {
	Ledger string // e.g. "DynamoDB table drpause-ledger"
	Err    error  // the cause; never holds a credential
}

func (e *UnavailableError) Error() string {
	return "the ledger (" + e.Ledger + ") is unreachable: " + e.Err.Error()
}

// Unwrap gives both ErrUnavailable and the cause to errors.Is and errors.As.
func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// NameOf returns the ledger an error of one of its operations names ("DynamoDB table …"), for
// messages and logs, and whether it names one.
func NameOf(err error) (string, bool) {
	if u, ok := errors.AsType[*UnavailableError](err); ok {
		return u.Ledger, true
	}
	return "", false
}

// maxKey keeps a key, with the prefix this package adds, well under DynamoDB's 2048-byte
// partition key.
const maxKey = 1024

func checkKey(key string) error {
	if key == "" || len(key) > maxKey {
		return fmt.Errorf("ledger: key must be 1 to %d bytes", maxKey)
	}
	return nil
}

func checkClaim(key, holder string, until, now time.Time) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if holder == "" || len(holder) > maxKey {
		return fmt.Errorf("ledger: holder must be 1 to %d bytes", maxKey)
	}
	if !until.After(now) {
		return errors.New("ledger: until must be in the future")
	}
	return nil
}

func checkMark(key string, state State, by string, until, now time.Time) error {
	if state != Done && state != Void {
		return fmt.Errorf("ledger: mark: state must be %q or %q", Done, Void)
	}
	return checkClaim(key, by, until, now)
}

func checkReserve(budget string, ids []string, max int, window time.Duration) error {
	if err := checkKey(budget); err != nil {
		return err
	}
	if max < 0 || window <= 0 {
		return errors.New("ledger: reserve: max must be >= 0 and window > 0")
	}
	for _, id := range ids {
		if id == "" || len(id) > 256 {
			return errors.New("ledger: reserve: ids must be 1 to 256 bytes")
		}
	}
	return nil
}

// The rules below are shared by both implementations, so they agree to the second.

// expiresAt is until rounded up to a whole second: DynamoDB's TTL attribute holds epoch
// seconds, and a record must never expire before the time asked for.
func expiresAt(until time.Time) int64 {
	s := until.Unix()
	if until.After(time.Unix(s, 0)) {
		s++
	}
	return s
}

// live reports whether a record expiring at exp (epoch seconds) still stands at now: until the
// second it expires has begun.
func live(exp int64, now time.Time) bool { return now.Unix() < exp }

// atMillis is the precision of Record.At.
func atMillis(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }

// reserve is the budget rule. seen maps each id to when it was last admitted; it returns
// whether ids fit, and the map to record if they do. An id already within the window costs
// nothing more, and is refreshed: the window slides from its latest use.
func reserve(seen map[string]time.Time, ids []string, max int, window time.Duration, now time.Time) (Budget, map[string]time.Time) {
	next := make(map[string]time.Time, len(seen)+len(ids))
	for id, at := range seen {
		if at.Add(window).After(now) {
			next[id] = at
		}
	}
	before := budgetOf(next, window)
	for _, id := range ids {
		next[id] = atMillis(now)
	}
	if len(next) > max {
		return before, nil
	}
	b := budgetOf(next, window)
	b.OK = true
	return b, next
}

func budgetOf(seen map[string]time.Time, window time.Duration) Budget {
	var b Budget
	for id := range seen {
		b.IDs = append(b.IDs, id)
	}
	slices.SortFunc(b.IDs, func(x, y string) int {
		if c := seen[x].Compare(seen[y]); c != 0 {
			return c
		}
		if x < y {
			return -1
		}
		return 1
	})
	if len(b.IDs) > 0 {
		b.Next = seen[b.IDs[0]].Add(window)
	}
	return b
}
