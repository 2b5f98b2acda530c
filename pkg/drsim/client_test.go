package drsim_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// These tests drive the real drapi.Client against the simulator over HTTP, signing included.

// fastFollow polls quickly, so following a transition of milliseconds takes milliseconds.
var fastFollow = drapi.FollowOptions{MinInterval: 2 * time.Millisecond, MaxInterval: 5 * time.Millisecond}

func startClient(t *testing.T, opts drsim.Options) (*drsim.Server, *drapi.Client) {
	t.Helper()
	srv, err := drsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	c, err := drapi.New(srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// noRetry returns a context ending before the client's shortest backoff (half a second), so the
// client gives up instead of sending again.
func noRetry(t *testing.T) context.Context { return testContext(t, 450*time.Millisecond) }

func TestClientGetAndList(t *testing.T) {
	srv, c := startClient(t, drsim.Options{})
	ctx := testContext(t, 5*time.Second)

	d, err := c.Get(ctx, drsim.SeedStopFailed)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != drsim.SeedStopFailed || d.Status != drapi.StatusStopFailed || d.DRType != "az" || d.Primary.AZ == "" {
		t.Errorf("Get: got %+v; want the stop_failed AZ task", d)
	}
	all, err := c.List(ctx, drapi.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("List: got %d tasks; want 4", len(all))
	}
	some, err := c.List(ctx, drapi.ListFilter{StandbyClusterID: d.Standby.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 1 || some[0].ID != drsim.SeedStopFailed {
		t.Errorf("List by standby cluster: got %+v; want only %s", some, drsim.SeedStopFailed)
	}
	if got := srv.Sim.Count(drsim.RouteList); got != 2 {
		t.Errorf("Count(RouteList): got %d; want 2", got)
	}
}

func TestClientPauseFromEveryStatus(t *testing.T) {
	tests := []struct {
		status    drapi.Status
		wantPosts int  // pause POSTs sent
		wantOK    bool // ends stopped without error
	}{
		{drapi.StatusCreating, 0, false},
		{drapi.StatusCreateFailed, 0, false},
		{drapi.StatusUnstart, 0, false},
		{drapi.StatusStarting, 0, false},
		{drapi.StatusStartFailed, 0, false},
		{drapi.StatusRunning, 1, true},
		{drapi.StatusStopping, 0, true}, // followed, not paused again
		{drapi.StatusStopped, 0, true},  // already paused
		{drapi.StatusStopFailed, 1, true},
		{drapi.StatusSwitchovering, 0, false},
		{drapi.StatusAbnormal, 0, false},
		{drapi.StatusDeleting, 0, false},
		{drapi.StatusDeleted, 0, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			// The simulator's clock moves only when the client has seen stopping, so a DR set to
			// stopping is read as stopping however slowly the machine runs.
			clk := &clock{now: time.Now()}
			srv, c := startClient(t, drsim.Options{Now: clk.Now})
			id := drsim.SeedRunning
			if err := srv.Sim.SetStatus(id, tt.status); err != nil {
				t.Fatal(err)
			}
			opt := fastFollow
			opt.OnStatus = func(s drapi.Status) {
				if s == drapi.StatusStopping {
					clk.Advance(drsim.DefaultTransition)
				}
			}
			out, err := c.PauseAndFollow(testContext(t, 5*time.Second), id, opt)

			if got := srv.Sim.Count(drsim.RoutePause); got != tt.wantPosts {
				t.Errorf("pause POSTs: got %d; want %d", got, tt.wantPosts)
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
				if out.Status != drapi.StatusStopped {
					t.Errorf("Outcome.Status: got %s; want stopped", out.Status)
				}
				if tt.wantPosts > 0 && out.PauseID != id {
					t.Errorf("Outcome.PauseID: got %q; want %q", out.PauseID, id)
				}
				return
			}
			var se *drapi.StatusError
			if !errors.As(err, &se) || se.Op != "pause" || se.Status != tt.status {
				t.Fatalf("got error %v; want a *StatusError for pause in %s", err, tt.status)
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

// sentinels are the errors.Is targets drapi documents.
var sentinels = []struct {
	name string
	err  error
}{
	{"ErrNotFound", drapi.ErrNotFound},
	{"ErrThrottled", drapi.ErrThrottled},
	{"ErrAuth", drapi.ErrAuth},
	{"ErrRefused", drapi.ErrRefused},
	{"ErrBusy", drapi.ErrBusy},
	{"ErrStatusNotAllowed", drapi.ErrStatusNotAllowed},
}

// checkError asserts err is a *drapi.Error with status and code, matching exactly the sentinels in is.
func checkError(t *testing.T, err error, status int, code string, is ...error) {
	t.Helper()
	var e *drapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v; want a *drapi.Error", err)
	}
	if e.HTTPStatus != status || e.Code != code {
		t.Errorf("got HTTP %d %s; want HTTP %d %s", e.HTTPStatus, e.Code, status, code)
	}
	if e.RequestID == "" {
		t.Error("Error.RequestID is empty; want the X-Request-Id")
	}
	for _, s := range sentinels {
		if got, want := errors.Is(err, s.err), slices.Contains(is, s.err); got != want {
			t.Errorf("errors.Is(err, %s): got %t; want %t (err %v)", s.name, got, want, err)
		}
	}
}

func TestClientPauseErrors(t *testing.T) {
	tests := []struct {
		status      int
		code        string
		is          []error
		wantDetails int // detail reads: Pause reads the status back after a 5xx
	}{
		{400, "DWS.10101", []error{drapi.ErrNotFound}, 0},
		{401, "DWS.0047", []error{drapi.ErrNotFound}, 0},
		{403, "DWS.0015", []error{drapi.ErrNotFound}, 0},
		{400, "DWS.0015", []error{drapi.ErrNotFound}, 0},
		{400, "DWS.0001", []error{drapi.ErrRefused}, 0},
		{409, "DWS.0011", []error{drapi.ErrRefused, drapi.ErrBusy}, 0},
		{404, "DWS.3027", []error{drapi.ErrNotFound}, 0},
		{500, "DWS.9999", nil, 1},
		{503, "DWS.9999", nil, 1},
		{401, "APIGW.0301", []error{drapi.ErrAuth}, 0},
		{401, "APIG.0301", []error{drapi.ErrAuth}, 0},
		{429, "APIG.0308", []error{drapi.ErrThrottled}, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.code, tt.status), func(t *testing.T) {
			srv, c := startClient(t, drsim.Options{})
			srv.Sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: tt.status, Code: tt.code, Msg: "injected", Times: 1})
			ctx := testContext(t, 5*time.Second)
			if tt.code == "APIG.0308" {
				ctx = noRetry(t)
			}
			id, err := c.Pause(ctx, drsim.SeedRunning)
			if err == nil {
				t.Fatalf("got id %q, nil error; want an error", id)
			}
			checkError(t, err, tt.status, tt.code, tt.is...)
			if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("pause POSTs: got %d; want 1", got)
			}
			if got := srv.Sim.Count(drsim.RouteDetail); got != tt.wantDetails {
				t.Errorf("detail reads: got %d; want %d", got, tt.wantDetails)
			}
			if got, _ := srv.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
				t.Errorf("status: got %s; want running", got)
			}
		})
	}
}

// TestClientPauseRefusals: after DWS refuses a pause, PauseAndFollow reads the status back and
// reports what it shows, whatever the code: another pause under way is success, anything else
// the refusal with DWS's code, message and request id, and the status now.
func TestClientPauseRefusals(t *testing.T) {
	const unknownCode = "DWS.4242" // a code drapi knows nothing of
	tests := []struct {
		name       string
		fault      drsim.Fault
		wantErr    bool
		wantBusy   bool
		wantCode   string
		wantStatus drapi.Status // the status at the end, as Outcome and the error say
	}{
		{name: "refused with an unknown 400 code while another pause is under way",
			fault:      drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultPausedFirst, Times: 1},
			wantStatus: drapi.StatusStopped},
		{name: "busy while running",
			fault:   drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultBusy, Times: 1},
			wantErr: true, wantBusy: true, wantCode: "DWS.0011", wantStatus: drapi.StatusRunning},
		{name: "refused while running",
			fault:   drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: 400, Code: unknownCode, Msg: "Refused for a reason of its own.", Times: 1},
			wantErr: true, wantCode: unknownCode, wantStatus: drapi.StatusRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startClient(t, drsim.Options{StoppingFor: drsim.Immediate, RefusalCode: unknownCode})
			srv.Sim.Inject(tt.fault)
			out, err := c.PauseAndFollow(testContext(t, 5*time.Second), drsim.SeedRunning, fastFollow)
			if out.Posted || out.Attempts != 1 || out.Status != tt.wantStatus {
				t.Errorf("Outcome: got Posted %t, Attempts %d, Status %s; want false, 1, %s", out.Posted, out.Attempts, out.Status, tt.wantStatus)
			}
			if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("pause POSTs: got %d; want 1", got)
			}
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got %v; want nil: another pause got there first", err)
				}
				return
			}
			refused, ok := errors.AsType[*drapi.RefusedError](err)
			if !ok || refused.Status != tt.wantStatus || refused.Op != "pause" || refused.ID != drsim.SeedRunning {
				t.Fatalf("got %v; want a *RefusedError of the pause with status now %s", err, tt.wantStatus)
			}
			checkError(t, err, refused.Err.HTTPStatus, tt.wantCode, append([]error{drapi.ErrRefused}, map[bool][]error{true: {drapi.ErrBusy}}[tt.wantBusy]...)...)
			if refused.Err.Message == "" || refused.Err.RequestID != out.RequestID {
				t.Errorf("got message %q, request id %q; want DWS's message and the refusal's request id %q",
					refused.Err.Message, refused.Err.RequestID, out.RequestID)
			}
		})
	}
	// The refusal the simulator gives of its own accord carries the configured code.
	_, c := startClient(t, drsim.Options{RefusalCode: unknownCode})
	_, err := c.Pause(testContext(t, 5*time.Second), drsim.SeedStopped)
	checkError(t, err, 400, unknownCode, drapi.ErrRefused)
}

