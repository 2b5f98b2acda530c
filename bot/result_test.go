package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

// TestResultRenderings pins, for every way a pause can end, the three readings of its one
// Result together: the audit line, the Slack headline and the /invoke HTTP status.
func TestResultRenderings(t *testing.T) {
	var (
		accepted   = drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopping, Attempts: 1}
		stopped    = drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped, Attempts: 1}
		unanswered = drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 1}
		unsent     = drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusRunning}
		stopping   = drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopping, Status: drapi.StatusStopping}
		gaveUp     = fmt.Errorf("follow: still stopping: %w", context.DeadlineExceeded)
	)
	tests := []struct {
		name         string
		out          drapi.Outcome
		err          error
		stop         drresult.Stop
		wantKind     drresult.Kind
		wantEvent    string
		wantOutcome  string
		wantHeadline string // a distinctive part of the Slack headline
		wantHTTP     int
	}{
		{name: "paused", out: stopped,
			wantKind: drresult.KindDone, wantEvent: "paused", wantOutcome: "stopped",
			wantHeadline: ":white_check_mark: DR `" + goldenID + "` is paused: status *stopped*.", wantHTTP: 200},
		{name: "accepted, let go", out: accepted, err: gaveUp, stop: drresult.Released,
			wantKind: drresult.KindAccepted, wantEvent: "paused", wantOutcome: "stopping",
			wantHeadline: "pause of DR `" + goldenID + "` was accepted: status *stopping*", wantHTTP: 200},
		{name: "already stopped", out: drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopped, Status: drapi.StatusStopped},
			wantKind: drresult.KindAlreadyDone, wantEvent: "noop", wantOutcome: "already_stopped",
			wantHeadline: "was already stopped: no pause sent", wantHTTP: 200},
		{name: "already stopping", out: drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopping, Status: drapi.StatusStopped},
			wantKind: drresult.KindAlreadyInProgress, wantEvent: "noop", wantOutcome: "already_stopping",
			wantHeadline: "was already being paused (status stopping): no second pause sent. It is now *stopped*", wantHTTP: 200},
		{name: "another pause first", out: drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusStopping, Attempts: 1},
			wantKind: drresult.KindOtherFirst, wantEvent: "noop", wantOutcome: "another_pause_first",
			wantHeadline: "Another pause got there first", wantHTTP: 200},
		{name: "accepted, not finished at DR_WAIT", out: accepted, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindNotFinished, wantEvent: "failed", wantOutcome: "wait_reached",
			wantHeadline: "still *stopping* after DR_WAIT (10m0s): the pause was accepted but has not finished", wantHTTP: 504},
		{name: "found stopping, not finished at DR_WAIT", out: stopping, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindInProgressAtWait, wantEvent: "failed", wantOutcome: "wait_reached",
			wantHeadline: "was already being paused and is still *stopping* after DR_WAIT", wantHTTP: 504},
		{name: "pause unanswered at DR_WAIT", out: unanswered, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindUnconfirmed, wantEvent: "failed", wantOutcome: "wait_reached",
			wantHeadline: "did not answer the pause of DR `" + goldenID + "` within DR_WAIT (10m0s): it may or may not have been accepted", wantHTTP: 504},
		{name: "API silent at DR_WAIT", out: unsent, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindNotSent, wantEvent: "failed", wantOutcome: "wait_reached",
			wantHeadline: "did not answer within DR_WAIT (10m0s): no pause was sent", wantHTTP: 504},
		{name: "interrupted", out: accepted, err: gaveUp, stop: drresult.Interrupted,
			wantKind: drresult.KindInterrupted, wantEvent: "failed", wantOutcome: "interrupted",
			wantHeadline: ":warning: Interrupted while pausing DR", wantHTTP: 504},
		{name: "cut short by the function's deadline", out: unsent, err: gaveUp, stop: drresult.CutShort,
			wantKind: drresult.KindInterrupted, wantEvent: "failed", wantOutcome: "interrupted",
			wantHeadline: "the pause request had not been sent", wantHTTP: 504},
		{name: "invalid id", err: drapi.ErrInvalidID,
			wantKind: drresult.KindInvalidID, wantEvent: "failed", wantOutcome: "invalid_id",
			wantHeadline: "failed: the id is not a DR id", wantHTTP: 400},
		{name: "not found", out: unsent, err: apiError(400, "DWS.10101", "The disaster recovery task does not exist.", 1),
			wantKind: drresult.KindNotFound, wantEvent: "failed", wantOutcome: "not_found",
			wantHeadline: "failed: DR task not found in this project", wantHTTP: 404},
		{name: "wrong status", out: unsent, err: &drapi.StatusError{ID: goldenID, Op: "pause", Status: drapi.StatusUnstart},
			wantKind: drresult.KindWrongStatus, wantEvent: "failed", wantOutcome: "status_unstart",
			wantHeadline: "failed: wrong status: the DR is *unstart*", wantHTTP: 409},
		{name: "busy", out: unanswered, err: refusedError(409, "DWS.0011", "Another operation is in progress.", drapi.StatusRunning),
			wantKind: drresult.KindBusy, wantEvent: "failed", wantOutcome: "busy",
			wantHeadline: "failed: DWS is busy with another operation on this cluster; try again in a minute.", wantHTTP: 409},
		{name: "stop failed", out: accepted, err: &drapi.StatusError{ID: goldenID, Op: "follow", Status: drapi.StatusStopFailed},
			wantKind: drresult.KindDRFailed, wantEvent: "failed", wantOutcome: "status_stop_failed",
			wantHeadline: "failed: the DR ended in status *stop_failed* instead of stopped", wantHTTP: 409},
		{name: "throttled", out: unanswered, err: apiError(429, "APIG.0308", "The throttling threshold has been reached.", 4),
			wantKind: drresult.KindThrottled, wantEvent: "failed", wantOutcome: "throttled",
			wantHeadline: "failed: throttled by the DWS API after 4 tries", wantHTTP: 429},
		// Once a disagreement: the audit line said wait_reached while Slack said throttled.
		{name: "throttled when DR_WAIT ran out", out: unanswered, err: apiError(429, "APIG.0308", "The throttling threshold has been reached.", 2),
			stop:     drresult.WaitReached,
			wantKind: drresult.KindThrottled, wantEvent: "failed", wantOutcome: "throttled",
			wantHeadline: "failed: throttled by the DWS API after 2 tries", wantHTTP: 429},
		{name: "credentials rejected", out: unanswered, err: apiError(401, "APIGW.0301", "Incorrect IAM authentication information.", 1),
			wantKind: drresult.KindAuthRejected, wantEvent: "failed", wantOutcome: "auth_rejected",
			wantHeadline: "failed: the DWS API rejected the credentials", wantHTTP: 502},
		{name: "refused", out: unanswered, err: refusedError(400, "DWS.4242", "Refused <for> a reason.", drapi.StatusRunning),
			wantKind: drresult.KindRefused, wantEvent: "failed", wantOutcome: "refused",
			wantHeadline: "failed: DWS refused: `DWS.4242` Refused &lt;for&gt; a reason., status now *running*.", wantHTTP: 409},
		{name: "server error", out: unanswered, err: apiError(500, "DWS.9999", "Internal error.", 1),
			wantKind: drresult.KindAPIFailed, wantEvent: "failed", wantOutcome: "error",
			wantHeadline: "failed: the DWS API failed (HTTP 500). The pause may or may not have been accepted", wantHTTP: 502},
		{name: "a call's own timeout", out: unanswered, err: fmt.Errorf("pause: %w", context.DeadlineExceeded),
			wantKind: drresult.KindTimedOut, wantEvent: "failed", wantOutcome: "error",
			wantHeadline: "failed: could not reach the DWS API", wantHTTP: 504},
		{name: "unreachable", out: unanswered, err: errors.New("dial tcp: connection refused"),
			wantKind: drresult.KindUnreachable, wantEvent: "failed", wantOutcome: "error",
			wantHeadline: "failed: could not reach the DWS API, or got an unreadable answer", wantHTTP: 502},
	}
	covered := map[drresult.Kind]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := drresult.Classify(drresult.Pause, tt.out, tt.err, tt.stop)
			if r.Kind != tt.wantKind {
				t.Fatalf("kind: got %s; want %s", r.Kind, tt.wantKind)
			}
			covered[r.Kind] = true
			if event, outcome := r.AuditEvent(); event != tt.wantEvent || outcome != tt.wantOutcome {
				t.Errorf("audit: got %s/%s; want %s/%s", event, outcome, tt.wantEvent, tt.wantOutcome)
			}
			msg := finalMessage(goldenJob(), r, 10*time.Minute)
			if !strings.Contains(msg.Text, tt.wantHeadline) {
				t.Errorf("headline: got %q; want it to contain %q", msg.Text, tt.wantHeadline)
			}
			checkLimits(t, msg)
			if got := r.HTTPStatus(); got != tt.wantHTTP {
				t.Errorf("/invoke status: got %d; want %d", got, tt.wantHTTP)
			}
		})
	}
	for _, k := range drresult.Kinds() {
		if !covered[k] {
			t.Errorf("kind %s has no row", k)
		}
	}
}

