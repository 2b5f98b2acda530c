package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/ledger"
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
		if a.ActionID == actionPause || a.ActionID == actionResume || a.ActionID == actionCancel {
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
	// The clicker's own organisation: in a Slack Connect channel it may not be the card's.
	team, enterprise := cb.User.TeamID, cb.Enterprise.ID
	if team == "" {
		team = cb.Team.ID
	}
	d := decision{team: team, channel: channel, user: user}
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
	if v.Channel != "" && v.Channel != channel {
		// A value the bot made, carried to another channel than its card's.
		d.err = errors.New("button of a card in another channel")
		done("refused", "bad_button")
		b.ack(ctx, cb.ResponseURL, badButtonMessage())
		return
	}
	// The value names the operation; the action_id, which Slack does not authenticate, must
	// agree with it, so a resume card's value never pauses, nor a pause card's value resumes.
	op, known := operationNamed(v.Op)
	if !known || act.ActionID != actionCancel && act.ActionID != op.action {
		d.err = fmt.Errorf("button %s carrying a value for operation %q", act.ActionID, v.Op)
		done("refused", "bad_button")
		b.ack(ctx, cb.ResponseURL, badButtonMessage())
		return
	}
	d.op = op.Name
	if ref := b.authorizeTeam(team, enterprise); ref != nil {
		done("refused", "not_allowed_"+ref.reason)
		b.ack(ctx, cb.ResponseURL, refusalMessage(ref))
		return
	}
	if ref := b.authorize(user, channel, v.ID); ref != nil {
		done("refused", "not_allowed_"+ref.reason)
		b.ack(ctx, cb.ResponseURL, refusalMessage(ref))
		return
	}
	if act.ActionID == actionCancel {
		b.cancel(ctx, cb, op, v, user, start, done)
		return
	}
	if op.Name == resumeOp.Name && !b.cfg.Resume {
		// Turned off since the card was posted: the setting decides at the click too.
		done("refused", "resume_disabled")
		b.ack(ctx, cb.ResponseURL, resumeDisabledMessage())
		return
	}

	// A card is an approval asked for in a situation that passes: weeks later the DR, or the
	// people allowed to pause it, may be different.
	requestedAt := time.Unix(v.RequestedAt, 0)
	if age := start.Sub(requestedAt); age > b.cfg.CardTTL {
		done("refused", "expired")
		b.ack(ctx, cb.ResponseURL, expiredMessage(op, v.ID, age))
		return
	}
	if b.cfg.FourEyes && v.Requester != "" && v.Requester == user {
		done("refused", "four_eyes")
		b.ack(ctx, cb.ResponseURL, refusalMessage(&refusal{reason: "four_eyes", subject: user, setting: "DR_FOUR_EYES", op: op.Name}))
		return
	}
	if v.Card == "" {
		// Every value the bot makes names its card: without one, single use cannot be kept.
		d.err = errors.New("button without a card id")
		done("refused", "bad_button")
		b.ack(ctx, cb.ResponseURL, badButtonMessage())
		return
	}

	// Single use: the click claims the card (or its DR's part of an alert card) in the ledger,
	// on whichever instance it lands; a claim held, used or voided refuses it.
	holder := clickHolder(user)
	card, err := b.ledger.Claim(ctx, cardKey(v), holder, b.cardUntil(v, start))
	switch {
	case err != nil:
		d.err = err
		done("refused", "ledger_unavailable")
		b.ack(ctx, cb.ResponseURL, ledgerDownMessage(err, op.Done))
		return
	case !card.OK && card.State == ledger.Void:
		done("refused", "card_cancelled")
		b.ack(ctx, cb.ResponseURL, cardCancelledMessage(op, card.Record))
		return
	case !card.OK:
		done("refused", "card_used")
		b.ack(ctx, cb.ResponseURL, cardUsedMessage(op, v.ID, card.Record))
		return
	}
	if v.Many {
		// Cancel voids the whole card under its own key: read it after the claim.
		rec, voided, err := b.ledger.Get(ctx, cardVoidKey(v))
		switch {
		case err != nil:
			b.release(ctx, cardKey(v), holder)
			d.err = err
			done("refused", "ledger_unavailable")
			b.ack(ctx, cb.ResponseURL, ledgerDownMessage(err, op.Done))
			return
		case voided && rec.State == ledger.Void:
			b.release(ctx, cardKey(v), holder)
			done("refused", "card_cancelled")
			b.ack(ctx, cb.ResponseURL, cardCancelledMessage(op, rec))
			return
		}
	}

	// One operation per DR, across clicks, alerts and /invoke on every instance. The card is
	// given back when the DR is held: this click did not use it.
	claim, held, err := b.claimOp(ctx, op, v.ID, user, start)
	switch {
	case err != nil:
		b.release(ctx, cardKey(v), holder)
		d.err = err
		done("refused", "ledger_unavailable")
		b.ack(ctx, cb.ResponseURL, ledgerDownMessage(err, op.Done))
		return
	case !held.OK:
		b.release(ctx, cardKey(v), holder)
		done("refused", "in_flight")
		b.ack(ctx, cb.ResponseURL, opHeldMessage(op, v.ID, held.Record))
		return
	}
	if op.Name == resumeOp.Name {
		// Held, the DR cannot be paused meanwhile: a pause recorded other than the one the card
		// showed is one its approver never saw, perhaps made because the primary is damaged.
		p := b.lastPauseOf(ctx, v.ID)
		if p.Err != nil || p.Known && p.At.UnixMilli() != v.Paused {
			b.release(ctx, ledger.OpKey(v.ID), claim.String())
			b.release(ctx, cardKey(v), holder)
			if p.Err != nil {
				d.err = p.Err
				done("refused", "ledger_unavailable")
				b.ack(ctx, cb.ResponseURL, ledgerDownMessage(p.Err, op.Done))
				return
			}
			done("refused", "paused_since_card")
			b.ack(ctx, cb.ResponseURL, pausedSinceCardMessage(v.ID, p))
			return
		}
	}
	blocks := cb.Message.Blocks.BlockSet
	job := Job{
		Kind: op.job, ID: v.ID,
		ResponseURL: cb.ResponseURL, FromClick: true,
		Channel: channel, MessageTS: cb.Container.MessageTs, Thread: v.Many, BotMessage: postedByBot(v),
		Team: team, Requester: v.Requester, Approver: user,
		RequestedAt: requestedAt, ApprovedAt: start,
		AlertSource: v.AlertSource, AlertTitle: v.AlertTitle,
		Op: claim.String(), OpUntil: held.Until,
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
		b.runInWindow(ctx, job)
		return
	}
	if err := b.deferrer.Defer(ctx, job); err != nil {
		// Nothing was sent: give the DR and the card back, so the pause can be tried again.
		b.release(ctx, ledger.OpKey(v.ID), job.Op)
		b.release(ctx, cardKey(v), holder)
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

// cancel voids the card of a Cancel click in the ledger, so no Pause or Resume on it ever acts,
// on any instance. It is refused when the card's button already acted (for a card of several
// DRs, the others are still voided). Even an expired card may be cancelled: that sends nothing.
func (b *Bot) cancel(ctx context.Context, cb *slack.InteractionCallback, op operation, v buttonValue,
	user string, start time.Time, done func(event, outcome string)) {
	requester := askedBy(v.Requester, v.AlertSource, v.AlertTitle)
	blocks := cb.Message.Blocks.BlockSet
	if v.Card == "" {
		done("refused", "bad_button")
		b.ack(ctx, cb.ResponseURL, badButtonMessage())
		return
	}
	r, err := b.ledger.Mark(ctx, cardVoidKey(v), ledger.Void, user, b.cardUntil(v, start))
	switch {
	case err != nil:
		done("failed", "ledger_unavailable")
		b.ack(ctx, cb.ResponseURL, ledgerDownMessage(err, "cancelled: the card still stands"))
		return
	case !r.OK && r.State == ledger.Void:
		done("refused", "card_cancelled")
		b.ack(ctx, cb.ResponseURL, cardCancelledMessage(op, r.Record))
		return
	case !r.OK:
		// The Pause or Resume of a single-DR card holds or used the card: it is under way.
		done("refused", "in_flight")
		b.ack(ctx, cb.ResponseURL, cancelTooLateAtMessage(op, v.ID, r.Record))
		return
	}
	if !v.Many {
		done("cancelled", "cancelled")
		b.ack(ctx, cb.ResponseURL, cancelledMessage(op, v.ID, requester, user, start))
		return
	}
	// A card of several DRs: every Pause still on it is void now. One that claimed its DR
	// before the mark went ahead; say so if it is the DR of this button.
	rec, used, err := b.ledger.Get(ctx, cardKey(v))
	done("cancelled", "cancelled")
	b.ack(ctx, cb.ResponseURL, cancelledCardMessage(requester, user, start, blocks))
	if err == nil && used && rec.State != ledger.Void {
		b.ack(ctx, cb.ResponseURL, cancelTooLateAtMessage(op, v.ID, rec))
	}
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

// postedByBot reports whether the card of button v was posted by the bot itself with
// chat.postMessage, which chat.update may then edit: an alert's card is; a /dr pause card is
// the slash command's answer, which Slack does not let chat.update edit.
func postedByBot(v buttonValue) bool { return v.AlertSource != "" }

// replaceBlock turns m into the card it came from, with the actions block blockID replaced by
// m's text. The block id stays, so a later click on the card can replace its own block.
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
