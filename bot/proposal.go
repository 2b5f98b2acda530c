package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// Proposal is a pause asked for by something other than a person in Slack: an alert. One Proposal
// becomes one Slack message, however many alerts the request carried.
type Proposal struct {
	Channel string            // Slack channel id for the card or the result (DR_ALERT_CHANNEL)
	Source  string            // "alertmanager", "grafana" or "smn"
	Title   string            // alert name or subject, as the source named it
	IDs     []string          // distinct DR ids, already validated and allow-listed, at most DR_ALERT_MAX_IDS
	Labels  map[string]string // labels to show (common labels of the firing alerts)
	Links   []Link            // where the alert came from: generatorURL, externalURL, silenceURL
	Dropped []string          // ids named by firing alerts but not allow-listed: reported, never paused
}

// Link is a labelled URL shown on a card.
type Link struct {
	Text string
	URL  string
}

func checkProposal(p Proposal) error {
	if p.Channel == "" {
		return errors.New("no channel (DR_ALERT_CHANNEL)")
	}
	if len(p.IDs) == 0 {
		return errors.New("no DR ids")
	}
	for _, id := range p.IDs {
		if err := drapi.ValidateID(id); err != nil {
			return fmt.Errorf("id %q: %w", id, err)
		}
	}
	return nil
}

// ProposePause posts one approval card to p.Channel with a pause and a cancel button for each
// DR in p.IDs. Clicks on it go through Interactions exactly like clicks on a /dr pause card.
// It needs the bot token.
func (b *Bot) ProposePause(ctx context.Context, p Proposal) error {
	start := b.now()
	if err := checkProposal(p); err != nil {
		return fmt.Errorf("bot: propose pause: %w", err)
	}
	if _, err := b.postMessage(ctx, p.Channel, "", alertCardMessage(p, newCardID(), start, b.buttons)); err != nil {
		return fmt.Errorf("bot: propose pause: %w", err)
	}
	for _, id := range p.IDs {
		b.audit(ctx, decision{event: "requested", channel: p.Channel, id: id, outcome: "card",
			source: p.Source, latency: b.now().Sub(start)})
	}
	return nil
}

// PauseNow pauses the DRs in p.IDs without a click (DR_ALERT_AUTO): it posts one message to
// p.Channel, then defers one pause job per DR, each followed to the end like a Slack pause.
// With one DR the job updates the message; with several each reports in its thread. Where
// nothing may run after the answer (Platform.AnswerWindowOnly) each pause is sent and read
// back before PauseNow returns.
func (b *Bot) PauseNow(ctx context.Context, p Proposal) error {
	start := b.now()
	if err := checkProposal(p); err != nil {
		return fmt.Errorf("bot: pause now: %w", err)
	}
	ts, err := b.postMessage(ctx, p.Channel, "", alertAutoMessage(p, start))
	if err != nil {
		return fmt.Errorf("bot: pause now: %w", err)
	}
	var errs []error
	for _, id := range p.IDs {
		d := decision{event: "approved", channel: p.Channel, id: id, outcome: "auto", source: p.Source}
		job := Job{Kind: JobPause, ID: id, Channel: p.Channel, MessageTS: ts, BotMessage: true, Thread: len(p.IDs) > 1,
			RequestedAt: start, AlertSource: p.Source, AlertTitle: p.Title}
		op, held, err := b.claimOp(ctx, pauseOp, id, "alert:"+p.Source, start)
		switch {
		case err != nil:
			// Fail safe: without the ledger nothing tells this pause from another instance's.
			d.event, d.outcome, d.err = "refused", "ledger_unavailable", err
			b.audit(ctx, d)
			errs = append(errs, fmt.Errorf("pause of %s: %w", id, err))
			if _, err := b.postMessage(ctx, p.Channel, ts, slackMessage{Text: ledgerDownText(err, "paused")}); err != nil {
				errs = append(errs, err)
			}
			continue
		case !held.OK:
			d.event, d.outcome = "refused", "in_flight"
			b.audit(ctx, d)
			if _, err := b.postMessage(ctx, p.Channel, ts, slackMessage{Text: opHeldText(pauseOp, id, held.Record)}); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		job.Op, job.OpUntil = op.String(), held.Until
		if b.platform(ctx).AnswerWindowOnly {
			d.outcome, d.latency = "auto_in_window", b.now().Sub(start)
			b.audit(ctx, d)
			b.runInWindow(ctx, job)
			continue
		}
		if err := b.deferrer.Defer(ctx, job); err != nil {
			b.release(ctx, ledger.OpKey(id), job.Op)
			d.event, d.outcome, d.err = "failed", "defer_failed", err
			b.audit(ctx, d)
			errs = append(errs, fmt.Errorf("defer pause of %s: %w", id, err))
			// The message says "pausing automatically": correct it where it was read.
			if _, err := b.postMessage(ctx, p.Channel, ts, handOffFailedMessage(job)); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		d.latency = b.now().Sub(start)
		b.audit(ctx, d)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bot: pause now: %w", err)
	}
	return nil
}

// Notify posts a plain message to channel: a refused alert storm, an SMN subscription that
// needs a human. It needs the bot token. The text is shown as given: no mentions, no links.
func (b *Bot) Notify(ctx context.Context, channel, text string) error {
	if channel == "" {
		return errors.New("bot: notify: no channel")
	}
	// Escaped: the text may quote an alert, which must not mention @channel or hide a link.
	m := slackMessage{Text: escapeMrkdwn(truncate(text, maxSectionText))}
	if _, err := b.postMessage(ctx, channel, "", m); err != nil {
		return fmt.Errorf("bot: notify: %w", err)
	}
	return nil
}
