package bot

import (
	"context"
	"strings"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

// operation is what a card, a job and their messages ask of a DR: a pause or a resume. Both go
// through one chain (verified request, allow-lists, card, click, ledger, status pre-check, job,
// follow, one classified result, delivery); an operation holds only what differs between them:
// the DR call, the statuses and the words.
type operation struct {
	drresult.Operation
	job    JobKind // the job that sends it and follows it
	dryRun JobKind // the lookup that answers its --dry-run after the lookup budget
	action string  // the action_id of its card button
	// failed is the status its follow ends in when DWS fails it: like the target, it is reported
	// by the final message, not as progress.
	failed drapi.Status
	// from names the statuses it is sent from, for messages.
	from string
	// permission is the IAM action DWS checks for its call.
	permission string
	// follow sends it to DR id if the status allows, and follows it to the end (drapi).
	follow func(dr DR, ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
}

var (
	pauseOp = operation{Operation: drresult.Pause, job: JobPause, dryRun: JobDryRun, action: actionPause,
		failed: drapi.StatusStopFailed, from: "running or stop_failed",
		permission: "dws:cluster:pauseDisasterRecovery", follow: DR.PauseAndFollow}
	// A resume restarts replication, which copies the primary over the standby: it is asked for
	// by a person in Slack or a one-off call, never by an alert.
	resumeOp = operation{Operation: drresult.Resume, job: JobResume, dryRun: JobResumeDryRun, action: actionResume,
		failed: drapi.StatusStartFailed, from: "stopped, start_failed or unstart",
		permission: "dws:cluster:startDisasterRecovery", follow: DR.StartAndFollow}
)

// operationNamed returns the operation a button value or a ledger record names; "" is a pause,
// as in the values made before resume existed.
func operationNamed(name string) (operation, bool) {
	switch name {
	case "", pauseOp.Name:
		return pauseOp, true
	case resumeOp.Name:
		return resumeOp, true
	}
	return operation{}, false
}

// op is the operation job sends, or dry-runs; a pause for every other kind.
func (j Job) op() operation {
	if j.Kind == JobResume || j.Kind == JobResumeDryRun {
		return resumeOp
	}
	return pauseOp
}

// Title is the verb opening a sentence or on a button: "Pause".
func (o operation) Title() string { return strings.ToUpper(o.Name[:1]) + o.Name[1:] }

// gerund is "Pausing".
func (o operation) gerund() string { return strings.TrimSuffix(o.Title(), "e") + "ing" }

// opOf is the bot's operation behind a classified result; a lookup's results are read as a
// pause's, whose words they have always used.
func opOf(r drresult.Result) operation {
	op, _ := operationNamed(r.Op.Name)
	return op
}