// TestClientRealErrors checks the errors the simulator gives of its own accord.
func TestClientRealErrors(t *testing.T) {
	srv, c := startClient(t, drsim.Options{})
	ctx := testContext(t, 5*time.Second)
	const unknown = "00000000-0000-4000-8000-000000000000"

	_, err := c.Get(ctx, unknown)
	checkError(t, err, 400, "DWS.10101", drapi.ErrNotFound)

	_, err = c.Pause(ctx, drsim.SeedStopped)
	checkError(t, err, 400, drsim.DefaultRefusalCode, drapi.ErrRefused)

	cfg := srv.ClientConfig()
	cfg.Credentials.SecretKey = "not-the-secret"
	wrongKey, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrongKey.Get(ctx, drsim.SeedRunning)
	checkError(t, err, 401, "APIGW.0301", drapi.ErrAuth)

	cfg = srv.ClientConfig()
	cfg.ProjectID = "0123456789abcdef0123456789abcdef"
	otherProject, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = otherProject.Pause(ctx, drsim.SeedRunning)
	checkError(t, err, 401, "APIGW.0301", drapi.ErrAuth)

	if got := srv.Sim.Count(drsim.RoutePause); got != 2 {
		t.Errorf("pause POSTs: got %d; want 2", got)
	}
	if got, _ := srv.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
		t.Errorf("status: got %s; want running: refused pauses changed it", got)
	}
}

