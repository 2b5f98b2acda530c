package drapi

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PauseAndFollow pauses DR task id if its status allows, then follows it until it is stopped.
//
// It reads the status first: running and stop_failed are paused, stopping is only followed,
// stopped is already paused and nothing is sent, and any other status is a *StatusError with Op
// "pause". It then polls the detail, every opt.MinInterval growing to opt.MaxInterval, until the
// task is stopped (success), stop_failed or abnormal (a *StatusError with Op "follow"), or ctx is
// done (an error wrapping ctx.Err()). Throttling, 5xx answers and transport failures while polling
// do not end the follow; other errors, such as ErrNotFound or ErrAuth, do.
//
// A pause DWS refuses (ErrRefused: a 4xx about neither the credentials, throttling
// nor a missing task) is followed by a read of the status. Stopping or stopped means another
// pause got there first (two instances that both read running, say), whatever the code: it is
// followed like a DR found stopping, with no error and Outcome.Posted false. Any other status
// gives a *RefusedError holding DWS's answer and that status. That makes
// concurrent pauses harmless, not single: only one POST is accepted, but each caller may send one.
// Making the POST itself single-flight across instances would need a lease shared by them (a
// DynamoDB or Redis lock), which this package does not take.
//
// DWS accepts a pause before it acts on it, so after a pause from stop_failed the status may read
// stop_failed a while longer: it counts as the end of the follow only once the status has been
// seen to leave stop_failed since the pause was accepted; until then the follow goes on, bounded
// by ctx.
//
// The Outcome is filled on every return, with or without an error.
func (c *Client) PauseAndFollow(ctx context.Context, id string, opt FollowOptions) (Outcome, error) {
	return c.sendAndFollow(ctx, opPause, id, opt)
}

// StartAndFollow starts DR task id again (resumes replication) if its status allows, then
// follows it until it is running. It is PauseAndFollow for the start call, with the same
// guarantees; only the statuses differ.
//
// It reads the status first: unstart, start_failed and stopped are started, starting is only
// followed, running is already started and nothing is sent, and any other status is a
// *StatusError with Op "start". It then polls the detail as PauseAndFollow does until the task is
// running (success), start_failed or abnormal (a *StatusError with Op "follow"), or ctx is done
// (an error wrapping ctx.Err()). Polling survives throttling, 5xx answers and transport failures;
// other errors end it.
//
// The start is never sent twice blindly (see Start). A start DWS refuses (ErrRefused) is followed
// by a read of the status: starting or running means another start got there first, followed
// with no error and Outcome.Posted false; any other status gives a *RefusedError with DWS's
// code, message and request id and that status (errors.Is ErrBusy for DWS.0011).
//
// After a start from start_failed, a start_failed read ends the follow only once the status has
// been seen to leave start_failed since the start was accepted.
//
// The Outcome is filled on every return, with or without an error; Outcome.OpID holds the id the
// start call returned.
func (c *Client) StartAndFollow(ctx context.Context, id string, opt FollowOptions) (Outcome, error) {
	return c.sendAndFollow(ctx, opStart, id, opt)
}

// sendAndFollow is PauseAndFollow and StartAndFollow, for op.
func (c *Client) sendAndFollow(ctx context.Context, op *operation, id string, opt FollowOptions) (Outcome, error) {
	f := &follower{c: c, op: op, id: id, opt: opt, out: Outcome{ID: id}}
	start := time.Now()
	err := f.run(ctx)
	f.out.Elapsed = time.Since(start)
	return f.out, err
}

// follower holds the state of one PauseAndFollow or StartAndFollow.
type follower struct {
	c   *Client
	op  *operation
	id  string
	opt FollowOptions
	out Outcome
}

func (f *follower) run(ctx context.Context) error {
	d, reqID, err := f.c.get(ctx, f.id)
	f.out.RequestID = reqID
	if err != nil {
		return fmt.Errorf("%s disaster recovery %.64q: read status: %w", f.op.name, f.id, err)
	}
	f.out.Initial = d.Status
	f.observe(d.Status)
	switch {
	case d.Status == f.op.target:
		return nil
	case d.Status == f.op.transit:
	case f.op.allowed(d.Status):
		if err := f.send(ctx); err != nil {
			return err
		}
		if f.out.Status == f.op.target {
			return nil
		}
	default:
		return &StatusError{ID: f.id, Op: f.op.name, Status: d.Status}
	}
	return f.follow(ctx)
}

// send sends the operation and records what came of it.
func (f *follower) send(ctx context.Context) error {
	r, err := f.c.post(ctx, f.op, f.id)
	f.out.Attempts = r.attempts
	f.out.RequestID = r.requestID
	if err == nil {
		f.out.Posted, f.out.OpID = true, r.id
		if f.op == opPause {
			f.out.PauseID = r.id
		}
		if r.status != "" {
			f.observe(r.status)
		}
		return nil
	}
	// The status changed since it was read, or DWS sees it differently: name the one it has now.
	if e, ok := errors.AsType[*Error](err); ok && e.Is(ErrRefused) {
		return f.readBackRefused(ctx, e)
	}
	return fmt.Errorf("%s disaster recovery %.64q: %w", f.op.name, f.id, err)
}

// follow polls the detail until the task reaches a final status for the operation or ctx is done.
func (f *follower) follow(ctx context.Context) error {
	interval, maxInterval := f.opt.MinInterval, f.opt.MaxInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	if maxInterval <= 0 {
		maxInterval = 10 * time.Second
	}
	maxInterval = max(maxInterval, interval)
	// After an operation accepted from its own failure status (a pause from stop_failed, a start
	// from start_failed), a read of that status may predate the operation taking effect: it is
	// final only once another status has been seen since.
	staleFailure := f.out.Posted && f.out.Status == f.op.failure
	for {
		if err := f.c.wait(ctx, interval); err != nil {
			return f.gaveUp(ctx)
		}
		interval = min(2*interval, maxInterval)

		d, reqID, err := f.c.get(ctx, f.id)
		if !f.out.Posted && reqID != "" {
			f.out.RequestID = reqID
		}
		switch {
		case ctx.Err() != nil:
			return f.gaveUp(ctx)
		case err != nil && transient(err):
			continue
		case err != nil:
			return fmt.Errorf("follow disaster recovery %.64q: %w", f.id, err)
		}
		f.observe(d.Status)
		switch d.Status {
		case f.op.target:
			return nil
		case f.op.failure:
			if staleFailure {
				continue
			}
			return &StatusError{ID: f.id, Op: "follow", Status: d.Status}
		case StatusAbnormal:
			return &StatusError{ID: f.id, Op: "follow", Status: d.Status}
		}
		staleFailure = false
	}
}

func (f *follower) gaveUp(ctx context.Context) error {
	return fmt.Errorf("follow disaster recovery %.64q: still %s: %w", f.id, f.out.Status, ctx.Err())
}

// observe records status s and reports it through OnStatus when it differs from the last one.
func (f *follower) observe(s Status) {
	if s == f.out.Status {
		return
	}
	f.out.Status = s
	if f.opt.OnStatus != nil {
		f.opt.OnStatus(s)
	}
}
