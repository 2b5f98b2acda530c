package drapi

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// followCase is one row of TestPauseAndFollow and TestStartAndFollow.
type followCase struct {
	name       string
	gets       []answer // the first one is the status read before anything is done
	posts      []answer
	wantErr    error // nil, a sentinel, a *StatusError compared by value, or a *RefusedError compared by its fields and code
	wantSeen   []Status
	wantOut    Outcome // Elapsed is only checked to be positive
	wantPosts  int
	deadline   bool // give up after a short while
	wantGetsAt int  // minimum GETs, for loops that poll until the deadline
}

func TestPauseAndFollow(t *testing.T) {
	tests := []followCase{
		{
			name: "already stopped", gets: []answer{detail(StatusStopped)},
			wantSeen: []Status{StatusStopped},
			wantOut:  Outcome{ID: testID, Initial: StatusStopped, Status: StatusStopped, RequestID: "GET-1"},
		},
		{
			name: "stopping is followed without a pause", gets: []answer{detail(StatusStopping), detail(StatusStopping), detail(StatusStopped)},
			wantSeen: []Status{StatusStopping, StatusStopped},
			wantOut:  Outcome{ID: testID, Initial: StatusStopping, Status: StatusStopped, RequestID: "GET-3"},
		},
		{
			name:      "running is paused and followed",
			gets:      []answer{detail(StatusRunning), detail(StatusRunning), detail(StatusStopping), detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{accepted},
			wantSeen:  []Status{StatusRunning, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "stop_failed is paused again",
			gets:      []answer{detail(StatusStopFailed), detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{apiError(429, "APIG.0308"), accepted},
			wantSeen:  []Status{StatusStopFailed, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusStopFailed, Status: StatusStopped, RequestID: "POST-2", Attempts: 2},
			wantPosts: 2,
		},
		{
			name:      "pause ends in stop_failed",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping), detail(StatusStopFailed)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusStopFailed},
			wantSeen:  []Status{StatusRunning, StatusStopping, StatusStopFailed},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopFailed, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "pause ends in abnormal",
			gets:      []answer{detail(StatusRunning), detail(StatusAbnormal)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusAbnormal},
			wantSeen:  []Status{StatusRunning, StatusAbnormal},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusAbnormal, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:     "status that cannot be paused",
			gets:     []answer{detail(StatusUnstart)},
			wantErr:  &StatusError{ID: testID, Op: "pause", Status: StatusUnstart},
			wantSeen: []Status{StatusUnstart},
			wantOut:  Outcome{ID: testID, Initial: StatusUnstart, Status: StatusUnstart, RequestID: "GET-1"},
		},
		{
			name:      "pause refused names the status it has now",
			gets:      []answer{detail(StatusRunning), detail(StatusSwitchovering)},
			posts:     []answer{apiError(400, "DWS.4242")},
			wantErr:   &RefusedError{ID: testID, Op: "pause", Status: StatusSwitchovering, Err: &Error{HTTPStatus: 400, Code: "DWS.4242"}},
			wantSeen:  []Status{StatusRunning, StatusSwitchovering},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusSwitchovering, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "pause refused with an unknown code as another one is under way",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{apiError(400, "DWS.4242")},
			wantSeen:  []Status{StatusRunning, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusStopped, RequestID: "GET-3", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "pause refused as another one is done",
			gets:      []answer{detail(StatusStopFailed), detail(StatusStopped)},
			posts:     []answer{apiError(409, "")},
			wantSeen:  []Status{StatusStopFailed, StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusStopFailed, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "busy, but another pause got there first: the status wins",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{apiError(409, "DWS.0011")},
			wantSeen:  []Status{StatusRunning, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusStopped, RequestID: "GET-3", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "busy while still running",
			gets:      []answer{detail(StatusRunning), detail(StatusRunning)},
			posts:     []answer{apiError(409, "DWS.0011")},
			wantErr:   &RefusedError{ID: testID, Op: "pause", Status: StatusRunning, Err: &Error{HTTPStatus: 409, Code: "DWS.0011"}},
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "pause refused and the status unreadable",
			gets:      []answer{detail(StatusRunning), apiError(401, "APIGW.0301")},
			posts:     []answer{apiError(400, "DWS.4242")},
			wantErr:   &RefusedError{ID: testID, Op: "pause", Err: &Error{HTTPStatus: 400, Code: "DWS.4242"}},
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		// Credentials, throttling and not found say nothing of the status: no read back, which
		// would show the stopping below.
		{
			name:      "credentials rejected are not read back",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping)},
			posts:     []answer{apiError(403, "APIGW.0302")},
			wantErr:   ErrAuth,
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "a cluster not found is not read back",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping)},
			posts:     []answer{apiError(401, "DWS.0047")},
			wantErr:   ErrNotFound,
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name: "stop_failed read while the pause is taken",
			gets: []answer{detail(StatusStopFailed), detail(StatusStopFailed), detail(StatusStopFailed),
				detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{accepted},
			wantSeen:  []Status{StatusStopFailed, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusStopFailed, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "stop_failed paused again fails again",
			gets:      []answer{detail(StatusStopFailed), detail(StatusStopping), detail(StatusStopFailed)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusStopFailed},
			wantSeen:  []Status{StatusStopFailed, StatusStopping, StatusStopFailed},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusStopFailed, Status: StatusStopFailed, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:       "stop_failed until the deadline",
			gets:       []answer{detail(StatusStopFailed)},
			posts:      []answer{accepted},
			deadline:   true,
			wantErr:    context.DeadlineExceeded,
			wantSeen:   []Status{StatusStopFailed},
			wantOut:    Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusStopFailed, Status: StatusStopFailed, RequestID: "POST-1", Attempts: 1},
			wantPosts:  1,
			wantGetsAt: 3,
		},
		{
			name:      "ambiguous pause that took effect",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping), detail(StatusStopped)},
			posts:     []answer{apiError(503, "")},
			wantSeen:  []Status{StatusRunning, StatusStopping, StatusStopped},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "ambiguous pause that did not take effect",
			gets:      []answer{detail(StatusRunning)},
			posts:     []answer{apiError(500, "DWS.9999")},
			wantErr:   errAny,
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name: "transient errors while polling",
			gets: []answer{detail(StatusRunning), apiError(503, ""), apiError(503, ""), apiError(503, ""), apiError(503, ""),
				apiError(429, "APIG.0308"), detail(StatusStopped)},
			posts:     []answer{accepted},
			wantSeen:  []Status{StatusRunning, StatusStopped},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "not found while polling",
			gets:      []answer{detail(StatusRunning), apiError(400, "DWS.10101")},
			posts:     []answer{accepted},
			wantErr:   ErrNotFound,
			wantSeen:  []Status{StatusRunning},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "auth failure while polling",
			gets:      []answer{detail(StatusRunning), detail(StatusStopping), apiError(401, "APIGW.0301")},
			posts:     []answer{accepted},
			wantErr:   ErrAuth,
			wantSeen:  []Status{StatusRunning, StatusStopping},
			wantOut:   Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopping, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "status unreadable",
			gets:      []answer{apiError(401, "APIGW.0301")},
			wantErr:   ErrAuth,
			wantOut:   Outcome{ID: testID, RequestID: "GET-1"},
			wantPosts: 0,
		},
		{
			name:       "deadline while stopping",
			gets:       []answer{detail(StatusRunning), detail(StatusStopping)},
			posts:      []answer{accepted},
			deadline:   true,
			wantErr:    context.DeadlineExceeded,
			wantSeen:   []Status{StatusRunning, StatusStopping},
			wantOut:    Outcome{ID: testID, OpID: testID, PauseID: testID, Posted: true, Initial: StatusRunning, Status: StatusStopping, RequestID: "POST-1", Attempts: 1},
			wantPosts:  1,
			wantGetsAt: 3,
		},
	}
	runFollowCases(t, "pause", tests, (*Client).PauseAndFollow)
}

