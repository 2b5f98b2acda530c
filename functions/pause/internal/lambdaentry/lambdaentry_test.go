package lambdaentry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// echo answers with what it received, so tests can see the request the adapter built.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Add("Set-Cookie", "a=1; Path=/")
		w.Header().Add("Set-Cookie", "b=2, c; Path=/")
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		if r.URL.Path == "/binary" {
			w.Write([]byte{0xff, 0x00, 0xfe})
			return
		}
		w.WriteHeader(http.StatusTeapot)
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "host": r.Host,
			"signature": r.Header.Get("X-Slack-Signature"), "accept": r.Header.Values("Accept"),
			"cookie": r.Header.Get("Cookie"), "body": string(body), "remote": r.RemoteAddr,
		})
	})
}

func handle(t *testing.T, h *Handler, event any) []byte {
	t.Helper()
	raw, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFunctionURLEvent(t *testing.T) {
	h := &Handler{HTTP: echo(), Logger: slog.New(slog.DiscardHandler)}
	ev := events.LambdaFunctionURLRequest{
		Version:         "2.0",
		RawPath:         "/slack/commands",
		RawQueryString:  "a=1&b=two%20words",
		Cookies:         []string{"s=1", "t=2"},
		Headers:         map[string]string{"host": "x.lambda-url.eu-west-1.on.aws", "x-slack-signature": "v0=abc", "accept": "text/plain,application/json"},
		Body:            base64.StdEncoding.EncodeToString([]byte("text=pause+x")),
		IsBase64Encoded: true,
	}
	ev.RequestContext.HTTP.Method = "POST"
	ev.RequestContext.HTTP.SourceIP = "198.51.100.7"
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(handle(t, h, ev), &resp); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	want := map[string]any{
		"method": "POST", "path": "/slack/commands", "query": "a=1&b=two%20words", "host": "x.lambda-url.eu-west-1.on.aws",
		"signature": "v0=abc", "cookie": "s=1; t=2", "body": "text=pause+x", "remote": "198.51.100.7",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("request %s: got %v; want %v", k, got[k], v)
		}
	}
	if resp.StatusCode != http.StatusTeapot || resp.IsBase64Encoded {
		t.Errorf("answer: got status %d base64 %t; want 418, plain", resp.StatusCode, resp.IsBase64Encoded)
	}
	if resp.Headers["X-Multi"] != "one,two" || len(resp.Cookies) != 2 || resp.Cookies[1] != "b=2, c; Path=/" {
		t.Errorf("answer headers: got %v cookies %q; want X-Multi one,two and two cookies", resp.Headers, resp.Cookies)
	}
	if _, ok := resp.Headers["Set-Cookie"]; ok {
		t.Errorf("answer headers: got Set-Cookie in headers; want it only in cookies")
	}
}

func TestBinaryAnswerIsBase64(t *testing.T) {
	h := &Handler{HTTP: echo(), Logger: slog.New(slog.DiscardHandler)}
	ev := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: "/binary", Headers: map[string]string{}}
	ev.RequestContext.HTTP.Method = "GET"
	var resp events.LambdaFunctionURLResponse
	json.Unmarshal(handle(t, h, ev), &resp)
	if got, _ := base64.StdEncoding.DecodeString(resp.Body); !resp.IsBase64Encoded || !bytes.Equal(got, []byte{0xff, 0x00, 0xfe}) {
		t.Errorf("answer: got body %q base64 %t; want the bytes base64-encoded", resp.Body, resp.IsBase64Encoded)
	}
}

func TestRESTEvent(t *testing.T) {
	h := &Handler{HTTP: echo(), Logger: slog.New(slog.DiscardHandler)}
	ev := events.APIGatewayProxyRequest{
		Resource: "/{proxy+}", Path: "/invoke", HTTPMethod: "POST",
		Headers:                         map[string]string{"Host": "api.example.com", "Accept": "a"},
		MultiValueHeaders:               map[string][]string{"Accept": {"a", "b"}},
		MultiValueQueryStringParameters: map[string][]string{"x": {"1", "2"}},
		Body:                            `{"k":1}`,
	}
	var resp events.APIGatewayProxyResponse
	json.Unmarshal(handle(t, h, ev), &resp)
	var got map[string]any
	json.Unmarshal([]byte(resp.Body), &got)
	if got["path"] != "/invoke" || got["query"] != "x=1&x=2" || got["body"] != `{"k":1}` || got["host"] != "api.example.com" {
		t.Errorf("request: got %v; want path /invoke, query x=1&x=2, the body and the host", got)
	}
	if acc, _ := got["accept"].([]any); len(acc) != 2 {
		t.Errorf("request Accept: got %v; want both values", got["accept"])
	}
	if resp.StatusCode != http.StatusTeapot || len(resp.MultiValueHeaders["Set-Cookie"]) != 2 {
		t.Errorf("answer: got %d %v; want 418 with two Set-Cookie values", resp.StatusCode, resp.MultiValueHeaders)
	}
}

func TestUnknownEvents(t *testing.T) {
	h := &Handler{HTTP: echo(), Logger: slog.New(slog.DiscardHandler)}
	for _, ev := range []string{`{}`, `{"hello":"world"}`, `[1,2]`, `"x"`, `{"requestContext":{"elb":{"targetGroupArn":"arn"}},"httpMethod":"GET"}`} {
		if _, err := h.Handle(context.Background(), json.RawMessage(ev)); err == nil {
			t.Errorf("Handle(%s): got no error; want a refusal", ev)
		}
	}
}

