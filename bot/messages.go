package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
)

// slackMessage is a message as Slack takes it in a slash command answer and on response_url.
// chat.postMessage and chat.update take the same text and blocks.
type slackMessage struct {
	ResponseType    string        `json:"response_type,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
}

const (
	inChannel = slack.ResponseTypeInChannel
	ephemeral = slack.ResponseTypeEphemeral
)

// Action ids of the card buttons; part of the public interface.
const (
	actionPause  = "dr_pause"
	actionCancel = "dr_cancel"
)

// Slack's limits, from its Block Kit reference.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxBlocks      = 50
	maxConfirmText = 300
)

// buttonValue is what a card button carries back to the bot on a click, so that a click needs
// no server-side state. It is not secret, but it is authenticated: Slack signs the click, not
// the value inside it, which is whatever the client sends back. Without the MAC a requester
// could drop "by" or set "src" and approve their own pause under four-eyes, or forge the
// requester in the audit line.
type buttonValue struct {
	ID          string `json:"id"`
	Requester   string `json:"by,omitempty"` // Slack user id; empty for an alert card
	RequestedAt int64  `json:"at"`           // Unix seconds
	AlertSource string `json:"src,omitempty"`
	AlertTitle  string `json:"title,omitempty"`
	MAC         string `json:"mac,omitempty"` // see buttonKey
}

func (v buttonValue) encode() string {
	b, _ := json.Marshal(v) // a struct of strings and ints always marshals
	return string(b)
}

// errBadButton: a button value the bot did not make, or that was changed since.
var errBadButton = errors.New("button value not made by this bot, or changed")

// buttonKeyLabel separates the button key from every other use of the signing secret; a new
// value format gets a new label, so old cards stop working instead of being misread.
const buttonKeyLabel = "drpause button v1"

// buttonKey MACs the button values the bot makes. It is derived from the signing secret, so
// every instance of the bot shares it without a new setting, and rotating the secret voids the
// cards made before.
type buttonKey []byte

func newButtonKey(signingSecret string) buttonKey {
	m := hmac.New(sha256.New, []byte(signingSecret))
	m.Write([]byte(buttonKeyLabel))
	return m.Sum(nil)
}

func (buttonKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// sum is the MAC of v: HMAC-SHA256 over the JSON of v without its MAC. json.Marshal writes the
// fields in struct order, so the encoding is canonical for the decoded values: what is
// authenticated is the values the click uses, however the client spelled them.
func (k buttonKey) sum(v buttonValue) string {
	v.MAC = ""
	m := hmac.New(sha256.New, k)
	m.Write([]byte(v.encode()))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seal returns v with its MAC, encoded as a button carries it.
func (k buttonKey) seal(v buttonValue) string {
	// JSON carries invalid UTF-8 as U+FFFD, so MAC the values as a click will decode them.
	for _, f := range []*string{&v.ID, &v.Requester, &v.AlertSource, &v.AlertTitle} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	v.MAC = k.sum(v)
	return v.encode()
}

// ButtonValue returns the value of a card button for DR id asked for by requester (a Slack user
// id) at the given time, as a Bot with this signing secret makes it. It is for tools that click
// without a card from the bot (load tests, sample events): a click must carry a value the bot
// made, and one whose time is more than Config.CardTTL ago is refused.
func ButtonValue(signingSecret, id, requester string, at time.Time) string {
	return newButtonKey(signingSecret).seal(buttonValue{ID: id, Requester: requester, RequestedAt: at.Unix()})
}

// open decodes a button value and checks its MAC before anything else looks at it; the id is
// validated after, so that even a value the bot made never names a URL path it should not.
// A decode or MAC failure wraps errBadButton.
func (k buttonKey) open(s string) (buttonValue, error) {
	var v buttonValue
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return buttonValue{}, fmt.Errorf("%w: decode: %w", errBadButton, err)
	}
	if !hmac.Equal([]byte(v.MAC), []byte(k.sum(v))) {
		return buttonValue{}, errBadButton
	}
	if err := drapi.ValidateID(v.ID); err != nil {
		return buttonValue{}, err
	}
	return v, nil
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeMrkdwn makes text from outside (DR names, alert labels) safe inside mrkdwn: no mentions, no links.
func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	// No string has more runes than bytes: most messages never need counting.
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false)
}

func plain(text string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(text, max), false, false)
}

func section(text string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

func fields(pairs ...string) *slack.SectionBlock {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(pairs) && len(fs) < 10; i += 2 {
		fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType,
			truncate("*"+pairs[i]+"*\n"+pairs[i+1], maxFieldText), false, false))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

func textMessage(responseType, text string) slackMessage {
	return slackMessage{ResponseType: responseType, Text: text, Blocks: []slack.Block{section(text)}}
}

func mention(user string) string { return "<@" + user + ">" }

func codeSpan(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
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

func helpMessage(command string) slackMessage {
	if command == "" {
		command = "/dr"
	}
	text := fmt.Sprintf("*%[1]s* pauses a GaussDB(DWS) disaster-recovery pair.\n"+
		"• `%[1]s pause <id>`: ask to pause DR <id> (a card with a button to confirm)\n"+
		"• `%[1]s pause <id> --dry-run`: check permissions and status, pause nothing\n"+
		"• `%[1]s status <id>`: status, name and both clusters of DR <id>\n"+
		"• `%[1]s list`: the project's DR tasks\n"+
		"• `%[1]s help`: this message\n"+
		"Ids are UUIDs such as `e59d6b86-9072-46eb-a996-13f8b44994c1`.", escapeMrkdwn(command))
	return textMessage(ephemeral, text)
}

func invalidIDMessage(arg string) slackMessage {
	if arg == "" {
		return textMessage(ephemeral, "Which DR? Give its id, e.g. `/dr pause e59d6b86-9072-46eb-a996-13f8b44994c1`.")
	}
	return textMessage(ephemeral, fmt.Sprintf("%s is not a DR id: ids are lowercase UUIDs such as `e59d6b86-9072-46eb-a996-13f8b44994c1`.",
		codeSpan(truncate(arg, 100))))

}

func refusalMessage(r *refusal) slackMessage {
	var text string
	switch r.reason {
	case "user":
		text = fmt.Sprintf("Not allowed: user %s (%s) is not in %s. An admin can add this id to %s.",
			mention(r.subject), codeSpan(r.subject), codeSpan(r.setting), codeSpan(r.setting))
	case "channel":
		text = fmt.Sprintf("Not allowed in this channel: channel %s is not in %s. An admin can add this id to %s.",
			codeSpan(r.subject), codeSpan(r.setting), codeSpan(r.setting))
	case "id":
		text = fmt.Sprintf("Not allowed: DR %s is not in %s. An admin can add this id to %s.",
			codeSpan(r.subject), codeSpan(r.setting), codeSpan(r.setting))
	case "four_eyes":
		text = fmt.Sprintf("Four-eyes rule (%s): %s asked for this pause, so someone else from %s must approve it.",
			codeSpan(r.setting), mention(r.subject), codeSpan("DR_ALLOWED_USERS"))
	default:
		text = "Not allowed."
	}
	return textMessage(ephemeral, text)
}

// card describes a pause awaiting its click.
type card struct {
	ID          string
	Requester   string
	RequestedAt time.Time
	Detail      *drapi.Detail // nil when the DR API did not answer in time
	Lookup      string        // why Detail is nil, e.g. "unknown (DR API slow)"
	FourEyes    bool
}

func cardMessage(c card, key buttonKey) slackMessage {
	name, status := "unknown", orUnknown(c.Lookup)
	if c.Detail != nil {
		name, status = orUnknown(c.Detail.Name), orUnknown(string(c.Detail.Status))
	}
	text := fmt.Sprintf("%s asks to pause DR %s", mention(c.Requester), codeSpan(c.ID))
	approve := "Any allowed user can approve."
	if c.FourEyes {
		approve = fmt.Sprintf("Someone other than %s must approve (four-eyes).", mention(c.Requester))
	}
	v := buttonValue{ID: c.ID, Requester: c.Requester, RequestedAt: c.RequestedAt.Unix()}
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

// pauseButtons is the actions block of a card; its block id names the DR, so a card with
// several DRs can replace the block of the one clicked.
func pauseButtons(v buttonValue, name string, key buttonKey) *slack.ActionBlock {
	confirm := slack.NewConfirmationBlockObject(
		plain("Pause DR replication?", 100),
		plain(fmt.Sprintf("Pause DR %s (%s)? Replication stops until someone starts it again.", v.ID, name), maxConfirmText),
		plain("Pause", 30),
		plain("Keep running", 30),
	).WithStyle(slack.StyleDanger)
	value := key.seal(v)
	pause := slack.NewButtonBlockElement(actionPause, value, plain("Pause", 75)).
		WithStyle(slack.StyleDanger).WithConfirm(confirm)
	cancel := slack.NewButtonBlockElement(actionCancel, value, plain("Cancel", 75))
	return slack.NewActionBlock(actionsBlockID(v.ID), pause, cancel)
}

func actionsBlockID(id string) string { return "dr_actions:" + id }

func cancelledMessage(id, requester, canceller string, at time.Time) slackMessage {
	text := fmt.Sprintf("Pause of DR %s cancelled by %s at %s (asked by %s). Nothing was sent to the DR API.",
		codeSpan(id), mention(canceller), formatTime(at), requester)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
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

// finalMessage reports how a pause ended, as r says. wait is DR_WAIT, which the headline names
// when it ran out.
func finalMessage(job Job, r drresult.Result, wait time.Duration) slackMessage {
	if r.Kind == drresult.KindInterrupted {
		return interruptedMessage(job, r)
	}
	headline := resultHeadline(job.ID, r, wait)
	pairs := []string{
		"DR id", codeSpan(job.ID),
		"Pause id (from the API)", orNone(r.OpID),
		"Final status", escapeMrkdwn(string(orStatus(r.Status, "unknown"))),
		"Took", formatDuration(r.Elapsed),
		"Requested by", askedBy(job.Requester, job.AlertSource, job.AlertTitle),
		"Approved by", approver(job),
	}
	if r.DWSHTTPStatus != 0 {
		pairs = append(pairs, "DWS error", codeSpan(orUnknown(r.DWSCode))+" "+escapeMrkdwn(truncate(r.DWSMessage, 500)))
	}
	if r.RequestID != "" {
		pairs = append(pairs, "X-Request-Id", codeSpan(r.RequestID))
	}
	return slackMessage{
		ResponseType:    inChannel,
		ReplaceOriginal: true,
		Text:            headline,
		Blocks:          []slack.Block{section(headline), fields(pairs...)},
	}
}

// resultHeadline says in one line how the pause of DR id ended.
func resultHeadline(id string, r drresult.Result, wait time.Duration) string {
	status := escapeMrkdwn(string(orStatus(r.Status, "unknown")))
	switch r.Kind {
	case drresult.KindAlreadyDone:
		return fmt.Sprintf(":white_check_mark: DR %s was already stopped: no pause sent.", codeSpan(id))
	case drresult.KindOtherFirst:
		// Our POST was refused because another pause (another instance, a replayed click) got
		// there first: the DR is paused once, as asked.
		return fmt.Sprintf(":white_check_mark: DR %s is paused: status *%s*. Another pause got there first, so DWS refused this one: it was paused once.",
			codeSpan(id), escapeMrkdwn(string(r.Status)))
	case drresult.KindAlreadyInProgress:
		return fmt.Sprintf(":white_check_mark: DR %s was already being paused (status %s): no second pause sent. It is now *%s*.",
			codeSpan(id), escapeMrkdwn(string(r.Initial)), escapeMrkdwn(string(r.Status)))
	case drresult.KindDone:
		return fmt.Sprintf(":white_check_mark: DR %s is paused: status *%s*.", codeSpan(id), escapeMrkdwn(string(r.Status)))
	case drresult.KindAccepted:
		return fmt.Sprintf(":white_check_mark: The pause of DR %s was accepted: status *%s*. Follow it with `/dr status %s`.",
			codeSpan(id), status, id)
	case drresult.KindNotFinished:
		return fmt.Sprintf(":warning: DR %s is still *%s* after DR_WAIT (%s): the pause was accepted but has not finished. Check later with `/dr status %s`.",
			codeSpan(id), status, wait, id)
	case drresult.KindUnconfirmed:
		return fmt.Sprintf(":warning: The DWS API did not answer the pause of DR %s within DR_WAIT (%s): it may or may not have been accepted. Check with `/dr status %s` before trying again.",
			codeSpan(id), wait, id)
	case drresult.KindInProgressAtWait:
		return fmt.Sprintf(":warning: DR %s was already being paused and is still *%s* after DR_WAIT (%s): no second pause sent. Check later with `/dr status %s`.",
			codeSpan(id), status, wait, id)
	case drresult.KindNotSent:
		return fmt.Sprintf(":warning: The DWS API did not answer within DR_WAIT (%s): no pause was sent to DR %s. Check with `/dr status %s` and try again.",
			wait, codeSpan(id), id)
	default:
		return fmt.Sprintf(":x: Pause of DR %s failed: %s", codeSpan(id), describeFailure(r))
	}
}

func interruptedMessage(job Job, r drresult.Result) slackMessage {
	done := "the pause request had not been sent"
	if r.Posted || r.OpID != "" {
		done = "the pause request was accepted (pause id " + codeSpan(orUnknown(r.OpID)) + ")"
	}
	text := fmt.Sprintf(":warning: Interrupted while pausing DR %s (%s): the bot stopped following it (shutdown or function timeout). So far %s; last status seen: *%s*. Check with `/dr status %s`.",
		codeSpan(job.ID), requestedBy(job), done, escapeMrkdwn(string(orStatus(r.Status, "unknown"))), job.ID)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

func interruptedLookupMessage(job Job) slackMessage {
	text := fmt.Sprintf(":warning: Interrupted before the DR API answered: the bot stopped (shutdown or function timeout). Try `/dr %s` again.",
		strings.TrimSpace(string(job.Kind)+" "+job.ID))
	if job.Kind == JobDryRun {
		text = fmt.Sprintf(":warning: Interrupted before the DR API answered: the bot stopped (shutdown or function timeout). Try `/dr pause %s --dry-run` again.", job.ID)
	}
	m := textMessage(ephemeral, text)
	m.ReplaceOriginal = true
	return m
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

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return codeSpan(s)
}

func orStatus(s drapi.Status, fallback string) drapi.Status {
	if s == "" {
		return drapi.Status(fallback)
	}
	return s
}

// describeFailure says in an on-call engineer's words what went wrong with a DR API call. It
// never repeats raw bodies: only drapi's typed fields, as r holds them.
func describeFailure(r drresult.Result) string {
	switch r.Kind {
	case drresult.KindInvalidID:
		return "the id is not a DR id (want a lowercase UUID)."
	case drresult.KindNotFound:
		return "DR task not found in this project. Check the id with `/dr list`."
	case drresult.KindDRFailed:
		return fmt.Sprintf("the DR ended in status *%s* instead of stopped.", escapeMrkdwn(string(r.BadStatus)))
	case drresult.KindWrongStatus:
		return fmt.Sprintf("wrong status: the DR is *%s*; a pause needs running or stop_failed.", escapeMrkdwn(string(r.BadStatus)))
	case drresult.KindThrottled:
		tries := max(r.Tries, 1)
		return fmt.Sprintf("throttled by the DWS API after %d %s; try again in a minute.", tries, plural(tries, "try", "tries"))
	case drresult.KindAuthRejected:
		return "the DWS API rejected the credentials (AK/SK, token, or the IAM permission dws:cluster:pauseDisasterRecovery)."
	case drresult.KindStatusNotAllowed:
		return "the DWS API refused: the DR's status does not allow a pause."
	case drresult.KindAPIFailed:
		return fmt.Sprintf("the DWS API failed (HTTP %d). The pause may or may not have been accepted: check with `/dr status`.", r.DWSHTTPStatus)
	case drresult.KindRefused:
		return fmt.Sprintf("the DWS API refused the call (HTTP %d).", r.DWSHTTPStatus)
	default: // unreachable, or a call that got no answer in its own time
		return "could not reach the DWS API, or got an unreadable answer. The pause may or may not have been accepted: check with `/dr status`."
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lookupErrorMessage reports a failed lookup of DR r.ID, or of the list when r.ID is empty.
func lookupErrorMessage(r drresult.Result) slackMessage {
	text := fmt.Sprintf(":x: Could not look up DR %s: %s", codeSpan(r.ID), describeFailure(r))
	if r.ID == "" {
		text = ":x: Could not list the DR tasks: " + describeFailure(r)
	}
	if r.RequestID != "" {
		text += " (X-Request-Id " + codeSpan(r.RequestID) + ")"
	}
	return textMessage(ephemeral, text)
}

func alreadyMessage(id string, status drapi.Status) slackMessage {
	text := fmt.Sprintf("DR %s is already *%s*: nothing to do, no pause sent.", codeSpan(id), escapeMrkdwn(string(status)))
	if status == drapi.StatusStopping {
		text = fmt.Sprintf("DR %s is already being paused (status *stopping*): no second pause sent. Follow it with `/dr status %s`.", codeSpan(id), id)
	}
	return textMessage(ephemeral, text)
}

func notPausableMessage(id string, status drapi.Status) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("DR %s is *%s*: a pause needs running or stop_failed. Nothing sent.",
		codeSpan(id), escapeMrkdwn(string(status))))

}

func inFlightMessage(id, by string) slackMessage {
	holder := "an alert"
	if by != "" {
		holder = mention(by)
	}
	return textMessage(ephemeral, fmt.Sprintf("DR %s is already being paused by %s: no second pause sent.", codeSpan(id), holder))
}

// cancelTooLateMessage answers a Cancel that lost the race to a Pause: the card stays, since
// it is about to show the pause.
func cancelTooLateMessage(id, by string) slackMessage {
	holder := "an alert"
	if by != "" {
		holder = mention(by)
	}
	return textMessage(ephemeral, fmt.Sprintf("DR %s is already being paused by %s; cancel is too late.", codeSpan(id), holder))
}

func badButtonMessage() slackMessage {
	return textMessage(ephemeral, "This button was not made by this app, or was changed: nothing done.")
}

func invalidButtonMessage() slackMessage {
	return textMessage(ephemeral, "This button does not name a valid DR: nothing done.")
}

func expiredMessage(id string, age time.Duration) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This request expired (made %s ago): run `/dr pause %s` again.", formatDuration(age), id))
}

// handOffFailedMessage replaces a card that already said "Pausing" when the job could not be
// started after all, so the channel is not left believing a pause is under way.
func handOffFailedMessage(job Job) slackMessage {
	text := fmt.Sprintf(":x: Could not start the pause of DR %s (%s): the bot cannot take new work right now. "+
		"Nothing was sent to the DR API. Try again in a minute: `/dr pause %s`.", codeSpan(job.ID), requestedBy(job), job.ID)
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: []slack.Block{section(text)}}
}

func workingMessage(what string) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf(":hourglass_flowing_sand: Working on it… the DR API is slow; the %s will follow here.", what))
}

func unavailableMessage() slackMessage {
	return textMessage(ephemeral, ":x: The bot cannot take new work right now (shutting down or busy). Try again in a minute.")
}

func statusMessage(d *drapi.Detail) slackMessage {
	text := fmt.Sprintf("DR %s (%s) is *%s*", codeSpan(d.ID), escapeMrkdwn(truncate(orUnknown(d.Name), 200)), escapeMrkdwn(orUnknown(string(d.Status))))
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
		line := fmt.Sprintf("• %s %s: *%s*\n", codeSpan(s.ID), escapeMrkdwn(truncate(orUnknown(s.Name), 100)), escapeMrkdwn(orUnknown(string(s.Status))))
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

// dryRun is what a dry run found.
type dryRun struct {
	ID       string
	User     string
	Channel  string
	Detail   *drapi.Detail
	Confirm  bool
	FourEyes bool
}

func dryRunMessage(d dryRun) slackMessage {
	status := d.Detail.Status
	var outcome string
	switch {
	case status == drapi.StatusStopped || status == drapi.StatusStopping:
		outcome = fmt.Sprintf("nothing: it is already %s, so no pause would be sent.", status)
	case !status.Pausable():
		outcome = fmt.Sprintf("nothing: status %s does not allow a pause (needs running or stop_failed).", escapeMrkdwn(string(status)))
	case d.Confirm && d.FourEyes:
		outcome = fmt.Sprintf("a card in this channel; after a click by an allowed user other than %s, the pause is sent and followed until stopped.", mention(d.User))
	case d.Confirm:
		outcome = "a card in this channel; after a click by an allowed user, the pause is sent and followed until stopped."
	default:
		outcome = "the pause is sent at once (DR_CONFIRM is off) and followed until stopped."
	}
	text := fmt.Sprintf("Dry run, nothing sent. DR %s (%s) is *%s*. You (%s) may pause it from channel %s. `/dr pause %s` would give %s",
		codeSpan(d.ID), escapeMrkdwn(truncate(orUnknown(d.Detail.Name), 200)), escapeMrkdwn(orUnknown(string(status))), mention(d.User), codeSpan(d.Channel), d.ID, outcome)
	return textMessage(ephemeral, text)
}

// alertCardMessage is one approval card for an alert's proposal, with a pair of buttons per DR.
func alertCardMessage(p Proposal, at time.Time, key buttonKey) slackMessage {
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
		v := buttonValue{ID: id, RequestedAt: at.Unix(), AlertSource: truncate(p.Source, 50), AlertTitle: truncate(p.Title, 200)}
		blocks = append(blocks, section("DR "+codeSpan(id)), pauseButtons(v, "from alert", key))
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
			// Escaped as well: an invalid id is the alert sender's text, and a code span does not
			// stop Slack from reading <!channel> in it (found by FuzzAlertCard).
			ids[i] = codeSpan(escapeMrkdwn(truncate(id, 40)))
		}
		blocks = append(blocks, contextLine("Not paused, not in DR_ALLOWED_IDS: "+strings.Join(ids, ", ")))
	}
	return blocks
}