// TestStartAndFollow runs the start through the machinery PauseAndFollow uses, so it checks
// the statuses of a start rather than every path again: what is sent from where, what ends the
// follow, and what the read-backs count as the start having taken effect.
func TestStartAndFollow(t *testing.T) {
	tests := []followCase{
		{
			name: "already running: nothing to do", gets: []answer{detail(StatusRunning)},
			wantSeen: []Status{StatusRunning},
			wantOut:  Outcome{ID: testID, Initial: StatusRunning, Status: StatusRunning, RequestID: "GET-1"},
		},
		{
			name: "starting is followed without a start", gets: []answer{detail(StatusStarting), detail(StatusStarting), detail(StatusRunning)},
			wantSeen: []Status{StatusStarting, StatusRunning},
			wantOut:  Outcome{ID: testID, Initial: StatusStarting, Status: StatusRunning, RequestID: "GET-3"},
		},
		{
			name:      "stopped is started and followed",
			gets:      []answer{detail(StatusStopped), detail(StatusStopped), detail(StatusStarting), detail(StatusRunning)},
			posts:     []answer{accepted},
			wantSeen:  []Status{StatusStopped, StatusStarting, StatusRunning},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStopped, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "unstart is started after throttling",
			gets:      []answer{detail(StatusUnstart), detail(StatusStarting), detail(StatusRunning)},
			posts:     []answer{apiError(429, "APIG.0308"), accepted},
			wantSeen:  []Status{StatusUnstart, StatusStarting, StatusRunning},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusUnstart, Status: StatusRunning, RequestID: "POST-2", Attempts: 2},
			wantPosts: 2,
		},
		{
			name: "start_failed read while the start is taken",
			gets: []answer{detail(StatusStartFailed), detail(StatusStartFailed), detail(StatusStartFailed),
				detail(StatusStarting), detail(StatusRunning)},
			posts:     []answer{accepted},
			wantSeen:  []Status{StatusStartFailed, StatusStarting, StatusRunning},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStartFailed, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "start_failed started again fails again",
			gets:      []answer{detail(StatusStartFailed), detail(StatusStarting), detail(StatusStartFailed)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusStartFailed},
			wantSeen:  []Status{StatusStartFailed, StatusStarting, StatusStartFailed},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStartFailed, Status: StatusStartFailed, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "start ends in start_failed",
			gets:      []answer{detail(StatusStopped), detail(StatusStarting), detail(StatusStartFailed)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusStartFailed},
			wantSeen:  []Status{StatusStopped, StatusStarting, StatusStartFailed},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStopped, Status: StatusStartFailed, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "start ends in abnormal",
			gets:      []answer{detail(StatusStopped), detail(StatusAbnormal)},
			posts:     []answer{accepted},
			wantErr:   &StatusError{ID: testID, Op: "follow", Status: StatusAbnormal},
			wantSeen:  []Status{StatusStopped, StatusAbnormal},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStopped, Status: StatusAbnormal, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:     "stopping cannot be started",
			gets:     []answer{detail(StatusStopping)},
			wantErr:  &StatusError{ID: testID, Op: "start", Status: StatusStopping},
			wantSeen: []Status{StatusStopping},
			wantOut:  Outcome{ID: testID, Initial: StatusStopping, Status: StatusStopping, RequestID: "GET-1"},
		},
		{
			name:     "stop_failed cannot be started",
			gets:     []answer{detail(StatusStopFailed)},
			wantErr:  &StatusError{ID: testID, Op: "start", Status: StatusStopFailed},
			wantSeen: []Status{StatusStopFailed},
			wantOut:  Outcome{ID: testID, Initial: StatusStopFailed, Status: StatusStopFailed, RequestID: "GET-1"},
		},
		{
			name:      "start refused names the status it has now",
			gets:      []answer{detail(StatusStopped), detail(StatusStopping)},
			posts:     []answer{apiError(400, "DWS.4242")},
			wantErr:   &RefusedError{ID: testID, Op: "start", Status: StatusStopping, Err: &Error{HTTPStatus: 400, Code: "DWS.4242"}},
			wantSeen:  []Status{StatusStopped, StatusStopping},
			wantOut:   Outcome{ID: testID, Initial: StatusStopped, Status: StatusStopping, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "start refused as another one is under way",
			gets:      []answer{detail(StatusStopped), detail(StatusStarting), detail(StatusRunning)},
			posts:     []answer{apiError(400, "DWS.4242")},
			wantSeen:  []Status{StatusStopped, StatusStarting, StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusStopped, Status: StatusRunning, RequestID: "GET-3", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "busy, but another start got there first: the status wins",
			gets:      []answer{detail(StatusStartFailed), detail(StatusRunning)},
			posts:     []answer{apiError(409, "DWS.0011")},
			wantSeen:  []Status{StatusStartFailed, StatusRunning},
			wantOut:   Outcome{ID: testID, Initial: StatusStartFailed, Status: StatusRunning, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "busy while still stopped",
			gets:      []answer{detail(StatusStopped), detail(StatusStopped)},
			posts:     []answer{apiError(409, "DWS.0011")},
			wantErr:   &RefusedError{ID: testID, Op: "start", Status: StatusStopped, Err: &Error{HTTPStatus: 409, Code: "DWS.0011"}},
			wantSeen:  []Status{StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusStopped, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "credentials rejected are not read back",
			gets:      []answer{detail(StatusStopped), detail(StatusStarting)},
			posts:     []answer{apiError(403, "APIGW.0302")},
			wantErr:   ErrAuth,
			wantSeen:  []Status{StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusStopped, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "ambiguous start that took effect",
			gets:      []answer{detail(StatusStopped), detail(StatusStarting), detail(StatusRunning)},
			posts:     []answer{{reset: true}},
			wantSeen:  []Status{StatusStopped, StatusStarting, StatusRunning},
			wantOut:   Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStopped, Status: StatusRunning, Attempts: 1},
			wantPosts: 1,
		},
		{
			name:      "ambiguous start that did not take effect",
			gets:      []answer{detail(StatusStopped)},
			posts:     []answer{apiError(503, "DWS.9999")},
			wantErr:   errAny,
			wantSeen:  []Status{StatusStopped},
			wantOut:   Outcome{ID: testID, Initial: StatusStopped, Status: StatusStopped, RequestID: "POST-1", Attempts: 1},
			wantPosts: 1,
		},
		{
			name:       "deadline while starting",
			gets:       []answer{detail(StatusStopped), detail(StatusStarting)},
			posts:      []answer{accepted},
			deadline:   true,
			wantErr:    context.DeadlineExceeded,
			wantSeen:   []Status{StatusStopped, StatusStarting},
			wantOut:    Outcome{ID: testID, OpID: testID, Posted: true, Initial: StatusStopped, Status: StatusStarting, RequestID: "POST-1", Attempts: 1},
			wantPosts:  1,
			wantGetsAt: 3,
		},
	}
	runFollowCases(t, "start", tests, (*Client).StartAndFollow)
}

// runFollowCases runs each case of tests through follow against a fake API where a POST must be op.
func runFollowCases(t *testing.T, op string, tests []followCase, follow func(*Client, context.Context, string, FollowOptions) (Outcome, error)) {
	fast := FollowOptions{MinInterval: time.Millisecond, MaxInterval: 4 * time.Millisecond}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := newTestClientFor(t, op, map[string][]answer{"GET": tt.gets, "POST": tt.posts})
			ctx := context.Background()
			if tt.deadline {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			var seen []Status
			opt := fast
			opt.OnStatus = func(s Status) { seen = append(seen, s) }

			out, err := follow(c, ctx, testID, opt)

			var (
				wantStatusErr  *StatusError
				wantRefusedErr *RefusedError
			)
			switch {
			case tt.wantErr == nil:
				if err != nil {
					t.Errorf("got error %v; want nil", err)
				}
			case errors.As(tt.wantErr, &wantStatusErr):
				var got *StatusError
				if !errors.As(err, &got) || *got != *wantStatusErr {
					t.Errorf("got %v; want %v", err, wantStatusErr)
				}
			case errors.As(tt.wantErr, &wantRefusedErr):
				got, ok := errors.AsType[*RefusedError](err)
				if !ok || got.ID != wantRefusedErr.ID || got.Op != wantRefusedErr.Op || got.Status != wantRefusedErr.Status ||
					got.Err.HTTPStatus != wantRefusedErr.Err.HTTPStatus || got.Err.Code != wantRefusedErr.Err.Code {
					t.Errorf("got %v; want %v", err, wantRefusedErr)
				}
				if !errors.Is(err, ErrRefused) || errors.Is(err, ErrBusy) != (wantRefusedErr.Err.Code == "DWS.0011") {
					t.Errorf("errors.Is(%v, ErrRefused/ErrBusy): got %v/%v", err, errors.Is(err, ErrRefused), errors.Is(err, ErrBusy))
				}
			case err == nil || tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("got %v; want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(seen, tt.wantSeen) {
				t.Errorf("OnStatus saw %v; want %v", seen, tt.wantSeen)
			}
			if out.Elapsed <= 0 {
				t.Errorf("got Elapsed %v; want > 0", out.Elapsed)
			}
			out.Elapsed = 0
			if out != tt.wantOut {
				t.Errorf("got  %+v\nwant %+v", out, tt.wantOut)
			}
			if got := api.count("POST"); got != tt.wantPosts {
				t.Errorf("got %d POSTs; want %d", got, tt.wantPosts)
			}
			if got := api.count("GET"); tt.deadline && got < tt.wantGetsAt {
				t.Errorf("got %d GETs before the deadline; want at least %d", got, tt.wantGetsAt)
			}
		})
	}
}

func TestFollowIntervals(t *testing.T) {
	tests := []struct {
		name     string
		opt      FollowOptions
		wantWait []time.Duration
	}{
		{"defaults", FollowOptions{}, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}},
		{"doubling up to the maximum", FollowOptions{MinInterval: 20 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
			[]time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}},
		{"maximum below the minimum", FollowOptions{MinInterval: 30 * time.Second, MaxInterval: time.Second},
			[]time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gets := []answer{detail(StatusStopping), detail(StatusStopping), detail(StatusStopping),
				detail(StatusStopping), detail(StatusStopping), detail(StatusStopped)}
			c, _ := newTestClient(t, map[string][]answer{"GET": gets})
			var waits []time.Duration
			c.wait = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return ctx.Err()
			}
			if _, err := c.PauseAndFollow(context.Background(), testID, tt.opt); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(waits, tt.wantWait) {
				t.Errorf("waited %v; want %v", waits, tt.wantWait)
			}
		})
	}
}
