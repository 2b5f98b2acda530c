package drresult

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// Operation names what was asked of a DR task and the statuses that mark its way: a pause goes
// through stopping to stopped, a resume through starting to running. Both end in the same Kinds.
type Operation struct {
	Name    string       // the verb, as in "another pause first": "pause"
	Done    string       // the audit event of a success: "paused"
	Transit drapi.Status // the status on the way: stopping
	Target  drapi.Status // the status that ends it: stopped
	// Allowed reports whether the operation may be sent from a status: running or stop_failed
	// for a pause.
	Allowed func(drapi.Status) bool
}

// Pause is POST .../pause followed to stopped (drapi's PauseAndFollow).
var Pause = Operation{Name: "pause", Done: "paused", Transit: drapi.StatusStopping, Target: drapi.StatusStopped,
	Allowed: drapi.Status.Pausable}

// Resume is POST .../start followed to running (drapi's StartAndFollow): replication starts
// again. It is sent from unstart, start_failed or stopped.
var Resume = Operation{Name: "resume", Done: "resumed", Transit: drapi.StatusStarting, Target: drapi.StatusRunning,
	Allowed: drapi.Status.Startable}

// Stop says why the caller stopped following the operation before the DR API client returned on
// its own, if it did.
type Stop int

const (
	// NotStopped: the client returned on its own: the DR reached the target, or a call failed.
	NotStopped Stop = iota
	// WaitReached: the caller's bound on following (DR_WAIT) ran out.
	WaitReached
	// CutShort: the bound was shortened to the caller's own deadline (a function timeout), and
	// ran out: the caller is about to be stopped, not done waiting.
	CutShort
	// Interrupted: the caller's context ended (shutdown, function timeout).
	Interrupted
	// Released: the caller let go on purpose once it saw the operation taken (/invoke without
	// wait). Before that, the client's error decides.
	Released
)

// Kind is how an operation ended. The value is stable and readable in logs.
type Kind string

// Endings where the operation happened, or is under way as asked.
const (
	KindDone              Kind = "done"                // accepted, and the DR reached the target
	KindAccepted          Kind = "accepted"            // accepted; the caller let go before the target
	KindAlreadyDone       Kind = "already_done"        // the DR was at the target: nothing sent
	KindAlreadyInProgress Kind = "already_in_progress" // the DR was in transit: nothing sent, followed
	KindOtherFirst        Kind = "other_first"         // refused because another request got there first
)

// Endings where the wait ran out with no failure answer from the API.
const (
	KindNotFinished      Kind = "not_finished"        // accepted, not at the target yet
	KindInProgressAtWait Kind = "in_progress_at_wait" // found in transit, nothing sent, not at the target yet
	KindUnconfirmed      Kind = "unconfirmed"         // sent, never answered: it may or may not have been accepted
	KindNotSent          Kind = "not_sent"            // the API was silent before anything was sent
	KindInterrupted      Kind = "interrupted"         // the caller was stopped while following
)

// Endings where the operation failed or was refused.
const (
	KindInvalidID    Kind = "invalid_id"    // not a DR id: nothing sent
	KindNotFound     Kind = "not_found"     // no such DR task, or one of its clusters is gone
	KindWrongStatus  Kind = "wrong_status"  // the DR's status, as read first, does not allow the operation: nothing sent
	KindDRFailed     Kind = "dr_failed"     // accepted, but the DR ended in a failure status
	KindThrottled    Kind = "throttled"     // throttled until the client gave up
	KindAuthRejected Kind = "auth_rejected" // our credentials or permissions were rejected
	// KindBusy: DWS.0011, another operation is in progress on the cluster, and the DR, read
	// back, is still in a status that allows the operation: worth trying again in a minute.
	KindBusy Kind = "busy"
	// KindRefused: DWS refused the call with another 4xx answer (drapi.ErrRefused). For
	// an operation the status was read back and did not show it under way; BadStatus holds
	// that status, empty when it could not be read. Which code means "the status does not
	// allow it" is UNVERIFIED, so the status read back is what is reported, not a reading of
	// the code.
	KindRefused     Kind = "refused"
	KindAPIFailed   Kind = "api_failed"  // a 5xx: it may or may not have been accepted
	KindTimedOut    Kind = "timed_out"   // a call got no answer in its own time
	KindUnreachable Kind = "unreachable" // a transport failure, an unreadable answer, or one neither 2xx nor an error (a redirect)
)

