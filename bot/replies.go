package bot

import (
	"cmp"
	"fmt"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

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
	case "team":
		text = fmt.Sprintf("Not allowed: Slack team %s is not in %s. An admin can add its team or enterprise id to %s.",
			codeSpan(orUnknown(r.subject)), codeSpan(r.setting), codeSpan(r.setting))
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
		text = fmt.Sprintf("Four-eyes rule (%s): %s asked for this %s, so someone else from %s must approve it.",
			codeSpan(r.setting), mention(r.subject), cmp.Or(r.op, pauseOp.Name), codeSpan("DR_ALLOWED_USERS"))
	default:
		text = "Not allowed."
	}
	return textMessage(ephemeral, text)
}

// alreadyMessage answers op asked of a DR already at its target or on its way there.
func alreadyMessage(op operation, id string, status drapi.Status) slackMessage {
	text := fmt.Sprintf("DR %s is already *%s*: nothing to do, no %s sent.", codeSpan(id), escapeMrkdwn(string(status)), op.Name)
	if status == op.Transit {
		text = fmt.Sprintf("DR %s is already being %s (status *%s*): no second %s sent. Follow it with `/dr status %s`.",
			codeSpan(id), op.Done, status, op.Name, id)
	}
	return textMessage(ephemeral, text)
}

// notAllowedMessage answers op asked of a DR whose status does not allow it.
func notAllowedMessage(op operation, id string, status drapi.Status) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("DR %s is *%s*: a %s needs %s. Nothing sent.",
		codeSpan(id), escapeMrkdwn(string(status)), op.Name, op.from))

}

// resumeDisabledMessage answers /dr resume, or a click on a resume card, while DR_RESUME is off.
func resumeDisabledMessage() slackMessage {
	return textMessage(ephemeral, "Resume is off in this deployment: `DR_RESUME` is not `true`. "+
		"Resuming restarts replication from the primary, so a team turns it on only once it has agreed to resume from Slack; "+
		"until then use the DWS console. Nothing done.")
}

func badButtonMessage() slackMessage {
	return textMessage(ephemeral, "This button was not made by this app, or was changed: nothing done.")
}

func invalidButtonMessage() slackMessage {
	return textMessage(ephemeral, "This button does not name a valid DR: nothing done.")
}

func expiredMessage(op operation, id string, age time.Duration) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("This request expired (made %s ago): run `/dr %s %s` again.", formatDuration(age), op.Name, id))
}

func workingMessage(what string) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf(":hourglass_flowing_sand: Working on it… the DR API is slow; the %s will follow here.", what))
}

func unavailableMessage() slackMessage {
	return textMessage(ephemeral, ":x: The bot cannot take new work right now (shutting down or busy). Try again in a minute.")
}
