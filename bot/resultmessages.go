package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drresult"
)

// finalMessage reports how a pause or a resume ended, as r says. wait is DR_WAIT, which the headline names
// when it ran out.
func finalMessage(job Job, r drresult.Result, wait time.Duration) slackMessage {
	return finalMessageAfter(job, r, "DR_WAIT ("+wait.String()+")")
}

// finalMessageAfter is finalMessage naming the bound that ran out, if one did, as waited.
func finalMessageAfter(job Job, r drresult.Result, waited string) slackMessage {
	if r.Kind == drresult.KindInterrupted {
		return interruptedMessage(job, r)
	}
	headline := resultHeadline(job.ID, r, waited)
	pairs := []string{"DR id", codeSpan(job.ID)}
	// The id the pause answer named is the DR id as a rule: shown only when it says otherwise.
	if r.OpID != "" && r.OpID != job.ID {
		pairs = append(pairs, opOf(r).Title()+" id (from the API)", apiID(r.OpID))
	}
	pairs = append(pairs,
		"Final status", escapeMrkdwn(string(orStatus(r.Status, "unknown"))),
		"Took", formatDuration(r.Elapsed),
		"Requested by", askedBy(job.Requester, job.AlertSource, job.AlertTitle),
		"Approved by", approver(job),
	)
	if r.OK() && r.RequestID != "" {
		pairs = append(pairs, "X-Request-Id", codeSpan(r.RequestID))
	}
	blocks := []slack.Block{section(headline), fields(pairs...)}
	if !r.OK() {
		blocks = append(blocks, contextLine(supportFacts(r)))
	}
	return slackMessage{
		ResponseType:    inChannel,
		ReplaceOriginal: true,
		Text:            headline,
		Blocks:          blocks,
	}
}

// resultHeadline says in one line how the pause or resume of DR id ended; waited names the
// bound that ran out, if one did ("DR_WAIT (10m0s)").
func resultHeadline(id string, r drresult.Result, waited string) string {
	op := opOf(r)
	status := escapeMrkdwn(string(orStatus(r.Status, "unknown")))
	switch r.Kind {
	case drresult.KindAlreadyDone:
		return fmt.Sprintf(":white_check_mark: DR %s was already %s: no %s sent.", codeSpan(id), op.Target, op.Name)
	case drresult.KindOtherFirst:
		// Our POST was refused because another request (another instance, a replayed click) got
		// there first: the DR is paused or resumed once, as asked.
		return fmt.Sprintf(":white_check_mark: DR %s is %s: status *%s*. Another %s got there first, so DWS refused this one: it was %s once.",
			codeSpan(id), op.Done, escapeMrkdwn(string(r.Status)), op.Name, op.Done)
	case drresult.KindAlreadyInProgress:
		return fmt.Sprintf(":white_check_mark: DR %s was already being %s (status %s): no second %s sent. It is now *%s*.",
			codeSpan(id), op.Done, escapeMrkdwn(string(r.Initial)), op.Name, escapeMrkdwn(string(r.Status)))
	case drresult.KindDone:
		return fmt.Sprintf(":white_check_mark: DR %s is %s: status *%s*.", codeSpan(id), op.Done, escapeMrkdwn(string(r.Status)))
	case drresult.KindAccepted:
		return fmt.Sprintf(":white_check_mark: The %s of DR %s was accepted: status *%s*. Follow it with `/dr status %s`.",
			op.Name, codeSpan(id), status, id)
	case drresult.KindNotFinished:
		return fmt.Sprintf(":warning: DR %s is still *%s* after %s: the %s was accepted but has not finished. Check later with `/dr status %s`.",
			codeSpan(id), status, waited, op.Name, id)
	case drresult.KindUnconfirmed:
		return fmt.Sprintf(":warning: The DWS API did not answer the %s of DR %s within %s: it may or may not have been accepted. Check with `/dr status %s` before trying again.",
			op.Name, codeSpan(id), waited, id)
	case drresult.KindInProgressAtWait:
		return fmt.Sprintf(":warning: DR %s was already being %s and is still *%s* after %s: no second %s sent. Check later with `/dr status %s`.",
			codeSpan(id), op.Done, status, waited, op.Name, id)
	case drresult.KindNotSent:
		return fmt.Sprintf(":warning: The DWS API did not answer within %s: no %s was sent to DR %s. Check with `/dr status %s` and try again.",
			waited, op.Name, codeSpan(id), id)
	default:
		return fmt.Sprintf(":x: %s of DR %s failed: %s", op.Title(), codeSpan(id), describeFailure(r))
	}
}

