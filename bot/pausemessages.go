package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// card describes a pause or a resume awaiting its click.
type card struct {
	Op          operation // zero: a pause
	Card        string    // the card's id; empty: a new one (newCardID)
	Channel     string    // where it is posted
	Team        string    // the requester's team
	ID          string
	Requester   string
	RequestedAt time.Time
	Detail      *drapi.Detail // nil when the DR API did not answer in time
	Lookup      string        // why Detail is nil, e.g. "unknown (DR API slow)"
	FourEyes    bool
	// LastPause is what the ledger knows of the DR's last pause, shown on a resume card.
	LastPause lastPause
}

// resumeWarning is what a resume card tells the approver before anything else.
const resumeWarning = "Resuming restarts replication, which carries the primary's current state over to the standby: " +
	"if the DR was paused because the primary is damaged, resuming spreads the damage to the only good copy."

func cardMessage(c card, key sealer) slackMessage {
	op := c.Op
	if op.Name == "" {
		op = pauseOp
	}
	name, status := "unknown", orUnknown(c.Lookup)
	if c.Detail != nil {
		name, status = orUnknown(c.Detail.Name), orUnknown(string(c.Detail.Status))
	}
	text := fmt.Sprintf("%s asks to %s DR %s", mention(c.Requester), op.Name, codeSpan(c.ID))
	approve := "Any allowed user can approve."
	if c.FourEyes {
		approve = fmt.Sprintf("Someone other than %s must approve (four-eyes).", mention(c.Requester))
	}
	if c.Card == "" {
		c.Card = newCardID()
	}
	v := buttonValue{ID: c.ID, Requester: c.Requester, RequestedAt: c.RequestedAt.Unix(),
		Card: c.Card, Channel: c.Channel, Team: c.Team}
	header, says := "Pause DR replication?", "Pausing stops replication to the standby until someone starts it again."
	facts := []string{"DR id", codeSpan(c.ID), "Name", escapeMrkdwn(truncate(name, 200)), "Status", escapeMrkdwn(status),
		"Requested", formatTime(c.RequestedAt)}
	var healthy []slack.Block
	if op.Name == resumeOp.Name {
		v.Op = op.Name
		if c.LastPause.Known {
			v.Paused = c.LastPause.At.UnixMilli()
		}
		header, says = "Resume DR replication?", resumeWarning
		facts = append(facts, "Paused", c.LastPause.String(), "Last successful sync", lastSync(c.Detail))
		primary := "the primary cluster"
		if c.Detail != nil && c.Detail.Primary.Name != "" {
			primary += " *" + escapeMrkdwn(truncate(c.Detail.Primary.Name, 200)) + "*"
		}
		healthy = append(healthy, section(fmt.Sprintf(":warning: Before you approve, confirm that %s is healthy.", primary)))
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(header, 150)), section(text + ". " + says), fields(facts...)}
	blocks = append(blocks, healthy...)
	blocks = append(blocks, opButtons(op, v, name, key), contextLine(approve))
	return slackMessage{ResponseType: inChannel, Text: text, Blocks: blocks}
}

// lastPause is what the ledger knows of the last pause of a DR.
type lastPause struct {
	Known bool
	By    string    // as ledger.Op.By: a Slack user id, "alert:<source>" or "invoke"
	At    time.Time // when the pause was accepted
	Err   error     // the ledger could not be read
}

func (p lastPause) String() string {
	switch {
	case p.Err != nil:
		return "unknown (the ledger is unreachable)"
	case !p.Known:
		return fmt.Sprintf("not recorded: drpause keeps the pauses it sent for %d days", int(lastPauseKept.Hours()/24))
	}
	return formatTime(p.At) + " by " + describeHolder(p.By)
}

// lastSync is the last successful sync of both clusters, as the detail gives them.
func lastSync(d *drapi.Detail) string {
	if d == nil {
		return "unknown (DR API slow)"
	}
	return fmt.Sprintf("standby %s\nprimary %s", escapeMrkdwn(truncate(orUnknown(d.Standby.LastSuccessTime), 60)),
		escapeMrkdwn(truncate(orUnknown(d.Primary.LastSuccessTime), 60)))
}

func cancelledMessage(op operation, id, requester, canceller string, at time.Time) slackMessage {
	text := fmt.Sprintf("%s of DR %s cancelled by %s at %s (asked by %s). Nothing was sent to the DR API.",
		op.Title(), codeSpan(id), mention(canceller), formatTime(at), requester)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

// askedBy names the asking party: a Slack user, or the alert that proposed the pause.
func askedBy(user, alertSource, alertTitle string) string {
	if user != "" {
		return mention(user)
	}
	if alertSource != "" {
		return fmt.Sprintf("alert *%s* (%s)", escapeMrkdwn(truncate(alertTitle, 200)), escapeMrkdwn(alertSource))
	}
	return "unknown"
}

// requestedBy names who asked for and who approved the operation of job.
func requestedBy(job Job) string {
	s := "requested by " + askedBy(job.Requester, job.AlertSource, job.AlertTitle)
	if job.Approver != "" {
		s += ", approved by " + mention(job.Approver)
	} else if job.AlertSource != "" {
		s += ", paused automatically (DR_ALERT_AUTO)"
	}
	return s
}

func approver(job Job) string {
	if job.Approver != "" {
		return mention(job.Approver)
	}
	if job.AlertSource != "" {
		return "nobody: DR_ALERT_AUTO"
	}
	return "nobody: DR_CONFIRM is off"
}

// pausingMessage replaces the card once the pause or resume of job was approved, until the
// job reports.
func pausingMessage(job Job, wait time.Duration) slackMessage {
	op := job.op()
	text := fmt.Sprintf(":hourglass_flowing_sand: %s DR %s: %s. Following it until it is %s (up to %s).",
		op.gerund(), codeSpan(job.ID), requestedBy(job), op.Target, wait)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

func progressMessage(job Job, status drapi.Status, elapsed time.Duration) slackMessage {
	text := fmt.Sprintf(":hourglass_flowing_sand: %s DR %s: status *%s* after %s; %s.",
		job.op().gerund(), codeSpan(job.ID), escapeMrkdwn(string(status)), formatDuration(elapsed), requestedBy(job))
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

// handOffFailedMessage replaces a card that already said "Pausing" when the job could not be
// started after all, so the channel is not left believing a pause is under way.
func handOffFailedMessage(job Job) slackMessage {
	op := job.op()
	text := fmt.Sprintf(":x: Could not start the %s of DR %s (%s): the bot cannot take new work right now. "+
		"Nothing was sent to the DR API. Try again in a minute: `/dr %s %s`.", op.Name, codeSpan(job.ID), requestedBy(job), op.Name, job.ID)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}
