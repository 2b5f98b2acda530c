package drsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is a Sim behind a real HTTP server, with a client that signs like the SDK.
type harness struct {
	sim   *drsim.Sim
	srv   *httptest.Server
	clock *clock
	creds drapi.Credentials
	skew  time.Duration // added to the clock when signing
}

func setup(t *testing.T, opts drsim.Options) *harness {
	t.Helper()
	h := &harness{clock: newClock(), creds: drsim.LocalCredentials()}
	if opts.Now == nil {
		opts.Now = h.clock.Now
	}
	if opts.Credentials != (drapi.Credentials{}) {
		h.creds = opts.Credentials
	}
	h.sim = drsim.New(opts)
	h.srv = httptest.NewServer(h.sim)
	t.Cleanup(h.srv.Close)
	return h
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errorBody is the DWS error shape.
type errorBody struct {
	Code      string `json:"error_code"`
	Msg       string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func (a answer) errorBody(t *testing.T) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %q: %v", a.body, err)
	}
	return e
}

// call sends a request signed at the fake clock's time plus h.skew; edit, if set, changes it
// before signing, and afterSign after.
func (h *harness) call(t *testing.T, method, path string, edit, afterSign func(r *http.Request)) answer {
	t.Helper()
	a, err := h.try(method, path, edit, afterSign)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// try is call that returns transport errors, for faults that reset the connection.
func (h *harness) try(method, path string, edit, afterSign func(r *http.Request)) (answer, error) {
	r, err := http.NewRequest(method, h.srv.URL+path, nil)
	if err != nil {
		return answer{}, err
	}
	r.Header.Set("X-Project-Id", drsim.ProjectID)
	if edit != nil {
		edit(r)
	}
	aksk.Sign(r, nil, h.creds, h.clock.Now().Add(h.skew))
	if afterSign != nil {
		afterSign(r)
	}
	resp, err := h.srv.Client().Do(r)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
}

func drPath(id string) string { return "/v2/" + drsim.ProjectID + "/disaster-recovery/" + id }

const listPath = "/v2/" + drsim.ProjectID + "/disaster-recoveries"

func (h *harness) status(t *testing.T, id string) drapi.Status {
	t.Helper()
	a := h.call(t, http.MethodGet, drPath(id), nil, nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET %s: got status %d; want 200 (body %s)", id, a.status, a.body)
	}
	var body struct {
		DR drapi.Detail `json:"disaster_recovery"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatalf("detail body %q: %v", a.body, err)
	}
	return body.DR.Status
}

func TestPauseStateMachine(t *testing.T) {
	h := setup(t, drsim.Options{StoppingFor: 3 * time.Second, StartingFor: 2 * time.Second})
	id := drsim.SeedRunning

	a := h.call(t, http.MethodPost, drPath(id)+"/pause", nil, nil)
	if a.status != http.StatusOK {
		t.Fatalf("pause: got status %d; want 200 (body %s)", a.status, a.body)
	}
	if got, want := strings.TrimSpace(string(a.body)), `{"disaster_recovery":{"id":"`+id+`"}}`; got != want {
		t.Errorf("pause body: got %s; want %s", got, want)
	}
	steps := []struct {
		advance time.Duration
		want    drapi.Status
	}{
		{0, drapi.StatusStopping},
		{2999 * time.Millisecond, drapi.StatusStopping},
		{time.Millisecond, drapi.StatusStopped},
	}
	for _, s := range steps {
		h.clock.Advance(s.advance)
		if got := h.status(t, id); got != s.want {
			t.Fatalf("after %v more: got status %s; want %s", s.advance, got, s.want)
		}
	}

	a = h.call(t, http.MethodPost, drPath(id)+"/pause", nil, nil)
	if a.status != http.StatusBadRequest {
		t.Fatalf("second pause: got status %d; want 400", a.status)
	}
	if e := a.errorBody(t); e.Code != drsim.DefaultRefusalCode || !strings.Contains(e.Msg, "stopped") {
		t.Errorf("second pause: got %+v; want %s naming status stopped", e, drsim.DefaultRefusalCode)
	}

	if a := h.call(t, http.MethodPost, drPath(id)+"/start", nil, nil); a.status != http.StatusOK {
		t.Fatalf("start: got status %d; want 200 (body %s)", a.status, a.body)
	}
	if got := h.status(t, id); got != drapi.StatusStarting {
		t.Fatalf("after start: got %s; want starting", got)
	}
	h.clock.Advance(2 * time.Second)
	if got := h.status(t, id); got != drapi.StatusRunning {
		t.Fatalf("after start delay: got %s; want running", got)
	}
	if got, want := h.sim.Count(drsim.RoutePause), 2; got != want {
		t.Errorf("Count(RoutePause): got %d; want %d", got, want)
	}
}

var allStatuses = []drapi.Status{
	drapi.StatusCreating, drapi.StatusCreateFailed, drapi.StatusUnstart, drapi.StatusStarting,
	drapi.StatusStartFailed, drapi.StatusRunning, drapi.StatusStopping, drapi.StatusStopped,
	drapi.StatusStopFailed, drapi.StatusSwitchovering, drapi.StatusAbnormal, drapi.StatusDeleting,
	drapi.StatusDeleted,
}

func TestOperationAllowedFrom(t *testing.T) {
	pausable := map[drapi.Status]bool{drapi.StatusRunning: true, drapi.StatusStopFailed: true}
	startable := map[drapi.Status]bool{drapi.StatusUnstart: true, drapi.StatusStartFailed: true, drapi.StatusStopped: true}
	for _, op := range []struct {
		name    string
		allowed map[drapi.Status]bool
		via     drapi.Status
	}{
		{"pause", pausable, drapi.StatusStopping},
		{"start", startable, drapi.StatusStarting},
	} {
		for _, st := range allStatuses {
			t.Run(op.name+"/"+string(st), func(t *testing.T) {
				h := setup(t, drsim.Options{})
				if err := h.sim.SetStatus(drsim.SeedRunning, st); err != nil {
					t.Fatal(err)
				}
				a := h.call(t, http.MethodPost, drPath(drsim.SeedRunning)+"/"+op.name, nil, nil)
				want, wantStatus := http.StatusBadRequest, st
				if op.allowed[st] {
					want, wantStatus = http.StatusOK, op.via
				}
				if a.status != want {
					t.Fatalf("got HTTP %d; want %d (body %s)", a.status, want, a.body)
				}
				if want == http.StatusBadRequest {
					if e := a.errorBody(t); e.Code != drsim.DefaultRefusalCode || !strings.Contains(e.Msg, string(st)) {
						t.Errorf("got %+v; want %s naming %s", e, drsim.DefaultRefusalCode, st)
					}
				}
				if got, _ := h.sim.Status(drsim.SeedRunning); got != wantStatus {
					t.Errorf("status after: got %s; want %s", got, wantStatus)
				}
			})
		}
	}
}

func TestTransitionOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		id       string
		op       string
		opts     drsim.Options
		outcome  drapi.Status
		advance  time.Duration
		want     drapi.Status
		setAfter bool // SetOutcome once the transition is under way
	}{
		{"pause ends stopped", drsim.SeedRunning, "pause", drsim.Options{}, "", drsim.DefaultTransition, drapi.StatusStopped, false},
		{"pause from stop_failed", drsim.SeedStopFailed, "pause", drsim.Options{}, "", drsim.DefaultTransition, drapi.StatusStopped, false},
		{"pause ends stop_failed", drsim.SeedRunning, "pause", drsim.Options{}, drapi.StatusStopFailed, drsim.DefaultTransition, drapi.StatusStopFailed, false},
		{"pause ends abnormal under way", drsim.SeedRunning, "pause", drsim.Options{}, drapi.StatusAbnormal, drsim.DefaultTransition, drapi.StatusAbnormal, true},
		{"immediate pause", drsim.SeedRunning, "pause", drsim.Options{StoppingFor: drsim.Immediate}, "", 0, drapi.StatusStopped, false},
		{"start from unstart", drsim.SeedUnstart, "start", drsim.Options{StartingFor: time.Minute}, "", time.Minute, drapi.StatusRunning, false},
		{"start ends start_failed", drsim.SeedStopped, "start", drsim.Options{StartingFor: drsim.Immediate}, drapi.StatusStartFailed, 0, drapi.StatusStartFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, tt.opts)
			if tt.outcome != "" && !tt.setAfter {
				if err := h.sim.SetOutcome(tt.id, tt.outcome); err != nil {
					t.Fatal(err)
				}
			}
			if a := h.call(t, http.MethodPost, drPath(tt.id)+"/"+tt.op, nil, nil); a.status != http.StatusOK {
				t.Fatalf("%s: got HTTP %d; want 200 (body %s)", tt.op, a.status, a.body)
			}
			if tt.setAfter {
				if err := h.sim.SetOutcome(tt.id, tt.outcome); err != nil {
					t.Fatal(err)
				}
			}
			h.clock.Advance(tt.advance)
			if got := h.status(t, tt.id); got != tt.want {
				t.Errorf("got %s; want %s", got, tt.want)
			}
		})
	}
}

func TestSteeringUnknownID(t *testing.T) {
	sim := drsim.New(drsim.Options{})
	const id = "00000000-0000-4000-8000-000000000000"
	if err := sim.SetStatus(id, drapi.StatusRunning); err == nil {
		t.Error("SetStatus of an unknown id: got nil error; want one")
	}
	if err := sim.SetOutcome(id, drapi.StatusAbnormal); err == nil {
		t.Error("SetOutcome of an unknown id: got nil error; want one")
	}
	if st, ok := sim.Status(id); ok {
		t.Errorf("Status of an unknown id: got %q, true; want false", st)
	}
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		opts      drsim.Options
		path      string
		edit      func(r *http.Request) // before signing
		afterSign func(r *http.Request)
		creds     *drapi.Credentials
		skew      time.Duration
		want      int
		wantCode  string
	}{
		{name: "valid", want: 200},
		{name: "14 minutes skew", skew: -14 * time.Minute, want: 200},
		{name: "wrong secret key", creds: &drapi.Credentials{AccessKey: drsim.AccessKey, SecretKey: "wrong"}, want: 401, wantCode: "APIGW.0301"},
		{name: "unknown access key", creds: &drapi.Credentials{AccessKey: "OTHERAK", SecretKey: drsim.SecretKey}, want: 401, wantCode: "APIGW.0301"},
		{name: "no authorization", afterSign: func(r *http.Request) { r.Header.Del("Authorization") }, want: 401, wantCode: "APIGW.0301"},
		{name: "missing date", afterSign: func(r *http.Request) { r.Header.Del("X-Sdk-Date") }, want: 401, wantCode: "APIGW.0301"},
		{name: "16 minutes late", skew: -16 * time.Minute, want: 401, wantCode: "APIGW.0301"},
		{name: "16 minutes early", skew: 16 * time.Minute, want: 401, wantCode: "APIGW.0301"},
		{name: "tampered path", afterSign: func(r *http.Request) { r.URL.Path = drPath(drsim.SeedStopped) }, want: 401, wantCode: "APIGW.0301"},
		{name: "other X-Project-Id", edit: func(r *http.Request) { r.Header.Set("X-Project-Id", "0123456789abcdef0123456789abcdef") }, want: 401, wantCode: "APIGW.0301"},
		{name: "no X-Project-Id", edit: func(r *http.Request) { r.Header.Del("X-Project-Id") }, want: 401, wantCode: "APIGW.0301"},
		{name: "other project in path", path: "/v2/0123456789abcdef0123456789abcdef/disaster-recovery/" + drsim.SeedRunning, want: 403, wantCode: "APIGW.0302"},
		{
			name: "token required and missing",
			opts: drsim.Options{Credentials: drapi.Credentials{AccessKey: drsim.AccessKey, SecretKey: drsim.SecretKey, SecurityToken: "tok"}},
			want: 401, wantCode: "APIGW.0301",
		},
		{
			name: "token required and sent",
			opts: drsim.Options{Credentials: drapi.Credentials{AccessKey: drsim.AccessKey, SecretKey: drsim.SecretKey, SecurityToken: "tok"}},
			edit: func(r *http.Request) { r.Header.Set("X-Security-Token", "tok") },
			want: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, tt.opts)
			if tt.creds != nil {
				h.creds = *tt.creds
			}
			h.skew = tt.skew
			path := tt.path
			if path == "" {
				path = drPath(drsim.SeedRunning)
			}
			a := h.call(t, http.MethodGet, path, tt.edit, tt.afterSign)
			if a.status != tt.want {
				t.Fatalf("got HTTP %d; want %d (body %s)", a.status, tt.want, a.body)
			}
			if tt.wantCode == "" {
				return
			}
			e := a.errorBody(t)
			if e.Code != tt.wantCode {
				t.Errorf("error_code: got %q; want %q", e.Code, tt.wantCode)
			}
			if tt.wantCode == "APIGW.0301" && !strings.HasPrefix(e.Msg, "Incorrect IAM authentication information: ") {
				t.Errorf("error_msg: got %q; want the IAM prefix", e.Msg)
			}
			if strings.Contains(string(a.body), drsim.SecretKey) {
				t.Errorf("body %s leaks the secret key", a.body)
			}
			if got := h.sim.Count(drsim.RouteDetail); got != 1 {
				t.Errorf("Count(RouteDetail): got %d; want 1 (refused calls count too)", got)
			}
		})
	}
}

func TestErrorsAndRequestIDs(t *testing.T) {
	h := setup(t, drsim.Options{})
	tests := []struct {
		name, method, path string
		want               int
		wantCode           string
	}{
		{"detail", http.MethodGet, drPath(drsim.SeedRunning), 200, ""},
		{"unknown id", http.MethodGet, drPath("00000000-0000-4000-8000-000000000000"), 400, "DWS.10101"},
		{"pause unknown id", http.MethodPost, drPath("00000000-0000-4000-8000-000000000000") + "/pause", 400, "DWS.10101"},
		{"invalid id", http.MethodGet, drPath("E59D6B86-9072-46EB-A996-13F8B44994C1"), 400, "DWS.0001"},
		{"unknown route", http.MethodGet, "/v2/" + drsim.ProjectID + "/clusters", 404, "APIG.0101"},
		{"wrong method", http.MethodGet, drPath(drsim.SeedRunning) + "/pause", 404, "APIG.0101"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.call(t, tt.method, tt.path, nil, nil)
			if a.status != tt.want {
				t.Fatalf("got HTTP %d; want %d (body %s)", a.status, tt.want, a.body)
			}
			rid := a.header.Get("X-Request-Id")
			if len(rid) != 32 || seen[rid] {
				t.Errorf("X-Request-Id %q: want 32 hex digits, unique", rid)
			}
			seen[rid] = true
			if tt.wantCode != "" {
				if e := a.errorBody(t); e.Code != tt.wantCode || e.Msg == "" {
					t.Errorf("got %+v; want code %s and a message", e, tt.wantCode)
				}
			}
		})
	}
	if got := h.sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("Count(RoutePause): got %d; want 1 (the wrong-method GET is no pause)", got)
	}
}

func TestList(t *testing.T) {
	h := setup(t, drsim.Options{})
	all := []string{drsim.SeedRunning, drsim.SeedStopped, drsim.SeedStopFailed, drsim.SeedUnstart}
	var running drapi.Summary
	for _, s := range h.list(t, "") {
		if s.ID == drsim.SeedRunning {
			running = s
		}
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"all", "", all},
		{"by id", "?id=" + drsim.SeedStopped, []string{drsim.SeedStopped}},
		{"by primary", "?primary_cluster_id=" + running.PrimaryClusterID, []string{drsim.SeedRunning}},
		{"by standby", "?standby_cluster_id=" + running.StandbyClusterID, []string{drsim.SeedRunning}},
		{"both must match", "?id=" + drsim.SeedStopped + "&primary_cluster_id=" + running.PrimaryClusterID, nil},
		{"no match", "?id=00000000-0000-4000-8000-000000000000", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range h.list(t, tt.query) {
				got = append(got, s.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
	if running.PrimaryClusterRegion != "cn-north-4" || running.StandbyClusterRegion != "cn-east-3" ||
		running.PrimaryClusterRole != "primary" || running.StandbyClusterRole != "standby" || running.Status != drapi.StatusRunning {
		t.Errorf("running task summary: got %+v; want cn-north-4 primary, cn-east-3 standby, running", running)
	}
	if a := h.call(t, http.MethodGet, listPath+"?id=00000000-0000-4000-8000-000000000000", nil, nil); !strings.Contains(string(a.body), `"disaster_recovery":[]`) {
		t.Errorf("empty list body: got %s; want an empty array", a.body)
	}
}

func (h *harness) list(t *testing.T, query string) []drapi.Summary {
	t.Helper()
	a := h.call(t, http.MethodGet, listPath+query, nil, nil)
	if a.status != http.StatusOK {
		t.Fatalf("list%s: got HTTP %d; want 200 (body %s)", query, a.status, a.body)
	}
	var body struct {
		DR []drapi.Summary `json:"disaster_recovery"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatalf("list body %q: %v", a.body, err)
	}
	return body.DR
}

func TestSeededDetail(t *testing.T) {
	h := setup(t, drsim.Options{})
	a := h.call(t, http.MethodGet, drPath(drsim.SeedRunning), nil, nil)
	var body struct {
		DR drapi.Detail `json:"disaster_recovery"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil {
		t.Fatal(err)
	}
	d := body.DR
	if d.ID != drsim.SeedRunning || d.Name == "" || d.DRType != "region" || d.CreateTime == "" || d.StartTime == "" ||
		d.Primary.ID == "" || d.Primary.AZ == "" || d.Primary.Role != "primary" || d.Primary.LastSuccessTime == "" ||
		d.Standby.Region != "cn-east-3" || d.Standby.Role != "standby" || d.Primary.Status != "backuping" {
		t.Errorf("seeded running task: got %+v; want every field filled", d)
	}
	for _, id := range []string{drsim.SeedRunning, drsim.SeedStopped, drsim.SeedStopFailed, drsim.SeedUnstart} {
		if err := drapi.ValidateID(id); err != nil {
			t.Errorf("seed id %s: %v", id, err)
		}
	}
}

func TestFaults(t *testing.T) {
	pause := drPath(drsim.SeedRunning) + "/pause"
	detail := drPath(drsim.SeedRunning)
	tests := []struct {
		name       string
		fault      drsim.Fault
		method     string
		path       string
		wantErr    bool // the connection is reset
		want       int
		wantCode   string
		wantStatus drapi.Status // of SeedRunning afterwards
		check      func(t *testing.T, a answer)
	}{
		{
			name: "delay", fault: drsim.Fault{Kind: drsim.FaultDelay, Delay: 10 * time.Millisecond},
			method: http.MethodPost, path: pause, want: 200, wantStatus: drapi.StatusStopping,
		},
		{
			name: "throttle", fault: drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultThrottle, RetryAfter: 1500 * time.Millisecond},
			method: http.MethodPost, path: pause, want: 429, wantCode: "APIG.0308", wantStatus: drapi.StatusRunning,
			check: func(t *testing.T, a answer) {
				if got := a.header.Get("Retry-After"); got != "2" {
					t.Errorf("Retry-After: got %q; want 2", got)
				}
				if e := a.errorBody(t); e.RequestID != a.header.Get("X-Request-Id") {
					t.Errorf("request_id %q: want the X-Request-Id header %q", e.RequestID, a.header.Get("X-Request-Id"))
				}
			},
		},
		{
			name: "internal error", fault: drsim.Fault{Kind: drsim.FaultError},
			method: http.MethodPost, path: pause, want: 500, wantCode: "DWS.9999", wantStatus: drapi.StatusRunning,
		},
		{
			name: "unavailable", fault: drsim.Fault{Kind: drsim.FaultError, Status: 503, Code: "DWS.9999", Msg: "Service unavailable."},
			method: http.MethodGet, path: detail, want: 503, wantCode: "DWS.9999", wantStatus: drapi.StatusRunning,
		},
		{
			name: "any code", fault: drsim.Fault{Kind: drsim.FaultError, Status: 404, Code: "DWS.3027", Msg: "The cluster has been deleted."},
			method: http.MethodGet, path: detail, want: 404, wantCode: "DWS.3027", wantStatus: drapi.StatusRunning,
		},
		{
			name: "reset", fault: drsim.Fault{Kind: drsim.FaultReset},
			method: http.MethodPost, path: pause, wantErr: true, wantStatus: drapi.StatusRunning,
		},
		{
			name: "malformed", fault: drsim.Fault{Kind: drsim.FaultMalformed},
			method: http.MethodGet, path: detail, want: 200, wantStatus: drapi.StatusRunning,
			check: func(t *testing.T, a answer) {
				if json.Valid(a.body) {
					t.Errorf("body %s: want invalid JSON", a.body)
				}
			},
		},
		{
			name: "html", fault: drsim.Fault{Kind: drsim.FaultHTML},
			method: http.MethodGet, path: detail, want: 502, wantStatus: drapi.StatusRunning,
			check: func(t *testing.T, a answer) {
				if ct := a.header.Get("Content-Type"); ct != "text/html" || !strings.Contains(string(a.body), "<html>") {
					t.Errorf("got %s %q; want an HTML page", ct, a.body)
				}
			},
		},
		{
			name: "oversized", fault: drsim.Fault{Kind: drsim.FaultOversized, Size: 1 << 20},
			method: http.MethodGet, path: detail, want: 200, wantStatus: drapi.StatusRunning,
			check: func(t *testing.T, a answer) {
				if len(a.body) != 1<<20 || !json.Valid(a.body) {
					t.Errorf("got %d bytes (valid JSON: %t); want %d of valid JSON", len(a.body), json.Valid(a.body), 1<<20)
				}
			},
		},
		{
			name: "lost pause, reset", fault: drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultLost},
			method: http.MethodPost, path: pause, wantErr: true, wantStatus: drapi.StatusStopping,
		},
		{
			name: "lost pause, 500", fault: drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultLost, Status: 500},
			method: http.MethodPost, path: pause, want: 500, wantCode: "DWS.9999", wantStatus: drapi.StatusStopping,
		},
		{
			name: "fault for another route", fault: drsim.Fault{Route: drsim.RouteDetail, Kind: drsim.FaultReset},
			method: http.MethodPost, path: pause, want: 200, wantStatus: drapi.StatusStopping,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, drsim.Options{})
			tt.fault.Times = 1
			h.sim.Inject(tt.fault)
			a, err := h.try(tt.method, tt.path, nil, nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got HTTP %d; want a reset connection", a.status)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if a.status != tt.want {
					t.Fatalf("got HTTP %d; want %d (body %.200s)", a.status, tt.want, a.body)
				}
				if a.header.Get("X-Request-Id") == "" {
					t.Error("no X-Request-Id")
				}
				if tt.wantCode != "" {
					if e := a.errorBody(t); e.Code != tt.wantCode {
						t.Errorf("error_code: got %q; want %q", e.Code, tt.wantCode)
					}
				}
				if tt.check != nil {
					tt.check(t, a)
				}
			}
			if got, _ := h.sim.Status(drsim.SeedRunning); got != tt.wantStatus {
				t.Errorf("status after: got %s; want %s", got, tt.wantStatus)
			}
			// Times: 1 spoils one answer only.
			if got := h.status(t, drsim.SeedRunning); got != tt.wantStatus {
				t.Errorf("status read after the fault: got %s; want %s", got, tt.wantStatus)
			}
		})
	}
}

func TestFaultTimesAndOrder(t *testing.T) {
	h := setup(t, drsim.Options{})
	h.sim.Inject(
		drsim.Fault{Kind: drsim.FaultThrottle, Times: 2},
		drsim.Fault{Route: drsim.RouteList, Kind: drsim.FaultError, Status: 503},
	)
	want := []int{429, 429, 200, 503, 503}
	paths := []string{drPath(drsim.SeedRunning), listPath, drPath(drsim.SeedRunning), listPath, listPath}
	for i, p := range paths {
		if a := h.call(t, http.MethodGet, p, nil, nil); a.status != want[i] {
			t.Errorf("request %d (%s): got HTTP %d; want %d", i, p, a.status, want[i])
		}
	}
	h.sim.ClearFaults()
	if a := h.call(t, http.MethodGet, listPath, nil, nil); a.status != 200 {
		t.Errorf("after ClearFaults: got HTTP %d; want 200", a.status)
	}
}

func TestDelayHonoursCancellation(t *testing.T) {
	h := setup(t, drsim.Options{})
	h.sim.Inject(drsim.Fault{Kind: drsim.FaultDelay, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+drPath(drsim.SeedRunning), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Project-Id", drsim.ProjectID)
	aksk.Sign(r, nil, h.creds, h.clock.Now())
	if _, err := h.srv.Client().Do(r); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want context.DeadlineExceeded", err)
	}
	// httptest.Server.Close waits for running handlers: it returns promptly only if the
	// delayed handler saw the cancellation.
	closed := make(chan struct{})
	go func() { h.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the delayed handler is still running after its client gave up")
	}
}

func TestConcurrentUse(t *testing.T) {
	h := setup(t, drsim.Options{StoppingFor: drsim.Immediate, StartingFor: drsim.Immediate})
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		unexpected []string
	)
	send := func(method, path string) {
		a, err := h.try(method, path, nil, nil)
		if err == nil && (a.status == 200 || a.status == 400 || a.status == 500) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		unexpected = append(unexpected, fmt.Sprintf("%s %s: HTTP %d, %v", method, path, a.status, err))
	}
	const workers, rounds = 8, 20
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				switch (w + i) % 5 {
				case 0:
					send(http.MethodPost, drPath(drsim.SeedRunning)+"/pause")
				case 1:
					send(http.MethodPost, drPath(drsim.SeedRunning)+"/start")
				case 2:
					send(http.MethodGet, listPath)
				case 3:
					h.sim.Inject(drsim.Fault{Route: drsim.RouteDetail, Kind: drsim.FaultError, Times: 1})
					send(http.MethodGet, drPath(drsim.SeedRunning))
				case 4:
					if err := h.sim.SetStatus(drsim.SeedRunning, drapi.StatusRunning); err != nil {
						t.Error(err)
					}
					h.sim.Status(drsim.SeedRunning)
				}
			}
		})
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Errorf("unexpected answers: %v", unexpected)
	}
	total := h.sim.Count(drsim.RoutePause) + h.sim.Count(drsim.RouteStart) + h.sim.Count(drsim.RouteList) + h.sim.Count(drsim.RouteDetail)
	if want := workers * rounds * 4 / 5; total != want {
		t.Errorf("requests counted: got %d; want %d", total, want)
	}
}

// TestStartFaults: the faults of the pause route apply to the start route alike, and another
// client's start can be let in first.
func TestStartFaults(t *testing.T) {
	start := drPath(drsim.SeedStopped) + "/start"
	tests := []struct {
		name       string
		fault      drsim.Fault
		wantErr    bool // the connection is reset
		want       int
		wantCode   string
		wantStatus drapi.Status // of SeedStopped afterwards
	}{
		{name: "lost start, reset", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultLost},
			wantErr: true, wantStatus: drapi.StatusStarting},
		{name: "lost start, 503", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultLost, Status: 503},
			want: 503, wantCode: "DWS.9999", wantStatus: drapi.StatusStarting},
		{name: "internal error", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultError},
			want: 500, wantCode: "DWS.9999", wantStatus: drapi.StatusStopped},
		{name: "throttle", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultThrottle},
			want: 429, wantCode: "APIG.0308", wantStatus: drapi.StatusStopped},
		{name: "busy", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultBusy},
			want: 409, wantCode: "DWS.0011", wantStatus: drapi.StatusStopped},
		{name: "reset", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultReset},
			wantErr: true, wantStatus: drapi.StatusStopped},
		{name: "another start first", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultStartedFirst},
			want: 400, wantCode: "DWS.4242", wantStatus: drapi.StatusStarting},
		{name: "a pause first cannot pause a stopped task", fault: drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultPausedFirst},
			want: 200, wantStatus: drapi.StatusStarting},
		{name: "a pause fault leaves the start alone", fault: drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultReset},
			want: 200, wantStatus: drapi.StatusStarting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t, drsim.Options{RefusalCode: "DWS.4242"})
			tt.fault.Times = 1
			h.sim.Inject(tt.fault)
			a, err := h.try(http.MethodPost, start, nil, nil)
			switch {
			case tt.wantErr && err == nil:
				t.Fatalf("got HTTP %d; want a reset connection", a.status)
			case !tt.wantErr && err != nil:
				t.Fatal(err)
			case !tt.wantErr && a.status != tt.want:
				t.Fatalf("got HTTP %d; want %d (body %s)", a.status, tt.want, a.body)
			case tt.wantCode != "":
				if e := a.errorBody(t); e.Code != tt.wantCode {
					t.Errorf("error_code: got %q; want %q", e.Code, tt.wantCode)
				}
			}
			if got := h.status(t, drsim.SeedStopped); got != tt.wantStatus {
				t.Errorf("status after: got %s; want %s", got, tt.wantStatus)
			}
			if got := h.sim.Count(drsim.RouteStart); got != 1 {
				t.Errorf("Count(RouteStart): got %d; want 1", got)
			}
		})
	}
}

// TestStartedFirstOnPause: another client's resume let in before a pause of a stopped task
// leaves it starting, which a pause cannot leave, so the pause is refused naming starting.
func TestStartedFirstOnPause(t *testing.T) {
	h := setup(t, drsim.Options{})
	h.sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultStartedFirst, Times: 1})
	a := h.call(t, http.MethodPost, drPath(drsim.SeedStopped)+"/pause", nil, nil)
	if a.status != http.StatusBadRequest {
		t.Fatalf("got HTTP %d; want 400 (body %s)", a.status, a.body)
	}
	if e := a.errorBody(t); e.Code != drsim.DefaultRefusalCode || !strings.Contains(e.Msg, "pause in status starting") {
		t.Errorf("got %+v; want %s naming the pause and status starting", e, drsim.DefaultRefusalCode)
	}
	if got := h.status(t, drsim.SeedStopped); got != drapi.StatusStarting {
		t.Errorf("status: got %s; want starting", got)
	}
}
