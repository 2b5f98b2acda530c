package invoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
)

const token = "invoke-test-token"

// setup serves POST /invoke over a fresh simulator. Pauses stay in stopping for stoppingFor;
// wait=true follows a pause for at most wait.
func setup(t *testing.T, stoppingFor, wait time.Duration, allowed []string) (*httptest.Server, *drsim.Sim) {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{StoppingFor: stoppingFor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := sim.ClientConfig()
	dr, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc := invoke.New(invoke.Config{
		Wait:       wait,
		AllowedIDs: allowIDs(t, allowed...),
		Follow:     drapi.FollowOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
	}, dr)
	srv := httptest.NewServer(invoke.Handler(svc, access.Bearer(token), slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv, sim.Sim
}

// allowIDs is DR_ALLOWED_IDS as the binary parses it.
func allowIDs(t *testing.T, ids ...string) func(string) bool {
	t.Helper()
	l, err := access.DRIDs(ids)
	if err != nil {
		t.Fatal(err)
	}
	return l.Allows
}

type answer struct {
	DisasterRecovery struct{ ID string } `json:"disaster_recovery"`
	Status           string              `json:"status"`
	RequestID        string              `json:"request_id"`
	Error            *struct {
		Code, Message string
		RequestID     string `json:"request_id"`
	} `json:"error"`
}

func call(t *testing.T, url, auth, body string) (int, answer, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return resp.StatusCode, a, string(raw)
}

func body(id string, wait, dry bool) string {
	b, _ := json.Marshal(invoke.Request{DisasterRecoveryID: id, Wait: wait, DryRun: dry})
	return string(b)
}

func TestInvoke(t *testing.T) {
	bearer := "Bearer " + token
	tests := []struct {
		name        string
		stoppingFor time.Duration
		wait        time.Duration // DR_WAIT; zero means long enough for any pause that ends
		allowed     []string
		faults      []drsim.Fault
		auth, body  string
		wantStatus  int
		wantState   string // status on success
		wantCode    string // error code on failure
	}{
		{name: "dry run", auth: bearer, body: body(drsim.SeedRunning, false, true), wantStatus: 200, wantState: "running"},
		{name: "pause without wait", stoppingFor: time.Minute, auth: bearer, body: body(drsim.SeedRunning, false, false), wantStatus: 200, wantState: "stopping"},
		{name: "pause and wait", stoppingFor: drsim.Immediate, auth: bearer, body: body(drsim.SeedRunning, true, false), wantStatus: 200, wantState: "stopped"},
		{name: "already stopped", auth: bearer, body: body(drsim.SeedStopped, false, false), wantStatus: 200, wantState: "stopped"},
		{name: "no token", body: body(drsim.SeedRunning, false, false), wantStatus: 401, wantCode: "unauthorized"},
		{name: "wrong token", auth: "Bearer " + token + "x", body: body(drsim.SeedRunning, false, false), wantStatus: 401, wantCode: "unauthorized"},
		{name: "basic auth", auth: "Basic " + token, body: body(drsim.SeedRunning, false, false), wantStatus: 401, wantCode: "unauthorized"},
		{name: "bad json", auth: bearer, body: `{"disaster_recovery_id":`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "unknown field", auth: bearer, body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `","dryrun":true}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "trailing data", auth: bearer, body: body(drsim.SeedRunning, false, true) + `{}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "too big", auth: bearer, body: `{"disaster_recovery_id":"` + strings.Repeat("a", 8<<10) + `"}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "invalid id", auth: bearer, body: body("../../v2/x", false, false), wantStatus: 400, wantCode: "invalid_id"},
		{name: "id not allowed", allowed: []string{drsim.SeedStopped}, auth: bearer, body: body(drsim.SeedRunning, false, false), wantStatus: 403, wantCode: "id_not_allowed"},
		{name: "not found", auth: bearer, body: body("00000000-0000-4000-8000-000000000000", false, false), wantStatus: 404},
		{name: "status does not allow", auth: bearer, body: body(drsim.SeedUnstart, false, false), wantStatus: 409, wantCode: "status_not_allowed"},
		{name: "lookup refused", auth: bearer, faults: []drsim.Fault{{Kind: drsim.FaultError, Status: 400, Code: "DWS.0001", Msg: "bad"}}, body: body(drsim.SeedRunning, false, true), wantStatus: 409, wantCode: "DWS.0001"},
		{name: "our credentials rejected", auth: bearer, faults: []drsim.Fault{{Kind: drsim.FaultError, Status: 401, Code: "APIGW.0301", Msg: "bad"}}, body: body(drsim.SeedRunning, false, true), wantStatus: 502, wantCode: "APIGW.0301"},
		{name: "pause refused while running", auth: bearer, faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: 400, Code: "DWS.4242", Msg: "no"}},
			body: body(drsim.SeedRunning, true, false), wantStatus: 409, wantCode: "DWS.4242"},
		{name: "busy", auth: bearer, faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultBusy}},
			body: body(drsim.SeedRunning, false, false), wantStatus: 409, wantCode: "DWS.0011"},
		{name: "another pause got there first", stoppingFor: drsim.Immediate, auth: bearer, faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultPausedFirst}},
			body: body(drsim.SeedRunning, true, false), wantStatus: 200, wantState: "stopped"},
		// The DR stays stopping for a minute, so a short DR_WAIT is sure to run out.
		{name: "wait deadline", stoppingFor: time.Minute, wait: 300 * time.Millisecond, auth: bearer, body: body(drsim.SeedRunning, true, false), wantStatus: 504, wantCode: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed := tt.allowed
			if allowed == nil {
				allowed = []string{"*"}
			}
			// A pause that ends must never meet DR_WAIT, however busy the machine.
			wait := tt.wait
			if wait == 0 {
				wait = 30 * time.Second
			}
			srv, sim := setup(t, tt.stoppingFor, wait, allowed)
			sim.Inject(tt.faults...)
			status, a, raw := call(t, srv.URL, tt.auth, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d %s; want %d", status, raw, tt.wantStatus)
			}
			if tt.wantState != "" && (a.Status != tt.wantState || a.DisasterRecovery.ID == "" || a.Error != nil) {
				t.Errorf("answer: got %s; want status %q", raw, tt.wantState)
			}
			if status >= 400 && (a.Error == nil || a.Error.Message == "") {
				t.Errorf("answer: got %s; want an error object", raw)
			}
			if tt.wantCode != "" && (a.Error == nil || a.Error.Code != tt.wantCode) {
				t.Errorf("error code: got %s; want %q", raw, tt.wantCode)
			}
		})
	}
}

// TestInvokeActions: "pause", named or left out, pauses; "resume" is refused as disabled (DR_RESUME
// is off by default) and anything else as unknown, before the DR API is called at all.
func TestInvokeActions(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string // error code on failure
		wantPauses int
	}{
		{name: "pause named", body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `","action":"pause"}`, wantStatus: 200, wantPauses: 1},
		{name: "pause by default", body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `"}`, wantStatus: 200, wantPauses: 1},
		{name: "resume", body: `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"resume"}`, wantStatus: 403, wantCode: "resume_disabled"},
		{name: "resume dry run", body: `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"resume","dry_run":true}`, wantStatus: 403, wantCode: "resume_disabled"},
		{name: "unknown", body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `","action":"stop"}`, wantStatus: 400, wantCode: "unknown_action"},
		{name: "case matters", body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `","action":"Pause"}`, wantStatus: 400, wantCode: "unknown_action"},
		{name: "not a string", body: `{"disaster_recovery_id":"` + drsim.SeedRunning + `","action":1}`, wantStatus: 400, wantCode: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sim := setup(t, time.Minute, 30*time.Second, []string{"*"})
			status, a, raw := call(t, srv.URL, "Bearer "+token, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d %s; want %d", status, raw, tt.wantStatus)
			}
			if tt.wantCode != "" && (a.Error == nil || a.Error.Code != tt.wantCode) {
				t.Errorf("error code: got %s; want %q", raw, tt.wantCode)
			}
			if tt.wantCode == "resume_disabled" && !strings.Contains(a.Error.Message, "DR_RESUME") {
				t.Errorf("error message: got %q; want it to name DR_RESUME", a.Error.Message)
			}
			if n := sim.Count(drsim.RoutePause); n != tt.wantPauses {
				t.Errorf("pause calls: got %d; want %d", n, tt.wantPauses)
			}
			if n := sim.Count(drsim.RouteDetail); tt.wantPauses == 0 && n != 0 {
				t.Errorf("status reads: got %d; want none for a refused action", n)
			}
		})
	}
}

func TestInvokePauseReportsRequestID(t *testing.T) {
	srv, sim := setup(t, time.Minute, 30*time.Second, []string{"*"})
	_, a, raw := call(t, srv.URL, "Bearer "+token, body(drsim.SeedRunning, false, false))
	if a.RequestID == "" {
		t.Errorf("answer: got %s; want the pause's X-Request-Id", raw)
	}
	if n := sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("pause calls: got %d; want 1", n)
	}
}

func TestInvokeDisabledWithoutToken(t *testing.T) {
	h := invoke.Handler(invoke.New(invoke.Config{Wait: time.Second, AllowedIDs: allowIDs(t, "*")}, nil), access.Bearer(""), slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/invoke", strings.NewReader(body(drsim.SeedRunning, false, false))))
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `"code":"disabled"`) {
		t.Errorf("got %d %s; want 403 disabled", rec.Code, rec.Body)
	}
}

// fakeDR answers every call with err, for the error mapping of answers the simulator would take
// seconds to produce (throttling is retried by the client).
type fakeDR struct{ err error }

var _ invoke.DR = fakeDR{}

func (f fakeDR) Get(ctx context.Context, id string) (*drapi.Detail, error) { return nil, f.err }
func (f fakeDR) PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, f.err
}
func (f fakeDR) StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, f.err
}

