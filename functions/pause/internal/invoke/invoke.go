// Package invoke is the one-off pause (and, with DR_RESUME, resume): POST /invoke and a direct
// Lambda invocation take the same request and give the same answer, so scripts can use either.
package invoke

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// DR is what a one-off pause or resume needs from the DR API; *drapi.Client satisfies it.
type DR interface {
	Get(ctx context.Context, id string) (*drapi.Detail, error)
	PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
	StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
}

// Ledger is what a one-off pause needs from the ledger shared with the Slack side and the
// alerts on every instance: the claim of the one operation on a DR. *ledger.Memory and
// *ledger.DynamoDB satisfy it.
type Ledger interface {
	Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error)
	Release(ctx context.Context, key, holder string) error
}

var (
	_ Ledger = (*ledger.Memory)(nil)
	_ Ledger = (*ledger.DynamoDB)(nil)
)

// Request is the body of POST /invoke and the payload of a direct invocation.
type Request struct {
	DisasterRecoveryID string `json:"disaster_recovery_id"`
	Action             string `json:"action,omitempty"` // ActionPause when empty
	Wait               bool   `json:"wait"`
	DryRun             bool   `json:"dry_run"`
}

// Response is the answer to a Request that succeeded.
type Response struct {
	DisasterRecovery struct {
		ID string `json:"id"`
	} `json:"disaster_recovery"`
	Status    drapi.Status `json:"status"`
	RequestID string       `json:"request_id"`
	Simulated bool         `json:"simulated,omitempty"` // DR_SIMULATE: no real DR was touched
}

// Error is the answer to a Request that failed, with the HTTP status it maps to.
type Error struct {
	HTTPStatus int    `json:"-"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	RequestID  string `json:"request_id"`
	// Simulated (DR_SIMULATE) travels beside the error, as on a success: see ErrorBody.
	Simulated bool `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorBody is how an Error travels: {"error": {...}}, with "simulated": true beside it when
// the Error is simulated, where a success has it too.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// The actions a Request may ask for. Resume is refused as disabled, not as unknown, while
// DR_RESUME is off: scripts can tell the two apart.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
)

func (b ErrorBody) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Error     *Error `json:"error"`
		Simulated bool   `json:"simulated,omitempty"`
	}{b.Error, b.Error != nil && b.Error.Simulated})
}

// maxBody caps the request body; a valid one is under 150 bytes.
const maxBody = 4 << 10

// Service runs one-off pauses and resumes. It is safe for concurrent use.
type Service struct {
	dr      DR
	wait    time.Duration
	allowed func(id string) bool // DR_ALLOWED_IDS
	follow  drapi.FollowOptions
	ledger  Ledger
	resume  bool                                     // DR_RESUME
	paused  func(ctx context.Context, id, by string) // records a pause DWS accepted; nil: none
	// postedWithin bounds a wait=false call after the operation was sent: long enough to see
	// the status leave the one it was sent from, short enough for a script that asked not to
	// wait.
	postedWithin time.Duration
	simulated    bool
}

// Config configures a Service.
type Config struct {
	Wait       time.Duration        // DR_WAIT: how long wait=true follows the pause
	AllowedIDs func(id string) bool // DR_ALLOWED_IDS; nil allows none
	Follow     drapi.FollowOptions  // poll intervals; OnStatus is set by the Service
	// Simulated (DR_SIMULATE): dr is the simulator, and every answer says "simulated": true.
	Simulated bool
	// Ledger holds the one operation per DR, shared with Slack and the alerts (DR_LEDGER).
	// Nil: a ledger of this Service alone, for tests.
	Ledger Ledger
	// Resume (DR_RESUME) allows "action": "resume"; off, it is answered 403 resume_disabled.
	Resume bool
	// Paused, if set, is called once DWS has accepted a pause, with "invoke" as who paused: it
	// records the pause for the DR's resume cards (bot.PauseRecorder).
	Paused func(ctx context.Context, id, by string)
}

// New returns a Service calling dr.
func New(cfg Config, dr DR) *Service {
	l := cfg.Ledger
	if l == nil {
		l = ledger.NewMemory()
	}
	return &Service{dr: dr, wait: cfg.Wait, allowed: cfg.AllowedIDs, follow: cfg.Follow, ledger: l, postedWithin: 10 * time.Second,
		simulated: cfg.Simulated, resume: cfg.Resume, paused: cfg.Paused}
}

