package lambdaentry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

const fuzzID = "e59d6b86-9072-46eb-a996-13f8b44994c1"

var fuzzNow = time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)

// fuzzDR answers at once and records the ids it was asked about.
type fuzzDR struct {
	mu  sync.Mutex
	ids []string
}

func (d *fuzzDR) Get(_ context.Context, id string) (*drapi.Detail, error) {
	d.record(id)
	return &drapi.Detail{ID: id, Status: drapi.StatusRunning}, nil
}

func (d *fuzzDR) PauseAndFollow(_ context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	d.record(id)
	if opt.OnStatus != nil {
		opt.OnStatus(drapi.StatusRunning)
		opt.OnStatus(drapi.StatusStopping)
	}
	return drapi.Outcome{ID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopping}, nil
}

func (d *fuzzDR) StartAndFollow(_ context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	d.record(id)
	if opt.OnStatus != nil {
		opt.OnStatus(drapi.StatusStopped)
		opt.OnStatus(drapi.StatusStarting)
	}
	return drapi.Outcome{ID: id, Posted: true, Initial: drapi.StatusStopped, Status: drapi.StatusStarting}, nil
}

func (d *fuzzDR) record(id string) {
	d.mu.Lock()
	d.ids = append(d.ids, id)
	d.mu.Unlock()
}

func (d *fuzzDR) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := d.ids
	d.ids = nil
	return ids
}

// fuzzEcho answers 200 with the body it received, so the round trip through the adapter shows.
func fuzzEcho(seen *[][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		*seen = append(*seen, body)
		w.Header().Add("Set-Cookie", "a=1; Path=/")
		w.Write(body)
	})
}

// lambdaSeeds are events of every kind the function receives, shaped like the recorded ones,
// and broken ones.
func lambdaSeeds() []string {
	v2 := func(method, path, body string, b64 bool) string {
		ev := events.LambdaFunctionURLRequest{
			Version: "2.0", RawPath: path, RawQueryString: "a=1",
			Headers: map[string]string{"host": "abc.lambda-url.eu-west-1.on.aws", "content-type": "application/x-www-form-urlencoded",
				"x-slack-request-timestamp": "1764111111", "x-slack-signature": "v0=00"},
			Body: body, IsBase64Encoded: b64,
		}
		ev.RequestContext.HTTP.Method = method
		ev.RequestContext.HTTP.Path = path
		ev.RequestContext.HTTP.SourceIP = "203.0.113.7"
		b, _ := json.Marshal(ev)
		return string(b)
	}
	v1 := func(method, path, body string) string {
		b, _ := json.Marshal(events.APIGatewayProxyRequest{
			Resource: "/{proxy+}", Path: path, HTTPMethod: method,
			Headers:                         map[string]string{"Host": "api.example", "Authorization": "Bearer x"},
			MultiValueHeaders:               map[string][]string{"Accept": {"a", "b"}},
			QueryStringParameters:           map[string]string{"q": "1"},
			MultiValueQueryStringParameters: map[string][]string{"q": {"1", "2"}},
			Body:                            body,
		})
		return string(b)
	}
	return []string{
		v2("POST", "/slack/commands", "token=x&team_id=T1&user_id=U1&command=%2Fdr&text=pause+"+fuzzID, false),
		v2("POST", "/slack/interactions", base64.StdEncoding.EncodeToString([]byte("payload=%7B%7D")), true),
		v2("POST", "/slack/commands", "!!!not base64", true),
		v2("GET", "/healthz", "", false),
		v2("BAD METHOD", "/x", "", false),
		v2("POST", "../../clusters/x", "", false),
		v2("POST", "/a?b#c", "", false),
		v2("POST", "", "\xff\xfe", false),
		v1("POST", "/invoke", `{"disaster_recovery_id":"`+fuzzID+`"}`),
		v1("POST", "", ""),
		`{"disaster_recovery_id":"` + fuzzID + `","wait":false,"dry_run":true}`,
		`{"disaster_recovery_id":"` + fuzzID + `","wait":true}`,
		`{"disaster_recovery_id":"` + fuzzID + `"}`,
		`{"disaster_recovery_id":"../../clusters/x"}`,
		`{"disaster_recovery_id":"` + strings.ToUpper(fuzzID) + `"}`,
		`{"disaster_recovery_id":"` + fuzzID + `?a=b"}`,
		`{"disaster_recovery_id":"е59d6b86-9072-46eb-a996-13f8b44994c1"}`,
		`{"disaster_recovery_id":"` + fuzzID + `","dryrun":true}`,
		`{"disaster_recovery_id":"` + fuzzID + `"} {}`,
		`{"disaster_recovery_id":42}`,
		`{"drpause_job":{"kind":"pause","disaster_recovery_id":"` + fuzzID + `"},"issued_at":1764111111,"mac":"00"}`,
		`{"drpause_job":"x","mac":"zz"}`,
		`{"requestContext":{"elb":{"targetGroupArn":"x"}},"httpMethod":"GET","path":"/"}`,
		`{"version":"2.0","requestContext":{"http":null}}`,
		`{"version":"2.0","requestContext":{"http":{"method":"POST"}},"headers":{"x-a\r\nb":"c\r\nd"}}`,
		`{}`, `[]`, `null`, `"x"`, ``, `{`,
	}
}

