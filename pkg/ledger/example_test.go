package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// One pause per DR at a time, whoever asks and wherever: claim, act, release.
func ExampleMemory_Claim() {
	l := ledger.NewMemory() // ledger.NewDynamoDB(client, table) across instances
	ctx := context.Background()
	const dr = "op#e59d6b86-9072-46eb-a996-13f8b44994c1"
	wait := 10 * time.Minute

	first, err := l.Claim(ctx, dr, "invoke-req-1", time.Now().Add(wait))
	if errors.Is(err, ledger.ErrUnavailable) {
		fmt.Println(err, "- nothing was paused")
		return
	}
	fmt.Println("first:", first.OK)

	second, _ := l.Claim(ctx, dr, "slack-click-7", time.Now().Add(wait))
	fmt.Println("second:", second.OK, "- held by", second.Holder)

	_ = l.Release(ctx, dr, "invoke-req-1") // the pause was followed to its end
	third, _ := l.Claim(ctx, dr, "slack-click-7", time.Now().Add(wait))
	fmt.Println("after release:", third.OK)
	// Output:
	// first: true
	// second: false - held by invoke-req-1
	// after release: true
}

// The storm budget: at most two distinct DR ids per ten minutes, and the channel told once.
func ExampleMemory_Reserve() {
	l := ledger.NewMemory()
	ctx := context.Background()
	window := 10 * time.Minute
	for _, ids := range [][]string{{"dr-1"}, {"dr-2"}, {"dr-3"}, {"dr-4"}} {
		b, _ := l.Reserve(ctx, "alerts", ids, 2, window)
		if b.OK {
			fmt.Println(ids, "admitted")
			continue
		}
		notice, _ := l.Claim(ctx, "budget-notice#alerts", "req", time.Now().Add(window))
		fmt.Println(ids, "refused; tell the channel:", notice.OK)
	}
	// Output:
	// [dr-1] admitted
	// [dr-2] admitted
	// [dr-3] refused; tell the channel: true
	// [dr-4] refused; tell the channel: false
}