func TestClientLostPauseResponse(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int // 0: the connection is reset
	}{
		{"reset", 0},
		{"500", 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startClient(t, drsim.Options{StoppingFor: time.Hour})
			srv.Sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultLost, Status: tt.status, Times: 1})
			id, err := c.Pause(testContext(t, 5*time.Second), drsim.SeedRunning)
			if err != nil {
				t.Fatalf("got %v; want success: the pause took effect", err)
			}
			if id != drsim.SeedRunning {
				t.Errorf("id: got %q; want %q", id, drsim.SeedRunning)
			}
			if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("pause POSTs: got %d; want exactly 1", got)
			}
			if got, _ := srv.Sim.Status(drsim.SeedRunning); got != drapi.StatusStopping {
				t.Errorf("status: got %s; want stopping", got)
			}
		})
	}
}

func TestClientResetBeforePauseIsNotSuccess(t *testing.T) {
	srv, c := startClient(t, drsim.Options{})
	srv.Sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultReset, Times: 1})
	if _, err := c.Pause(testContext(t, 5*time.Second), drsim.SeedRunning); err == nil {
		t.Fatal("got nil error; want one: the pause never took effect")
	}
	if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pause POSTs: got %d; want 1 (no blind resend)", got)
	}
	if got, _ := srv.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
		t.Errorf("status: got %s; want running", got)
	}
}

