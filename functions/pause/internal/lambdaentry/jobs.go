package lambdaentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dws-dr/drpause/pkg/rotating"
)

// Jobs owns the round trip of deferred work of type J: Defer seals a job and queues it as an
// asynchronous invocation of this function, so the work outlives the invocation that answered
// (Lambda freezes a function between invocations, and a goroutine left running would be lost);
// when that invocation arrives, the Handler gives the payload back to RunSealed, which opens the
// envelope, decodes the J and runs it. It is safe for concurrent use.
type Jobs[J any] struct {
	// Run does the work. It may be set after the Jobs is handed out as a deferrer, since the
	// runner usually needs the deferrer to be built, but before the first event arrives.
	Run func(ctx context.Context, job J) error
	// Key seals and opens the envelopes; the caller names the secret it derives from.
	Key JobKey
	// Secret, when set, is used instead of Key: the secret the key derives from, which may be
	// rotated while the function runs. Envelopes are sealed with the key of the value in force
	// and open with it or the previous value's, so jobs queued before a rotation, or by an
	// instance that re-read the secret at another time, still run; one that opens with neither
	// asks the secret for a re-read.
	Secret  rotating.Secret
	Invoker SelfInvoker
	Now     func() time.Time // nil means time.Now
}

// JobRunner opens a sealed payload and runs the job inside; *Jobs[J] is one.
type JobRunner interface {
	RunSealed(ctx context.Context, payload []byte) error
}

var _ JobRunner = (*Jobs[struct{}])(nil)

// Defer seals job and invokes the function with it, without waiting for the work to run.
func (j *Jobs[J]) Defer(ctx context.Context, job J) error {
	raw, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("defer job: encode: %w", err)
	}
	key := j.Key
	if j.Secret != nil {
		key = NewJobKey(j.Secret.Current())
	}
	payload, err := sealJob(key, raw, j.now())
	if err != nil {
		return fmt.Errorf("defer job: %w", err)
	}
	if err := j.Invoker.InvokeAsync(ctx, payload); err != nil {
		return fmt.Errorf("defer job: %w", err)
	}
	return nil
}

// RunSealed checks the envelope's mac and age, decodes the job it carries and runs it. A
// refused envelope never reaches Run.
func (j *Jobs[J]) RunSealed(ctx context.Context, payload []byte) error {
	raw, err := j.open(ctx, payload)
	if err != nil {
		return fmt.Errorf("refuse job: %w", err)
	}
	if j.Run == nil {
		return errors.New("lambdaentry: no job runner")
	}
	var job J
	if err := json.Unmarshal(raw, &job); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	return j.Run(ctx, job)
}

// open opens an envelope with Key, or with the keys of Secret's values.
func (j *Jobs[J]) open(ctx context.Context, payload []byte) (json.RawMessage, error) {
	if j.Secret == nil {
		return openJob(j.Key, payload, j.now())
	}
	var raw json.RawMessage
	err := ErrNoJobKey // when the secret has no value
	rotating.VerifyRecent(ctx, j.Secret, func(secret string) bool {
		raw, err = openJob(NewJobKey(secret), payload, j.now())
		return !errors.Is(err, ErrBadJobMAC)
	})
	return raw, err
}

func (j *Jobs[J]) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}
