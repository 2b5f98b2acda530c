package alerts

import (
	"sync"
	"time"
)

// dedup remembers alert keys for a while so a repeated or duplicated alert acts once. It lives in
// one process only: across Lambda instances the DR status check ("already paused") is the guard.
type dedup struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	seq   uint64
	keys  map[string]entry
	order []entry // claim order, which is also expiry order since ttl is fixed
}

type entry struct {
	key     string
	seq     uint64 // tells a live entry from a stale queue entry of a released key
	expires time.Time
}

func newDedup(ttl time.Duration, max int) *dedup {
	return &dedup{ttl: ttl, max: max, keys: make(map[string]entry)}
}

// claim records key and reports whether it was new (or had expired).
func (d *dedup) claim(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.evict(now)
	if e, ok := d.keys[key]; ok && now.Before(e.expires) {
		return false
	}
	d.seq++
	e := entry{key: key, seq: d.seq, expires: now.Add(d.ttl)}
	d.keys[key] = e
	d.order = append(d.order, e)
	return true
}

// release forgets keys claimed by a request that failed, so that the sender's retry can act.
func (d *dedup) release(keys []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		delete(d.keys, k)
	}
}

// evict drops expired entries and, to make room for one more, the oldest ones: under a flood of
// distinct alerts the oldest keys go first, which only ever lets a repeat through to the DR status
// check.
func (d *dedup) evict(now time.Time) {
	n := 0
	for ; n < len(d.order); n++ {
		e := d.order[n]
		if now.Before(e.expires) && len(d.order)-n < d.max {
			break
		}
		if d.keys[e.key].seq == e.seq {
			delete(d.keys, e.key)
		}
	}
	d.order = d.order[n:]
}