// FuzzHandle feeds the Lambda entry arbitrary events: none may panic, a forged job envelope
// never runs, the DR is only called for canonical, allow-listed ids, and an HTTP answer carries
// the handler's body back intact. Each event is then sealed as a job, which must run as given.
func FuzzHandle(f *testing.F) {
	for _, s := range lambdaSeeds() {
		f.Add([]byte(s))
	}
	dr := &fuzzDR{}
	var seen [][]byte
	var jobs []json.RawMessage
	key := NewJobKey("fuzz-signing-secret")
	jobLedger := ledger.NewMemory()
	jobLedger.Now = func() time.Time { return fuzzNow }
	h := &Handler{
		HTTP:   fuzzEcho(&seen),
		Invoke: invoke.New(invoke.Config{Wait: time.Second, AllowedIDs: func(id string) bool { return id == fuzzID }}, dr),
		// Jobs of raw JSON, so every sealed event decodes and the job run is the job sealed.
		Jobs: &Jobs[json.RawMessage]{
			Key:    key,
			Ledger: jobLedger,
			Run: func(_ context.Context, job json.RawMessage) error {
				jobs = append(jobs, job)
				return nil
			},
			Now: func() time.Time { return fuzzNow },
		},
		Logger: discardLogger(),
	}
	f.Fuzz(func(t *testing.T, event []byte) {
		seen, jobs = nil, nil
		out, err := h.Handle(context.Background(), event)
		if err == nil && out == nil {
			t.Errorf("Handle(%.200q): got no answer and no error", event)
		}
		if len(jobs) != 0 {
			t.Errorf("Handle(%.200q): ran %d jobs from an unsealed event; want none", event, len(jobs))
		}
		for _, id := range dr.take() {
			if id != fuzzID {
				t.Errorf("Handle(%.200q): the DR was called for %q; want only the allow-listed %s", event, id, fuzzID)
			}
		}
		checkHTTPAnswer(t, out, seen)

		sealed, err := sealJob(key, event, rand.Text(), fuzzNow)
		if err != nil {
			return // not JSON: nothing to seal
		}
		jobs = nil
		if _, err := h.Handle(context.Background(), sealed); err != nil {
			t.Fatalf("Handle(sealed %.200q): %v", sealed, err)
		}
		if len(jobs) != 1 {
			t.Fatalf("Handle(sealed): ran %d jobs; want 1", len(jobs))
		}
		var want bytes.Buffer
		_ = json.Compact(&want, event)
		if !bytes.Equal(jobs[0], want.Bytes()) {
			t.Errorf("sealed job: ran %.200q; want %.200q", jobs[0], want.Bytes())
		}
	})
}

// checkHTTPAnswer checks that an HTTP event's answer is a status a platform accepts and carries
// the body the handler wrote, base64-encoded only when it is not text.
func checkHTTPAnswer(t *testing.T, out any, seen [][]byte) {
	t.Helper()
	var status int
	var body string
	var b64 bool
	switch a := out.(type) {
	case events.LambdaFunctionURLResponse:
		status, body, b64 = a.StatusCode, a.Body, a.IsBase64Encoded
	case events.APIGatewayProxyResponse:
		status, body, b64 = a.StatusCode, a.Body, a.IsBase64Encoded
	default:
		if len(seen) != 0 {
			t.Errorf("got answer %T after serving HTTP; want an HTTP answer", out)
		}
		return
	}
	if status < 100 || status > 599 {
		t.Errorf("got status %d; want an HTTP status", status)
	}
	if len(seen) == 0 {
		if status != http.StatusBadRequest {
			t.Errorf("got status %d without serving the request; want 400", status)
		}
		return
	}
	got := []byte(body)
	if b64 {
		var err error
		if got, err = base64.StdEncoding.DecodeString(body); err != nil {
			t.Fatalf("got a base64 answer that does not decode: %v", err)
		}
	}
	if !bytes.Equal(got, seen[0]) {
		t.Errorf("got answer body %.200q; want the %.200q the handler wrote", got, seen[0])
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
