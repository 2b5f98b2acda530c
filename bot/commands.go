package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// Commands handles POST /slack/commands, the slash command. It answers within the lookup budget
// whatever the DR API does; slower work is deferred and answers through response_url.
func (b *Bot) Commands() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := b.readVerified(w, r)
		if !ok {
			return
		}
		cmd, err := parseSlashCommand(body)
		if err != nil {
			http.Error(w, "malformed slash command", http.StatusBadRequest)
			return
		}
		if why := b.platform(r.Context()).Refusal; why != "" {
			b.audit(r.Context(), b.decisionFor(cmd, "refused", "", "no_dr_credentials", b.now()))
			writeMessage(w, b.outgoing(noCredentialsMessage(why)))
			return
		}
		writeMessage(w, b.outgoing(b.command(r.Context(), cmd)))
	})
}

// parseSlashCommand parses the verified body once and lets slack-go's parser, which wants a
// request, map the fields. The request carries the form already parsed, so the ParseForm that
// SlashCommandParse calls has nothing left to do; given the body instead, it parsed it and then
// copied every value into r.Form, which was half the allocations of a slash command.
func parseSlashCommand(body []byte) (slack.SlashCommand, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, err
	}
	return slack.SlashCommandParse(&http.Request{Method: http.MethodPost, Form: form, PostForm: form})
}

func writeMessage(w http.ResponseWriter, m slackMessage) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m) // the client may be gone; nothing to do about it
}

// subcommandOptions holds the subcommands /dr understands, besides help, and the options each
// takes.
var subcommandOptions = map[string][]string{
	"pause":  {"--dry-run", "-n"},
	"resume": {"--dry-run", "-n"},
	"status": nil,
	"list":   nil,
}

func (b *Bot) command(ctx context.Context, cmd slack.SlashCommand) slackMessage {
	if ref := b.authorizeTeam(cmd.TeamID, cmd.EnterpriseID); ref != nil {
		return b.refuse(ctx, cmd, "", ref, b.now())
	}
	args := strings.Fields(cmd.Text)
	if len(args) == 0 {
		return helpMessage(cmd.Command, b.cfg.Resume)
	}
	// Words are matched exactly (case aside, for phones that capitalise): a near miss is
	// refused with the help, never read as the nearest command. "unpause" is one letter from
	// "pause".
	sub := strings.ToLower(args[0])
	if sub == "help" {
		return helpMessage(cmd.Command, b.cfg.Resume)
	}
	known, ok := subcommandOptions[sub]
	if !ok {
		return unknownMessage(cmd.Command, b.cfg.Resume, "", "subcommand", args[0])
	}
	if sub == resumeOp.Name && !b.cfg.Resume {
		// Off until a team opts in: resuming can spread a damaged primary to the standby.
		b.audit(ctx, b.decisionFor(cmd, "refused", "", "resume_disabled", b.now()))
		return resumeDisabledMessage()
	}
	words, opts, unknown := splitArgs(args[1:], known...)
	if unknown != "" {
		return unknownMessage(cmd.Command, b.cfg.Resume, sub, "option", unknown)
	}
	switch sub {
	case "pause":
		return b.opCommand(ctx, cmd, pauseOp, words, len(opts) > 0)
	case "resume":
		return b.opCommand(ctx, cmd, resumeOp, words, len(opts) > 0)
	case "status":
		return b.statusCommand(ctx, cmd, words)
	}
	if len(words) > 0 {
		return unknownMessage(cmd.Command, b.cfg.Resume, sub, "argument", words[0])
	}
	return b.listCommand(ctx, cmd)
}

// splitArgs parts options from the other words. An option is a word starting with a hyphen or
// a dash (some keyboards turn "--" into "—"); the first one not in known is returned as
// unknown, so "--dryrun" is refused as an option instead of being taken for part of an id.
func splitArgs(args []string, known ...string) (words, opts []string, unknown string) {
	for _, a := range args {
		switch {
		case !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "—") && !strings.HasPrefix(a, "–"):
			words = append(words, a)
		case slices.Contains(known, a):
			opts = append(opts, a)
		default:
			return nil, nil, a
		}
	}
	return words, opts, ""
}

func (b *Bot) decisionFor(cmd slack.SlashCommand, event, id, outcome string, start time.Time) decision {
	return decision{event: event, team: cmd.TeamID, channel: cmd.ChannelID, user: cmd.UserID, id: id,
		outcome: outcome, latency: b.now().Sub(start)}
}