func interruptedMessage(job Job, r drresult.Result) slackMessage {
	op := job.op()
	done := "the " + op.Name + " request had not been sent"
	if r.Posted || r.OpID != "" {
		done = "the " + op.Name + " request was accepted"
		if r.OpID != "" && r.OpID != job.ID {
			done += " (" + op.Name + " id " + apiID(r.OpID) + ")"
		}
	}
	text := fmt.Sprintf(":warning: Interrupted while %s DR %s (%s): the bot stopped following it (shutdown or function timeout). So far %s; last status seen: *%s*. Check with `/dr status %s`.",
		strings.ToLower(op.gerund()), codeSpan(job.ID), requestedBy(job), done, escapeMrkdwn(string(orStatus(r.Status, "unknown"))), job.ID)
	blocks := []slack.Block{section(text)}
	if r.RequestID != "" {
		blocks = append(blocks, contextLine(supportFacts(r)))
	}
	return slackMessage{ResponseType: inChannel, ReplaceOriginal: true, Text: text, Blocks: blocks}
}

// maxShownMessage caps DWS's error_msg in a message; drapi has already made it one line.
const maxShownMessage = 300

// describeFailure says in an on-call engineer's words what went wrong with a DR API call. It
// never repeats raw bodies: only drapi's typed fields, as r holds them. supportFacts follows it
// with what Huawei support asks for.
func describeFailure(r drresult.Result) string {
	switch r.Kind {
	case drresult.KindInvalidID:
		return "the id is not a DR id (want a lowercase UUID)."
	case drresult.KindNotFound:
		return "DR task not found in this project, or one of its clusters is gone. Check the id with `/dr list`."
	case drresult.KindDRFailed:
		return fmt.Sprintf("the DR ended in status *%s* instead of %s.", escapeMrkdwn(string(r.BadStatus)), opOf(r).Target)
	case drresult.KindWrongStatus:
		return fmt.Sprintf("wrong status: the DR is *%s*; a %s needs %s.", escapeMrkdwn(string(r.BadStatus)), opOf(r).Name, opOf(r).from)
	case drresult.KindThrottled:
		tries := max(r.Tries, 1)
		return fmt.Sprintf("throttled by the DWS API after %d %s; try again in a minute.", tries, plural(tries, "try", "tries"))
	case drresult.KindAuthRejected:
		return fmt.Sprintf("the DWS API rejected the credentials (AK/SK, token, or the IAM permission %s).", opOf(r).permission)
	case drresult.KindBusy:
		return "DWS is busy with another operation on this cluster; try again in a minute."
	case drresult.KindRefused:
		if r.Op.Name == "" { // a lookup: no status was read back
			return fmt.Sprintf("the DWS API refused the call (HTTP %d).", r.DWSHTTPStatus)
		}
		now := "unknown (it could not be read back)"
		if r.BadStatus != "" {
			now = "*" + escapeMrkdwn(string(r.BadStatus)) + "*"
		}
		return fmt.Sprintf("DWS refused: %s %s, status now %s.", codeSpan(orUnknown(r.DWSCode)),
			escapeMrkdwn(truncate(r.DWSMessage, maxShownMessage)), now)
	case drresult.KindAPIFailed:
		return fmt.Sprintf("the DWS API failed (HTTP %d). The %s may or may not have been accepted: check with `/dr status`.", r.DWSHTTPStatus, opOf(r).Name)
	default: // unreachable, or a call that got no answer in its own time
		return fmt.Sprintf("could not reach the DWS API, or got an unreadable answer. The %s may or may not have been accepted: check with `/dr status`.", opOf(r).Name)
	}
}

// supportFacts gives what Huawei support asks for about a call that failed: DWS's error_code,
// its error_msg and the X-Request-Id, or says that DWS never answered.
func supportFacts(r drresult.Result) string {
	switch {
	case r.DWSHTTPStatus != 0:
		s := fmt.Sprintf("DWS answered HTTP %d: error_code %s", r.DWSHTTPStatus, orNone(r.DWSCode))
		if r.DWSMessage != "" {
			s += ", error_msg “" + escapeMrkdwn(truncate(r.DWSMessage, maxShownMessage)) + "”"
		}
		return s + ", X-Request-Id " + orNone(r.RequestID) + "."
	case r.Kind == drresult.KindInvalidID:
		return "Nothing was sent to DWS: no error_code or X-Request-Id."
	case r.RequestID != "":
		// A status that said no, a wait that ran out, or a call that got no answer after others did.
		return "No error answer from DWS: no error_code; X-Request-Id of its last answer " + codeSpan(r.RequestID) + "."
	default:
		return "No answer from DWS: no error_code or X-Request-Id."
	}
}
