package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// ackTimeout bounds a post to Slack made while Slack waits for the answer to a click.
const ackTimeout = time.Second

// Interactions handles POST /slack/interactions, the clicks on card buttons. A click acts only
// on a button value the bot made (its MAC checks out) on a card younger than Config.CardTTL, and
// is authorized again for the user who clicks, in the channel of the card, for the DR it names.
func (b *Bot) Interactions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := b.readVerified(w, r)
		if !ok {
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "malformed interaction", http.StatusBadRequest)
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "malformed interaction payload", http.StatusBadRequest)
			return
		}
		if why := b.platform(r.Context()).Refusal; why != "" {
			b.audit(r.Context(), decision{event: "refused", team: cb.Team.ID, channel: cb.Channel.ID, user: cb.User.ID,
				outcome: "no_dr_credentials"})
			// Ephemeral, the card untouched: it works again once the credentials do.
			b.ack(r.Context(), cb.ResponseURL, noCredentialsMessage(why))
			w.WriteHeader(http.StatusOK)
			return
		}
		b.click(r.Context(), &cb)
		w.WriteHeader(http.StatusOK) // Slack ignores the body of a block_actions answer
	})
}

// click handles one block_actions payload. Other interactions are none of the bot's business.
func (b *Bot) click(ctx context.Context, cb *slack.InteractionCallback) {
	start := b.now()
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	var act *slack.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == actionPause || a.ActionID == actionCancel {
			act = a
			break
		}
	}
	if act == nil {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	user := cb.User.ID
	d := decision{team: cb.Team.ID, channel: channel, user: user}
	done := func(event, outcome string) {
		d.event, d.outcome, d.latency = event, outcome, b.now().Sub(start)
		b.audit(ctx, d)
	}

	v, err := b.buttons.open(act.Value)
	switch {
	case errors.Is(err, errBadButton):
		d.err = err
		done("refused", "bad_button")
		b.ack(ctx, cb.ResponseURL, badButtonMessage())
		return
	case err != nil:
		d.err = err
		done("refused", "invalid_button_value")
		b.ack(ctx, cb.ResponseURL, invalidButtonMessage())
		return
	}
	d.id, d.requester, d.source = v.ID, v.Requester, v.AlertSource
	if ref := b.authorize(user, channel, v.ID); ref != nil {
		done("refused", "not_allowed_"+ref.reason)
		b.ack(ctx, cb.ResponseURL, refusalMessage(ref))
		return
	}
	requestedAt := time.Unix(v.RequestedAt, 0)
	requester := askedBy(v.Requester, v.AlertSource, v.AlertTitle)
	blocks := cb.Message.Blocks.BlockSet

	if act.ActionID == actionCancel {
		// A pause already handed over cannot be called back: say so, and leave the card to
		// the job, which is about to replace it.
		if holder, held := b.inflight.holder(v.ID, start); held {
			done("refused", "in_flight")
			b.ack(ctx, cb.ResponseURL, cancelTooLateMessage(v.ID, holder))
			return
		}
		// Even an expired card may be cleared: that pauses nothing.
		msg := cancelledMessage(v.ID, requester, user, start)
		if shared := sharedCard(blocks); shared {
			msg = replaceBlock(msg, blocks, act.BlockID)
		}
		done("cancelled", "cancelled")
		b.ack(ctx, cb.ResponseURL, msg)
		return
	}

	// A card is an approval asked for in a situation that passes: weeks later the DR, or the
	// people allowed to pause it, may be different.
	if age := start.Sub(requestedAt); age > b.cfg.CardTTL {
		done("refused", "expired")
		b.ack(ctx, cb.ResponseURL, expiredMessage(v.ID, age))
		return
	}
	if b.cfg.FourEyes && v.Requester != "" && v.Requester == user {
		done("refused", "four_eyes")
		b.ack(ctx, cb.ResponseURL, refusalMessage(&refusal{reason: "four_eyes", subject: user, setting: "DR_FOUR_EYES"}))
		return
	}
	if holder, ok := b.inflight.claim(v.ID, user, start, b.claimUntil(start)); !ok {
		done("refused", "in_flight")
		b.ack(ctx, cb.ResponseURL, inFlightMessage(v.ID, holder))
		return
	}
	job := Job{
		Kind: JobPause, ID: v.ID,
		ResponseURL: cb.ResponseURL, Channel: channel, MessageTS: cb.Container.MessageTs,
		Thread: sharedCard(blocks),
		Team:   cb.Team.ID, Requester: v.Requester, Approver: user,
		RequestedAt: requestedAt, ApprovedAt: start,
		AlertSource: v.AlertSource, AlertTitle: v.AlertTitle,
	}
	// Replace the card first, buttons gone, so nobody clicks it again while the job starts.
	ack := pausingMessage(job, b.cfg.Wait)
	if job.Thread {
		ack = replaceBlock(ack, blocks, act.BlockID)
	}
	if b.ack(ctx, cb.ResponseURL, ack) {
		job.ResponseURLUses = 1
	}
	if b.platform(ctx).AnswerWindowOnly {
		done("approved", "in_window")
		b.runPauseInWindow(ctx, job)
		return
	}
	if err := b.deferrer.Defer(ctx, job); err != nil {
		b.inflight.release(v.ID)
		d.err = err
		done("failed", "defer_failed")
		// The card now says "Pausing": take that back where everyone saw it.
		failed := handOffFailedMessage(job)
		if job.Thread {
			failed = replaceBlock(failed, blocks, act.BlockID)
		}
		b.ack(ctx, cb.ResponseURL, failed)
		return
	}
	done("approved", "deferred")
}

// ack posts m to the response_url of the request being handled, within ackTimeout, and
// reports whether it was delivered. A failure is logged: the click itself is not undone.
func (b *Bot) ack(ctx context.Context, responseURL string, m slackMessage) bool {
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := b.respond(ctx, responseURL, m); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "slack response failed", slog.String("error", err.Error()))
		return false
	}
	return true
}

// sharedCard reports whether a card holds buttons for more than one DR (an alert card).
func sharedCard(blocks []slack.Block) bool {
	n := 0
	for _, blk := range blocks {
		if strings.HasPrefix(blk.ID(), actionsBlockID("")) {
			n++
		}
	}
	return n > 1
}

// replaceBlock turns m into the card it came from, with the actions block blockID replaced by
// m's text. The block id stays, so the card keeps counting as shared.
func replaceBlock(m slackMessage, blocks []slack.Block, blockID string) slackMessage {
	out := make([]slack.Block, 0, len(blocks))
	for _, blk := range blocks {
		if blk.ID() == blockID {
			blk = slack.NewContextBlock(blockID, mrkdwn(m.Text))
		}
		out = append(out, blk)
	}
	return slackMessage{ResponseType: m.ResponseType, ReplaceOriginal: true, Text: m.Text, Blocks: out}
}
