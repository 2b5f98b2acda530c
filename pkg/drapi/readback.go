package drapi

import (
	"context"
	"errors"
)

// Two answers to a pause or a start leave open whether the DR is on its way to the operation's
// target, and both are settled the same way: by reading the status back, where the operation's
// transit or target status (stopping or stopped for a pause, starting or running for a start)
// means it took effect. They sit side by side so that they stay alike.
//
//   - Pause and Start, after an ambiguous failure (see ambiguous): the POST may have been acted
//     on although no answer said so. Reading back instead of sending again keeps it from being
//     sent twice.
//   - PauseAndFollow and StartAndFollow, after DWS refused the operation (any 4xx about neither
//     the credentials, throttling nor a missing task; see ErrRefused): the status changed since
//     it was read, most often because another request of the same operation got there first.
//     Which code DWS sends when the status does not allow an operation is UNVERIFIED (the API
//     documents none, and its one 409, DWS.0011, means "busy"), so no code is trusted to say
//     it: the status read back decides, and transit or target wins over any code, DWS.0011
//     included.

// ambiguous reports whether a failed POST may have taken effect all the same.
func ambiguous(err error) bool {
	// Nothing was sent without credentials.
	if errors.Is(err, ErrThrottled) || errors.Is(err, ErrNoCredentials) {
		return false
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.HTTPStatus >= 500
	}
	// A transport failure, or a 2xx that could not be read: the request may have been acted on.
	return true
}

// readBackAmbiguous reads DR task id after an ambiguous failure of op. It reports the status
// read and true when op took effect; false when it did not or the status could not be read, and
// then the caller returns the original failure.
func (c *Client) readBackAmbiguous(ctx context.Context, op *operation, id string) (Status, bool) {
	d, _, err := c.get(ctx, id)
	if err != nil || !op.tookEffect(d.Status) {
		return "", false
	}
	return d.Status, true
}

// readBackRefused reads the DR again after DWS refused the follower's operation (refusal, an
// *Error matching ErrRefused). It returns nil when the operation took effect all the same
// (another request got there first), and otherwise a *RefusedError holding refusal and the
// status read back, empty when it cannot be read.
func (f *follower) readBackRefused(ctx context.Context, refusal *Error) error {
	refused := &RefusedError{ID: f.id, Op: f.op.name, Err: refusal}
	d, _, err := f.c.get(ctx, f.id)
	if err != nil {
		return refused
	}
	f.observe(d.Status)
	if f.op.tookEffect(d.Status) {
		return nil
	}
	refused.Status = d.Status
	return refused
}
