package drresult_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

const id = "e59d6b86-9072-46eb-a996-13f8b44994c1"

func apiError(status int, code string) error {
	return fmt.Errorf("pause disaster recovery %q: %w", id,
		&drapi.Error{HTTPStatus: status, Code: code, RequestID: "req-err", Attempts: 2})
}

// refusal is what PauseAndFollow returns when DWS refused the pause with status and code and
// the status read back was now ("" when it could not be read).
func refusal(status int, code string, now drapi.Status) error {
	return refusalOf("pause", status, code, now)
}

// startRefusal is refusal for StartAndFollow.
func startRefusal(status int, code string, now drapi.Status) error {
	return refusalOf("start", status, code, now)
}

func refusalOf(op string, status int, code string, now drapi.Status) error {
	return &drapi.RefusedError{ID: id, Op: op, Status: now,
		Err: &drapi.Error{HTTPStatus: status, Code: code, Message: "refused", RequestID: "req-err", Attempts: 1}}
}

// TestClassify pins which inputs give which Kind, and what /invoke answers for it. bot's
// TestResultRenderings pins the audit line and the Slack headline of every Kind.
func TestClassify(t *testing.T) {
	var (
		posted      = drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopping, RequestID: "req-out", Attempts: 1}
		stopped     = drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped, RequestID: "req-out", Attempts: 1}
		unanswered  = drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 1}
		otherFirst  = drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusStopping, Attempts: 1}
		found       = drapi.Outcome{ID: id, Initial: drapi.StatusStopping, Status: drapi.StatusStopping}
		unsent      = drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning}
		gaveUp      = fmt.Errorf("follow: still stopping: %w", context.DeadlineExceeded)
		throttled   = apiError(429, "APIG.0308")
		statusError = &drapi.StatusError{ID: id, Op: "pause", Status: drapi.StatusUnstart}

		// The same endings of a resume (drapi.StartAndFollow).
		resumed       = drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: drapi.StatusStopped, Status: drapi.StatusRunning, RequestID: "req-out", Attempts: 1}
		startAccepted = drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: drapi.StatusStopped, Status: drapi.StatusStarting, RequestID: "req-out", Attempts: 1}
		wasRunning    = drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning, RequestID: "req-out"}
		wasStarting   = drapi.Outcome{ID: id, Initial: drapi.StatusStarting, Status: drapi.StatusStarting}
		startedFirst  = drapi.Outcome{ID: id, Initial: drapi.StatusStartFailed, Status: drapi.StatusStarting, Attempts: 1}
		startUnsent   = drapi.Outcome{ID: id, Initial: drapi.StatusStopped, Status: drapi.StatusStopped, Attempts: 1}
		startFailed   = drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: drapi.StatusStopped, Status: drapi.StatusStartFailed, RequestID: "req-out", Attempts: 1}
	)
	resume := drresult.Resume
	tests := []struct {
		name      string
		op        drresult.Operation // Pause unless set
		out       drapi.Outcome
		err       error
		stop      drresult.Stop
		wantKind  drresult.Kind
		wantHTTP  int
		wantCode  string
		wantReqID string
		wantBad   drapi.Status // BadStatus: the status that refused the operation or ended it
		wantAudit string       // "event/outcome" of AuditEvent, checked when set
	}{
		{name: "stopped", out: stopped, wantKind: drresult.KindDone, wantHTTP: 200, wantReqID: "req-out"},
		{name: "let go once accepted", out: posted, err: gaveUp, stop: drresult.Released,
			wantKind: drresult.KindAccepted, wantHTTP: 200, wantReqID: "req-out"},
		{name: "let go once another pause was seen", out: otherFirst, err: gaveUp, stop: drresult.Released,
			wantKind: drresult.KindOtherFirst, wantHTTP: 200},
		{name: "let go before anything was taken: the error decides", out: unsent, err: statusError, stop: drresult.Released,
			wantKind: drresult.KindWrongStatus, wantHTTP: 409, wantCode: "status_not_allowed", wantBad: drapi.StatusUnstart},
		{name: "interrupted wins over success", out: stopped, stop: drresult.Interrupted,
			wantKind: drresult.KindInterrupted, wantHTTP: 504, wantCode: "interrupted", wantReqID: "req-out"},
		{name: "cut short with an error", out: posted, err: gaveUp, stop: drresult.CutShort,
			wantKind: drresult.KindInterrupted, wantHTTP: 504, wantCode: "interrupted", wantReqID: "req-out"},
		{name: "cut short but done", out: stopped, stop: drresult.CutShort, wantKind: drresult.KindDone, wantHTTP: 200, wantReqID: "req-out"},
		{name: "wait reached, accepted", out: posted, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindNotFinished, wantHTTP: 504, wantCode: "timeout", wantReqID: "req-out"},
		{name: "wait reached, unanswered", out: unanswered, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindUnconfirmed, wantHTTP: 504, wantCode: "timeout"},
		{name: "wait reached, found stopping", out: found, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindInProgressAtWait, wantHTTP: 504, wantCode: "timeout"},
		{name: "wait reached, nothing sent", out: unsent, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindNotSent, wantHTTP: 504, wantCode: "timeout"},
		{name: "wait reached after a 5xx", out: unanswered, err: apiError(503, "DWS.9999"), stop: drresult.WaitReached,
			wantKind: drresult.KindUnconfirmed, wantHTTP: 504, wantCode: "timeout", wantReqID: "req-err"},
		{name: "a refusal below 500 says more than the wait", out: unanswered, err: throttled, stop: drresult.WaitReached,
			wantKind: drresult.KindThrottled, wantHTTP: 429, wantCode: "APIG.0308", wantReqID: "req-err"},
		{name: "credentials rejected at the wait", out: unanswered, err: apiError(401, "APIGW.0301"), stop: drresult.WaitReached,
			wantKind: drresult.KindAuthRejected, wantHTTP: 502, wantCode: "APIGW.0301", wantReqID: "req-err"},
		{name: "a call's own timeout", err: gaveUp, wantKind: drresult.KindTimedOut, wantHTTP: 504, wantCode: "timeout"},
		{name: "invalid id", err: drapi.ErrInvalidID, wantKind: drresult.KindInvalidID, wantHTTP: 400, wantCode: "invalid_id"},
		{name: "not found by code", err: apiError(400, "DWS.10101"), wantKind: drresult.KindNotFound, wantHTTP: 404, wantCode: "DWS.10101", wantReqID: "req-err"},
		{name: "not found without code", err: apiError(404, ""), wantKind: drresult.KindNotFound, wantHTTP: 404, wantCode: "not_found", wantReqID: "req-err"},
		{name: "wrong status", out: unsent, err: statusError, wantKind: drresult.KindWrongStatus, wantHTTP: 409, wantCode: "status_not_allowed", wantBad: drapi.StatusUnstart},
		{name: "busy, read back still running", out: unanswered, err: refusal(409, "DWS.0011", drapi.StatusRunning),
			wantKind: drresult.KindBusy, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusRunning},
		{name: "busy, read back in a status a pause cannot leave: a refusal naming it", out: unanswered, err: refusal(409, "DWS.0011", drapi.StatusSwitchovering),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusSwitchovering},
		{name: "busy, status unreadable: a refusal", out: unanswered, err: refusal(409, "DWS.0011", ""),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err"},
		{name: "busy on a lookup", err: apiError(409, "DWS.0011"), wantKind: drresult.KindBusy, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err"},
		{name: "refused with an unknown code, read back still running", out: unanswered, err: refusal(400, "DWS.4242", drapi.StatusRunning),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.4242", wantReqID: "req-err", wantBad: drapi.StatusRunning},
		{name: "refused without a code", err: apiError(409, ""), wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "refused", wantReqID: "req-err"},
		{name: "ended in stop_failed", out: posted, err: &drapi.StatusError{ID: id, Op: "follow", Status: drapi.StatusStopFailed},
			wantKind: drresult.KindDRFailed, wantHTTP: 409, wantCode: "status_not_allowed", wantReqID: "req-out", wantBad: drapi.StatusStopFailed},
		{name: "throttled without code", err: apiError(429, ""), wantKind: drresult.KindThrottled, wantHTTP: 429, wantCode: "throttled", wantReqID: "req-err"},
		{name: "cluster not found as 403 is no credentials problem", err: apiError(403, "DWS.0015"),
			wantKind: drresult.KindNotFound, wantHTTP: 404, wantCode: "DWS.0015", wantReqID: "req-err"},
		{name: "a gateway auth code other than 0301", err: apiError(403, "APIGW.0302"),
			wantKind: drresult.KindAuthRejected, wantHTTP: 502, wantCode: "APIGW.0302", wantReqID: "req-err"},
		{name: "server error without code", err: apiError(500, ""), wantKind: drresult.KindAPIFailed, wantHTTP: 502, wantCode: "dr_api_error", wantReqID: "req-err"},
		{name: "transport", err: errors.New("connection reset by peer"), wantKind: drresult.KindUnreachable, wantHTTP: 502, wantCode: "dr_api_error"},
		{name: "a redirect is nobody's refusal", err: apiError(307, ""), wantKind: drresult.KindUnreachable, wantHTTP: 502, wantCode: "dr_api_error", wantReqID: "req-err"},

		{name: "resume: running", op: resume, out: resumed,
			wantKind: drresult.KindDone, wantHTTP: 200, wantReqID: "req-out", wantAudit: "resumed/running"},
		{name: "resume: let go once accepted", op: resume, out: startAccepted, err: gaveUp, stop: drresult.Released,
			wantKind: drresult.KindAccepted, wantHTTP: 200, wantReqID: "req-out", wantAudit: "resumed/starting"},
		{name: "resume: already running, nothing sent", op: resume, out: wasRunning,
			wantKind: drresult.KindAlreadyDone, wantHTTP: 200, wantReqID: "req-out", wantAudit: "noop/already_running"},
		{name: "resume: found starting and followed", op: resume, out: drapi.Outcome{ID: id, Initial: drapi.StatusStarting, Status: drapi.StatusRunning},
			wantKind: drresult.KindAlreadyInProgress, wantHTTP: 200, wantAudit: "noop/already_starting"},
		{name: "resume: another resume first", op: resume, out: startedFirst,
			wantKind: drresult.KindOtherFirst, wantHTTP: 200, wantAudit: "noop/another_resume_first"},
		{name: "resume: let go once another resume was seen", op: resume, out: startedFirst, err: gaveUp, stop: drresult.Released,
			wantKind: drresult.KindOtherFirst, wantHTTP: 200, wantAudit: "noop/another_resume_first"},
		{name: "resume: wait reached, accepted", op: resume, out: startAccepted, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindNotFinished, wantHTTP: 504, wantCode: "timeout", wantReqID: "req-out", wantAudit: "failed/wait_reached"},
		{name: "resume: wait reached, found starting", op: resume, out: wasStarting, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindInProgressAtWait, wantHTTP: 504, wantCode: "timeout", wantAudit: "failed/wait_reached"},
		{name: "resume: wait reached, unanswered", op: resume, out: startUnsent, err: gaveUp, stop: drresult.WaitReached,
			wantKind: drresult.KindUnconfirmed, wantHTTP: 504, wantCode: "timeout", wantAudit: "failed/wait_reached"},
		{name: "resume: stopping cannot be resumed", op: resume, out: drapi.Outcome{ID: id, Initial: drapi.StatusStopping, Status: drapi.StatusStopping},
			err:      &drapi.StatusError{ID: id, Op: "start", Status: drapi.StatusStopping},
			wantKind: drresult.KindWrongStatus, wantHTTP: 409, wantCode: "status_not_allowed", wantBad: drapi.StatusStopping, wantAudit: "failed/status_stopping"},
		{name: "resume: ended in start_failed", op: resume, out: startFailed, err: &drapi.StatusError{ID: id, Op: "follow", Status: drapi.StatusStartFailed},
			wantKind: drresult.KindDRFailed, wantHTTP: 409, wantCode: "status_not_allowed", wantReqID: "req-out", wantBad: drapi.StatusStartFailed, wantAudit: "failed/status_start_failed"},
		{name: "resume: busy, read back still stopped", op: resume, out: startUnsent, err: startRefusal(409, "DWS.0011", drapi.StatusStopped),
			wantKind: drresult.KindBusy, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusStopped, wantAudit: "failed/busy"},
		{name: "resume: busy, read back start_failed", op: resume, out: startUnsent, err: startRefusal(409, "DWS.0011", drapi.StatusStartFailed),
			wantKind: drresult.KindBusy, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusStartFailed, wantAudit: "failed/busy"},
		{name: "resume: busy, read back stopping: a pause is under way, a refusal naming it", op: resume, out: startUnsent,
			err:      startRefusal(409, "DWS.0011", drapi.StatusStopping),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusStopping, wantAudit: "failed/refused"},
		// Read back running, DWS.0011 is busy for a pause (see above) but a refusal for a resume:
		// the operation decides.
		{name: "resume: busy, read back running: not busy for a resume", op: resume, out: startUnsent, err: startRefusal(409, "DWS.0011", drapi.StatusRunning),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.0011", wantReqID: "req-err", wantBad: drapi.StatusRunning, wantAudit: "failed/refused"},
		{name: "resume: refused with an unknown code, read back stopped", op: resume, out: startUnsent, err: startRefusal(400, "DWS.4242", drapi.StatusStopped),
			wantKind: drresult.KindRefused, wantHTTP: 409, wantCode: "DWS.4242", wantReqID: "req-err", wantBad: drapi.StatusStopped, wantAudit: "failed/refused"},
		{name: "resume: throttled", op: resume, out: startUnsent, err: throttled,
			wantKind: drresult.KindThrottled, wantHTTP: 429, wantCode: "APIG.0308", wantReqID: "req-err", wantAudit: "failed/throttled"},
		{name: "resume: a 5xx with the status unchanged", op: resume, out: startUnsent, err: apiError(503, "DWS.9999"),
			wantKind: drresult.KindAPIFailed, wantHTTP: 502, wantCode: "DWS.9999", wantReqID: "req-err", wantAudit: "failed/error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.op
			if op.Name == "" {
				op = drresult.Pause
			}
			r := drresult.Classify(op, tt.out, tt.err, tt.stop)
			if r.Kind != tt.wantKind {
				t.Fatalf("kind: got %s; want %s", r.Kind, tt.wantKind)
			}
			if got := r.HTTPStatus(); got != tt.wantHTTP {
				t.Errorf("HTTP status: got %d; want %d", got, tt.wantHTTP)
			}
			if got := r.ErrorCode(); got != tt.wantCode {
				t.Errorf("error code: got %q; want %q", got, tt.wantCode)
			}
			if r.OK() != (tt.wantHTTP == 200) {
				t.Errorf("OK: got %v; want %v", r.OK(), tt.wantHTTP == 200)
			}
			if r.RequestID != tt.wantReqID {
				t.Errorf("request id: got %q; want %q", r.RequestID, tt.wantReqID)
			}
			if r.BadStatus != tt.wantBad {
				t.Errorf("bad status: got %q; want %q", r.BadStatus, tt.wantBad)
			}
			if event, outcome := r.AuditEvent(); tt.wantAudit != "" && event+"/"+outcome != tt.wantAudit {
				t.Errorf("audit: got %s/%s; want %s", event, outcome, tt.wantAudit)
			}
		})
	}
}

func TestClassifyKeepsTheFacts(t *testing.T) {
	out := drapi.Outcome{ID: id, PauseID: "p-1", Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopFailed,
		RequestID: "req-out", Attempts: 1}
	err := &drapi.StatusError{ID: id, Op: "follow", Status: drapi.StatusStopFailed}
	r := drresult.Classify(drresult.Pause, out, err, drresult.NotStopped)
	if r.ID != id || r.OpID != "p-1" || !r.Posted || r.Initial != drapi.StatusRunning || r.Status != drapi.StatusStopFailed ||
		r.BadStatus != drapi.StatusStopFailed || r.Attempts != 1 || r.Err != err {
		t.Errorf("got %+v; want the outcome's facts and the failure status", r)
	}
	r = drresult.Classify(drresult.Pause, out, refusal(400, "DWS.4242", drapi.StatusRunning), drresult.NotStopped)
	if r.Kind != drresult.KindRefused || r.DWSHTTPStatus != 400 || r.DWSCode != "DWS.4242" || r.DWSMessage != "refused" ||
		r.RequestID != "req-err" || r.BadStatus != drapi.StatusRunning {
		t.Errorf("refusal: got %+v; want refused with DWS's code, message and request id, and the status read back", r)
	}
	r = drresult.Classify(drresult.Resume, drapi.Outcome{ID: id, OpID: "s-1", Posted: true, Initial: drapi.StatusStopped,
		Status: drapi.StatusRunning, RequestID: "req-out", Attempts: 1}, nil, drresult.NotStopped)
	if r.Kind != drresult.KindDone || r.OpID != "s-1" || r.Op.Name != "resume" || r.RequestID != "req-out" {
		t.Errorf("resume: got %+v; want done with the start's id and request id", r)
	}
	r = drresult.ClassifyLookup(id, apiError(429, "APIG.0308"))
	if r.Kind != drresult.KindThrottled || r.DWSHTTPStatus != 429 || r.DWSCode != "APIG.0308" || r.Tries != 2 || r.RequestID != "req-err" {
		t.Errorf("lookup: got %+v; want throttled with the DWS error's fields", r)
	}
}

func TestEveryKindHasAnHTTPStatusAndAuditEvent(t *testing.T) {
	seen := map[drresult.Kind]bool{}
	for _, k := range drresult.Kinds() {
		if seen[k] {
			t.Errorf("kind %s listed twice", k)
		}
		seen[k] = true
		for _, op := range []drresult.Operation{drresult.Pause, drresult.Resume} {
			r := drresult.Result{Kind: k, Op: op}
			if event, _ := r.AuditEvent(); event == "" {
				t.Errorf("%s %s: got no audit event", op.Name, k)
			}
			if r.HTTPStatus() == 0 || (r.ErrorCode() == "") != r.OK() {
				t.Errorf("%s %s: got HTTP %d code %q", op.Name, k, r.HTTPStatus(), r.ErrorCode())
			}
		}
	}
}