func TestInvokeErrorMapping(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantReqID  string
	}{
		{"throttled", &drapi.Error{HTTPStatus: 429, Code: "APIG.0308", RequestID: "r1"}, 429, "APIG.0308", "r1"},
		{"throttled without code", &drapi.Error{HTTPStatus: 429}, 429, "throttled", ""},
		{"our credentials rejected", &drapi.Error{HTTPStatus: 401, Code: "APIGW.0301", RequestID: "r2"}, 502, "APIGW.0301", "r2"},
		{"not found", &drapi.Error{HTTPStatus: 404, Code: "DWS.10101"}, 404, "DWS.10101", ""},
		{"server error", &drapi.Error{HTTPStatus: 503}, 502, "dr_api_error", ""},
		{"transport", errors.New("dial tcp: connection refused"), 502, "dr_api_error", ""},
		{"deadline", fmt.Errorf("follow: %w", context.DeadlineExceeded), 504, "timeout", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := invoke.New(invoke.Config{Wait: time.Second, AllowedIDs: allowIDs(t, "*")}, fakeDR{tt.err})
			for _, req := range []invoke.Request{
				{DisasterRecoveryID: drsim.SeedRunning, DryRun: true},
				{DisasterRecoveryID: drsim.SeedRunning, Wait: true},
			} {
				_, err := svc.Do(context.Background(), req)
				if err == nil || err.HTTPStatus != tt.wantStatus || err.Code != tt.wantCode || err.RequestID != tt.wantReqID {
					t.Errorf("Do(%+v): got %+v; want %d %s request id %q", req, err, tt.wantStatus, tt.wantCode, tt.wantReqID)
				}
			}
		})
	}
}

