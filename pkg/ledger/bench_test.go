package ledger_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// BenchmarkClaim is the ledger's cost per click: one successful conditional write of a fresh
// key. Against dynalite it is one signed PutItem over loopback HTTP, the floor of what a real
// table adds (DynamoDB's own latency, single-digit milliseconds in-region, comes on top).
func BenchmarkClaim(b *testing.B) {
	for _, impl := range []struct {
		name string
		new  func(b *testing.B) api
	}{
		{"Memory", func(*testing.B) api { return ledger.NewMemory() }},
		{"DynamoDB-dynalite", func(b *testing.B) api { return ledger.NewDynamoDB(newClient(b, dynaliteEndpoint(b)), testTable) }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			l := impl.new(b)
			ctx := context.Background()
			prefix := "bench/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
			until := time.Now().Add(time.Hour)
			i := 0
			for b.Loop() {
				i++
				r, err := l.Claim(ctx, prefix+strconv.Itoa(i), "h", until)
				if err != nil || !r.OK {
					b.Fatalf("claim %d: %+v, %v", i, r, err)
				}
			}
		})
	}
}
