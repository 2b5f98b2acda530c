package drapi

import (
	"context"
	"errors"
	"fmt"
)

// Two answers to a pause leave open whether the DR is on its way to stopped, and both are settled
// the same way: by reading the status back, where stopping or stopped means a pause took effect.
// They sit side by side so that they stay alike.
//
//   - Pause, after an ambiguous failure (see ambiguous): the POST may have been acted on although
//     no answer said so. Reading back instead of sending again keeps a pause from being sent twice.
//   - PauseAndFollow, after DWS refused the pause for the DR's status: the status changed since it
//     was read, most often because another pause got there first.

// ambiguous reports whether a failed POST may have taken effect all the same.
func ambiguous(err error) bool {
	if errors.Is(err, ErrThrottled) {
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

// readBackRefusedPause reads the DR again after DWS refused the pause for its status (refusal).
// It returns nil when a pause took effect all the same (another pause got there first), a
// *StatusError naming the status the DR has now when none did, and refusal when the status
// cannot be read.
func (f *follower) readBackRefusedPause(ctx context.Context, refusal error) error {
	d, _, err := f.c.get(ctx, f.id)
	if err != nil {
		return fmt.Errorf("pause disaster recovery %.64q: %w", f.id, refusal)
	}
	f.observe(d.Status)
	if pauseTookEffect(d.Status) {
		return nil
	}
	return &StatusError{ID: f.id, Op: "pause", Status: d.Status}
}

// pauseTookEffect reports whether a DR in status s has a pause under way or done, whoever sent it.
func pauseTookEffect(s Status) bool { return s == StatusStopping || s == StatusStopped }