// TestLookupFailures: a failed lookup reads the same Result as a failed pause, so the card's
// lookup, the answer and the audit line agree.
func TestLookupFailures(t *testing.T) {
	tests := []struct {
		name        string
		id          string
		err         error
		wantOutcome string
		wantText    string
	}{
		{name: "status, credentials rejected", id: goldenID, err: apiError(403, "APIGW.0301", "Incorrect IAM authentication information.", 1),
			wantOutcome: "auth_rejected", wantText: ":x: Could not look up DR `" + goldenID + "`: the DWS API rejected the credentials"},
		{name: "list, throttled", err: apiError(429, "APIG.0308", "The throttling threshold has been reached.", 4),
			wantOutcome: "throttled", wantText: ":x: Could not list the DR tasks: throttled by the DWS API after 4 tries"},
		{name: "status, not found", id: goldenID, err: apiError(404, "DWS.10101", "", 1),
			wantOutcome: "not_found", wantText: "DR task not found in this project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := drresult.ClassifyLookup(tt.id, tt.err)
			if event, outcome := r.AuditEvent(); event != "failed" || outcome != tt.wantOutcome {
				t.Errorf("audit: got %s/%s; want failed/%s", event, outcome, tt.wantOutcome)
			}
			msg := lookupErrorMessage(r)
			if !strings.Contains(msg.Text, tt.wantText) || !strings.Contains(msg.Text, "X-Request-Id `req-err-1`") {
				t.Errorf("answer: got %q; want %q and the X-Request-Id", msg.Text, tt.wantText)
			}
		})
	}
}

