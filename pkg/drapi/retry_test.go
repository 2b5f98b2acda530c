package drapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

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
