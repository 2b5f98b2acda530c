package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
	"github.com/dws-dr/drpause/pkg/ledger"
)

const (
	// slackTimeout bounds one post to Slack from deferred work.
	slackTimeout = 5 * time.Second
	// reportMargin is the time a pause or resume job keeps after DR_WAIT to send its final message.
	reportMargin = time.Minute
)

// Run executes one deferred job and reports its result to Slack. It returns an error only when
// the job is malformed or its result could not be delivered; DR failures are results.
// ctx bounds the whole job: when it ends early, the job tells Slack it was interrupted.
func (b *Bot) Run(ctx context.Context, job Job) error {
	switch job.Kind {
	case JobPause, JobResume:
		return b.runOp(ctx, job)
	case JobStatus, JobList, JobDryRun, JobResumeDryRun:
		return b.runLookup(ctx, job)
	default:
		return fmt.Errorf("bot: run: unknown job kind %q", job.Kind)
	}
}

// runOp sends the pause or resume of job, follows it to the end and reports how it ended. A
// pause DWS accepted is recorded for the DR's resume cards before the DR is released, and the DR
// is released before the result is reported.
func (b *Bot) runOp(ctx context.Context, job Job) error {
	op := job.op()
	if err := drapi.ValidateID(job.ID); err != nil {
		return fmt.Errorf("bot: run %s: %w", op.Name, err)
	}
	start := b.now()
	rep := &reporter{b: b, job: &job}
	until, refused := b.holdOp(ctx, op, &job, start)
	if refused != nil {
		reportCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
		defer cancel()
		if err := rep.final(reportCtx, *refused); err != nil {
			return fmt.Errorf("bot: refusal of the %s of %s not delivered to Slack: %w", op.Name, job.ID, err)
		}
		return nil
	}

	var last drapi.Status
	opt := b.cfg.Follow
	seen := 0
	opt.OnStatus = func(s drapi.Status) {
		last = s
		seen++
		// The first status is the one before the operation, already on the card; final
		// statuses get the final message.
		if seen == 1 || s == op.Target || s == op.failed {
			return
		}
		rep.update(ctx, progressMessage(job, s, b.now().Sub(start)))
	}
	// A job whose context ends before DR_WAIT (a Lambda invocation's timeout) stops following
	// early enough to still tell Slack; so does one whose claim on the DR would run out first
	// (it waited in a queue), since past it another operation may start.
	followFor, cutShort := min(b.cfg.Wait, max(until.Sub(start)-reportMargin, 0)), false
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline) - slackTimeout; left < followFor {
			followFor, cutShort = max(left, 0), true
		}
	}
	followCtx, cancel := context.WithTimeout(ctx, followFor)
	out, err := op.follow(b.dr, followCtx, job.ID, opt)
	waitReached := followCtx.Err() != nil
	cancel()
	if out.Status == "" {
		out.Status = last
	}
	stop := drresult.NotStopped
	switch {
	case ctx.Err() != nil:
		stop = drresult.Interrupted
	case waitReached && cutShort:
		stop = drresult.CutShort
	case waitReached:
		stop = drresult.WaitReached
	}
	res := b.settle(ctx, job, out, err, stop, start)

	// Whatever happened, Slack must hear of it: report on a context that outlives ctx.
	reportCtx, cancelReport := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancelReport()
	if err := rep.final(reportCtx, finalMessage(job, res, b.cfg.Wait)); err != nil {
		return fmt.Errorf("bot: result of the %s of %s not delivered to Slack: %w", op.Name, job.ID, err)
	}
	return nil
}

// settle ends job's operation once its follow has returned, wherever it ran (a job, or within
// the answer window): one classified result; a pause DWS accepted recorded for the DR's resume
// cards; the DR released before the channel reads the result, so whoever acts on it at once (a
// resume after the pause) is not told it is still being worked on; one audit line. Reporting
// the result is the caller's.
func (b *Bot) settle(ctx context.Context, job Job, out drapi.Outcome, err error, stop drresult.Stop, start time.Time) drresult.Result {
	op := job.op()
	if out.Elapsed == 0 {
		out.Elapsed = b.now().Sub(start)
	}
	res := drresult.Classify(op.Operation, out, err, stop)
	if op.Name == pauseOp.Name && res.Posted {
		b.recordPause(ctx, job.ID, ledger.ParseOp(job.Op).By)
	}
	b.release(ctx, ledger.OpKey(job.ID), job.Op)
	event, outcome := res.AuditEvent()
	if res.OK() {
		err = nil // letting go of a follow once the operation is under way is no failure
	}
	b.audit(ctx, decision{
		event: event, team: job.Team, channel: job.Channel, user: job.Approver, requester: job.Requester,
		id: job.ID, op: op.Name, outcome: outcome, requestID: res.RequestID, source: job.AlertSource,
		latency: b.now().Sub(start), err: err,
	})
	return res
}

