package drapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

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
		"Start": func(id string) error { _, err := c.Start(ctx, id); return err },
		"StartAndFollow": func(id string) error {
			_, err := c.StartAndFollow(ctx, id, FollowOptions{})
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

// postCase is one row of TestPause and TestStart.
type postCase struct {
	name      string
	posts     []answer
	gets      []answer // the status read back after an ambiguous failure
	timeout   bool     // shrink the per-attempt timeout
	wantID    string   // empty: the call must fail
	wantIs    error    // the failure, or errAny
	wantCode  string   // error_code of the *Error, when the failure is an API answer
	wantPosts int
	wantGets  int
}

func TestPause(t *testing.T) {
	tests := []postCase{
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
		{"busy is final", []answer{apiError(409, "DWS.0011")}, nil, false, "", ErrBusy, "DWS.0011", 1, 0},
		{"bad request is final", []answer{apiError(400, "DWS.0001")}, nil, false, "", ErrRefused, "DWS.0001", 1, 0},
	}
	runPostCases(t, "pause", tests, (*Client).Pause)
}

func TestStart(t *testing.T) {
	tests := []postCase{
		{"accepted", []answer{accepted}, nil, false, testID, nil, "", 1, 0},
		{"throttled then accepted", []answer{apiError(429, "APIG.0308"), accepted}, nil, false, testID, nil, "", 2, 0},
		{"throttled until the attempts run out", []answer{apiError(429, "APIG.0308")}, nil, false, "", ErrThrottled, "APIG.0308", 4, 0},
		{"500 but it took effect", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusStarting)}, false, testID, nil, "", 1, 1},
		{"500 and already running", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusRunning)}, false, testID, nil, "", 1, 1},
		{"500 and still stopped", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusStopped)}, false, "", errAny, "DWS.9999", 1, 1},
		// A pause under way is no start taking effect.
		{"500 and stopping", []answer{apiError(500, "DWS.9999")}, []answer{detail(StatusStopping)}, false, "", errAny, "DWS.9999", 1, 1},
		{"timeout but it took effect", []answer{{hang: true}}, []answer{detail(StatusStarting)}, true, testID, nil, "", 1, 1},
		{"connection reset and still start_failed", []answer{{reset: true}}, []answer{detail(StatusStartFailed)}, false, "", errAny, "", 1, 1},
		{"not found is final", []answer{apiError(400, "DWS.10101")}, nil, false, "", ErrNotFound, "DWS.10101", 1, 0},
		{"busy is final", []answer{apiError(409, "DWS.0011")}, nil, false, "", ErrBusy, "DWS.0011", 1, 0},
		{"bad request is final", []answer{apiError(400, "DWS.0001")}, nil, false, "", ErrRefused, "DWS.0001", 1, 0},
	}
	runPostCases(t, "start", tests, (*Client).Start)
}

// runPostCases runs each case of tests through send against a fake API where a POST must be op.
func runPostCases(t *testing.T, op string, tests []postCase, send func(*Client, context.Context, string) (string, error)) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := newTestClientFor(t, op, map[string][]answer{"POST": tt.posts, "GET": tt.gets})
			if tt.timeout {
				c.attemptTimeout = 50 * time.Millisecond
			}
			id, err := send(c, context.Background(), testID)
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