// TestPauseAuditReadsTheResult: when DR_WAIT runs out on a throttled pause, the audit line says
// what the channel reads, throttled, not wait_reached.
func TestPauseAuditReadsTheResult(t *testing.T) {
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		opt.OnStatus(drapi.StatusRunning)
		<-ctx.Done()
		return drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 2},
			apiError(429, "APIG.0308", "The throttling threshold has been reached.", 2)
	}}
	e := newEnv(t, dr, func(c *Config) { c.Wait = time.Millisecond })
	e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.Text, "failed: throttled by the DWS API after 2 tries")
	if failed := decisions(t, e.logs, "failed"); len(failed) != 1 || failed[0]["outcome"] != "throttled" || failed[0]["request_id"] != "req-err-1" {
		t.Errorf("got failed decisions %v; want one with outcome throttled and the error's request id", failed)
	}
}

// TestFailuresCarrySupportFacts: every message of a failed lookup or pause gives, after the
// cause, what Huawei support asks for: DWS's error_code and error_msg and the X-Request-Id, or
// says that DWS never answered. One row per way to fail.
func TestFailuresCarrySupportFacts(t *testing.T) {
	const (
		noAnswer   = "No answer from DWS: no error_code or X-Request-Id."
		lastAnswer = "No error answer from DWS: no error_code; X-Request-Id of its last answer `req-0002`."
	)
	var (
		sent     = drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, RequestID: "req-0002", Attempts: 1}
		accepted = drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopping, RequestID: "req-0002", Attempts: 1}
		silent   = drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 1}
		gaveUp   = fmt.Errorf("follow: still stopping: %w", context.DeadlineExceeded)
	)
	// dws is the facts line of a DWS error answer made by apiError or refusedError.
	dws := func(status int, code, msg string) string {
		return fmt.Sprintf("DWS answered HTTP %d: error_code `%s`, error_msg “%s”, X-Request-Id `req-err-1`.", status, code, msg)
	}
	tests := []struct {
		name       string
		out        drapi.Outcome
		err        error
		stop       drresult.Stop
		want       string // in the pause's final message
		wantLookup string // in a failed status and list lookup's answer; empty: a lookup cannot end so
	}{
		{name: "not found", out: sent, err: apiError(400, "DWS.10101", "The disaster recovery task does not exist.", 1),
			want: dws(400, "DWS.10101", "The disaster recovery task does not exist."), wantLookup: dws(400, "DWS.10101", "The disaster recovery task does not exist.")},
		{name: "credentials", out: sent, err: apiError(401, "APIGW.0301", "Incorrect IAM authentication information.", 1),
			want: dws(401, "APIGW.0301", "Incorrect IAM authentication information."), wantLookup: dws(401, "APIGW.0301", "Incorrect IAM authentication information.")},
		{name: "throttled", out: sent, err: apiError(429, "APIG.0308", "The throttling threshold has been reached.", 4),
			want: dws(429, "APIG.0308", "The throttling threshold has been reached."), wantLookup: dws(429, "APIG.0308", "The throttling threshold has been reached.")},
		{name: "server error", out: sent, err: apiError(500, "DWS.9999", "Internal error.", 1),
			want: dws(500, "DWS.9999", "Internal error."), wantLookup: dws(500, "DWS.9999", "Internal error.")},
		{name: "busy", out: sent, err: refusedError(409, "DWS.0011", "Another operation is in progress.", drapi.StatusRunning),
			want: dws(409, "DWS.0011", "Another operation is in progress.")},
		{name: "busy lookup", out: sent, err: apiError(409, "DWS.0011", "Another operation is in progress.", 1),
			want: dws(409, "DWS.0011", "Another operation is in progress."), wantLookup: dws(409, "DWS.0011", "Another operation is in progress.")},
		{name: "refused", out: sent, err: refusedError(400, "DWS.4242", "Refused.", drapi.StatusRunning),
			want: dws(400, "DWS.4242", "Refused.")},
		{name: "refused lookup", out: sent, err: apiError(400, "DWS.0001", "Invalid parameter.", 1),
			want: dws(400, "DWS.0001", "Invalid parameter."), wantLookup: dws(400, "DWS.0001", "Invalid parameter.")},
		{name: "wrong status", out: sent, err: &drapi.StatusError{ID: goldenID, Op: "pause", Status: drapi.StatusUnstart}, want: lastAnswer},
		{name: "ended in stop_failed", out: accepted, err: &drapi.StatusError{ID: goldenID, Op: "follow", Status: drapi.StatusStopFailed}, want: lastAnswer},
		{name: "unreachable", out: sent, err: errors.New("dial tcp: connection refused"), want: lastAnswer, wantLookup: noAnswer},
		{name: "a call's own timeout", out: sent, err: fmt.Errorf("get: %w", context.DeadlineExceeded), want: lastAnswer, wantLookup: noAnswer},
		{name: "invalid id", err: drapi.ErrInvalidID, want: "Nothing was sent to DWS: no error_code or X-Request-Id.",
			wantLookup: "Nothing was sent to DWS: no error_code or X-Request-Id."},
		{name: "accepted, not finished at DR_WAIT", out: accepted, err: gaveUp, stop: drresult.WaitReached, want: lastAnswer},
		{name: "found stopping, not finished at DR_WAIT", out: drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopping, Status: drapi.StatusStopping, RequestID: "req-0002"},
			err: gaveUp, stop: drresult.WaitReached, want: lastAnswer},
		{name: "pause unanswered at DR_WAIT", out: silent, err: gaveUp, stop: drresult.WaitReached, want: noAnswer},
		{name: "nothing sent at DR_WAIT", out: drapi.Outcome{ID: goldenID}, err: gaveUp, stop: drresult.WaitReached, want: noAnswer},
		{name: "interrupted", out: accepted, err: gaveUp, stop: drresult.Interrupted, want: lastAnswer},
	}
	covered := map[drresult.Kind]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := drresult.Classify(drresult.Pause, tt.out, tt.err, tt.stop)
			covered[r.Kind] = true
			contains(t, "pause result", renderJSON(t, finalMessage(goldenJob(), r, 10*time.Minute)), tt.want)
			if tt.wantLookup == "" {
				return
			}
			contains(t, "status", lookupErrorMessage(drresult.ClassifyLookup(goldenID, tt.err)).Text, tt.wantLookup)
			contains(t, "list", lookupErrorMessage(drresult.ClassifyLookup("", tt.err)).Text, tt.wantLookup)
		})
	}
	for _, k := range drresult.Kinds() {
		if r := (drresult.Result{Kind: k}); !r.OK() && !covered[k] {
			t.Errorf("failure kind %s has no row", k)
		}
	}
}
