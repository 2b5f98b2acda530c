package lambdaentry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
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
		{"pause named", `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"pause"}`, `"status":"stopped"`},
		{"resume", `{"disaster_recovery_id":"` + drsim.SeedStopped + `","action":"resume"}`, `"code":"resume_disabled"`},
		{"unknown action", `{"disaster_recovery_id":"` + drsim.SeedRunning + `","action":"stop"}`, `"code":"unknown_action"`},
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

// TestCheckInvocation: {"action": "check"} alone answers the self-check; with anything else it
// is refused, and a check never runs for a request that names a DR.
func TestCheckInvocation(t *testing.T) {
	checks := 0
	h := &Handler{HTTP: echo(), Invoke: newService(t), Logger: slog.New(slog.DiscardHandler),
		Check: func(context.Context) any { checks++; return map[string]string{"version": "v-test"} }}
	tests := []struct {
		name, event, want string
		wantChecks        int
	}{
		{"check", `{"action":"check"}`, `{"version":"v-test"}`, 1},
		{"check with another field", `{"action":"check","wait":true}`, `"code":"invalid_request"`, 0},
		{"check naming a DR", `{"action":"check","disaster_recovery_id":"` + drsim.SeedRunning + `"}`, `"code":"unknown_action"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks = 0
			out, err := h.Handle(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			b, _ := json.Marshal(out)
			if !strings.Contains(string(b), tt.want) || checks != tt.wantChecks {
				t.Errorf("answer: got %s after %d checks; want %s after %d", b, checks, tt.want, tt.wantChecks)
			}
		})
	}
	h.Check = nil
	b := handle(t, h, map[string]string{"action": "check"})
	if !strings.Contains(string(b), `"code":"disabled"`) {
		t.Errorf("without Check: got %s; want disabled", b)
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
	return invoke.New(invoke.Config{Wait: 5 * time.Second, AllowedIDs: func(string) bool { return true }, Follow: follow}, dr)
}
