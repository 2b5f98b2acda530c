package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// alertCardMessage is one approval card for an alert's proposal, with a pair of buttons per DR.
// Its buttons carry cardID: each DR's Pause acts once, and Cancel voids the whole card.
func alertCardMessage(p Proposal, cardID string, at time.Time, key sealer) slackMessage {
	text := fmt.Sprintf("The %s proposes pausing %d DR %s", askedBy("", p.Source, p.Title), len(p.IDs), plural(len(p.IDs), "task", "tasks"))
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Pause DR replication? (alert)", 150)),
		section(text + ". Pausing stops replication to the standby until someone starts it again."),
	}
	blocks = append(blocks, alertContext(p)...)
	for _, id := range p.IDs {
		if len(blocks) >= maxBlocks-3 {
			break
		}
		// Both cut short so that, even escaped and MACed, the value stays under Slack's 2000.
		v := buttonValue{ID: id, RequestedAt: at.Unix(), AlertSource: truncate(p.Source, 50), AlertTitle: truncate(p.Title, 200),
			Card: cardID, Channel: p.Channel, Many: len(p.IDs) > 1}
		blocks = append(blocks, section("DR "+codeSpan(id)), opButtons(pauseOp, v, "from alert", key))
	}
	blocks = append(blocks, contextLine("Any allowed user can approve. Requested "+formatTime(at)+"."))
	return slackMessage{Text: text, Blocks: blocks}
}

func alertAutoMessage(p Proposal, at time.Time) slackMessage {
	ids := make([]string, len(p.IDs))
	for i, id := range p.IDs {
		ids[i] = codeSpan(id)
	}
	text := fmt.Sprintf(":rotating_light: The %s fired: pausing DR %s automatically (DR_ALERT_AUTO), %s.",
		askedBy("", p.Source, p.Title), strings.Join(ids, ", "), formatTime(at))
	blocks := []slack.Block{section(text)}
	blocks = append(blocks, alertContext(p)...)
	if len(p.IDs) > 1 {
		blocks = append(blocks, contextLine("Results follow in the thread, one per DR."))
	}
	return slackMessage{Text: text, Blocks: blocks}
}

// alertContext shows an alert's labels, links and the ids it named that were not allow-listed.
func alertContext(p Proposal) []slack.Block {
	var blocks []slack.Block
	if len(p.Labels) > 0 {
		keys := make([]string, 0, len(p.Labels))
		for k := range p.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sb strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&sb, "%s=%s  ", escapeMrkdwn(truncate(k, 100)), escapeMrkdwn(truncate(p.Labels[k], 200)))
		}
		blocks = append(blocks, contextLine(strings.TrimSpace(sb.String())))
	}
	var links []string
	for _, l := range p.Links {
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			continue
		}
		links = append(links, fmt.Sprintf("<%s|%s>", strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(l.URL),
			escapeMrkdwn(strings.NewReplacer("|", "/").Replace(truncate(orUnknown(l.Text), 100)))))
	}
	if len(links) > 0 {
		blocks = append(blocks, contextLine(strings.Join(links, " · ")))
	}
	if len(p.Dropped) > 0 {
		ids := make([]string, len(p.Dropped))
		for i, id := range p.Dropped {
			// An invalid id is the alert sender's text: codeSpan escapes it, as a code span does
			// not stop Slack from reading <!channel> in it (found by FuzzAlertCard).
			ids[i] = codeSpan(truncate(id, 40))
		}
		blocks = append(blocks, contextLine("Not paused, not in DR_ALLOWED_IDS: "+strings.Join(ids, ", ")))
	}
	return blocks
}