func TestDirectInvocation(t *testing.T) {
	svc := newService(t)
	h := &Handler{HTTP: echo(), Invoke: svc, Logger: slog.New(slog.DiscardHandler)}
	tests := []struct {
		name, event, want string
	}{
		{"dry run", `{"disaster_recovery_id":"` + drsim.SeedStopped + `","dry_run":true}`, `"status":"stopped"`},
		{"pause and wait", `{"disaster_recovery_id":"` + drsim.SeedRunning + `","wait":true}`, `"status":"stopped"`},
		{"unknown field", `{"disaster_recovery_id":"` + drsim.SeedRunning + `","dryrun":true}`, `"code":"invalid_request"`},
		{"not found", `{"disaster_recovery_id":"00000000-0000-4000-8000-000000000000"}`, `"error":{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Handle(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			b, _ := json.Marshal(out)
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("answer: got %s; want %s", b, tt.want)
			}
		})
	}
}

func TestJobEnvelope(t *testing.T) {
	key := NewJobKey("signing-secret")
	now := time.Unix(1_800_000_000, 0)
	job := []byte(`{"kind": "pause", "disaster_recovery_id": "` + drsim.SeedRunning + `"}`)
	sealed, err := SealJob(key, job, now)
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
		{"stale", key, sealed, now.Add(MaxJobAge + time.Second), ErrStaleJob},
		{"from the future", key, sealed, now.Add(-2 * time.Minute), ErrStaleJob},
		{"no key", nil, sealed, now, ErrNoJobKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenJob(tt.key, tt.payload, tt.at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenJob: got %v; want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Contains(got, []byte(`"kind":"pause"`)) {
				t.Errorf("job: got %s; want the compacted job", got)
			}
		})
	}
	if _, err := SealJob(nil, job, now); !errors.Is(err, ErrNoJobKey) {
		t.Errorf("SealJob without key: got %v; want ErrNoJobKey", err)
	}
}

type testJob struct {
	Kind string `json:"kind"`
	ID   string `json:"disaster_recovery_id"`
}

// TestDeferrerInvokesItself sends a job through the real AWS SDK to a fake Lambda API, then
// delivers what arrived to the Handler, as Lambda would.
func TestDeferrerInvokesItself(t *testing.T) {
	fake := fakelambda.Start()
	defer fake.Close()
	key := NewJobKey("signing-secret")
	d := &Deferrer[testJob]{
		FunctionName: "stack-pause", Key: key, Region: "eu-west-1", Endpoint: fake.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "session-token"),
	}
	if err := d.Defer(context.Background(), testJob{Kind: "pause", ID: drsim.SeedRunning}); err != nil {
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
	ran := make(chan testJob, 1)
	h := &Handler{HTTP: echo(), JobKey: key, Logger: slog.New(slog.DiscardHandler),
		RunJob: func(ctx context.Context, raw json.RawMessage) error {
			var j testJob
			err := json.Unmarshal(raw, &j)
			ran <- j
			return err
		}}
	if _, err := h.Handle(context.Background(), inv.Payload); err != nil {
		t.Fatalf("Handle(job): %v", err)
	}
	if j := <-ran; j.ID != drsim.SeedRunning || j.Kind != "pause" {
		t.Errorf("job run: got %+v; want the deferred job", j)
	}
	other := &Handler{HTTP: echo(), JobKey: NewJobKey("another-deployment"), RunJob: h.RunJob}
	if _, err := other.Handle(context.Background(), inv.Payload); !errors.Is(err, ErrBadJobMAC) {
		t.Errorf("Handle(job) with another key: got %v; want ErrBadJobMAC", err)
	}
}

func TestDeferrerNeedsKeyAndName(t *testing.T) {
	if err := (&Deferrer[testJob]{FunctionName: "f"}).Defer(context.Background(), testJob{}); !errors.Is(err, ErrNoJobKey) {
		t.Errorf("Defer without key: got %v; want ErrNoJobKey", err)
	}
	if err := (&Deferrer[testJob]{Key: NewJobKey("s")}).Defer(context.Background(), testJob{}); err == nil {
		t.Error("Defer without function name: got no error; want one")
	}
}

// newService returns a Service calling a fresh simulator.
func newService(t *testing.T) *invoke.Service {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{StoppingFor: drsim.Immediate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dr, err := drapi.New(sim.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	follow := drapi.FollowOptions{MinInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond}
	return invoke.New(invoke.Config{Wait: 5 * time.Second, AllowedIDs: []string{"*"}, Follow: follow}, dr)
}

// TestDeferrerFailsFast: a hand-off is bounded by Timeout and sent once, so a slow or failing
// Lambda API neither makes Slack wait past its 3 s nor queues the same job twice.
func TestDeferrerFailsFast(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		answer  func(w http.ResponseWriter, r *http.Request)
		wantErr error // besides any error
	}{
		{
			name:    "slow Lambda API",
			timeout: 100 * time.Millisecond,
			answer:  func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			wantErr: context.DeadlineExceeded,
		},
		{
			// Timeout is generous: the SDK's default retries, with their backoff, fit in it.
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
			d := &Deferrer[testJob]{
				FunctionName: "stack-pause", Key: NewJobKey("signing-secret"), Region: "eu-west-1",
				Endpoint: api.URL, Timeout: tt.timeout,
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
			}
			// Backstop, so an unbounded Defer fails the test instead of hanging it.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			err := d.Defer(ctx, testJob{Kind: "pause", ID: drsim.SeedRunning})
			elapsed := time.Since(start)

			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Defer: got %v; want an error wrapping %v", err, tt.wantErr)
			}
			if limit := tt.timeout + time.Second; elapsed > limit {
				t.Errorf("Defer took %v; want at most %v", elapsed, limit)
			}
			mu.Lock()
			defer mu.Unlock()
			if requests != 1 {
				t.Errorf("got %d requests to the Lambda API; want 1", requests)
			}
		})
	}
}
