package ledger

import (
	"context"
	"sync"
	"time"
)

// Memory is a ledger inside one process: for a single HTTP server, `make run`, the demo and
// tests. It never fails. The zero value is not usable; call NewMemory.
type Memory struct {
	// Now is the clock; nil means time.Now. Set it before the first call.
	Now func() time.Time

	mu      sync.Mutex
	records map[string]memRecord
	budgets map[string]map[string]time.Time
	sweepAt int // sweep expired records when there are this many
}

type memRecord struct {
	Record
	exp int64 // epoch seconds
}

// minSweep is the fewest records worth a sweep.
const minSweep = 256

// NewMemory returns an empty ledger.
func NewMemory() *Memory {
	return &Memory{records: map[string]memRecord{}, budgets: map[string]map[string]time.Time{}, sweepAt: minSweep}
}

func (m *Memory) String() string { return "memory" }

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Ping always succeeds: there is nothing to reach.
func (m *Memory) Ping(context.Context) error { return nil }

// Claim takes key for holder until the given time if no live record holds it, whatever its
// state; an expired record is taken over. A refused claim reports the record in the way, even
// when it is holder's own: a second claim never succeeds.
func (m *Memory) Claim(_ context.Context, key, holder string, until time.Time) (Result, error) {
	now := m.now()
	if err := checkClaim(key, holder, until, now); err != nil {
		return Result{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[key]; ok && live(r.exp, now) {
		return Result{Record: r.Record}, nil
	}
	return Result{OK: true, Record: m.write(key, holder, Held, until, now)}, nil
}

// Put records key as held by holder until the given time whatever record stands: for a fact that
// only the newest writer's version matters of (the last pause of a DR), not for a promise.
func (m *Memory) Put(_ context.Context, key, holder string, until time.Time) (Record, error) {
	now := m.now()
	if err := checkClaim(key, holder, until, now); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.write(key, holder, Held, until, now), nil
}

// Mark records key as done or void by `by` until the given time. It is refused while a live
// record says otherwise: one held by someone else, or one already done or void, which stays so
// for its lifetime. Marking one's own claim, or a key nobody holds, succeeds.
func (m *Memory) Mark(_ context.Context, key string, state State, by string, until time.Time) (Result, error) {
	now := m.now()
	if err := checkMark(key, state, by, until, now); err != nil {
		return Result{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[key]; ok && live(r.exp, now) && (r.State != Held || r.Holder != by) {
		return Result{Record: r.Record}, nil
	}
	return Result{OK: true, Record: m.write(key, by, state, until, now)}, nil
}

// Release gives up holder's claim on key. It does nothing when holder does not hold key: the
// claim expired and someone else took it, or it was marked done or void.
func (m *Memory) Release(_ context.Context, key, holder string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[key]; ok && r.State == Held && r.Holder == holder {
		delete(m.records, key)
	}
	return nil
}

// Get returns the live record of key, if there is one.
func (m *Memory) Get(_ context.Context, key string) (Record, bool, error) {
	if err := checkKey(key); err != nil {
		return Record{}, false, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[key]; ok && live(r.exp, now) {
		return r.Record, true, nil
	}
	return Record{}, false, nil
}

// Reserve admits ids against a budget of at most max distinct ids within a sliding window:
// it records them if the distinct ids seen within the window, these included, number at most
// max, and records nothing otherwise, so a refused request uses no budget. An id already
// within the window costs nothing more; its time is refreshed.
func (m *Memory) Reserve(_ context.Context, budget string, ids []string, max int, window time.Duration) (Budget, error) {
	if err := checkReserve(budget, ids, max, window); err != nil {
		return Budget{}, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, next := reserve(m.budgets[budget], ids, max, window, now)
	if b.OK {
		m.budgets[budget] = next
	}
	return b, nil
}

// write stores a record; m.mu is held.
func (m *Memory) write(key, holder string, state State, until, now time.Time) Record {
	exp := expiresAt(until)
	r := Record{Key: key, Holder: holder, State: state, At: atMillis(now), Until: time.Unix(exp, 0)}
	m.records[key] = memRecord{Record: r, exp: exp}
	m.sweep(now)
	return r
}

// sweep drops expired records once their number has doubled since the last sweep, so memory
// stays within about twice the live records and each write pays O(1) for it, amortised; m.mu is
// held. Budgets are small and few (one per alert source), so they are left alone.
func (m *Memory) sweep(now time.Time) {
	if len(m.records) < m.sweepAt {
		return
	}
	for k, r := range m.records {
		if !live(r.exp, now) {
			delete(m.records, k)
		}
	}
	m.sweepAt = max(2*len(m.records), minSweep)
}