// scriptedDWS plays the DR detail and pause endpoints: the detail reads statuses in order,
// repeating the last; every pause answers pauseStatus, or, when that is 0, is held until the
// client gives up. Unlike the simulator, it can keep reading running after accepting a pause, as
// DWS does until it acts on it.
type scriptedDWS struct {
	statuses    []drapi.Status
	pauseStatus int

	mu          sync.Mutex
	gets, posts int
}

func (d *scriptedDWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	drPath := "/v2/" + drsim.ProjectID + "/disaster-recovery/" + drsim.SeedRunning
	d.mu.Lock()
	var n int
	switch {
	case r.Method == http.MethodGet && r.URL.Path == drPath:
		d.gets++
		n = d.gets
	case r.Method == http.MethodPost && r.URL.Path == drPath+"/pause":
		d.posts++
		n = d.posts
	default:
		d.mu.Unlock()
		http.Error(w, `{"error_code":"DWS.10101","error_msg":"unexpected request"}`, http.StatusNotFound)
		return
	}
	d.mu.Unlock()
	w.Header().Set("X-Request-Id", fmt.Sprintf("%s-%d", r.Method, n))
	if r.Method == http.MethodGet {
		st := d.statuses[min(n, len(d.statuses))-1]
		fmt.Fprintf(w, `{"disaster_recovery":{"id":%q,"status":%q}}`, drsim.SeedRunning, st)
		return
	}
	switch d.pauseStatus {
	case 0:
		<-r.Context().Done()
	case http.StatusOK:
		fmt.Fprintf(w, `{"disaster_recovery":{"id":%q}}`, drsim.SeedRunning)
	default:
		w.WriteHeader(d.pauseStatus)
		fmt.Fprint(w, `{"error_code":"DWS.0001","error_msg":"status does not allow"}`)
	}
}