const (
	// claimMargin is added to a claim on a DR beyond the call's own bound (DR_WAIT).
	claimMargin = time.Minute
	// releaseTimeout bounds the release of a claim once the call has its answer.
	releaseTimeout = 5 * time.Second
)

// hold claims the one operation on DR id for this call's op, on every instance, and returns the
// function that gives it back. A DR already held, for a pause or a resume, is a 409 naming who
// holds it; a ledger that cannot be reached a 503: nothing is sent without knowing the DR is free.
func (s *Service) hold(ctx context.Context, o drresult.Operation, id string) (func(), *Error) {
	key, op := ledger.OpKey(id), ledger.NewOp(o.Name, "invoke").String()
	r, err := s.ledger.Claim(ctx, key, op, time.Now().Add(s.wait+claimMargin))
	switch {
	case err != nil:
		name, cause := "ledger", err
		if u, ok := errors.AsType[*ledger.UnavailableError](err); ok {
			name, cause = u.Ledger, u.Err
		}
		return nil, &Error{HTTPStatus: http.StatusServiceUnavailable, Code: "ledger_unavailable",
			Message: fmt.Sprintf("the ledger (%s) is unreachable: nothing was %s (%v)", name, o.Done, cause)}
	case !r.OK:
		held := ledger.ParseOp(r.Holder)
		return nil, &Error{HTTPStatus: http.StatusConflict, Code: "in_progress",
			Message: fmt.Sprintf("an operation on disaster recovery %s is already in progress: %s by %s since %s",
				id, orDefault(held.Name, "an operation"), orDefault(held.By, "another request"), r.At.UTC().Format(time.RFC3339))}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		_ = s.ledger.Release(ctx, key, op) // on failure the claim expires on its own
	}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Simulated reports whether the Service answers from the simulator (DR_SIMULATE): its callers
// mark their own answers, such as a request that could not be decoded, the same way.
func (s *Service) Simulated() bool { return s.simulated }

// Decode reads a Request, refusing unknown fields and trailing data so a typo such as
// "dryrun" never turns a dry run into a real pause.
func Decode(r io.Reader) (Request, *Error) {
	var req Request
	dec := json.NewDecoder(io.LimitReader(r, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &Error{HTTPStatus: http.StatusBadRequest, Code: "invalid_request", Message: "request body: " + err.Error()}
	}
	if dec.More() {
		return req, &Error{HTTPStatus: http.StatusBadRequest, Code: "invalid_request", Message: "request body: trailing data"}
	}
	return req, nil
}

// Do runs req: the status only for a dry run; otherwise the pause (or the resume), answered
// right after it was sent, or, with Wait, once the DR is stopped (running) within DR_WAIT. The
// operation holds the DR in the ledger until it answers: another operation on it, a pause or a
// resume, here or on another instance, meanwhile gets 409 in_progress. Past the answer, the DR's
// status (stopping, starting) keeps a second one from being sent. Under DR_SIMULATE both
// answers say so.
func (s *Service) Do(ctx context.Context, req Request) (Response, *Error) {
	resp, err := s.do(ctx, req)
	resp.Simulated = s.simulated
	if err != nil {
		err.Simulated = s.simulated
	}
	return resp, err
}

func (s *Service) do(ctx context.Context, req Request) (Response, *Error) {
	op, err := s.checkAction(req.Action)
	if err != nil {
		return Response{}, err
	}
	id := req.DisasterRecoveryID
	if err := drapi.ValidateID(id); err != nil {
		return Response{}, &Error{HTTPStatus: http.StatusBadRequest, Code: "invalid_id", Message: "disaster_recovery_id: want a canonical lowercase UUID"}
	}
	if s.allowed == nil || !s.allowed(id) {
		return Response{}, &Error{HTTPStatus: http.StatusForbidden, Code: "id_not_allowed", Message: "disaster recovery " + id + " is not in DR_ALLOWED_IDS"}
	}
	if req.DryRun {
		d, err := s.dr.Get(ctx, id)
		if err != nil {
			return failure(drresult.Classify(op, drapi.Outcome{ID: id}, err, deadlineStop(ctx)))
		}
		return answer(id, d.Status, ""), nil
	}
	release, herr := s.hold(ctx, op, id)
	if herr != nil {
		return Response{}, herr
	}
	defer release()
	var (
		res         drresult.Result
		unconfirmed bool
	)
	if req.Wait {
		wctx, cancel := context.WithTimeout(ctx, s.wait)
		out, err := s.run(op)(wctx, id, s.follow)
		res = drresult.Classify(op, out, err, deadlineStop(wctx))
		cancel()
	} else {
		res, unconfirmed = s.noWait(ctx, op, id)
	}
	if op.Name == ActionPause && res.Posted && s.paused != nil {
		s.paused(ctx, id, "invoke") // before the DR is released: a resume then sees this pause
	}
	resp, e := render(id, res)
	if unconfirmed && e != nil && e.HTTPStatus == http.StatusGatewayTimeout {
		e.Message = fmt.Sprintf("no confirmation within %s that the %s was taken; check the status before retrying", s.postedWithin, op.Name)
	}
	return resp, e
}

// run is the drapi call that sends op and follows it.
func (s *Service) run(op drresult.Operation) func(context.Context, string, drapi.FollowOptions) (drapi.Outcome, error) {
	if op.Name == ActionResume {
		return s.dr.StartAndFollow
	}
	return s.dr.PauseAndFollow
}

// deadlineStop reads ctx once a call has returned: its deadline passed means the wait ran out.
// A cancelled request is nobody's answer to read; its error speaks for it.
func deadlineStop(ctx context.Context) drresult.Stop {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return drresult.WaitReached
	}
	return drresult.NotStopped
}

// checkAction reads the operation an action asks for, before anything else is looked at: a
// pause, or a resume when DR_RESUME allows it.
func (s *Service) checkAction(action string) (drresult.Operation, *Error) {
	switch action {
	case "", ActionPause:
		return drresult.Pause, nil
	case ActionResume:
		if s.resume {
			return drresult.Resume, nil
		}
		return drresult.Operation{}, &Error{HTTPStatus: http.StatusForbidden, Code: "resume_disabled",
			Message: "action resume is disabled: this deployment does not enable DR_RESUME"}
	}
	return drresult.Operation{}, &Error{HTTPStatus: http.StatusBadRequest, Code: "unknown_action",
		Message: "action: want pause (the default) or resume"}
}

// noWait sends op through drapi's follow (one place for throttling and the already-under-way
// cases) and stops following at the first status change after op was taken, so the answer shows
// the status it left the DR in (stopping or starting, as a rule).
//
// The status answered is the last one observed. Once DWS has accepted the operation the DR can
// still read as before when postedWithin runs out; the answer is then 200 with that status, as
// the operation was accepted and a retry would only send a second one. 504 is kept for an
// operation that was never confirmed, which unconfirmed reports.
func (s *Service) noWait(ctx context.Context, op drresult.Operation, id string) (res drresult.Result, unconfirmed bool) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		errTaken   = errors.New(op.Name + " taken")
		errTimeout = errors.New(op.Name + " not confirmed in time")
		first      = true
		timer      *time.Timer
	)
	opt := s.follow
	opt.OnStatus = func(st drapi.Status) {
		if !first {
			cancel(errTaken)
			return
		}
		first = false
		switch {
		case st == op.Transit:
			cancel(errTaken) // under way already: nothing to send
		case op.Allowed(st):
			timer = time.AfterFunc(s.postedWithin, func() { cancel(errTimeout) })
		}
	}
	out, err := s.run(op)(ctx, id, opt)
	if timer != nil {
		timer.Stop()
	}
	stop := deadlineStop(ctx)
	cause := context.Cause(ctx)
	unconfirmed = errors.Is(cause, errTimeout) && !out.Posted
	switch {
	case errors.Is(cause, errTaken), errors.Is(cause, errTimeout) && out.Posted:
		stop = drresult.Released
	case unconfirmed:
		stop = drresult.WaitReached // postedWithin is this call's wait
	}
	return drresult.Classify(op, out, err, stop), unconfirmed
}