func TestClientBadBodies(t *testing.T) {
	tests := []struct {
		name  string
		fault drsim.Fault
		check func(t *testing.T, err error)
	}{
		{"malformed", drsim.Fault{Kind: drsim.FaultMalformed}, func(t *testing.T, err error) {
			if e := (*drapi.Error)(nil); errors.As(err, &e) {
				t.Errorf("got %v; want a decoding error, not a *drapi.Error", err)
			}
		}},
		{"oversized", drsim.Fault{Kind: drsim.FaultOversized}, func(t *testing.T, err error) {
			if e := (*drapi.Error)(nil); errors.As(err, &e) {
				t.Errorf("got %v; want a size error, not a *drapi.Error", err)
			}
		}},
		{"html", drsim.Fault{Kind: drsim.FaultHTML}, func(t *testing.T, err error) {
			var e *drapi.Error
			if !errors.As(err, &e) || e.HTTPStatus != 502 || e.Code != "" || !strings.Contains(e.Message, "502 Bad Gateway") {
				t.Errorf("got %v; want a 502 *drapi.Error quoting the page", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startClient(t, drsim.Options{})
			tt.fault.Route, tt.fault.Times = drsim.RouteDetail, 1
			srv.Sim.Inject(tt.fault)
			d, err := c.Get(noRetry(t), drsim.SeedRunning)
			if err == nil {
				t.Fatalf("got %+v, nil error; want an error", d)
			}
			tt.check(t, err)
			if got := srv.Sim.Count(drsim.RouteDetail); got != 1 {
				t.Errorf("detail reads: got %d; want 1", got)
			}
		})
	}
}

func TestClientThrottledPauseIsRetried(t *testing.T) {
	srv, c := startClient(t, drsim.Options{StoppingFor: drsim.Immediate})
	srv.Sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultThrottle, Times: 1})
	out, err := c.PauseAndFollow(testContext(t, 10*time.Second), drsim.SeedRunning, fastFollow)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Sim.Count(drsim.RoutePause); got != 2 {
		t.Errorf("pause POSTs: got %d; want 2", got)
	}
	if out.Attempts != 2 || !out.Posted || out.Status != drapi.StatusStopped {
		t.Errorf("Outcome: got %+v; want 2 attempts, posted, stopped", out)
	}
}

func TestClientFollowEndings(t *testing.T) {
	tests := []struct {
		name      string
		stuck     bool // the clock never moves, so the task stays stopping
		outcome   drapi.Status
		timeout   time.Duration
		want      drapi.Status
		wantSeen  []drapi.Status
		wantErr   string // what the error should be, for the failure message
		wantError func(error) bool
	}{
		{
			name: "stopped", timeout: 5 * time.Second,
			want: drapi.StatusStopped, wantSeen: []drapi.Status{"running", "stopping", "stopped"}, wantErr: "nil",
			wantError: func(err error) bool { return err == nil },
		},
		{
			name: "stop_failed", outcome: drapi.StatusStopFailed, timeout: 5 * time.Second,
			want: drapi.StatusStopFailed, wantSeen: []drapi.Status{"running", "stopping", "stop_failed"}, wantErr: "a follow *StatusError",
			wantError: func(err error) bool {
				var se *drapi.StatusError
				return errors.As(err, &se) && se.Op == "follow" && se.Status == drapi.StatusStopFailed
			},
		},
		{
			name: "abnormal", outcome: drapi.StatusAbnormal, timeout: 5 * time.Second,
			want: drapi.StatusAbnormal, wantSeen: []drapi.Status{"running", "stopping", "abnormal"}, wantErr: "a follow *StatusError",
			wantError: func(err error) bool {
				var se *drapi.StatusError
				return errors.As(err, &se) && se.Op == "follow" && se.Status == drapi.StatusAbnormal
			},
		},
		{
			name: "deadline", stuck: true, timeout: 100 * time.Millisecond,
			want: drapi.StatusStopping, wantSeen: []drapi.Status{"running", "stopping"}, wantErr: "context.DeadlineExceeded",
			wantError: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The simulator's clock moves only when the client has seen stopping, so each
			// status is observed however slowly the machine runs.
			clk := &clock{now: time.Now()}
			srv, c := startClient(t, drsim.Options{Now: clk.Now})
			if tt.outcome != "" {
				if err := srv.Sim.SetOutcome(drsim.SeedRunning, tt.outcome); err != nil {
					t.Fatal(err)
				}
			}
			var seen []drapi.Status
			opt := fastFollow
			opt.OnStatus = func(s drapi.Status) {
				seen = append(seen, s)
				if s == drapi.StatusStopping && !tt.stuck {
					clk.Advance(drsim.DefaultTransition)
				}
			}
			out, err := c.PauseAndFollow(testContext(t, tt.timeout), drsim.SeedRunning, opt)
			if !tt.wantError(err) {
				t.Errorf("got error %v; want %s", err, tt.wantErr)
			}
			if out.Status != tt.want || !out.Posted || out.Attempts != 1 {
				t.Errorf("Outcome: got %+v; want status %s, posted once", out, tt.want)
			}
			if !slices.Equal(seen, tt.wantSeen) {
				t.Errorf("OnStatus: got %v; want %v", seen, tt.wantSeen)
			}
			if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("pause POSTs: got %d; want 1", got)
			}
		})
	}
}
