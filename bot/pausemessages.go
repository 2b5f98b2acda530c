package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// card describes a pause awaiting its click.
type card struct {
	Card        string // the card's id; empty: a new one (newCardID)
	Channel     string // where it is posted
	Team        string // the requester's team
	ID          string
	Requester   string
	RequestedAt time.Time
	Detail      *drapi.Detail // nil when the DR API did not answer in time
	Lookup      string        // why Detail is nil, e.g. "unknown (DR API slow)"
	FourEyes    bool
}

func cardMessage(c card, key sealer) slackMessage {
	name, status := "unknown", orUnknown(c.Lookup)
	if c.Detail != nil {
		name, status = orUnknown(c.Detail.Name), orUnknown(string(c.Detail.Status))
	}
	text := fmt.Sprintf("%s asks to pause DR %s", mention(c.Requester), codeSpan(c.ID))
	approve := "Any allowed user can approve."
	if c.FourEyes {
		approve = fmt.Sprintf("Someone other than %s must approve (four-eyes).", mention(c.Requester))
	}
	if c.Card == "" {
		c.Card = newCardID()
	}
	v := buttonValue{ID: c.ID, Requester: c.Requester, RequestedAt: c.RequestedAt.Unix(),
		Card: c.Card, Channel: c.Channel, Team: c.Team}
	return slackMessage{
		ResponseType: inChannel,
		Text:         text,
		Blocks: []slack.Block{
			slack.NewHeaderBlock(plain("Pause DR replication?", 150)),
			section(text + ". Pausing stops replication to the standby until someone starts it again."),
			fields("DR id", codeSpan(c.ID), "Name", escapeMrkdwn(truncate(name, 200)), "Status", escapeMrkdwn(status),
				"Requested", formatTime(c.RequestedAt)),
			pauseButtons(v, name, key),
			contextLine(approve),
		},
	}
}

func cancelledMessage(id, requester, canceller string, at time.Time) slackMessage {
	text := fmt.Sprintf("Pause of DR %s cancelled by %s at %s (asked by %s). Nothing was sent to the DR API.",
		codeSpan(id), mention(canceller), formatTime(at), requester)
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

// requestedBy names who asked for and who approved the pause of job.
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

func pausingMessage(job Job, wait time.Duration) slackMessage {
	text := fmt.Sprintf(":hourglass_flowing_sand: Pausing DR %s: %s. Following it until it is stopped (up to %s).",
		codeSpan(job.ID), requestedBy(job), wait)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

func progressMessage(job Job, status drapi.Status, elapsed time.Duration) slackMessage {
	text := fmt.Sprintf(":hourglass_flowing_sand: Pausing DR %s: status *%s* after %s; %s.",
		codeSpan(job.ID), escapeMrkdwn(string(status)), formatDuration(elapsed), requestedBy(job))
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

// handOffFailedMessage replaces a card that already said "Pausing" when the job could not be
// started after all, so the channel is not left believing a pause is under way.
func handOffFailedMessage(job Job) slackMessage {
	text := fmt.Sprintf(":x: Could not start the pause of DR %s (%s): the bot cannot take new work right now. "+
		"Nothing was sent to the DR API. Try again in a minute: `/dr pause %s`.", codeSpan(job.ID), requestedBy(job), job.ID)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}
