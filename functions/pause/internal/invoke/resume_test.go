package invoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/access"
	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// resumeBody is a request for action on id.
func resumeBody(id, action string, wait, dry bool) string {
	b, _ := json.Marshal(invoke.Request{DisasterRecoveryID: id, Action: action, Wait: wait, DryRun: dry})
	return string(b)
}

// pausesSeen records the pauses a Service reports through Config.Paused.
type pausesSeen struct {
	mu  sync.Mutex
	got []string // "<id> by <who>"
}

func (p *pausesSeen) record(_ context.Context, id, by string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, id+" by "+by)
}

func (p *pausesSeen) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

// setupResume is setup with DR_RESUME on, the ledger l (nil: the Service's own) and the pauses
// it reports recorded. Transitions last for transition.
func setupResume(t *testing.T, transition time.Duration, l invoke.Ledger) (*httptest.Server, *drsim.Sim, *pausesSeen) {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{StoppingFor: transition, StartingFor: transition})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dr, err := drapi.New(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	seen := &pausesSeen{}
	svc := invoke.New(invoke.Config{
		Wait:       30 * time.Second,
		AllowedIDs: allowIDs(t, "*"),
		Follow:     drapi.FollowOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		Ledger:     l,
		Resume:     true,
		Paused:     seen.record,
	}, dr)
	srv := httptest.NewServer(invoke.Handler(svc, access.Bearer(token), slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv, sim.Sim, seen
}

// TestInvokeResume: "action": "resume" answers in the shapes a pause does: the status it left
// the DR in, or DWS's code and request id; a DR already running, or on its way, gets no start.
func TestInvokeResume(t *testing.T) {
	tests := []struct {
		name       string
		transition time.Duration
		id         string
		steer      func(t *testing.T, sim *drsim.Sim)
		wait, dry  bool
		wantStatus int
		wantState  string // status on success
		wantCode   string // error code on failure
		wantStarts int
	}{
		{name: "dry run", id: drsim.SeedStopped, dry: true, wantStatus: 200, wantState: "stopped"},
		{name: "without wait", transition: time.Minute, id: drsim.SeedStopped, wantStatus: 200, wantState: "starting", wantStarts: 1},
		{name: "with wait", transition: drsim.Immediate, id: drsim.SeedStopped, wait: true, wantStatus: 200, wantState: "running", wantStarts: 1},
		{name: "from unstart", transition: drsim.Immediate, id: drsim.SeedUnstart, wait: true, wantStatus: 200, wantState: "running", wantStarts: 1},
		{name: "already running", id: drsim.SeedRunning, wantStatus: 200, wantState: "running"},
		{name: "already starting", transition: time.Minute, id: drsim.SeedStopped, wantStatus: 200, wantState: "starting",
			steer: func(t *testing.T, sim *drsim.Sim) { setStatus(t, sim, drsim.SeedStopped, drapi.StatusStarting) }},
		{name: "status does not allow", id: drsim.SeedStopFailed, wantStatus: 409, wantCode: "status_not_allowed"},
		{name: "refused", id: drsim.SeedStopped, wait: true, wantStatus: 409, wantCode: "DWS.4242", wantStarts: 1,
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultError, Status: 400, Code: "DWS.4242", Msg: "no"})
			}},
		{name: "busy", id: drsim.SeedStopped, wantStatus: 409, wantCode: "DWS.0011", wantStarts: 1,
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultBusy})
			}},
		{name: "start_failed at the end", transition: drsim.Immediate, id: drsim.SeedStopped, wait: true, wantStatus: 409, wantCode: "status_not_allowed", wantStarts: 1,
			steer: func(t *testing.T, sim *drsim.Sim) {
				if err := sim.SetOutcome(drsim.SeedStopped, drapi.StatusStartFailed); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "answer lost", transition: drsim.Immediate, id: drsim.SeedStopped, wait: true, wantStatus: 200, wantState: "running", wantStarts: 1,
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultLost, Times: 1})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sim, seen := setupResume(t, tt.transition, nil)
			if tt.steer != nil {
				tt.steer(t, sim)
			}
			status, a, raw := call(t, srv.URL, "Bearer "+token, resumeBody(tt.id, "resume", tt.wait, tt.dry))
			if status != tt.wantStatus {
				t.Fatalf("status: got %d %s; want %d", status, raw, tt.wantStatus)
			}
			if tt.wantState != "" && (a.Status != tt.wantState || a.DisasterRecovery.ID != tt.id || a.Error != nil) {
				t.Errorf("answer: got %s; want status %q for %s", raw, tt.wantState, tt.id)
			}
			// A lost answer has no X-Request-Id to give: drapi reads the status back instead.
			if tt.wantStarts > 0 && tt.name != "answer lost" && a.RequestID == "" && (a.Error == nil || a.Error.RequestID == "") {
				t.Errorf("answer: got %s; want the X-Request-Id of DWS's answer", raw)
			}
			if tt.wantCode != "" && (a.Error == nil || a.Error.Code != tt.wantCode || a.Error.Message == "") {
				t.Errorf("error: got %s; want code %q with a message", raw, tt.wantCode)
			}
			if n := sim.Count(drsim.RouteStart); n != tt.wantStarts {
				t.Errorf("start calls: got %d; want %d", n, tt.wantStarts)
			}
			if n := sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("pause calls: got %d; want 0", n)
			}
			if got := seen.list(); len(got) != 0 {
				t.Errorf("pauses recorded: got %v; want none for a resume", got)
			}
		})
	}
}