// holdOp makes sure job holds the one operation on its DR and returns until when. The request
// that deferred the job claimed it (job.Op); that claim covers the job when it starts within
// jobStartMargin. A job that waited longer, or comes without a claim, takes the DR again, as the
// same holder, and is refused when another operation took it meanwhile. A refusal comes as the
// final message to send: nothing was sent.
func (b *Bot) holdOp(ctx context.Context, op operation, job *Job, now time.Time) (time.Time, *slackMessage) {
	if job.Op != "" && job.OpUntil.Sub(now) >= b.cfg.Wait+reportMargin {
		return job.OpUntil, nil
	}
	key := ledger.OpKey(job.ID)
	if job.Op == "" {
		by := job.Approver
		switch {
		case by != "":
		case job.AlertSource != "":
			by = "alert:" + job.AlertSource
		default:
			by = job.Requester
		}
		job.Op = ledger.NewOp(op.Name, by).String()
	} else if err := b.ledger.Release(ctx, key, job.Op); err != nil {
		// Its own claim, about to run out: give it back to take it again for the whole wait.
		m := jobNotRunMessage(*job, ledgerDownText(err, op.Done))
		return time.Time{}, &m
	}
	r, err := b.ledger.Claim(ctx, key, job.Op, b.opUntil(now))
	switch {
	case err != nil:
		b.audit(ctx, decision{event: "refused", team: job.Team, channel: job.Channel, user: job.Approver,
			requester: job.Requester, id: job.ID, op: op.Name, outcome: "ledger_unavailable", source: job.AlertSource, err: err})
		m := jobNotRunMessage(*job, ledgerDownText(err, op.Done))
		return time.Time{}, &m
	case !r.OK:
		b.audit(ctx, decision{event: "refused", team: job.Team, channel: job.Channel, user: job.Approver,
			requester: job.Requester, id: job.ID, op: op.Name, outcome: "in_flight", source: job.AlertSource})
		m := jobNotRunMessage(*job, opHeldText(op, job.ID, r.Record))
		return time.Time{}, &m
	}
	return r.Until, nil
}

// Abandon ends a job that must not run, and tells Slack nothing was done: err, from the
// ledger, leaves unknown whether it already ran (a job delivered twice runs once), or the job
// arrived too late to act on (Lambda's queue held it). It is the Abandon of the Lambda
// deferrer's jobs.
func (b *Bot) Abandon(ctx context.Context, job Job, err error) error {
	outcome, why := "too_late", func(done string) string {
		return fmt.Sprintf(":x: This request reached the bot too late to act on (the platform's queue held it): nothing was %s. Check with `/dr status %s` and ask again.", done, job.ID)
	}
	if errors.Is(err, ledger.ErrUnavailable) {
		outcome, why = "ledger_unavailable", func(done string) string { return ledgerDownText(err, done) }
	} else if job.Op != "" {
		// Too late: whatever claim the request made for the DR is nobody's now.
		b.release(ctx, ledger.OpKey(job.ID), job.Op)
	}
	b.audit(ctx, decision{event: "refused", team: job.Team, channel: job.Channel, user: job.Approver,
		requester: job.Requester, id: job.ID, outcome: outcome, source: job.AlertSource, err: err})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	if job.Kind.acts() {
		rep := &reporter{b: b, job: &job}
		return rep.final(ctx, jobNotRunMessage(job, why(job.op().Done)))
	}
	m := textMessage(ephemeral, why("looked up"))
	m.ReplaceOriginal = true
	rep := &reporter{b: b, job: &Job{ResponseURL: job.ResponseURL, ResponseURLUses: job.ResponseURLUses, ID: job.ID}}
	return rep.final(ctx, m)
}

// runLookup answers a status, list or dry-run request whose lookup outlived the budget.
func (b *Bot) runLookup(ctx context.Context, job Job) error {
	if job.Kind != JobList {
		if err := drapi.ValidateID(job.ID); err != nil {
			return fmt.Errorf("bot: run %s: %w", job.Kind, err)
		}
	}
	start := b.now()
	msg, _ := b.lookup(ctx, job.Kind, job.ID, job.Requester, job.Channel)
	if ctx.Err() != nil {
		msg = interruptedLookupMessage(job)
	}
	reportCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	// A slash command's response_url: the answer comes as a new message after "Working on it…".
	rep := &reporter{b: b, job: &Job{ResponseURL: job.ResponseURL, ResponseURLUses: job.ResponseURLUses, ID: job.ID}}
	if err := rep.final(reportCtx, msg); err != nil {
		return fmt.Errorf("bot: %s answer not delivered to Slack: %w", job.Kind, err)
	}
	b.log.LogAttrs(ctx, slog.LevelDebug, "deferred lookup answered",
		slog.String("job", string(job.Kind)), slog.Int64("latency_ms", b.now().Sub(start).Milliseconds()))
	return nil
}

// lookup runs a status, list or dry-run lookup under ctx and builds the answer. The error is
// the DR API's, already in the answer; callers use it to tell a slow API from an answer.
func (b *Bot) lookup(ctx context.Context, kind JobKind, id, user, channel string) (slackMessage, error) {
	if kind == JobList {
		items, err := b.dr.List(ctx, drapi.ListFilter{})
		if err != nil {
			return lookupErrorMessage(drresult.ClassifyLookup("", err)), err
		}
		return listMessage(items), nil
	}
	d, err := b.dr.Get(ctx, id)
	if err != nil {
		return lookupErrorMessage(drresult.ClassifyLookup(id, err)), err
	}
	if kind == JobStatus {
		return statusMessage(d), nil
	}
	return dryRunMessage(dryRun{Op: Job{Kind: kind}.op(), ID: id, User: user, Channel: channel, Detail: d,
		Confirm: b.cfg.Confirm, FourEyes: b.cfg.FourEyes}), nil
}
