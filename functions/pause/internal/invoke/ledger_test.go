package invoke_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// gateDR pauses once its gate opens, counting the pauses; reads answer running.
type gateDR struct {
	gate   chan struct{}
	pauses atomic.Int32
}

func (g *gateDR) Get(context.Context, string) (*drapi.Detail, error) {
	return &drapi.Detail{Status: drapi.StatusRunning}, nil
}

func (g *gateDR) PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	g.pauses.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
	}
	return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
}

func (g *gateDR) StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, errors.New("gateDR: unexpected start")
}

// downLedger cannot be reached, like DynamoDB behind a closed port.
type downLedger struct{}

var errDown = &ledger.UnavailableError{Ledger: "DynamoDB table drpause-test", Err: errors.New("connection refused")}

func (downLedger) Claim(context.Context, string, string, time.Time) (ledger.Result, error) {
	return ledger.Result{}, errDown
}
func (downLedger) Release(context.Context, string, string) error { return errDown }

// TestInvokeOneAtATime: calls for one DR at once send one pause; the others answer 409
// in_progress, as does a call while the Slack side (the same ledger) holds the DR. The DR is
// free again once the call answered.
func TestInvokeOneAtATime(t *testing.T) {
	id := drsim.SeedRunning
	dr := &gateDR{gate: make(chan struct{})}
	shared := ledger.NewMemory()
	svc := invoke.New(invoke.Config{Wait: time.Minute, AllowedIDs: allowIDs(t, "*"), Ledger: shared}, dr)

	const n = 5
	errs := make(chan *invoke.Error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: id, Wait: true})
			errs <- err
		})
	}
	// Every call but the one holding the DR answers while the pause is still under way.
	for range n - 1 {
		var err *invoke.Error
		select {
		case err = <-errs:
		case <-time.After(20 * time.Second):
			close(dr.gate)
			t.Fatal("the calls not holding the DR did not answer while the pause was under way")
		}
		if err == nil || err.HTTPStatus != http.StatusConflict || err.Code != "in_progress" {
			t.Fatalf("got %+v; want 409 in_progress", err)
		}
		if want := "already in progress: pause by invoke since "; !strings.Contains(err.Message, want) {
			t.Errorf("message: got %q; want it to contain %q", err.Message, want)
		}
	}
	close(dr.gate)
	wg.Wait()
	if err := <-errs; err != nil {
		t.Errorf("the call holding the DR: got %+v; want success", err)
	}
	if got := dr.pauses.Load(); got != 1 {
		t.Errorf("got %d pauses; want 1", got)
	}
	if _, held, _ := shared.Get(context.Background(), ledger.OpKey(id)); held {
		t.Error("the DR is still held after the call answered")
	}

	// Held by a Slack click, in the same ledger.
	slack := ledger.NewOp("pause", "U0APPROVE")
	if r, _ := shared.Claim(context.Background(), ledger.OpKey(id), slack.String(), time.Now().Add(time.Minute)); !r.OK {
		t.Fatal("claim for the Slack side refused")
	}
	_, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: id})
	if err == nil || err.HTTPStatus != http.StatusConflict || !strings.Contains(err.Message, "pause by U0APPROVE") {
		t.Errorf("while Slack holds the DR: got %+v; want 409 naming U0APPROVE", err)
	}
	if got := dr.pauses.Load(); got != 1 {
		t.Errorf("got %d pauses; want still 1", got)
	}
}

// TestInvokeLedgerUnreachable: without the ledger a pause answers 503 naming it, and nothing is
// sent; a dry run, which changes nothing, still answers.
func TestInvokeLedgerUnreachable(t *testing.T) {
	dr := &gateDR{gate: make(chan struct{})}
	close(dr.gate)
	svc := invoke.New(invoke.Config{Wait: time.Minute, AllowedIDs: allowIDs(t, "*"), Ledger: downLedger{}}, dr)
	for _, wait := range []bool{false, true} {
		_, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: drsim.SeedRunning, Wait: wait})
		if err == nil || err.HTTPStatus != http.StatusServiceUnavailable || err.Code != "ledger_unavailable" ||
			!strings.Contains(err.Message, "the ledger (DynamoDB table drpause-test) is unreachable: nothing was paused") {
			t.Errorf("wait=%t: got %+v; want 503 ledger_unavailable naming the table", wait, err)
		}
	}
	if got := dr.pauses.Load(); got != 0 {
		t.Errorf("got %d pauses; want 0", got)
	}
	if _, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: drsim.SeedRunning, DryRun: true}); err != nil {
		t.Errorf("dry run: got %+v; want an answer", err)
	}
}
