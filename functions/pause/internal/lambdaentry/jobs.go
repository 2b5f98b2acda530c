package lambdaentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
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
	Key     JobKey
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
	payload, err := sealJob(j.Key, raw, j.now())
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
	raw, err := openJob(j.Key, payload, j.now())
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

func (j *Jobs[J]) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}