func (b *Bot) refuse(ctx context.Context, cmd slack.SlashCommand, id string, ref *refusal, start time.Time) slackMessage {
	b.audit(ctx, b.decisionFor(cmd, "refused", id, "not_allowed_"+ref.reason, start))
	return refusalMessage(ref)
}

// parseID takes a DR id from user input; ids are lowercase UUIDs, so case is forgiven.
func parseID(arg string) (string, bool) {
	id := strings.ToLower(arg)
	return id, drapi.ValidateID(id) == nil
}

func (b *Bot) statusCommand(ctx context.Context, cmd slack.SlashCommand, args []string) slackMessage {
	start := b.now()
	if len(args) == 0 {
		return missingIDMessage(cmd.Command, "status")
	}
	if len(args) > 1 {
		// Extra words are part of what was given as the id: say that is not one.
		return invalidIDMessage(strings.Join(args, " "))
	}
	id, ok := parseID(args[0])
	if !ok {
		return invalidIDMessage(args[0])
	}
	if ref := b.authorize(cmd.UserID, cmd.ChannelID, ""); ref != nil {
		return b.refuse(ctx, cmd, id, ref, start)
	}
	return b.budgetedLookup(ctx, cmd, JobStatus, id, start)
}

func (b *Bot) listCommand(ctx context.Context, cmd slack.SlashCommand) slackMessage {
	start := b.now()
	if ref := b.authorize(cmd.UserID, cmd.ChannelID, ""); ref != nil {
		return b.refuse(ctx, cmd, "", ref, start)
	}
	return b.budgetedLookup(ctx, cmd, JobList, "", start)
}

// budgetedLookup answers a lookup at once when the DR API answers within the budget, and
// otherwise says it is working on it and defers the lookup.
//
// Where nothing may run after the answer (Platform.AnswerWindowOnly) the lookup gets the whole
// answer window instead, and a lookup slower than that is answered as such, not deferred.
func (b *Bot) budgetedLookup(ctx context.Context, cmd slack.SlashCommand, kind JobKind, id string, start time.Time) slackMessage {
	budget, inWindow := b.cfg.LookupBudget, b.platform(ctx).AnswerWindowOnly
	if inWindow {
		budget = max(budget, windowLookupBudget)
	}
	lctx, cancel := context.WithTimeout(ctx, budget)
	msg, err := b.lookup(lctx, kind, id, cmd.UserID, cmd.ChannelID)
	slow := err != nil && lctx.Err() != nil && ctx.Err() == nil
	cancel()
	if !slow {
		b.audit(ctx, b.decisionFor(cmd, string(kind), id, "answered", start))
		return msg
	}
	if inWindow {
		b.audit(ctx, b.decisionFor(cmd, string(kind), id, "too_slow", start))
		return slowInWindowMessage(kind, id)
	}
	job := Job{Kind: kind, ID: id, ResponseURL: cmd.ResponseURL, Channel: cmd.ChannelID, Team: cmd.TeamID,
		Requester: cmd.UserID, RequestedAt: start}
	if err := b.deferrer.Defer(ctx, job); err != nil {
		d := b.decisionFor(cmd, string(kind), id, "defer_failed", start)
		d.err = err
		b.audit(ctx, d)
		if errors.Is(err, errTooManyLookups) {
			return tooManyLookupsMessage(maxLookupsPerUser)
		}
		return unavailableMessage()
	}
	b.audit(ctx, b.decisionFor(cmd, string(kind), id, "deferred", start))
	what := map[JobKind]string{JobStatus: "status", JobList: "list", JobDryRun: "dry run", JobResumeDryRun: "dry run"}[kind]
	return workingMessage(what)
}

