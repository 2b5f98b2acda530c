package ledger

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestMemorySweepsExpiredRecords: a long-running process keeps only about its live records.
func TestMemorySweepsExpiredRecords(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := NewMemory()
	m.Now = func() time.Time { return now }
	claim := func(prefix string) {
		for i := range 1000 {
			if r, err := m.Claim(context.Background(), prefix+strconv.Itoa(i), "h", now.Add(time.Second)); err != nil || !r.OK {
				t.Fatalf("claim: %+v, %v", r, err)
			}
		}
	}
	claim("old/")
	now = now.Add(time.Second) // every old record has expired
	claim("new/")
	if n := len(m.records); n > 1024 {
		t.Errorf("records held: got %d; want at most 1024 (the 1000 live ones and fewer than a sweep's worth)", n)
	}
	for i := range 1000 {
		if _, ok := m.records["new/"+strconv.Itoa(i)]; !ok {
			t.Fatalf("live record new/%d was swept", i)
		}
	}
}