// Kinds lists every Kind, so renderers' tests can prove they cover them all.
func Kinds() []Kind {
	return []Kind{
		KindDone, KindAccepted, KindAlreadyDone, KindAlreadyInProgress, KindOtherFirst,
		KindNotFinished, KindInProgressAtWait, KindUnconfirmed, KindNotSent, KindInterrupted,
		KindInvalidID, KindNotFound, KindWrongStatus, KindDRFailed, KindThrottled, KindAuthRejected,
		KindBusy, KindRefused, KindAPIFailed, KindTimedOut, KindUnreachable,
	}
}

// Result is how one operation on a DR task ended, with what the DR API said about it. Its
// fields hold no raw bodies: only drapi's typed fields.
type Result struct {
	Kind Kind
	Op   Operation

	ID        string       // the DR id asked for
	OpID      string       // the id the operation's answer named; empty when none was accepted
	Posted    bool         // the operation's request was accepted
	Initial   drapi.Status // the status before anything was done
	Status    drapi.Status // the last status observed
	BadStatus drapi.Status // the status that refused the operation (read first, or read back after DWS refused it), or that it ended in instead of the target

	DWSHTTPStatus int    // HTTP status of the DWS error answer; 0 without one
	DWSCode       string // its error_code, e.g. "DWS.10101"; may be empty
	DWSMessage    string // its error_msg
	RequestID     string // X-Request-Id of the error answer, else of the operation's answer or the last call

	Attempts int           // requests of the operation sent (more than 1 only after throttling)
	Tries    int           // sends of the call the DWS error answered; 0 without one
	Elapsed  time.Duration // from the first call to the end
	Err      error         // the client's error, for logs and /invoke's message; nil on success
}

// Classify reads how op ended from what the client observed (out), its error (err) and why the
// caller stopped following (stop).
//
// An answer below 500 (a refusal, throttling) says what happened even when the wait ran out
// meanwhile; without one, a wait that ran out is reported as such, by how far the operation got.
func Classify(op Operation, out drapi.Outcome, err error, stop Stop) Result {
	r := Result{
		// PauseID still names the pause in Outcomes built by hand before OpID existed.
		Op: op, ID: out.ID, OpID: cmp.Or(out.OpID, out.PauseID), Posted: out.Posted, Initial: out.Initial, Status: out.Status,
		RequestID: out.RequestID, Attempts: out.Attempts, Elapsed: out.Elapsed, Err: err,
	}
	apiErr, _ := errors.AsType[*drapi.Error](err)
	if apiErr != nil {
		r.DWSHTTPStatus, r.DWSCode, r.DWSMessage, r.Tries = apiErr.HTTPStatus, apiErr.Code, apiErr.Message, apiErr.Attempts
		if apiErr.RequestID != "" {
			r.RequestID = apiErr.RequestID
		}
	}
	if statusErr, ok := errors.AsType[*drapi.StatusError](err); ok {
		r.BadStatus = statusErr.Status
	}
	if refusedErr, ok := errors.AsType[*drapi.RefusedError](err); ok {
		r.BadStatus = refusedErr.Status
	}
	refused := apiErr != nil && apiErr.HTTPStatus < 500
	switch {
	case stop == Interrupted:
		r.Kind = KindInterrupted
	case err == nil || stop == Released && taken(op, out):
		r.Kind = succeeded(op, out, stop)
	case stop == CutShort:
		r.Kind = KindInterrupted
	case stop == WaitReached && !refused:
		r.Kind = unfinished(op, out)
	default:
		r.Kind = failed(op, err, apiErr)
	}
	return r
}

// ClassifyLookup reads the error err of a failed lookup (a status, a list, a dry run) of DR id;
// id is empty for a list.
func ClassifyLookup(id string, err error) Result {
	return Classify(Operation{}, drapi.Outcome{ID: id}, err, NotStopped)
}

// taken reports whether the operation is under way: accepted, or the DR seen on its way.
func taken(op Operation, out drapi.Outcome) bool {
	return out.Posted || out.Status == op.Transit || out.Status == op.Target
}

func succeeded(op Operation, out drapi.Outcome, stop Stop) Kind {
	switch {
	case out.Posted && stop == Released && out.Status != op.Target:
		return KindAccepted
	case out.Posted:
		return KindDone
	case out.Initial == op.Target:
		return KindAlreadyDone
	case out.Attempts > 0:
		return KindOtherFirst
	default:
		return KindAlreadyInProgress
	}
}

func unfinished(op Operation, out drapi.Outcome) Kind {
	switch {
	case out.Posted:
		return KindNotFinished
	case out.Attempts > 0:
		// The request went out and its answer never came: DWS may have acted on it.
		return KindUnconfirmed
	case out.Initial == op.Transit:
		return KindInProgressAtWait
	default:
		return KindNotSent
	}
}