// opCommand asks for op (a pause or a resume) of the one id in args, or with dry checks it and
// sends nothing.
func (b *Bot) opCommand(ctx context.Context, cmd slack.SlashCommand, op operation, args []string, dry bool) slackMessage {
	start := b.now()
	if len(args) == 0 {
		return missingIDMessage(cmd.Command, op.Name)
	}
	if len(args) > 1 {
		return invalidIDMessage(strings.Join(args, " "))
	}
	id, ok := parseID(args[0])
	if !ok {
		return invalidIDMessage(args[0])
	}
	if ref := b.authorize(cmd.UserID, cmd.ChannelID, id); ref != nil {
		return b.refuse(ctx, cmd, id, ref, start)
	}
	if dry {
		return b.budgetedLookup(ctx, cmd, op.dryRun, id, start)
	}

	// The card shows the name and status when the DR API answers within the budget; without
	// them the card still works, and the click re-checks the status anyway.
	lctx, cancel := context.WithTimeout(ctx, b.cfg.LookupBudget)
	detail, err := b.dr.Get(lctx, id)
	slow := err != nil && lctx.Err() != nil && ctx.Err() == nil
	cancel()
	c := card{Op: op, Card: newCardID(), Channel: cmd.ChannelID, Team: cmd.TeamID,
		ID: id, Requester: cmd.UserID, RequestedAt: start, FourEyes: b.cfg.FourEyes}
	switch {
	case slow:
		c.Lookup = "unknown (DR API slow)"
	case err != nil:
		res := drresult.ClassifyLookup(id, err)
		event, outcome := res.AuditEvent()
		d := b.decisionFor(cmd, event, id, outcome, start)
		d.err = err
		b.audit(ctx, d)
		return lookupErrorMessage(res)
	case detail.Status == op.Transit || detail.Status == op.Target:
		b.audit(ctx, b.decisionFor(cmd, "noop", id, "already_"+string(detail.Status), start))
		return alreadyMessage(op, id, detail.Status)
	case !op.Allowed(detail.Status):
		b.audit(ctx, b.decisionFor(cmd, "refused", id, "status_"+string(detail.Status), start))
		return notAllowedMessage(op, id, detail.Status)
	default:
		c.Detail = detail
	}

	// A resume always asks for a card: it is never urgent, and the card is where the approver
	// is told what resuming does and asked whether the primary is healthy.
	if b.cfg.Confirm || op.Name == resumeOp.Name {
		if op.Name == resumeOp.Name {
			// Who paused it and when: the card shows it, and its click checks it is still the last.
			lctx, cancel := context.WithTimeout(ctx, lastPauseBudget)
			c.LastPause = b.lastPauseOf(lctx, id)
			cancel()
			if err := c.LastPause.Err; err != nil {
				// The click checks the card's pause is still the last one: a card made without
				// knowing it could never be used. The click needs the ledger too.
				d := b.decisionFor(cmd, "refused", id, "ledger_unavailable", start)
				d.err = err
				b.audit(ctx, d)
				return ledgerDownMessage(err, op.Done)
			}
		}
		b.audit(ctx, b.decisionFor(cmd, "requested", id, "card", start))
		return cardMessage(c, b.buttons)
	}

	// No confirmation: this request is the approval. One operation per DR still holds.
	claim, held, err := b.claimOp(ctx, op, id, cmd.UserID, start)
	switch {
	case err != nil:
		d := b.decisionFor(cmd, "refused", id, "ledger_unavailable", start)
		d.err = err
		b.audit(ctx, d)
		return ledgerDownMessage(err, op.Done)
	case !held.OK:
		b.audit(ctx, b.decisionFor(cmd, "refused", id, "in_flight", start))
		return opHeldMessage(op, id, held.Record)
	}
	job := Job{Kind: op.job, ID: id, ResponseURL: cmd.ResponseURL, Channel: cmd.ChannelID, Team: cmd.TeamID,
		Requester: cmd.UserID, RequestedAt: start, ApprovedAt: start, Op: claim.String(), OpUntil: held.Until}
	if b.platform(ctx).AnswerWindowOnly {
		// This answer is the only message Slack is sure to show: it carries the result.
		b.audit(ctx, b.decisionFor(cmd, "approved", id, "confirm_off", start))
		msg := windowFinalMessage(job, b.inWindow(ctx, job))
		msg.ReplaceOriginal = false // this is the original
		return msg
	}
	if err := b.deferrer.Defer(ctx, job); err != nil {
		b.release(ctx, ledger.OpKey(id), job.Op)
		d := b.decisionFor(cmd, "failed", id, "defer_failed", start)
		d.err = err
		b.audit(ctx, d)
		return unavailableMessage()
	}
	b.audit(ctx, b.decisionFor(cmd, "approved", id, "confirm_off", start))
	msg := pausingMessage(job, b.cfg.Wait)
	msg.ReplaceOriginal = false // this is the original
	return msg
}
