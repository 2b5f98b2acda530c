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

// cardUsedMessage answers a Pause click on a card whose button already acted.
func cardUsedMessage(id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This card was already used: %s approved the pause of DR %s at %s. Each card acts once: nothing sent.",
		mention(holderUser(r.Holder)), codeSpan(id), formatTime(r.At)))
}

// cardCancelledMessage answers a click on a card someone cancelled.
func cardCancelledMessage(r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This card was cancelled by %s at %s: nothing sent. Run `/dr pause <id>` for a new one.",
		mention(holderUser(r.Holder)), formatTime(r.At)))
}

// cancelTooLateAtMessage answers a Cancel on a card whose Pause was already clicked: the card
// stays, since it shows (or is about to show) the pause.
func cancelTooLateAtMessage(id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("Too late to cancel: %s approved the pause of DR %s at %s.",
		mention(holderUser(r.Holder)), codeSpan(id), formatTime(r.At)))
}

// opHeldMessage answers a pause of a DR that another operation holds, on any instance.
func opHeldMessage(id string, r ledger.Record) slackMessage {
	return textMessage(ephemeral, opHeldText(id, r))
}

func opHeldText(id string, r ledger.Record) string {
	op := ledger.ParseOp(r.Holder)
	verb := "paused"
	if op.Name == "resume" {
		verb = "resumed"
	}
	return fmt.Sprintf("DR %s is already being %s by %s (since %s): no second pause sent.",
		codeSpan(id), verb, describeHolder(op.By), formatTime(r.At))
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

// jobNotRunMessage ends a pause job that did not act: the DR was taken by another operation
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