func failed(op Operation, err error, apiErr *drapi.Error) Kind {
	statusErr, _ := errors.AsType[*drapi.StatusError](err)
	refusedErr, _ := errors.AsType[*drapi.RefusedError](err)
	switch {
	case errors.Is(err, drapi.ErrInvalidID):
		return KindInvalidID
	case errors.Is(err, drapi.ErrNotFound):
		return KindNotFound
	case statusErr != nil && statusErr.Op == "follow":
		return KindDRFailed
	case statusErr != nil:
		return KindWrongStatus
	case errors.Is(err, drapi.ErrThrottled):
		return KindThrottled
	case errors.Is(err, drapi.ErrAuth):
		return KindAuthRejected
	// Busy only while the DR could still take the operation: read back in any other status,
	// DWS.0011 is a refusal like another, which names that status. A lookup reads nothing back.
	case errors.Is(err, drapi.ErrBusy) && (refusedErr == nil || op.Allowed != nil && op.Allowed(refusedErr.Status)):
		return KindBusy
	case errors.Is(err, drapi.ErrRefused):
		return KindRefused
	case apiErr != nil && apiErr.HTTPStatus >= 500:
		return KindAPIFailed
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimedOut
	default:
		return KindUnreachable
	}
}

// OK reports whether the operation happened, or is under way as asked: nothing to retry.
func (r Result) OK() bool {
	switch r.Kind {
	case KindDone, KindAccepted, KindAlreadyDone, KindAlreadyInProgress, KindOtherFirst:
		return true
	}
	return false
}

// AuditEvent names the ending for the audit log: the event (Op.Done, noop or failed) and its
// outcome.
func (r Result) AuditEvent() (event, outcome string) {
	switch r.Kind {
	case KindDone, KindAccepted:
		return r.Op.Done, string(r.Status)
	case KindAlreadyDone, KindAlreadyInProgress:
		return "noop", "already_" + string(r.Initial)
	case KindOtherFirst:
		return "noop", "another_" + r.Op.Name + "_first"
	case KindNotFinished, KindInProgressAtWait, KindUnconfirmed, KindNotSent:
		return "failed", "wait_reached"
	case KindInterrupted:
		return "failed", "interrupted"
	case KindInvalidID:
		return "failed", "invalid_id"
	case KindNotFound:
		return "failed", "not_found"
	case KindWrongStatus, KindDRFailed:
		return "failed", "status_" + string(r.BadStatus)
	case KindThrottled:
		return "failed", "throttled"
	case KindAuthRejected:
		return "failed", "auth_rejected"
	case KindBusy:
		return "failed", "busy"
	case KindRefused:
		return "failed", "refused"
	default:
		return "failed", "error"
	}
}

// HTTPStatus is the status of the /invoke answer. Our credentials rejected is a gateway problem
// from the caller's side: theirs were fine. A refusal by DWS, busy included, is a conflict with
// the DR's state as DWS sees it: 409, with DWS's code.
func (r Result) HTTPStatus() int {
	switch r.Kind {
	case KindDone, KindAccepted, KindAlreadyDone, KindAlreadyInProgress, KindOtherFirst:
		return http.StatusOK
	case KindInvalidID:
		return http.StatusBadRequest
	case KindNotFound:
		return http.StatusNotFound
	case KindWrongStatus, KindDRFailed, KindBusy, KindRefused:
		return http.StatusConflict
	case KindThrottled:
		return http.StatusTooManyRequests
	case KindNotFinished, KindInProgressAtWait, KindUnconfirmed, KindNotSent, KindInterrupted, KindTimedOut:
		return http.StatusGatewayTimeout
	default:
		return http.StatusBadGateway
	}
}

// ErrorCode is the code of the /invoke error answer; empty when r.OK(). DWS error codes are
// passed on, as support needs them with the request id.
func (r Result) ErrorCode() string {
	switch r.Kind {
	case KindDone, KindAccepted, KindAlreadyDone, KindAlreadyInProgress, KindOtherFirst:
		return ""
	case KindInvalidID:
		return "invalid_id"
	case KindNotFinished, KindInProgressAtWait, KindUnconfirmed, KindNotSent, KindTimedOut:
		return "timeout"
	case KindInterrupted:
		return "interrupted"
	}
	if r.DWSCode != "" {
		return r.DWSCode
	}
	switch r.Kind {
	case KindNotFound:
		return "not_found"
	case KindWrongStatus, KindDRFailed:
		return "status_not_allowed"
	case KindThrottled:
		return "throttled"
	case KindBusy:
		return "busy"
	case KindRefused:
		return "refused"
	default:
		return "dr_api_error"
	}
}
