package lambdaentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

func TestJobEnvelope(t *testing.T) {
	key := NewJobKey("signing-secret")
	now := time.Unix(1_800_000_000, 0)
	job := []byte(`{"kind": "pause", "disaster_recovery_id": "` + drsim.SeedRunning + `"}`)
	sealed, err := sealJob(key, job, "JOBID0", now)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, sealed, "", "  ")
	tests := []struct {
		name    string
		key     JobKey
		payload []byte
		at      time.Time
		wantErr error
	}{
		{"fresh", key, sealed, now.Add(time.Second), nil},
		{"re-indented in transit", key, pretty.Bytes(), now, nil},
		{"other deployment", NewJobKey("other-secret"), sealed, now, ErrBadJobMAC},
		{"tampered job", key, bytes.Replace(sealed, []byte(`"kind":"pause"`), []byte(`"kind":"list"`), 1), now, ErrBadJobMAC},
		{"tampered time", key, bytes.Replace(sealed, []byte("1800000000"), []byte("1800000900"), 1), now, ErrBadJobMAC},
		{"tampered job id", key, bytes.Replace(sealed, []byte("JOBID0"), []byte("JOBID1"), 1), now, ErrBadJobMAC},
		{"stale", key, sealed, now.Add(MaxJobAge + time.Second), ErrStaleJob},
		{"from the future", key, sealed, now.Add(-2 * time.Minute), ErrStaleJob},
		{"no key", nil, sealed, now, ErrNoJobKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openJob(tt.key, tt.payload, tt.at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("openJob: got %v; want %v", err, tt.wantErr)
			}
			if err == nil && (!bytes.Contains(got.job, []byte(`"kind":"pause"`)) || got.id != "JOBID0" || !got.issued.Equal(now)) {
				t.Errorf("job: got %s, id %q, issued %v; want the compacted job, JOBID0, %v", got.job, got.id, got.issued, now)
			}
		})
	}
	if _, err := sealJob(nil, job, "JOBID0", now); !errors.Is(err, ErrNoJobKey) {
		t.Errorf("sealJob without key: got %v; want ErrNoJobKey", err)
	}
}

type testJob struct {
	Kind string `json:"kind"`
	ID   string `json:"disaster_recovery_id"`
}