func (d *scriptedDWS) pauses() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.posts
}

func TestInvokeNoWaitBound(t *testing.T) {
	tests := []struct {
		name        string
		statuses    []drapi.Status
		pauseStatus int
		wantStatus  int
		wantState   string // status on success
		wantReqID   string // request id on success
		wantCode    string // error code on failure
	}{
		{
			name:     "accepted but still running",
			statuses: []drapi.Status{drapi.StatusRunning}, pauseStatus: http.StatusOK,
			wantStatus: 200, wantState: "running", wantReqID: "POST-1",
		},
		{
			name:     "never confirmed",
			statuses: []drapi.Status{drapi.StatusRunning}, pauseStatus: 0,
			wantStatus: 504, wantCode: "timeout",
		},
		{
			name:     "another pause got there first",
			statuses: []drapi.Status{drapi.StatusRunning, drapi.StatusStopping}, pauseStatus: http.StatusConflict,
			wantStatus: 200, wantState: "stopping", wantReqID: "POST-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dws := &scriptedDWS{statuses: tt.statuses, pauseStatus: tt.pauseStatus}
			api := httptest.NewServer(dws)
			t.Cleanup(api.Close)
			dr, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: api.URL, Credentials: drsim.LocalCredentials()})
			if err != nil {
				t.Fatal(err)
			}
			svc := invoke.New(invoke.Config{
				Wait:       time.Second,
				AllowedIDs: allowIDs(t, "*"),
				Follow:     drapi.FollowOptions{MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond},
			}, dr)
			// The bound must outlast the pause's round trip, which it cuts short otherwise (a 504
			// where a 200 is due), on a busy machine too; the rows that meet it wait it out.
			svc.SetPostedWithin(time.Second)
			srv := httptest.NewServer(invoke.Handler(svc, access.Bearer(token), slog.New(slog.DiscardHandler)))
			t.Cleanup(srv.Close)

			status, a, raw := call(t, srv.URL, "Bearer "+token, body(drsim.SeedRunning, false, false))

			if status != tt.wantStatus {
				t.Fatalf("status: got %d %s; want %d", status, raw, tt.wantStatus)
			}
			if tt.wantState != "" && (a.Status != tt.wantState || a.RequestID != tt.wantReqID || a.Error != nil) {
				t.Errorf("answer: got %s; want status %q, request id %q", raw, tt.wantState, tt.wantReqID)
			}
			if tt.wantCode != "" && (a.Error == nil || a.Error.Code != tt.wantCode) {
				t.Errorf("error code: got %s; want %q", raw, tt.wantCode)
			}
			if n := dws.pauses(); n != 1 {
				t.Errorf("pause calls: got %d; want 1", n)
			}
		})
	}
}

