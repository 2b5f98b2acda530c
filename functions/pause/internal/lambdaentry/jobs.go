package lambdaentry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// JobLedger is what Jobs needs from the ledger shared by every instance: the claim of a job id,
// so that a job Lambda delivers twice runs once. *ledger.Memory and *ledger.DynamoDB satisfy it.
type JobLedger interface {
	Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error)
}

var (
	_ JobLedger = (*ledger.Memory)(nil)
	_ JobLedger = (*ledger.DynamoDB)(nil)
)

// Jobs owns the round trip of deferred work of type J: Defer seals a job under a new job id and
// queues it as an asynchronous invocation of this function, so the work outlives the invocation
// that answered (Lambda freezes a function between invocations, and a goroutine left running
// would be lost); when that invocation arrives, the Handler gives the payload back to RunSealed,
// which opens the envelope, decodes the J, claims the job id in the ledger and runs it. Lambda
// delivers an asynchronous event at least once: a second delivery, on any instance, finds the
// id claimed and does nothing. It is safe for concurrent use.
type Jobs[J any] struct {
	// Run does the work. It may be set after the Jobs is handed out as a deferrer, since the
	// runner usually needs the deferrer to be built, but before the first event arrives.
	Run func(ctx context.Context, job J) error
	// Abandon is called instead of Run when the job must not run: the ledger cannot say
	// whether it already ran (err wraps ledger.ErrUnavailable), or it arrived after MaxJobAge
	// (ErrStaleJob; Lambda keeps an asynchronous event queued for up to six hours by default,
	// MaximumEventAgeInSeconds, AWS Lambda Developer Guide, "Asynchronous invocation"). It
	// tells whoever waits for the job (the Slack channel) that nothing was done. Nil: the job is
	// only refused, with an error.
	Abandon func(ctx context.Context, job J, err error) error
	// Ledger records the job ids that ran; required to run jobs.
	Ledger JobLedger
	Logger *slog.Logger // nil discards
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
	payload, err := sealJob(key, raw, rand.Text(), j.now())
	if err != nil {
		return fmt.Errorf("defer job: %w", err)
	}
	if err := j.Invoker.InvokeAsync(ctx, payload); err != nil {
		return fmt.Errorf("defer job: %w", err)
	}
	return nil
}

// RunSealed checks the envelope's mac and age, decodes the job it carries, claims its id and
// runs it. A refused envelope never reaches Run; a job whose id was already claimed, by this
// instance or another, is logged and ends without error, so Lambda does not retry it.
func (j *Jobs[J]) RunSealed(ctx context.Context, payload []byte) error {
	env, err := j.open(ctx, payload)
	if errors.Is(err, ErrStaleJob) && j.Abandon != nil && j.Ledger != nil && env.id != "" {
		return j.abandonStale(ctx, env)
	}
	if err != nil {
		return fmt.Errorf("refuse job: %w", err)
	}
	if j.Run == nil {
		return errors.New("lambdaentry: no job runner")
	}
	if j.Ledger == nil {
		return errors.New("lambdaentry: no job ledger: cannot tell a second delivery from the first")
	}
	if env.id == "" {
		return errors.New("refuse job: no job id")
	}
	var job J
	if err := json.Unmarshal(env.job, &job); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	holder := "job runner"
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		holder = "lambda request " + lc.AwsRequestID
	}
	// Kept as long as the envelope opens: past that a copy is refused as stale anyway.
	until := env.issued.Add(MaxJobAge + maxClockSkew + time.Minute)
	r, err := j.Ledger.Claim(ctx, "job#"+env.id, holder, until)
	switch {
	case err != nil:
		err = fmt.Errorf("job %s not run: %w", env.id, err)
		if j.Abandon != nil {
			return errors.Join(err, j.Abandon(ctx, job, err))
		}
		return err
	case !r.OK:
		j.logger().LogAttrs(ctx, slog.LevelInfo, "job delivered again: already run, nothing done",
			slog.String("job_id", env.id), slog.String("first_run_by", r.Holder),
			slog.Time("first_run_at", r.At))
		return nil
	}
	return j.Run(ctx, job)
}

// abandonStale tells whoever waits for an authentic job that arrived too late that it was not
// run, once however often Lambda delivers it: the job id is claimed as for a run.
func (j *Jobs[J]) abandonStale(ctx context.Context, env opened) error {
	var job J
	if err := json.Unmarshal(env.job, &job); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	stale := fmt.Errorf("job %s arrived %s after it was made, past %s: %w",
		env.id, j.now().Sub(env.issued).Round(time.Second), MaxJobAge, ErrStaleJob)
	r, err := j.Ledger.Claim(ctx, "job#"+env.id, "stale job", j.now().Add(time.Hour))
	if err != nil || !r.OK {
		return stale // told already, or nobody can say: refused, as any stale envelope
	}
	return errors.Join(stale, j.Abandon(ctx, job, stale))
}

func (j *Jobs[J]) logger() *slog.Logger {
	if j.Logger != nil {
		return j.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// open opens an envelope with Key, or with the keys of Secret's values.
func (j *Jobs[J]) open(ctx context.Context, payload []byte) (opened, error) {
	if j.Secret == nil {
		return openJob(j.Key, payload, j.now())
	}
	var env opened
	err := ErrNoJobKey // when the secret has no value
	rotating.VerifyRecent(ctx, j.Secret, func(secret string) bool {
		env, err = openJob(NewJobKey(secret), payload, j.now())
		return !errors.Is(err, ErrBadJobMAC)
	})
	return env, err
}

func (j *Jobs[J]) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}