// testInvoker is a SelfInvoker calling the Lambda API at endpoint through hc (nil: awsapi's
// default), with dummy credentials so the requests are signed as in the cloud.
func testInvoker(t *testing.T, endpoint string, hc *http.Client, timeout time.Duration) SelfInvoker {
	t.Helper()
	api, err := awsapi.New(awsapi.Config{
		Region:      "eu-west-1",
		Credentials: awsapi.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "test-secret", SessionToken: "session-token"},
		Endpoints:   map[awsapi.Service]string{awsapi.Lambda: endpoint},
		HTTPClient:  hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return SelfInvoker{FunctionName: "stack-pause", API: api, Timeout: timeout}
}

// TestJobsRoundTrip defers a job through the real Lambda client to a fake Lambda API, then delivers
// what arrived to the Handler, as Lambda would: the same Jobs opens it and runs the typed job.
func TestJobsRoundTrip(t *testing.T) {
	fake := fakelambda.Start()
	defer fake.Close()
	ran := make(chan testJob, 1)
	jobs := &Jobs[testJob]{
		Key:     NewJobKey("signing-secret"),
		Invoker: testInvoker(t, fake.URL(), nil, 0),
		Ledger:  ledger.NewMemory(),
		Run: func(_ context.Context, j testJob) error {
			ran <- j
			return nil
		},
	}
	if err := jobs.Defer(context.Background(), testJob{Kind: "pause", ID: drsim.SeedRunning}); err != nil {
		t.Fatalf("Defer: %v", err)
	}
	var inv fakelambda.Invocation
	select {
	case inv = <-fake.Calls():
	case <-time.After(5 * time.Second):
		t.Fatal("no invocation reached the fake Lambda API")
	}
	if inv.FunctionName != "stack-pause" || inv.InvocationType != "Event" || !inv.Signed {
		t.Errorf("invocation: got %q %q signed %t; want stack-pause, Event, signed", inv.FunctionName, inv.InvocationType, inv.Signed)
	}
	h := &Handler{HTTP: echo(), Jobs: jobs, Logger: slog.New(slog.DiscardHandler)}
	if _, err := h.Handle(context.Background(), inv.Payload); err != nil {
		t.Fatalf("Handle(job): %v", err)
	}
	if j := <-ran; j.ID != drsim.SeedRunning || j.Kind != "pause" {
		t.Errorf("job run: got %+v; want the deferred job", j)
	}
	other := &Handler{HTTP: echo(), Jobs: &Jobs[testJob]{Key: NewJobKey("another-deployment"), Run: jobs.Run, Ledger: ledger.NewMemory()}}
	if _, err := other.Handle(context.Background(), inv.Payload); !errors.Is(err, ErrBadJobMAC) {
		t.Errorf("Handle(job) with another key: got %v; want ErrBadJobMAC", err)
	}
	if len(ran) != 0 {
		t.Error("a job sealed by another deployment ran")
	}
}

// TestJobsRefuse: a job runs only when it is sealed with the key, decodes as the job type and
// has a runner; a function without jobs refuses every envelope.
func TestJobsRefuse(t *testing.T) {
	key := NewJobKey("signing-secret")
	now := time.Unix(1_800_000_000, 0)
	seal := func(job string) []byte {
		t.Helper()
		sealed, err := sealJob(key, []byte(job), "JOBID0", now)
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	run := func(context.Context, testJob) error { t.Error("a refused job ran"); return nil }
	tests := []struct {
		name    string
		handler *Handler
		payload []byte
		want    string // in the error
	}{
		{"wrong type", &Handler{Jobs: &Jobs[testJob]{Key: key, Run: run, Ledger: ledger.NewMemory(), Now: func() time.Time { return now }}},
			seal(`{"kind":7}`), "decode job"},
		{"no ledger", &Handler{Jobs: &Jobs[testJob]{Key: key, Run: run, Now: func() time.Time { return now }}},
			seal(`{"kind":"pause"}`), "no job ledger"},
		{"no runner", &Handler{Jobs: &Jobs[testJob]{Key: key, Now: func() time.Time { return now }}},
			seal(`{"kind":"pause"}`), "no job runner"},
		{"no jobs", &Handler{}, seal(`{"kind":"pause"}`), "no job runner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.handler.Handle(context.Background(), tt.payload)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Errorf("Handle: got %v; want an error about %q", err, tt.want)
			}
		})
	}
}

func TestJobsNeedKeyAndName(t *testing.T) {
	if err := (&Jobs[testJob]{Invoker: SelfInvoker{FunctionName: "f"}}).Defer(context.Background(), testJob{}); !errors.Is(err, ErrNoJobKey) {
		t.Errorf("Defer without key: got %v; want ErrNoJobKey", err)
	}
	if err := (&Jobs[testJob]{Key: NewJobKey("s")}).Defer(context.Background(), testJob{}); err == nil {
		t.Error("Defer without function name: got no error; want one")
	}
}

// deadlineRecorder is a transport that records the deadline of each request it carries.
type deadlineRecorder struct {
	mu        sync.Mutex
	deadlines []time.Time
}

func (d *deadlineRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, _ := r.Context().Deadline()
	d.mu.Lock()
	d.deadlines = append(d.deadlines, dl)
	d.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestSelfInvokerFailsFast: an invocation is bounded by Timeout and sent once, so a slow or
// failing Lambda API neither makes Slack wait past its 3 s nor queues the same job twice. The
// bound is read off the request's own deadline rather than off a stopwatch, so a busy machine
// cannot fail it.
func TestSelfInvokerFailsFast(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		answer  func(w http.ResponseWriter, r *http.Request)
		wantErr error // besides any error
	}{
		{
			// The API never answers: only the Timeout can end the call.
			name:    "slow Lambda API",
			timeout: 2 * time.Second,
			answer:  func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			wantErr: context.DeadlineExceeded,
		},
		{
			// Timeout is generous: a client that retried, with backoff, would fit its retries in it.
			name:    "Lambda API error",
			timeout: 10 * time.Second,
			answer: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amzn-Errortype", "ServiceException")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"Type":"Service","message":"internal failure"}`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				requests++
				mu.Unlock()
				// Read to the end, so the server watches the connection and cancels r.Context()
				// when the client hangs up.
				io.Copy(io.Discard, r.Body)
				tt.answer(w, r)
			}))
			t.Cleanup(api.Close)
			rec := &deadlineRecorder{}
			inv := testInvoker(t, api.URL, &http.Client{Transport: rec}, tt.timeout)
			// Backstop, so an unbounded call fails the test instead of hanging it. It cancels
			// rather than expires, so a DeadlineExceeded can only come from Timeout.
			ctx, cancel := context.WithCancel(context.Background())
			backstop := time.AfterFunc(time.Minute, cancel)
			defer backstop.Stop()
			defer cancel()
			before := time.Now()
			err := inv.InvokeAsync(ctx, []byte(`{}`))
			after := time.Now()

			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("InvokeAsync: got %v; want an error wrapping %v", err, tt.wantErr)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, dl := range rec.deadlines {
				if dl.Before(before.Add(tt.timeout)) || dl.After(after.Add(tt.timeout)) {
					t.Errorf("request deadline: got %v after the call began; want %v", dl.Sub(before), tt.timeout)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if requests != 1 || len(rec.deadlines) != 1 {
				t.Errorf("got %d requests to the Lambda API (%d sent); want 1", requests, len(rec.deadlines))
			}
		})
	}
}

