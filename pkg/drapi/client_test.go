package drapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
)

const (
	testProject = "89cd04f168b84af6be287f71730fdb4b"
	testID      = "e59d6b86-9072-46eb-a996-13f8b44994c1"
)

var testCreds = Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321", SecurityToken: "temporary-token"}

// answer is one scripted response of the fake API.
type answer struct {
	status int
	body   string
	header map[string]string // an empty value removes the header
	hang   bool              // hold the request until the client gives up
	reset  bool              // drop the connection without an answer
}

func detail(s Status) answer {
	return answer{status: 200, body: `{"disaster_recovery":{"id":"` + testID + `","name":"dr1","status":"` + string(s) + `"}}`}
}

var accepted = answer{status: 200, body: `{"disaster_recovery":{"id":"` + testID + `"}}`}

func apiError(status int, code string) answer {
	return answer{status: status, body: `{"error_code":"` + code + `","error_msg":"scripted"}`}
}

// fakeAPI answers each method from its script, in order, repeating the last answer. It checks
// every request the way the API gateway would: signature, signed headers, project and path.
type fakeAPI struct {
	t      *testing.T
	mu     sync.Mutex
	script map[string][]answer
	calls  map[string]int
	hung   chan struct{} // receives once per request held by a hang answer
}

func (a *fakeAPI) count(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[method]
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkRequest(r); err != nil {
		a.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"APIGW.0301","error_msg":"test server rejected the request"}`)
		return
	}
	a.mu.Lock()
	n := a.calls[r.Method]
	a.calls[r.Method]++
	list := a.script[r.Method]
	a.mu.Unlock()
	if len(list) == 0 {
		a.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	ans := list[min(n, len(list)-1)]
	switch {
	case ans.hang:
		select {
		case a.hung <- struct{}{}:
		default:
		}
		<-r.Context().Done()
		return
	case ans.reset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			a.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("%s-%d", r.Method, n+1))
	for k, v := range ans.header {
		if v == "" {
			w.Header().Del(k)
			continue
		}
		w.Header().Set(k, v)
	}
	w.WriteHeader(ans.status)
	io.WriteString(w, ans.body)
}

// checkRequest verifies what DWS verifies, plus what this client promises to send.
func checkRequest(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	secret := func(ak string) (string, bool) { return testCreds.SecretKey, ak == testCreds.AccessKey }
	if _, err := aksk.Verify(r, body, secret); err != nil {
		return err
	}
	_, signed, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	if want := "user-agent;x-project-id;x-sdk-date;x-security-token"; signed != want {
		return fmt.Errorf("signed headers %q; want %q", signed, want)
	}
	for name, want := range map[string]string{
		"User-Agent":       DefaultUserAgent,
		"X-Project-Id":     testProject,
		"X-Security-Token": testCreds.SecurityToken,
	} {
		if got := r.Header.Get(name); got != want {
			return fmt.Errorf("header %s = %q; want %q", name, got, want)
		}
	}
	drPath := "/v2/" + testProject + "/disaster-recovery/" + testID
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == drPath || r.URL.Path == "/v2/"+testProject+"/disaster-recoveries"):
	case r.Method == http.MethodPost && r.URL.Path == drPath+"/pause" && len(body) == 0:
	default:
		return fmt.Errorf("unexpected request %s %s with %d body bytes", r.Method, r.URL, len(body))
	}
	return nil
}

// newTestClient returns a Client with millisecond backoffs talking to a fakeAPI playing script.
func newTestClient(t *testing.T, script map[string][]answer) (*Client, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{t: t, script: script, calls: map[string]int{}, hung: make(chan struct{}, 1)}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax, c.retryAfterMax = time.Millisecond, 4*time.Millisecond, 20*time.Millisecond
	c.attemptTimeout = 5 * time.Second
	return c, api
}

// unreachable is a server that fails the test if anything reaches it.
func unreachable(t *testing.T) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the server: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInvalidIDNeverSent(t *testing.T) {
	c := unreachable(t)
	ids := []string{
		"",
		"../../clusters/x",
		"a?b",
		"a/b",
		"%2e%2e",
		testID + "/pause",
		testID + "?x=1",
		" " + testID,
		strings.ToUpper(testID),
		"e59d6b86907246eba99613f8b44994c1",
		"{e59d6b86-9072-46eb-a996-13f8b44994c1}",
		"\u043559d6b86-9072-46eb-a996-13f8b44994c1", // Cyrillic e
		"e59d6b86-9072-46eb-a996-13f8b44994c\uff11", // fullwidth digit one
		"e59d6b86\u20109072-46eb-a996-13f8b44994c1", // hyphen look-alike
	}
	ctx := context.Background()
	calls := map[string]func(id string) error{
		"Get":   func(id string) error { _, err := c.Get(ctx, id); return err },
		"Pause": func(id string) error { _, err := c.Pause(ctx, id); return err },
		"PauseAndFollow": func(id string) error {
			_, err := c.PauseAndFollow(ctx, id, FollowOptions{})
			return err
		},
		// An empty filter is valid, so List gets each id with one more character.
		"List": func(id string) error { _, err := c.List(ctx, ListFilter{ID: id + "x"}); return err },
	}
	for name, call := range calls {
		for _, id := range ids {
			t.Run(name+"/"+id, func(t *testing.T) {
				if err := call(id); !errors.Is(err, ErrInvalidID) {
					t.Errorf("got %v; want ErrInvalidID", err)
				}
			})
		}
	}
}

func TestErrorBodies(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 2*maxMessage)
	tests := []struct {
		name string
		ans  answer
		want Error
	}{
		{"dws error", answer{status: 400, body: `{"error_code":"DWS.0001","error_msg":"bad parameter"}`},
			Error{HTTPStatus: 400, Code: "DWS.0001", Message: "bad parameter"}},
		{"code and message", answer{status: 403, body: `{"code":"IAM.0002","message":"forbidden"}`},
			Error{HTTPStatus: 403, Code: "IAM.0002", Message: "forbidden"}},
		{"numeric code", answer{status: 400, body: `{"code":400,"message":"bad"}`},
			Error{HTTPStatus: 400, Code: "400", Message: "bad"}},
		{"nested error", answer{status: 401, body: `{"error":{"code":"APIG.0301","message":"token invalid"}}`},
			Error{HTTPStatus: 401, Code: "APIG.0301", Message: "token invalid"}},
		{"error_code wins over code", answer{status: 400, body: `{"error_code":"DWS.0001","error_msg":"a","code":"X","message":"b"}`},
			Error{HTTPStatus: 400, Code: "DWS.0001", Message: "a"}},
		{"gateway request id in body", answer{status: 429, body: `{"error_code":"APIG.0308","error_msg":"throttled","request_id":"body-id"}`, header: map[string]string{"X-Request-Id": ""}},
			Error{HTTPStatus: 429, Code: "APIG.0308", Message: "throttled", RequestID: "body-id"}},
		{"raw text trimmed and on one line", answer{status: 502, body: "\n  Bad\n\tGateway  \n"},
			Error{HTTPStatus: 502, Message: "Bad Gateway"}},
		{"json without a code", answer{status: 400, body: `{"error":"nope"}`},
			Error{HTTPStatus: 400, Message: `{"error":"nope"}`}},
		{"raw body capped", answer{status: 400, body: long},
			Error{HTTPStatus: 400, Message: long[:maxMessage] + "..."}},
		{"empty body", answer{status: 404}, Error{HTTPStatus: 404}},
		{"retry-after seconds", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": "7"}},
			Error{HTTPStatus: 503, Message: "busy", RetryAfter: 7 * time.Second}},
		{"retry-after date", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}},
			Error{HTTPStatus: 503, Message: "busy", RetryAfter: 90 * time.Second}},
		{"retry-after garbage", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": "soon"}},
			Error{HTTPStatus: 503, Message: "busy"}},
		{"redirect is not followed", answer{status: 302, header: map[string]string{"Location": "https://example.com/"}},
			Error{HTTPStatus: 302}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, map[string][]answer{"GET": {tt.ans}})
			c.maxAttempts = 1
			c.now = func() time.Time { return now }
			_, err := c.Get(context.Background(), testID)
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("got %v; want *Error", err)
			}
			want := tt.want
			want.Attempts = 1
			if want.RequestID == "" {
				want.RequestID = "GET-1"
			}
			if *got != want {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrThrottled, ErrAuth, ErrStatusNotAllowed}
	tests := []struct {
		status int
		code   string
		want   error // the one sentinel err must match; nil: none
	}{
		{400, "DWS.10101", ErrNotFound},
		{401, "DWS.0047", nil},
		{403, "DWS.0015", nil},
		{400, "DWS.0015", nil},
		{400, "DWS.0001", nil},
		{404, "DWS.3027", ErrNotFound},
		{500, "DWS.9999", nil},
		{401, "APIGW.0301", ErrAuth},
		{401, "APIG.0301", ErrAuth},
		{403, "", ErrAuth},
		{429, "APIG.0308", ErrThrottled},
		{409, "", ErrStatusNotAllowed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.code), func(t *testing.T) {
			ans := apiError(tt.status, tt.code)
			if tt.status == 429 {
				ans.header = map[string]string{"Retry-After": "3"}
			}
			c, _ := newTestClient(t, map[string][]answer{"GET": {ans}})
			c.maxAttempts = 1
			_, err := c.Get(context.Background(), testID)
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %t; want %t", err, s, got, !got)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v; want an *Error", err)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status {
				t.Errorf("got %d %q; want %d %q", e.HTTPStatus, e.Code, tt.status, tt.code)
			}
			if tt.status == 429 && e.RetryAfter != 3*time.Second {
				t.Errorf("got RetryAfter %v; want 3s", e.RetryAfter)
			}
		})
	}
}

func TestGetRetries(t *testing.T) {
	huge := `{"disaster_recovery":{"name":"` + strings.Repeat("x", maxSuccessBody) + `"}}`
	tests := []struct {
		name       string
		answers    []answer
		wantGets   int
		wantIs     error // nil: success
		wantStatus int   // of the *Error, when the failure is an API answer
	}{
		{"503 then success", []answer{apiError(503, ""), apiError(503, ""), detail(StatusRunning)}, 3, nil, 0},
		{"throttled with retry-after then success",
			[]answer{{status: 429, body: `{"error_code":"APIG.0308"}`, header: map[string]string{"Retry-After": "1"}}, detail(StatusRunning)}, 2, nil, 0},
		{"connection reset then success", []answer{{reset: true}, detail(StatusRunning)}, 2, nil, 0},
		{"gives up after max attempts", []answer{apiError(500, "DWS.9999")}, 4, errAny, 500},
		{"not found is not retried", []answer{apiError(400, "DWS.10101")}, 1, ErrNotFound, 400},
		{"auth is not retried", []answer{apiError(401, "APIGW.0301")}, 1, ErrAuth, 401},
		{"malformed 2xx is not retried", []answer{{status: 200, body: "<html>"}}, 1, errMalformed, 0},
		{"2xx larger than the cap", []answer{{status: 200, body: huge}}, 1, errMalformed, 0},
		{"2xx without the object", []answer{{status: 200, body: `{}`}}, 1, errMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Retry-After is honoured up to retryAfterMax, which keeps this test fast.
			c, api := newTestClient(t, map[string][]answer{"GET": tt.answers})
			d, err := c.Get(context.Background(), testID)
			if got := api.count("GET"); got != tt.wantGets {
				t.Errorf("got %d GETs; want %d", got, tt.wantGets)
			}
			if tt.wantIs == nil {
				if err != nil || d.Status != StatusRunning || d.ID != testID {
					t.Fatalf("got %+v, %v; want the running detail", d, err)
				}
				return
			}
			if tt.wantIs != errAny && !errors.Is(err, tt.wantIs) || err == nil {
				t.Errorf("got %v; want %v", err, tt.wantIs)
			}
			var e *Error
			switch {
			case errors.As(err, &e) != (tt.wantStatus != 0):
				t.Errorf("got %v; want an *Error: %t", err, tt.wantStatus != 0)
			case e != nil && (e.HTTPStatus != tt.wantStatus || e.Attempts != tt.wantGets):
				t.Errorf("got status %d after %d attempts; want %d after %d", e.HTTPStatus, e.Attempts, tt.wantStatus, tt.wantGets)
			}
		})
	}
}

// errAny stands for any error in tables whose other columns say more.
var errAny = errors.New("any error")

func TestRetryWaits(t *testing.T) {
	ms := time.Millisecond
	busy := func(retryAfter string) answer {
		a := answer{status: 503, body: "busy"}
		if retryAfter != "" {
			a.header = map[string]string{"Retry-After": retryAfter}
		}
		return a
	}
	tests := []struct {
		name    string
		answers []answer
		// Each wait must fall in [lo, hi]: backoff is jittered over its upper half.
		lo, hi []time.Duration
	}{
		{"exponential, capped, jittered", []answer{busy(""), busy(""), busy(""), detail(StatusRunning)},
			[]time.Duration{50 * ms, 100 * ms, 125 * ms}, []time.Duration{100 * ms, 200 * ms, 250 * ms}},
		{"retry-after honoured", []answer{busy("2"), detail(StatusRunning)},
			[]time.Duration{2 * time.Second}, []time.Duration{2 * time.Second}},
		{"retry-after capped", []answer{busy("3600"), detail(StatusRunning)},
			[]time.Duration{30 * time.Second}, []time.Duration{30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, map[string][]answer{"GET": tt.answers})
			c.backoffBase, c.backoffMax, c.retryAfterMax = 100*ms, 250*ms, 30*time.Second
			var waits []time.Duration
			c.wait = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return ctx.Err()
			}
			if _, err := c.Get(context.Background(), testID); err != nil {
				t.Fatal(err)
			}
			if len(waits) != len(tt.lo) {
				t.Fatalf("waited %v; want %d waits", waits, len(tt.lo))
			}
			for i, d := range waits {
				if d < tt.lo[i] || d > tt.hi[i] {
					t.Errorf("wait %d: got %v; want %v to %v", i+1, d, tt.lo[i], tt.hi[i])
				}
			}
		})
	}
}

func TestGetGivesUpBeforeTheDeadline(t *testing.T) {
	c, api := newTestClient(t, map[string][]answer{"GET": {
		{status: 503, body: "busy", header: map[string]string{"Retry-After": "1"}},
		detail(StatusRunning),
	}})
	c.retryAfterMax = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, testID)
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 503 || e.Attempts != 1 {
		t.Errorf("got %v; want the 503 after 1 attempt, not a wait past the deadline", err)
	}
	if got := api.count("GET"); got != 1 {
		t.Errorf("got %d GETs; want 1", got)
	}
}

func TestPause(t *testing.T) {
	tests := []struct {
		name      string
		posts     []answer
		gets      []answer // the status read back after an ambiguous failure
		timeout   bool     // shrink the per-attempt timeout
		wantID    string   // empty: Pause must fail
		wantIs    error    // the failure, or errAny
		wantCode  string   // error_code of the *Error, when the failure is an API answer
		wantPosts int
		wantGets  int
	}{
		{"accepted", []answer{accepted}, nil, false, testID, nil, "", 1, 0},
		{"throttled then accepted", []answer{apiError(429, "APIG.0308"), accepted}, nil, false, testID, nil, "", 2, 0},
		{"throttled until the attempts run out", []answer{apiError(429, "APIG.0308")}, nil, false, "", ErrThrottled, "APIG.0308", 4, 0},
		{"500 but it took effect", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusStopping)}, false, testID, nil, "", 1, 1},
		{"500 and already stopped", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusStopped)}, false, testID, nil, "", 1, 1},
		{"500 and still running", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusRunning)}, false, "", errAny, "DWS.9999", 1, 1},
		{"500 and status unreadable", []answer{apiError(500, "DWS.9999")}, []answer{apiError(404, "")}, false, "", errAny, "DWS.9999", 1, 1},
		{"timeout and still running", []answer{{hang: true}}, []answer{detail(StatusRunning)}, true, "", context.DeadlineExceeded, "", 1, 1},
		{"timeout but it took effect", []answer{{hang: true}}, []answer{detail(StatusStopping)}, true, testID, nil, "", 1, 1},
		{"connection reset and still running", []answer{{reset: true}}, []answer{detail(StatusRunning)}, false, "", errAny, "", 1, 1},
		{"unparseable 2xx but it took effect", []answer{{status: 200, body: "ok"}}, []answer{detail(StatusStopping)}, false, testID, nil, "", 1, 1},
		{"2xx without an id and still running", []answer{{status: 200, body: "{}"}}, []answer{detail(StatusRunning)}, false, "", errMalformed, "", 1, 1},
		{"not found is final", []answer{apiError(404, "DWS.10101")}, nil, false, "", ErrNotFound, "DWS.10101", 1, 0},
		{"conflict is final", []answer{apiError(409, "DWS.0000")}, nil, false, "", ErrStatusNotAllowed, "DWS.0000", 1, 0},
		{"bad request is final", []answer{apiError(400, "DWS.0001")}, nil, false, "", errAny, "DWS.0001", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := newTestClient(t, map[string][]answer{"POST": tt.posts, "GET": tt.gets})
			if tt.timeout {
				c.attemptTimeout = 50 * time.Millisecond
			}
			id, err := c.Pause(context.Background(), testID)
			if got := api.count("POST"); got != tt.wantPosts {
				t.Errorf("got %d POSTs; want %d", got, tt.wantPosts)
			}
			if got := api.count("GET"); got != tt.wantGets {
				t.Errorf("got %d GETs; want %d", got, tt.wantGets)
			}
			if id != tt.wantID {
				t.Errorf("got id %q; want %q", id, tt.wantID)
			}
			if tt.wantIs == nil {
				if err != nil {
					t.Errorf("got error %v; want nil", err)
				}
				return
			}
			if err == nil || tt.wantIs != errAny && !errors.Is(err, tt.wantIs) {
				t.Errorf("got %v; want %v", err, tt.wantIs)
			}
			var e *Error
			switch {
			case errors.As(err, &e) != (tt.wantCode != ""):
				t.Errorf("got %v; want an *Error: %t", err, tt.wantCode != "")
			case e != nil && (e.Code != tt.wantCode || e.Attempts != tt.wantPosts):
				t.Errorf("got %s after %d attempts; want %s after %d", e.Code, e.Attempts, tt.wantCode, tt.wantPosts)
			}
		})
	}
}

func TestPauseStopsOnCallerCancel(t *testing.T) {
	c, api := newTestClient(t, map[string][]answer{"POST": {{hang: true}}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-api.hung // the POST is in flight
		cancel()
	}()
	_, err := c.Pause(ctx, testID)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want context.Canceled", err)
	}
	if got := api.count("GET"); got != 0 {
		t.Errorf("got %d GETs after the caller cancelled; want 0", got)
	}
}

func TestList(t *testing.T) {
	const body = `{"disaster_recovery":[{"id":"` + testID + `","status":"running","primary_cluster_id":"11111111-2222-3333-4444-555555555555"},{"id":"x","status":"stopped"}]}`
	var gotQuery atomic.Value
	api := &fakeAPI{t: t, script: map[string][]answer{"GET": {{status: 200, body: body}}}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery.Store(r.URL.Query())
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL + "/", Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.List(context.Background(), ListFilter{PrimaryClusterID: "11111111-2222-3333-4444-555555555555"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		{ID: testID, Status: StatusRunning, PrimaryClusterID: "11111111-2222-3333-4444-555555555555"},
		{ID: "x", Status: StatusStopped},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	wantQuery := url.Values{"primary_cluster_id": {"11111111-2222-3333-4444-555555555555"}}
	if q := gotQuery.Load(); !reflect.DeepEqual(q, wantQuery) {
		t.Errorf("got query %v; want %v", q, wantQuery)
	}
}

// connCounter counts the connections a server accepts.
func connCounter(srv *httptest.Server) *atomic.Int32 {
	var n atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func TestKeepAlive(t *testing.T) {
	// Successes and errors alternate, so both read paths must leave the connection reusable,
	// including an error body longer than what is read of it.
	gets := []answer{detail(StatusRunning), apiError(404, "DWS.10101"), detail(StatusStopping),
		{status: 400, body: strings.Repeat("x", maxErrorBody+maxDrain/2)}, detail(StatusStopped)}
	api := &fakeAPI{t: t, script: map[string][]answer{"GET": gets}, calls: map[string]int{}}
	srv := httptest.NewUnstartedServer(api)
	conns := connCounter(srv)
	srv.StartTLS()
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	// The package's own transport, trusting the test server's certificate.
	hc := &http.Client{Transport: newTransport(&tls.Config{RootCAs: pool}), CheckRedirect: defaultHTTPClient.CheckRedirect}
	defer hc.CloseIdleConnections()
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	c.maxAttempts = 1
	for i := range gets {
		if _, err := c.Get(context.Background(), testID); err != nil && i%2 == 0 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := api.count("GET"); got != len(gets) {
		t.Errorf("got %d GETs; want %d", got, len(gets))
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("got %d connections for %d sequential calls; want 1", got, len(gets))
	}
}

func TestNew(t *testing.T) {
	cfg := func(edit func(*Config)) Config {
		c := Config{ProjectID: testProject, Region: "cn-north-4", Credentials: Credentials{AccessKey: "AK", SecretKey: "SK"}}
		edit(&c)
		return c
	}
	tests := []struct {
		name     string
		cfg      Config
		wantBase string // empty: New must fail
	}{
		{"region", cfg(func(*Config) {}), "https://dws.cn-north-4.myhuaweicloud.com"},
		{"other region", cfg(func(c *Config) { c.Region = "ap-southeast-1" }), "https://dws.ap-southeast-1.myhuaweicloud.com"},
		{"eu site", cfg(func(c *Config) { c.Region = "eu-west-101" }), "https://dws.eu-west-101.myhuaweicloud.eu"},
		{"endpoint overrides region", cfg(func(c *Config) { c.Endpoint = "https://dws.example.test/" }), "https://dws.example.test"},
		{"endpoint with path prefix", cfg(func(c *Config) { c.Endpoint = "https://gw.example.test/dws/" }), "https://gw.example.test/dws"},
		{"endpoint without region", cfg(func(c *Config) { c.Region, c.Endpoint = "", "https://dws.example.test" }), "https://dws.example.test"},
		{"http on 127.0.0.1", cfg(func(c *Config) { c.Endpoint = "http://127.0.0.1:8080" }), "http://127.0.0.1:8080"},
		{"http on 127.0.0.0/8", cfg(func(c *Config) { c.Endpoint = "http://127.9.8.7" }), "http://127.9.8.7"},
		{"http on ::1", cfg(func(c *Config) { c.Endpoint = "http://[::1]:9000" }), "http://[::1]:9000"},
		{"http on localhost", cfg(func(c *Config) { c.Endpoint = "http://LOCALHOST:9000" }), "http://LOCALHOST:9000"},
		{"http elsewhere", cfg(func(c *Config) { c.Endpoint = "http://dws.cn-north-4.myhuaweicloud.com" }), ""},
		{"http on a private address", cfg(func(c *Config) { c.Endpoint = "http://10.0.0.1" }), ""},
		{"http on a localhost look-alike", cfg(func(c *Config) { c.Endpoint = "http://localhost.example.com" }), ""},
		{"http on 0.0.0.0", cfg(func(c *Config) { c.Endpoint = "http://0.0.0.0:8080" }), ""},
		{"other scheme", cfg(func(c *Config) { c.Endpoint = "ftp://dws.example.test" }), ""},
		{"relative endpoint", cfg(func(c *Config) { c.Endpoint = "dws.example.test" }), ""},
		{"user info", cfg(func(c *Config) { c.Endpoint = "https://user:hunter2@dws.example.test" }), ""},
		{"query", cfg(func(c *Config) { c.Endpoint = "https://dws.example.test/?x=1" }), ""},
		{"region that changes the host", cfg(func(c *Config) { c.Region = "cn-north-4.evil.test/x" }), ""},
		{"no region nor endpoint", cfg(func(c *Config) { c.Region = "" }), ""},
		{"no project", cfg(func(c *Config) { c.ProjectID = "" }), ""},
		{"project that is a path", cfg(func(c *Config) { c.ProjectID = "p/../q" }), ""},
		{"no secret key", cfg(func(c *Config) { c.Credentials.SecretKey = "" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantBase == "" {
				if err == nil {
					t.Fatalf("got a client for %s; want an error", c.base)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q leaks the endpoint's password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want a client", err)
			}
			if got := c.base.String(); got != tt.wantBase {
				t.Errorf("got endpoint %s; want %s", got, tt.wantBase)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{ProjectID: testProject, Region: "cn-north-4", Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	if c.hc != defaultHTTPClient || c.userAgent != DefaultUserAgent || c.now == nil {
		t.Errorf("got client %p, user agent %q; want the shared default client and %q", c.hc, c.userAgent, DefaultUserAgent)
	}
	tr, ok := defaultHTTPClient.Transport.(*http.Transport)
	if !ok || tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.MaxIdleConnsPerHost < 2 {
		t.Errorf("default transport %+v lacks timeouts or idle connections", tr)
	}
	if err := defaultHTTPClient.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("default client follows redirects: %v", err)
	}
}

// TestConfigRedactsCredentials: a Config printed whole, as a configuration dump might, shows no
// secret; package aksk tests the other ways credentials get formatted, logged and encoded.
func TestConfigRedactsCredentials(t *testing.T) {
	cfg := Config{ProjectID: testProject, Credentials: Credentials{AccessKey: "AK-visible", SecretKey: "sk-must-not-show", SecurityToken: "token-must-not-show"}}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(verb, cfg)
		if strings.Contains(out, "must-not-show") {
			t.Errorf("%s: %s shows a secret", verb, out)
		}
		if !strings.Contains(out, "AK-visible") {
			t.Errorf("%s: %s hides the access key, which identifies the credentials", verb, out)
		}
	}
}
