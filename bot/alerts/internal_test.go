package alerts

import (
	"fmt"
	"testing"
	"time"
)

func TestDedup(t *testing.T) {
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	t.Run("ttl", func(t *testing.T) {
		d := newDedup(time.Hour, 10)
		if !d.claim("a", now) {
			t.Fatal("first claim: got false; want true")
		}
		if d.claim("a", now.Add(59*time.Minute)) {
			t.Error("claim within the TTL: got true; want false")
		}
		if !d.claim("a", now.Add(61*time.Minute)) {
			t.Error("claim after the TTL: got false; want true")
		}
	})
	t.Run("release", func(t *testing.T) {
		d := newDedup(time.Hour, 10)
		d.claim("a", now)
		d.release([]string{"a"})
		if !d.claim("a", now) {
			t.Error("claim after release: got false; want true")
		}
		// Pushing the first claim's stale queue entry out must not forget the second claim.
		for i := range 8 { // fills the queue: the next claim pops the stale entry
			d.claim(fmt.Sprint(i), now)
		}
		if d.claim("a", now) {
			t.Error("claim after the stale entry was evicted: got true; want false")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		d := newDedup(time.Hour, 3)
		for i := range 100 {
			d.claim(fmt.Sprint(i), now)
		}
		if len(d.keys) > 3 || len(d.order) > 3 {
			t.Errorf("size: got %d keys, %d queued; want at most 3", len(d.keys), len(d.order))
		}
		if d.claim("99", now) {
			t.Error("newest key: got evicted; want kept")
		}
		if !d.claim("0", now) {
			t.Error("oldest key: got kept; want evicted")
		}
	})
}