// TestJobsRunOnce: Lambda may deliver a job twice, to two instances: the job id claimed in the
// shared ledger lets the first delivery run and turns the second into a log line. Without the
// ledger the job does not run, and Abandon tells whoever waits for it.
func TestJobsRunOnce(t *testing.T) {
	key := NewJobKey("signing-secret")
	now := time.Unix(1_800_000_000, 0)
	sealed, err := sealJob(key, []byte(`{"kind":"pause","disaster_recovery_id":"`+drsim.SeedRunning+`"}`), "JOBID0", now)
	if err != nil {
		t.Fatal(err)
	}
	shared := ledger.NewMemory()
	shared.Now = func() time.Time { return now }
	var ran []testJob
	var logs bytes.Buffer
	instance := func() *Handler {
		return &Handler{Jobs: &Jobs[testJob]{Key: key, Ledger: shared, Now: func() time.Time { return now },
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Run:    func(_ context.Context, j testJob) error { ran = append(ran, j); return nil }}}
	}
	for i, h := range []*Handler{instance(), instance()} {
		if _, err := h.Handle(context.Background(), sealed); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if len(ran) != 1 {
		t.Errorf("got %d runs for two deliveries; want 1", len(ran))
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"msg":"job delivered again: already run, nothing done","job_id":"JOBID0"`)) {
		t.Errorf("logs: got %s; want the second delivery logged", logs.Bytes())
	}

	var abandoned []testJob
	down := &Handler{Jobs: &Jobs[testJob]{Key: key, Ledger: downLedger{}, Now: func() time.Time { return now },
		Run:     func(context.Context, testJob) error { t.Error("ran without the ledger"); return nil },
		Abandon: func(_ context.Context, j testJob, err error) error { abandoned = append(abandoned, j); return nil }}}
	if _, err := down.Handle(context.Background(), sealed); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("without the ledger: got %v; want ErrUnavailable", err)
	}
	if len(abandoned) != 1 || abandoned[0].ID != drsim.SeedRunning {
		t.Errorf("abandoned: got %+v; want the job", abandoned)
	}
}

// downLedger cannot be reached.
type downLedger struct{}

func (downLedger) Claim(context.Context, string, string, time.Time) (ledger.Result, error) {
	return ledger.Result{}, &ledger.UnavailableError{Ledger: "DynamoDB table t", Err: errors.New("connection refused")}
}

// rotatingSecret is a signing secret whose Recheck finds next, once.
type rotatingSecret struct {
	cur, prev, next string
	rechecks        int
}

func (s *rotatingSecret) Current() string  { return s.cur }
func (s *rotatingSecret) Previous() string { return s.prev }
func (s *rotatingSecret) Recheck(_ context.Context, failed string) bool {
	s.rechecks++
	if s.next == "" || failed != s.cur {
		return false
	}
	s.prev, s.cur, s.next = s.cur, s.next, ""
	return true
}

// invokerFunc is an EventInvoker made of a function.
type invokerFunc func(ctx context.Context, function string, payload []byte) error

func (f invokerFunc) InvokeEvent(ctx context.Context, function string, payload []byte) error {
	return f(ctx, function, payload)
}

// TestJobsAfterRotation: jobs are sealed with the key of the secret in force; one sealed before
// a rotation still runs while the secret offers the old value as previous, and one sealed by an
// instance that read the new value first runs after a re-read.
func TestJobsAfterRotation(t *testing.T) {
	const oldSecret, newSecret = "old-signing-secret", "new-signing-secret"
	now := time.Unix(1_800_000_000, 0)
	job := testJob{Kind: "pause", ID: drsim.SeedRunning}
	sealedWith := func(secret string) []byte {
		t.Helper()
		var payload []byte
		jobs := &Jobs[testJob]{Secret: &rotatingSecret{cur: secret}, Now: func() time.Time { return now },
			Invoker: SelfInvoker{FunctionName: "f", API: invokerFunc(func(_ context.Context, _ string, p []byte) error {
				payload = p
				return nil
			})}}
		if err := jobs.Defer(context.Background(), job); err != nil {
			t.Fatal(err)
		}
		return payload
	}
	tests := []struct {
		name         string
		secret       *rotatingSecret
		payload      []byte
		wantErr      error
		wantRechecks int
	}{
		{name: "in force", secret: &rotatingSecret{cur: newSecret, prev: oldSecret}, payload: sealedWith(newSecret)},
		{name: "sealed before the rotation", secret: &rotatingSecret{cur: newSecret, prev: oldSecret}, payload: sealedWith(oldSecret)},
		{name: "sealed by an instance that read later", secret: &rotatingSecret{cur: oldSecret, next: newSecret},
			payload: sealedWith(newSecret), wantRechecks: 1},
		{name: "previous no longer accepted", secret: &rotatingSecret{cur: newSecret}, payload: sealedWith(oldSecret),
			wantErr: ErrBadJobMAC, wantRechecks: 1},
		{name: "another deployment", secret: &rotatingSecret{cur: newSecret, prev: oldSecret}, payload: sealedWith("other"),
			wantErr: ErrBadJobMAC, wantRechecks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := 0
			jobs := &Jobs[testJob]{Secret: tt.secret, Ledger: ledger.NewMemory(), Now: func() time.Time { return now },
				Run: func(_ context.Context, got testJob) error {
					if got != job {
						t.Errorf("job: got %+v; want %+v", got, job)
					}
					ran++
					return nil
				}}
			err := jobs.RunSealed(context.Background(), tt.payload)
			if !errors.Is(err, tt.wantErr) || tt.secret.rechecks != tt.wantRechecks {
				t.Fatalf("RunSealed: got %v after %d re-reads; want %v after %d", err, tt.secret.rechecks, tt.wantErr, tt.wantRechecks)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantErr == nil]; ran != want {
				t.Errorf("runs: got %d; want %d", ran, want)
			}
		})
	}
}

// TestStaleJobIsAbandonedOnce: an authentic job that Lambda delivers after MaxJobAge is not run,
// and whoever waits for it is told once, however often it is delivered.
func TestStaleJobIsAbandonedOnce(t *testing.T) {
	key := NewJobKey("signing-secret")
	made := time.Unix(1_800_000_000, 0)
	sealed, err := sealJob(key, []byte(`{"kind":"pause","disaster_recovery_id":"`+drsim.SeedRunning+`"}`), "JOBID1", made)
	if err != nil {
		t.Fatal(err)
	}
	late := made.Add(MaxJobAge + time.Minute)
	shared := ledger.NewMemory()
	shared.Now = func() time.Time { return late }
	var abandoned []error
	for i := range 2 {
		h := &Handler{Jobs: &Jobs[testJob]{Key: key, Ledger: shared, Now: func() time.Time { return late },
			Run:     func(context.Context, testJob) error { t.Error("ran a stale job"); return nil },
			Abandon: func(_ context.Context, _ testJob, err error) error { abandoned = append(abandoned, err); return nil }}}
		if _, err := h.Handle(context.Background(), sealed); !errors.Is(err, ErrStaleJob) {
			t.Errorf("delivery %d: got %v; want ErrStaleJob", i+1, err)
		}
	}
	if len(abandoned) != 1 || !errors.Is(abandoned[0], ErrStaleJob) {
		t.Errorf("abandoned: got %v; want once, for ErrStaleJob", abandoned)
	}
}
