package drsim_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// These tests resume (start) DR tasks through the real drapi.Client against the simulator.

// advanceOn returns FollowOptions that move clk past a transition whenever the client sees
// status via, so each status is observed however slowly the machine runs.
func advanceOn(clk *clock, via drapi.Status) drapi.FollowOptions {
	opt := fastFollow
	opt.OnStatus = func(s drapi.Status) {
		if s == via {
			clk.Advance(drsim.DefaultTransition)
		}
	}
	return opt
}

func TestClientStartFromEveryStatus(t *testing.T) {
	tests := []struct {
		status    drapi.Status
		wantPosts int  // start POSTs sent
		wantOK    bool // ends running without error
	}{
		{drapi.StatusCreating, 0, false},
		{drapi.StatusCreateFailed, 0, false},
		{drapi.StatusUnstart, 1, true},
		{drapi.StatusStarting, 0, true}, // followed, not started again
		{drapi.StatusStartFailed, 1, true},
		{drapi.StatusRunning, 0, true}, // nothing to do
		{drapi.StatusStopping, 0, false},
		{drapi.StatusStopped, 1, true},
		{drapi.StatusStopFailed, 0, false},
		{drapi.StatusSwitchovering, 0, false},
		{drapi.StatusAbnormal, 0, false},
		{drapi.StatusDeleting, 0, false},
		{drapi.StatusDeleted, 0, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			clk := &clock{now: time.Now()}
			srv, c := startClient(t, drsim.Options{Now: clk.Now})
			id := drsim.SeedStopped
			if err := srv.Sim.SetStatus(id, tt.status); err != nil {
				t.Fatal(err)
			}
			out, err := c.StartAndFollow(testContext(t, 5*time.Second), id, advanceOn(clk, drapi.StatusStarting))

			if got := srv.Sim.Count(drsim.RouteStart); got != tt.wantPosts {
				t.Errorf("start POSTs: got %d; want %d", got, tt.wantPosts)
			}
			if got := srv.Sim.Count(drsim.RoutePause); got != 0 {
				t.Errorf("pause POSTs: got %d; want 0", got)
			}
			if out.Initial != tt.status {
				t.Errorf("Outcome.Initial: got %s; want %s", out.Initial, tt.status)
			}
			if out.Posted != (tt.wantPosts > 0) || out.Attempts != tt.wantPosts {
				t.Errorf("Outcome: got Posted %t, Attempts %d; want %t, %d", out.Posted, out.Attempts, tt.wantPosts > 0, tt.wantPosts)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("got error %v; want nil", err)
				}
				if out.Status != drapi.StatusRunning {
					t.Errorf("Outcome.Status: got %s; want running", out.Status)
				}
				if wantOpID := map[bool]string{true: id}[tt.wantPosts > 0]; out.OpID != wantOpID || out.PauseID != "" {
					t.Errorf("Outcome: got OpID %q, PauseID %q; want %q, empty", out.OpID, out.PauseID, wantOpID)
				}
				if got, _ := srv.Sim.Status(id); got != drapi.StatusRunning {
					t.Errorf("simulator status: got %s; want running", got)
				}
				return
			}
			if se, ok := errors.AsType[*drapi.StatusError](err); !ok || se.Op != "start" || se.Status != tt.status {
				t.Fatalf("got error %v; want a *StatusError for start in %s", err, tt.status)
			}
			if !errors.Is(err, drapi.ErrStatusNotAllowed) {
				t.Errorf("errors.Is(%v, ErrStatusNotAllowed): got false; want true", err)
			}
			if got, _ := srv.Sim.Status(id); got != tt.status {
				t.Errorf("status after refusal: got %s; want %s unchanged", got, tt.status)
			}
		})
	}
}

func TestClientLostStartResponse(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int // 0: the connection is reset
	}{
		{"reset", 0},
		{"503", 503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: time.Now()}
			srv, c := startClient(t, drsim.Options{Now: clk.Now})
			srv.Sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultLost, Status: tt.status, Times: 1})
			out, err := c.StartAndFollow(testContext(t, 5*time.Second), drsim.SeedStopped, advanceOn(clk, drapi.StatusStarting))
			if err != nil {
				t.Fatalf("got %v; want success: the start took effect", err)
			}
			if got := srv.Sim.Count(drsim.RouteStart); got != 1 {
				t.Errorf("start POSTs: got %d; want exactly 1", got)
			}
			if !out.Posted || out.Attempts != 1 || out.OpID != drsim.SeedStopped || out.Status != drapi.StatusRunning {
				t.Errorf("Outcome: got %+v; want posted once, OpID the DR id, running", out)
			}
		})
	}
}

func TestClientThrottledStartIsRetried(t *testing.T) {
	srv, c := startClient(t, drsim.Options{StartingFor: drsim.Immediate})
	srv.Sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultThrottle, Times: 1})
	out, err := c.StartAndFollow(testContext(t, 10*time.Second), drsim.SeedStopped, fastFollow)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Sim.Count(drsim.RouteStart); got != 2 {
		t.Errorf("start POSTs: got %d; want 2", got)
	}
	if out.Attempts != 2 || !out.Posted || out.Status != drapi.StatusRunning {
		t.Errorf("Outcome: got %+v; want 2 attempts, posted, running", out)
	}
}

