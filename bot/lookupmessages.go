package bot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

func statusMessage(d *drapi.Detail) slackMessage {
	text := fmt.Sprintf("DR %s (%s) is *%s*", apiID(d.ID), escapeMrkdwn(truncate(orUnknown(d.Name), 200)), escapeMrkdwn(orUnknown(string(d.Status))))
	cluster := func(c drapi.Cluster) string {
		return fmt.Sprintf("%s\nregion %s, status %s\nlast success %s",
			escapeMrkdwn(truncate(orUnknown(c.Name), 200)), escapeMrkdwn(orUnknown(c.Region)), escapeMrkdwn(orUnknown(c.Status)), escapeMrkdwn(orUnknown(c.LastSuccessTime)))
	}
	return slackMessage{
		ResponseType: ephemeral,
		Text:         text,
		Blocks: []slack.Block{
			section(text),
			fields("Primary cluster", cluster(d.Primary), "Standby cluster", cluster(d.Standby),
				"Type", escapeMrkdwn(orUnknown(d.DRType)), "Sync period", escapeMrkdwn(orUnknown(d.SyncPeriod)),
				"Started", escapeMrkdwn(orUnknown(d.StartTime))),
		},
	}
}

// listMessage packs one line per DR into as few sections as the 3000-character limit allows,
// and stops well before the 50-block limit.
func listMessage(items []drapi.Summary) slackMessage {
	if len(items) == 0 {
		return textMessage(ephemeral, "No DR tasks in this project.")
	}
	sorted := append([]drapi.Summary(nil), items...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := fmt.Sprintf("%d DR %s:", len(sorted), plural(len(sorted), "task", "tasks"))
	blocks := []slack.Block{section(header)}
	var sb strings.Builder
	shown := 0
	for _, s := range sorted {
		line := fmt.Sprintf("• %s %s: *%s*\n", apiID(s.ID), escapeMrkdwn(truncate(orUnknown(s.Name), 100)), escapeMrkdwn(orUnknown(string(s.Status))))
		if sb.Len()+len(line) > maxSectionText {
			if len(blocks) == maxBlocks-2 {
				break
			}
			blocks = append(blocks, section(strings.TrimSuffix(sb.String(), "\n")))
			sb.Reset()
		}
		sb.WriteString(line)
		shown++
	}
	if sb.Len() > 0 {
		blocks = append(blocks, section(strings.TrimSuffix(sb.String(), "\n")))
	}
	if shown < len(sorted) {
		blocks = append(blocks, contextLine(fmt.Sprintf("… and %d more not shown.", len(sorted)-shown)))
	}
	return slackMessage{ResponseType: ephemeral, Text: header, Blocks: blocks}
}

// dryRun is what a dry run of a pause or a resume found.
type dryRun struct {
	Op       operation // zero: a pause
	ID       string
	User     string
	Channel  string
	Detail   *drapi.Detail
	Confirm  bool
	FourEyes bool
}

func dryRunMessage(d dryRun) slackMessage {
	op := d.Op
	if op.Name == "" {
		op = pauseOp
	}
	status := d.Detail.Status
	var outcome string
	switch {
	case status == op.Target || status == op.Transit:
		outcome = fmt.Sprintf("nothing: it is already %s, so no %s would be sent.", status, op.Name)
	case !op.Allowed(status):
		outcome = fmt.Sprintf("nothing: status %s does not allow a %s (needs %s).", escapeMrkdwn(string(status)), op.Name, op.from)
	case (d.Confirm || op.Name == resumeOp.Name) && d.FourEyes:
		outcome = fmt.Sprintf("a card in this channel; after a click by an allowed user other than %s, the %s is sent and followed until %s.",
			mention(d.User), op.Name, op.Target)
	case d.Confirm || op.Name == resumeOp.Name:
		outcome = fmt.Sprintf("a card in this channel; after a click by an allowed user, the %s is sent and followed until %s.", op.Name, op.Target)
	default:
		outcome = fmt.Sprintf("the %s is sent at once (DR_CONFIRM is off) and followed until %s.", op.Name, op.Target)
	}
	text := fmt.Sprintf("Dry run, nothing sent. DR %s (%s) is *%s*. You (%s) may %s it from channel %s. `/dr %s %s` would give %s",
		codeSpan(d.ID), escapeMrkdwn(truncate(orUnknown(d.Detail.Name), 200)), escapeMrkdwn(orUnknown(string(status))), mention(d.User),
		op.Name, codeSpan(d.Channel), op.Name, d.ID, outcome)
	return textMessage(ephemeral, text)
}

// lookupErrorMessage reports a failed lookup of DR r.ID, or of the list when r.ID is empty:
// the cause in plain words, then what support asks for.
func lookupErrorMessage(r drresult.Result) slackMessage {
	text := fmt.Sprintf(":x: Could not look up DR %s: %s", codeSpan(r.ID), describeFailure(r))
	if r.ID == "" {
		text = ":x: Could not list the DR tasks: " + describeFailure(r)
	}
	return textMessage(ephemeral, text+" "+supportFacts(r))
}

func interruptedLookupMessage(job Job) slackMessage {
	text := fmt.Sprintf(":warning: Interrupted before the DR API answered: the bot stopped (shutdown or function timeout). Try `/dr %s` again.",
		strings.TrimSpace(string(job.Kind)+" "+job.ID))
	if job.Kind == JobDryRun || job.Kind == JobResumeDryRun {
		text = fmt.Sprintf(":warning: Interrupted before the DR API answered: the bot stopped (shutdown or function timeout). Try `/dr %s %s --dry-run` again.",
			job.op().Name, job.ID)
	}
	m := textMessage(ephemeral, text)
	m.ReplaceOriginal = true
	return m
}
