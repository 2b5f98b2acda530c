package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// What the ledger's answers say in Slack: a card already used or cancelled, a DR already being
// worked on, and a ledger that cannot be reached.

// cardUsedMessage answers a Pause or Resume click on a card whose button already acted.
func cardUsedMessage(op operation, id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This card was already used: %s approved the %s of DR %s at %s. Each card acts once: nothing sent.",
		mention(holderUser(r.Holder)), op.Name, codeSpan(id), formatTime(r.At)))
}

// cardCancelledMessage answers a click on a card someone cancelled.
func cardCancelledMessage(op operation, r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This card was cancelled by %s at %s: nothing sent. Run `/dr %s <id>` for a new one.",
		mention(holderUser(r.Holder)), formatTime(r.At), op.Name))
}

// cancelTooLateAtMessage answers a Cancel on a card whose Pause or Resume was already clicked:
// the card stays, since it shows (or is about to show) the operation.
func cancelTooLateAtMessage(op operation, id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("Too late to cancel: %s approved the %s of DR %s at %s.",
		mention(holderUser(r.Holder)), op.Name, codeSpan(id), formatTime(r.At)))
}

// opHeldMessage answers op asked of a DR that another operation holds, on any instance.
func opHeldMessage(op operation, id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, opHeldText(op, id, r))
}

// opHeldText says which operation holds DR id, and that op was not sent: a pause and a resume
// of one DR never run at once.
func opHeldText(op operation, id string, r ledger.Record) string {
	held := ledger.ParseOp(r.Holder)
	doing, ok := operationNamed(held.Name)
	if !ok {
		doing = pauseOp // a holder of another shape: read as the pauses claims were before resume
	}
	sent := "no " + op.Name
	if doing.Name == op.Name {
		sent = "no second " + op.Name
	}
	return fmt.Sprintf("DR %s is already being %s by %s (since %s): %s sent.",
		codeSpan(id), doing.Done, describeHolder(held.By), formatTime(r.At), sent)
}

// pausedSinceCardMessage answers a Resume click on a card that did not show the DR's last pause:
// that pause may have been made for a reason its approver never saw, such as a damaged primary.
func pausedSinceCardMessage(id string, p lastPause) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("DR %s was paused by %s at %s, a pause this card does not show: nothing sent. "+
		"If the primary is healthy, run `/dr resume %s` for a card that shows it.",
		codeSpan(id), describeHolder(p.By), formatTime(p.At), id))
}

// describeHolder names who holds a DR: a Slack user, an alert or a one-off call.
func describeHolder(by string) string {
	switch source, alert := strings.CutPrefix(by, "alert:"); {
	case alert:
		return "an alert (" + escapeMrkdwn(source) + ")"
	case by == "invoke":
		return "a one-off call (`/invoke`)"
	case by == "":
		return "another request"
	}
	return mention(by)
}

// ledgerDownMessage says the ledger could not be reached, so nothing was done: the card, if
// any, still stands and the click can be tried again.
func ledgerDownMessage(err error, nothing string) slackMessage {
	return textMessage(ephemeral, ledgerDownText(err, nothing))
}

func ledgerDownText(err error, nothing string) string {
	return fmt.Sprintf(":x: The ledger (%s) is unreachable: nothing was %s. Try again in a minute; if it lasts, check the ledger's table and permissions.",
		escapeMrkdwn(ledgerName(err)), nothing)
}

// jobNotRunMessage ends a pause or resume job that did not act: the DR was taken by another operation
// while the job queued, or the ledger could not be reached. It replaces the "Pausing" card.
func jobNotRunMessage(job Job, text string) slackMessage {
	text = fmt.Sprintf("%s (%s)", text, requestedBy(job))
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

// tooManyLookupsMessage refuses a lookup of a user who already has n waiting on the DR API.
func tooManyLookupsMessage(n int) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf(":hourglass_flowing_sand: You already have %d lookups waiting on the slow DR API: their answers will come here. Try again once they have.", n))
}

// cancelledCardMessage is a card of several DRs after Cancel: every Pause still on it gives way
// to who cancelled it; the DRs already being paused keep their lines.
func cancelledCardMessage(requester, canceller string, at time.Time, blocks []slack.Block) slackMessage {
	text := fmt.Sprintf("Cancelled by %s at %s (asked by %s): nothing more is paused from this card.",
		mention(canceller), formatTime(at), requester)
	out := make([]slack.Block, 0, len(blocks))
	for _, blk := range blocks {
		if ab, ok := blk.(*slack.ActionBlock); ok {
			blk = slack.NewContextBlock(ab.BlockID, mrkdwn(text))
		}
		out = append(out, blk)
	}
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: out}
}