// requestIDs records the X-Request-Id the simulator answered each POST with.
type requestIDs struct {
	next http.Handler
	mu   sync.Mutex
	post map[string][]string // by path
}

func (h *requestIDs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r)
	if r.Method == http.MethodPost {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.post[r.URL.Path] = append(h.post[r.URL.Path], w.Header().Get("X-Request-Id"))
	}
}

func (h *requestIDs) of(path string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.post[path]
}

// TestClientStartEndsStartFailed: a start DWS accepts that ends in start_failed is reported as
// such, with the request id of the start DWS accepted, which is what support asks for.
func TestClientStartEndsStartFailed(t *testing.T) {
	clk := &clock{now: time.Now()}
	sim := drsim.New(drsim.Options{Now: clk.Now})
	ids := &requestIDs{next: sim, post: map[string][]string{}}
	ts := httptest.NewServer(ids)
	t.Cleanup(ts.Close)
	c, err := drapi.New(drapi.Config{ProjectID: sim.ProjectID(), Endpoint: ts.URL, Credentials: drsim.LocalCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	id := drsim.SeedStopped
	if err := sim.SetOutcome(id, drapi.StatusStartFailed); err != nil {
		t.Fatal(err)
	}

	out, err := c.StartAndFollow(testContext(t, 5*time.Second), id, advanceOn(clk, drapi.StatusStarting))

	if se, ok := errors.AsType[*drapi.StatusError](err); !ok || se.Op != "follow" || se.Status != drapi.StatusStartFailed || se.ID != id {
		t.Fatalf("got %v; want a follow *StatusError in start_failed", err)
	}
	posts := ids.of("/v2/" + sim.ProjectID() + "/disaster-recovery/" + id + "/start")
	if len(posts) != 1 || posts[0] == "" {
		t.Fatalf("start POSTs answered with request ids %q; want one", posts)
	}
	if !out.Posted || out.Status != drapi.StatusStartFailed || out.RequestID != posts[0] {
		t.Errorf("Outcome: got %+v; want posted, start_failed, request id %s of the start", out, posts[0])
	}
	r := drresult.Classify(drresult.Resume, out, err, drresult.NotStopped)
	if r.Kind != drresult.KindDRFailed || r.BadStatus != drapi.StatusStartFailed || r.RequestID != posts[0] ||
		r.ErrorCode() != "status_not_allowed" || r.HTTPStatus() != http.StatusConflict {
		t.Errorf("result: got %s, bad status %s, request id %q, code %q, HTTP %d; want dr_failed, start_failed, %s, status_not_allowed, 409",
			r.Kind, r.BadStatus, r.RequestID, r.ErrorCode(), r.HTTPStatus(), posts[0])
	}
	if event, outcome := r.AuditEvent(); event != "failed" || outcome != "status_start_failed" {
		t.Errorf("audit: got %s/%s; want failed/status_start_failed", event, outcome)
	}
}

// TestClientStartRefusals: after DWS refuses a start, StartAndFollow reads the status back:
// another start under way is success, anything else the refusal with DWS's code, message and
// request id, and the status now.
func TestClientStartRefusals(t *testing.T) {
	const unknownCode = "DWS.4242"
	tests := []struct {
		name       string
		fault      drsim.Fault
		wantErr    bool
		wantBusy   bool
		wantCode   string
		wantStatus drapi.Status
	}{
		{name: "refused with an unknown 400 code while another start is under way",
			fault:      drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultStartedFirst, Times: 1},
			wantStatus: drapi.StatusRunning},
		{name: "busy while stopped",
			fault:   drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultBusy, Times: 1},
			wantErr: true, wantBusy: true, wantCode: "DWS.0011", wantStatus: drapi.StatusStopped},
		{name: "refused while stopped",
			fault:   drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultError, Status: 400, Code: unknownCode, Msg: "Refused for a reason of its own.", Times: 1},
			wantErr: true, wantCode: unknownCode, wantStatus: drapi.StatusStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startClient(t, drsim.Options{StartingFor: drsim.Immediate, RefusalCode: unknownCode})
			srv.Sim.Inject(tt.fault)
			out, err := c.StartAndFollow(testContext(t, 5*time.Second), drsim.SeedStopped, fastFollow)
			if out.Posted || out.Attempts != 1 || out.Status != tt.wantStatus {
				t.Errorf("Outcome: got Posted %t, Attempts %d, Status %s; want false, 1, %s", out.Posted, out.Attempts, out.Status, tt.wantStatus)
			}
			if got := srv.Sim.Count(drsim.RouteStart); got != 1 {
				t.Errorf("start POSTs: got %d; want 1", got)
			}
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got %v; want nil: another start got there first", err)
				}
				return
			}
			refused, ok := errors.AsType[*drapi.RefusedError](err)
			if !ok || refused.Status != tt.wantStatus || refused.Op != "start" || refused.ID != drsim.SeedStopped {
				t.Fatalf("got %v; want a *RefusedError of the start with status now %s", err, tt.wantStatus)
			}
			is := []error{drapi.ErrRefused}
			if tt.wantBusy {
				is = append(is, drapi.ErrBusy)
			}
			checkError(t, err, refused.Err.HTTPStatus, tt.wantCode, is...)
			if refused.Err.Message == "" || refused.Err.RequestID != out.RequestID {
				t.Errorf("got message %q, request id %q; want DWS's message and the refusal's request id %q",
					refused.Err.Message, refused.Err.RequestID, out.RequestID)
			}
		})
	}
	// The refusal the simulator gives of its own accord carries the configured code.
	_, c := startClient(t, drsim.Options{RefusalCode: unknownCode})
	_, err := c.Start(testContext(t, 5*time.Second), drsim.SeedRunning)
	checkError(t, err, 400, unknownCode, drapi.ErrRefused)
}

