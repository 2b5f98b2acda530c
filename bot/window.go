package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

// Platform is what the bot must know about the platform serving one request; see
// Config.Platform.
type Platform struct {
	// AnswerWindowOnly: the process may not run on once this request is answered, as on an
	// HTTP function of Huawei Cloud FunctionGraph, which is not documented to keep running after
	// its answer. Work the bot would do after answering is then done before: a pause is sent
	// and its status read back within the answer, and reported as under way ("follow with
	// /dr status") instead of followed to stopped; a lookup gets the whole window and is never
	// deferred.
	AnswerWindowOnly bool
	// Refusal, when set, is why the DR API cannot be called for this request (its per-request
	// credentials are incomplete). The bot verifies the request, answers this, ephemeral, and
	// does nothing else. It must name no secret.
	Refusal string
}

// Bounds of the work done within the answer window. Slack wants an answer within 3 s; the
// click has already spent up to ackTimeout replacing the card.
const (
	// windowFollow bounds the pause and the read-back of its status.
	windowFollow = 1500 * time.Millisecond
	// windowReadBack is the wait between the accepted pause and the read of the status, which
	// DWS needs to move the task off running.
	windowReadBack = 300 * time.Millisecond
	// windowLookupBudget is what a status, list or dry run gets before the answer.
	windowLookupBudget = 2500 * time.Millisecond
)

// windowName is how messages name the bound of windowFollow when it runs out.
var windowName = fmt.Sprintf("this platform's answer window (%s)", windowFollow)

// platform returns what Config.Platform says of the request of ctx.
func (b *Bot) platform(ctx context.Context) Platform {
	if b.cfg.Platform == nil {
		return Platform{}
	}
	return b.cfg.Platform(ctx)
}

var (
	errTaken       = errors.New("bot: pause under way")
	errWindowEnded = errors.New("bot: answer window ended")
)

// inWindow sends job's operation (a pause, or a resume) and reads the status back, within
// windowFollow, and returns how far it got: most often accepted and under way (stopping,
// starting), not followed to the end. It settles the operation (see settle); reporting the
// result is the caller's.
func (b *Bot) inWindow(ctx context.Context, job Job) drresult.Result {
	start := b.now()
	op := job.op()
	wctx, cancelWindow := context.WithTimeoutCause(ctx, windowFollow, errWindowEnded)
	defer cancelWindow()
	fctx, cancel := context.WithCancelCause(wctx)
	defer cancel(nil)
	opt := b.cfg.Follow
	opt.MinInterval, opt.MaxInterval = windowReadBack, windowReadBack
	if f := b.cfg.Follow.MinInterval; f > 0 && f < windowReadBack {
		opt.MinInterval, opt.MaxInterval = f, f // tests poll faster
	}
	seen := 0
	opt.OnStatus = func(s drapi.Status) {
		// The first status is the one before the call; any change after it, or a task found in
		// transit, shows the operation under way.
		seen++
		if seen > 1 || s == op.Transit {
			cancel(errTaken)
		}
	}
	out, err := op.follow(b.dr, fctx, job.ID, opt)
	stop := drresult.NotStopped
	switch {
	case ctx.Err() != nil:
		stop = drresult.Interrupted
	case errors.Is(context.Cause(fctx), errTaken), fctx.Err() != nil && out.Posted:
		// Under way, or accepted and not yet seen to move: following it is /dr status's job.
		stop = drresult.Released
	case fctx.Err() != nil:
		stop = drresult.WaitReached
	}
	// The caller claimed the DR's one operation for job (job.Op); it ends here.
	res := b.settle(ctx, job, out, err, stop, start)
	return res
}

// runInWindow is Run for a pause or resume within the answer window: inWindow, then the result
// to Slack where the job says, before the request is answered.
func (b *Bot) runInWindow(ctx context.Context, job Job) {
	res := b.inWindow(ctx, job)
	reportCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	rep := &reporter{b: b, job: &job}
	if err := rep.final(reportCtx, windowFinalMessage(job, res)); err != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "result of the pause not delivered to Slack",
			slog.String("disaster_recovery_id", job.ID), slog.String("error", err.Error()))
	}
}

// windowFinalMessage reports a pause done within the answer window.
func windowFinalMessage(job Job, r drresult.Result) slackMessage {
	return finalMessageAfter(job, r, windowName)
}

// noCredentialsMessage answers a request the DR API cannot be called for (Platform.Refusal).
func noCredentialsMessage(why string) slackMessage {
	return textMessage(ephemeral, ":x: The DR API cannot be called for this request: "+
		escapeMrkdwn(truncate(why, maxSectionText/2))+". Nothing was done; ask whoever runs this app to fix it.")
}

// slowInWindowMessage answers a lookup the DR API did not answer within the window, where no
// answer can follow later.
func slowInWindowMessage(kind JobKind, id string) slackMessage {
	again := strings.TrimSpace("/dr " + string(kind) + " " + id)
	if kind == JobDryRun {
		again = "/dr pause " + id + " --dry-run"
	}
	return textMessage(ephemeral, fmt.Sprintf(":warning: The DR API did not answer within %s, and on this platform no answer can follow later. Nothing was changed. Try `%s` again.",
		windowLookupBudget, again))
}
