package drapi

import (
	"context"
	"errors"
)

// Two answers to a pause leave open whether the DR is on its way to stopped, and both are settled
// the same way: by reading the status back, where stopping or stopped means a pause took effect.
// They sit side by side so that they stay alike.
//
//   - Pause, after an ambiguous failure (see ambiguous): the POST may have been acted on although
//     no answer said so. Reading back instead of sending again keeps a pause from being sent twice.
//   - PauseAndFollow, after DWS refused the pause (any 4xx about neither the
//     credentials, throttling nor a missing task; see ErrRefused): the status changed since it
//     was read, most often because another pause got there first. Which code DWS sends when the
//     status does not allow a pause is UNVERIFIED (the API documents none, and its one 409,
//     DWS.0011, means "busy"), so no code is trusted to say it: the status read back decides,
//     and stopping or stopped wins over any code, DWS.0011 included.

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

// readBackAmbiguousPause reads DR task id after an ambiguous pause failure. It reports the status
// read and true when a pause took effect; false when it did not or the status could not be read,
// and then the caller returns the original failure.
func (c *Client) readBackAmbiguousPause(ctx context.Context, id string) (Status, bool) {
	d, _, err := c.get(ctx, id)
	if err != nil || !pauseTookEffect(d.Status) {
		return "", false
	}
	return d.Status, true
}

// readBackRefusedPause reads the DR again after DWS refused the pause (refusal, an *Error
// matching ErrRefused). It returns nil when a pause took effect all the same (another pause got
// there first), and otherwise a *RefusedError holding refusal and the status read back, empty
// when it cannot be read.
func (f *follower) readBackRefusedPause(ctx context.Context, refusal *Error) error {
	refused := &RefusedError{ID: f.id, Op: "pause", Err: refusal}
	d, _, err := f.c.get(ctx, f.id)
	if err != nil {
		return refused
	}
	f.observe(d.Status)
	if pauseTookEffect(d.Status) {
		return nil
	}
	refused.Status = d.Status
	return refused
}

// pauseTookEffect reports whether a DR in status s has a pause under way or done, whoever sent it.
func pauseTookEffect(s Status) bool { return s == StatusStopping || s == StatusStopped }