// render answers with r: the status the pause left the DR in, or the error r names.
func render(id string, r drresult.Result) (Response, *Error) {
	if r.OK() {
		return answer(id, r.Status, r.RequestID), nil
	}
	return failure(r)
}

func answer(id string, st drapi.Status, requestID string) Response {
	var r Response
	r.DisasterRecovery.ID = id
	r.Status = st
	r.RequestID = requestID
	return r
}

// failure is the error answer for r, which did not succeed.
func failure(r drresult.Result) (Response, *Error) {
	message := string(r.Kind)
	if r.Err != nil {
		message = r.Err.Error()
	}
	return Response{}, &Error{HTTPStatus: r.HTTPStatus(), Code: r.ErrorCode(), Message: message, RequestID: r.RequestID}
}

// Handler serves POST /invoke to callers whose Authorization header bearer accepts (it checks
// DR_INVOKE_TOKEN). A nil bearer disables the route: it answers 403, as the alert routes do, so
// a forgotten variable never leaves it open. Every request leaves one audit line.
func Handler(s *Service, bearer func(authorization string) bool, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req, resp, err := handle(s, bearer, w, r)
		audit(r.Context(), log, r, req, time.Since(start), resp, err)
		if err != nil {
			err.Simulated = s.simulated
			writeJSON(w, err.HTTPStatus, ErrorBody{err})
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// handle checks the caller, then decodes and runs the request. A refusal is an *Error like
// any other, so that one place answers and audits them all.
func handle(s *Service, bearer func(authorization string) bool, w http.ResponseWriter, r *http.Request) (Request, Response, *Error) {
	if bearer == nil {
		return Request{}, Response{}, &Error{HTTPStatus: http.StatusForbidden, Code: "disabled", Message: "POST /invoke is disabled: DR_INVOKE_TOKEN is not set"}
	}
	if !bearer(r.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="drpause"`)
		return Request{}, Response{}, &Error{HTTPStatus: http.StatusUnauthorized, Code: "unauthorized", Message: "missing or wrong bearer token"}
	}
	req, err := Decode(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return req, Response{}, err
	}
	resp, err := s.Do(r.Context(), req)
	return req, resp, err
}

// audit logs one /invoke request as one line, shaped like the bot's decisions (event, outcome,
// disaster_recovery_id, request_id, latency_ms) with source "invoke". This route pauses with no
// human in the loop, so the requests it turned away are kept as well as those it ran. Never the
// Authorization header, never the body.
func audit(ctx context.Context, log *slog.Logger, r *http.Request, req Request, latency time.Duration, resp Response, e *Error) {
	event, outcome, requestID, level := drresult.Pause.Done, string(resp.Status), resp.RequestID, slog.LevelInfo
	if req.Action == ActionResume {
		event = drresult.Resume.Done
	}
	if req.DryRun {
		event = "dry_run"
	}
	if e != nil {
		// 400, 401 and 403 are this route's own refusals, made before any DR API call; the DR
		// API's answers map to 404, 409, 429 and 5xx.
		event, outcome, requestID, level = "failed", e.Code, e.RequestID, slog.LevelWarn
		switch e.HTTPStatus {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			event = "refused"
		}
	}
	// Only a valid id and a known action are logged as such: anything else is whatever the
	// caller sent.
	id := req.DisasterRecoveryID
	if drapi.ValidateID(id) != nil {
		id = ""
	}
	operation := cmp.Or(req.Action, ActionPause)
	if operation != ActionPause && operation != ActionResume {
		operation = ""
	}
	attrs := []slog.Attr{
		slog.String("event", event),
		slog.String("source", "invoke"),
		slog.String("disaster_recovery_id", id),
		slog.String("operation", operation),
		slog.String("outcome", outcome),
		slog.String("request_id", requestID),
		slog.Int64("latency_ms", latency.Milliseconds()),
		slog.String("remote_addr", r.RemoteAddr),
		slog.Bool("wait", req.Wait),
		slog.Bool("dry_run", req.DryRun),
	}
	if e != nil {
		attrs = append(attrs, slog.Int("http_status", e.HTTPStatus), slog.String("error", e.Message))
	}
	log.LogAttrs(ctx, level, "invoke decision", attrs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("encode answer: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