func setStatus(t *testing.T, sim *drsim.Sim, id string, st drapi.Status) {
	t.Helper()
	if err := sim.SetStatus(id, st); err != nil {
		t.Fatal(err)
	}
}

// TestInvokePauseAndResumeOneAtATime: a pause and a resume of one DR never run at once: a call
// for either while the other holds the DR (here, on the Slack side of the same ledger) answers
// 409 in_progress naming it, and sends nothing.
func TestInvokePauseAndResumeOneAtATime(t *testing.T) {
	tests := []struct {
		name, held, action, id string
	}{
		{name: "pause in flight blocks a resume", held: "pause", action: "resume", id: drsim.SeedStopped},
		{name: "resume in flight blocks a pause", held: "resume", action: "pause", id: drsim.SeedRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shared := ledger.NewMemory()
			srv, sim, _ := setupResume(t, time.Minute, shared)
			op := ledger.NewOp(tt.held, "U0SLACK")
			if r, err := shared.Claim(context.Background(), ledger.OpKey(tt.id), op.String(), time.Now().Add(time.Minute)); err != nil || !r.OK {
				t.Fatalf("claim: %v %+v", err, r)
			}
			status, a, raw := call(t, srv.URL, "Bearer "+token, resumeBody(tt.id, tt.action, false, false))
			if status != http.StatusConflict || a.Error == nil || a.Error.Code != "in_progress" ||
				!strings.Contains(a.Error.Message, tt.held+" by U0SLACK") {
				t.Errorf("got %d %s; want 409 in_progress naming the %s by U0SLACK", status, raw, tt.held)
			}
			if n := sim.Count(drsim.RouteStart) + sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("start and pause calls: got %d; want 0", n)
			}
			shared.Release(context.Background(), ledger.OpKey(tt.id), op.String())
			if status, _, raw := call(t, srv.URL, "Bearer "+token, resumeBody(tt.id, tt.action, false, false)); status != http.StatusOK {
				t.Errorf("once the DR is free: got %d %s; want 200", status, raw)
			}
		})
	}
}

// TestInvokeRecordsPause: a pause DWS accepted is reported once, as made by "invoke", so resume
// cards can show it; a pause that sent nothing is not.
func TestInvokeRecordsPause(t *testing.T) {
	srv, _, seen := setupResume(t, drsim.Immediate, nil)
	for _, id := range []string{drsim.SeedRunning, drsim.SeedStopped} {
		if status, _, raw := call(t, srv.URL, "Bearer "+token, resumeBody(id, "pause", true, false)); status != http.StatusOK {
			t.Fatalf("pause of %s: got %d %s; want 200", id, status, raw)
		}
	}
	if got, want := seen.list(), []string{drsim.SeedRunning + " by invoke"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("pauses recorded: got %v; want %v (the seeded stopped DR was not paused)", got, want)
	}
}

// startGateDR starts once its gate opens, telling started when the start is under way.
type startGateDR struct {
	started, gate chan struct{}
}

func (g *startGateDR) Get(context.Context, string) (*drapi.Detail, error) {
	return &drapi.Detail{Status: drapi.StatusStopped}, nil
}

func (g *startGateDR) PauseAndFollow(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, errors.New("startGateDR: unexpected pause")
}

func (g *startGateDR) StartAndFollow(ctx context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
	close(g.started)
	select {
	case <-g.gate:
	case <-ctx.Done():
	}
	return drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: drapi.StatusStopped, Status: drapi.StatusRunning}, nil
}

// TestInvokeResumeHoldsTheDR: a resume in flight holds the DR in the shared ledger as a resume
// by /invoke, which is what the Slack side then names to whoever asks for a pause.
func TestInvokeResumeHoldsTheDR(t *testing.T) {
	shared := ledger.NewMemory()
	dr := &startGateDR{started: make(chan struct{}), gate: make(chan struct{})}
	svc := invoke.New(invoke.Config{Wait: time.Minute, AllowedIDs: allowIDs(t, "*"), Ledger: shared, Resume: true}, dr)
	done := make(chan *invoke.Error, 1)
	go func() {
		_, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: drsim.SeedStopped, Action: "resume", Wait: true})
		done <- err
	}()
	<-dr.started
	rec, held, err := shared.Get(context.Background(), ledger.OpKey(drsim.SeedStopped))
	if op := ledger.ParseOp(rec.Holder); err != nil || !held || op.Name != "resume" || op.By != "invoke" {
		t.Errorf("claim while resuming: got %+v held=%v err=%v; want one held for a resume by invoke", rec, held, err)
	}
	close(dr.gate)
	if err := <-done; err != nil {
		t.Errorf("resume: got %v; want success", err)
	}
}