// TestClientStartAndPauseInterleaved: a start and a pause of one DR, interleaved, each go by
// the status machine: neither is sent while the other is under way, and each goes through once
// the other is done.
func TestClientStartAndPauseInterleaved(t *testing.T) {
	clk := &clock{now: time.Now()}
	srv, c := startClient(t, drsim.Options{Now: clk.Now})
	ctx := testContext(t, 10*time.Second)
	id := drsim.SeedStopped
	counts := func(wantStarts, wantPauses int) {
		t.Helper()
		if got := srv.Sim.Count(drsim.RouteStart); got != wantStarts {
			t.Errorf("start POSTs: got %d; want %d", got, wantStarts)
		}
		if got := srv.Sim.Count(drsim.RoutePause); got != wantPauses {
			t.Errorf("pause POSTs: got %d; want %d", got, wantPauses)
		}
	}

	// A pause asked for while the start is under way is refused before anything is sent.
	var pauseErr error
	opt := fastFollow
	opt.OnStatus = func(s drapi.Status) {
		if s == drapi.StatusStarting {
			_, pauseErr = c.PauseAndFollow(ctx, id, fastFollow)
			clk.Advance(drsim.DefaultTransition)
		}
	}
	if out, err := c.StartAndFollow(ctx, id, opt); err != nil || out.Status != drapi.StatusRunning {
		t.Fatalf("start: got %s, %v; want running", out.Status, err)
	}
	if se, ok := errors.AsType[*drapi.StatusError](pauseErr); !ok || se.Op != "pause" || se.Status != drapi.StatusStarting {
		t.Errorf("pause while starting: got %v; want a *StatusError for pause in starting", pauseErr)
	}
	counts(1, 0)

	// A resume asked for while the pause is under way likewise.
	var startErr error
	opt.OnStatus = func(s drapi.Status) {
		if s == drapi.StatusStopping {
			_, startErr = c.StartAndFollow(ctx, id, fastFollow)
			clk.Advance(drsim.DefaultTransition)
		}
	}
	if out, err := c.PauseAndFollow(ctx, id, opt); err != nil || out.Status != drapi.StatusStopped {
		t.Fatalf("pause: got %s, %v; want stopped", out.Status, err)
	}
	if se, ok := errors.AsType[*drapi.StatusError](startErr); !ok || se.Op != "start" || se.Status != drapi.StatusStopping {
		t.Errorf("resume while stopping: got %v; want a *StatusError for start in stopping", startErr)
	}
	counts(1, 1)

	// Between this resume's status read and its POST, another client resumes and pauses again:
	// the POST finds the DR stopping and is refused, and the status read back says why.
	first := true
	opt.OnStatus = func(s drapi.Status) {
		if !first {
			return
		}
		first = false
		if _, err := c.Start(ctx, id); err != nil {
			t.Errorf("the other client's start: %v", err)
		}
		clk.Advance(drsim.DefaultTransition)
		if _, err := c.Pause(ctx, id); err != nil {
			t.Errorf("the other client's pause: %v", err)
		}
	}
	out, err := c.StartAndFollow(ctx, id, opt)
	refused, ok := errors.AsType[*drapi.RefusedError](err)
	if !ok || refused.Op != "start" || refused.Status != drapi.StatusStopping || refused.Err.Code != drsim.DefaultRefusalCode ||
		!strings.Contains(refused.Err.Message, "stopping") {
		t.Fatalf("got %v; want the start refused with %s, status read back stopping", err, drsim.DefaultRefusalCode)
	}
	if out.Posted || out.Initial != drapi.StatusStopped || out.Status != drapi.StatusStopping || out.Attempts != 1 {
		t.Errorf("Outcome: got %+v; want not posted, stopped then stopping, one attempt", out)
	}
	counts(3, 2)

	// Once the pause is done, the resume goes through.
	clk.Advance(drsim.DefaultTransition)
	if out, err := c.StartAndFollow(ctx, id, advanceOn(clk, drapi.StatusStarting)); err != nil || !out.Posted || out.Status != drapi.StatusRunning {
		t.Fatalf("resume after the pause: got %+v, %v; want posted and running", out, err)
	}
	counts(4, 2)
}