// slowDR answers every pause with err once ctx is done: the wait ran out on that answer.
type slowDR struct{ err error }

var _ invoke.DR = slowDR{}

func (f slowDR) Get(ctx context.Context, id string) (*drapi.Detail, error) { return nil, f.err }
func (f slowDR) PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	<-ctx.Done()
	return drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 1}, f.err
}
func (f slowDR) StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	<-ctx.Done()
	return drapi.Outcome{ID: id, Initial: drapi.StatusStopped, Status: drapi.StatusStopped, Attempts: 1}, f.err
}

// TestInvokeWaitReached: when DR_WAIT runs out, an answer below 500 says what happened, as it
// does in Slack and the audit line; without one the answer is 504.
func TestInvokeWaitReached(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{name: "credentials rejected", err: &drapi.Error{HTTPStatus: 401, Code: "APIGW.0301"}, wantStatus: 502, wantCode: "APIGW.0301"},
		{name: "throttled", err: &drapi.Error{HTTPStatus: 429, Code: "APIG.0308"}, wantStatus: 429, wantCode: "APIG.0308"},
		{name: "server error", err: &drapi.Error{HTTPStatus: 503, Code: "DWS.9999"}, wantStatus: 504, wantCode: "timeout"},
		{name: "no answer", err: fmt.Errorf("pause: %w", context.DeadlineExceeded), wantStatus: 504, wantCode: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := invoke.New(invoke.Config{Wait: time.Millisecond, AllowedIDs: allowIDs(t, "*")}, slowDR{tt.err})
			_, err := svc.Do(context.Background(), invoke.Request{DisasterRecoveryID: drsim.SeedRunning, Wait: true})
			if err == nil || err.HTTPStatus != tt.wantStatus || err.Code != tt.wantCode {
				t.Errorf("got %+v; want %d %s", err, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestInvokeSimulated: under DR_SIMULATE every answer says "simulated": true beside the rest,
// successes and errors alike, the Handler's own refusals included; otherwise none says it.
func TestInvokeSimulated(t *testing.T) {
	sim, err := drsim.Start(drsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dr, err := drapi.New(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	bearer := "Bearer " + token
	calls := []struct{ name, token, auth, body string }{
		{"success", token, bearer, body(drsim.SeedStopped, false, true)},
		{"DR error", token, bearer, body(drsim.SeedUnstart, false, false)},
		{"not allowed", token, bearer, body("00000000-0000-4000-8000-000000000000", false, false)},
		{"bad json", token, bearer, `{`},
		{"wrong token", token, "Bearer nope", body(drsim.SeedStopped, false, true)},
		{"disabled", "", bearer, body(drsim.SeedStopped, false, true)},
	}
	for _, simulated := range []bool{true, false} {
		svc := invoke.New(invoke.Config{Wait: time.Second, AllowedIDs: allowIDs(t, drsim.SeedStopped, drsim.SeedUnstart), Simulated: simulated}, dr)
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s simulated=%v", c.name, simulated), func(t *testing.T) {
				srv := httptest.NewServer(invoke.Handler(svc, access.Bearer(c.token), slog.New(slog.DiscardHandler)))
				defer srv.Close()
				_, _, raw := call(t, srv.URL, c.auth, c.body)
				var top map[string]json.RawMessage
				if err := json.Unmarshal([]byte(raw), &top); err != nil {
					t.Fatal(err)
				}
				if got := string(top["simulated"]); (got == "true") != simulated || !simulated && got != "" {
					t.Errorf("got %s; want \"simulated\": true only when simulated (%v)", raw, simulated)
				}
			})
		}
	}
}

// TestInvokeAudit: every /invoke request leaves one audit line shaped like the bot's decisions,
// refusals included (this route pauses with no human in the loop), naming the DR id only when
// it is one, and never holding the token.
func TestInvokeAudit(t *testing.T) {
	const wrongToken = "wrong-token-never-logged"
	bearer := "Bearer " + token
	tests := []struct {
		name        string
		noToken     bool // DR_INVOKE_TOKEN unset: the route is disabled
		auth, body  string
		wantEvent   string
		wantOutcome string
		wantID      string // disaster_recovery_id
		wantLevel   string
	}{
		{name: "disabled", noToken: true, auth: bearer, body: body(drsim.SeedRunning, false, false),
			wantEvent: "refused", wantOutcome: "disabled", wantLevel: "WARN"},
		{name: "no token", body: body(drsim.SeedRunning, false, false),
			wantEvent: "refused", wantOutcome: "unauthorized", wantLevel: "WARN"},
		{name: "wrong token", auth: "Bearer " + wrongToken, body: body(drsim.SeedRunning, false, false),
			wantEvent: "refused", wantOutcome: "unauthorized", wantLevel: "WARN"},
		{name: "bad json", auth: bearer, body: `{"disaster_recovery_id":`,
			wantEvent: "refused", wantOutcome: "invalid_request", wantLevel: "WARN"},
		{name: "invalid id", auth: bearer, body: body("../../v2/x", false, false),
			wantEvent: "refused", wantOutcome: "invalid_id", wantLevel: "WARN"},
		{name: "id not allowed", auth: bearer, body: body(drsim.SeedRunning, false, false),
			wantEvent: "refused", wantOutcome: "id_not_allowed", wantID: drsim.SeedRunning, wantLevel: "WARN"},
		{name: "unknown action", auth: bearer, body: `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"stop"}`,
			wantEvent: "refused", wantOutcome: "unknown_action", wantID: drsim.SeedStopped, wantLevel: "WARN"},
		{name: "resume disabled", auth: bearer, body: `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"resume"}`,
			wantEvent: "refused", wantOutcome: "resume_disabled", wantID: drsim.SeedStopped, wantLevel: "WARN"},
		{name: "not found", auth: bearer, body: body("00000000-0000-4000-8000-000000000000", false, true),
			wantEvent: "failed", wantOutcome: "DWS.10101", wantID: "00000000-0000-4000-8000-000000000000", wantLevel: "WARN"},
		{name: "dry run", auth: bearer, body: body(drsim.SeedStopped, false, true),
			wantEvent: "dry_run", wantOutcome: "stopped", wantID: drsim.SeedStopped, wantLevel: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := drsim.Start(drsim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sim.Close() })
			dr, err := drapi.New(sim.ClientConfig())
			if err != nil {
				t.Fatal(err)
			}
			svc := invoke.New(invoke.Config{Wait: 30 * time.Second, AllowedIDs: allowIDs(t, drsim.SeedStopped,
				"00000000-0000-4000-8000-000000000000")}, dr)
			check := access.Bearer(token)
			if tt.noToken {
				check = access.Bearer("")
			}
			var logs strings.Builder
			srv := httptest.NewServer(invoke.Handler(svc, check, slog.New(slog.NewJSONHandler(&logs, nil))))
			t.Cleanup(srv.Close)

			call(t, srv.URL, tt.auth, tt.body)
			srv.Close() // the handler has returned, and logged, once Close does

			var lines []map[string]any
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var l map[string]any
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				if l["msg"] == "invoke decision" {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("logs: got %s; want one invoke decision", logs.String())
			}
			l := lines[0]
			want := map[string]any{"level": tt.wantLevel, "event": tt.wantEvent, "outcome": tt.wantOutcome,
				"source": "invoke", "disaster_recovery_id": tt.wantID}
			for k, v := range want {
				if l[k] != v {
					t.Errorf("log %s: got %v; want %v (line %v)", k, l[k], v, l)
				}
			}
			if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), wrongToken) {
				t.Errorf("logs: got %s; want no token", logs.String())
			}
		})
	}
}
