package bot

import (
	"fmt"
	"strings"
)

// exampleID is the id the usage messages show.
const exampleID = "e59d6b86-9072-46eb-a996-13f8b44994c1"

// helpText lists what /dr understands; resume (DR_RESUME) says whether it resumes. Angle
// brackets are written as entities: Slack reserves <, > and & in mrkdwn, code spans included
// (api.slack.com/reference/surfaces/formatting#escaping).
func helpText(command string, resume bool) string {
	what, resumeLines := "pauses", "• `%[1]s resume &lt;id&gt;`: off in this deployment; an admin turns it on with `DR_RESUME=true`\n"
	if resume {
		what = "pauses and resumes"
		resumeLines = "• `%[1]s resume &lt;id&gt;`: ask to resume DR &lt;id&gt; (a card with a button to confirm; resuming copies the primary's current state over the standby)\n" +
			"• `%[1]s resume &lt;id&gt; --dry-run`: check permissions and status, resume nothing\n"
	}
	return fmt.Sprintf("*%[1]s* "+what+" a GaussDB(DWS) disaster-recovery pair.\n"+
		"• `%[1]s pause &lt;id&gt;`: ask to pause DR &lt;id&gt; (a card with a button to confirm)\n"+
		"• `%[1]s pause &lt;id&gt; --dry-run`: check permissions and status, pause nothing\n"+
		resumeLines+
		"• `%[1]s status &lt;id&gt;`: status, name and both clusters of DR &lt;id&gt;\n"+
		"• `%[1]s list`: the project's DR tasks\n"+
		"• `%[1]s help`: this message\n"+
		"Ids are UUIDs such as `%[2]s`.", commandName(command), exampleID)
}

// commandName is the slash command as the user typed it, safe inside mrkdwn.
func commandName(command string) string {
	if command == "" {
		command = "/dr"
	}
	return escapeMrkdwn(truncate(command, 32))
}

func helpMessage(command string, resume bool) slackMessage {
	return textMessage(ephemeral, helpText(command, resume))
}

// unknownMessage answers a word /dr does not know (what is "subcommand", "option" or
// "argument"; sub names the subcommand it was given to, if any) with the help and no guess at
// what was meant: the nearest spelling of "unpause" is "pause", the opposite of what was asked.
// resume is DR_RESUME, for the help.
func unknownMessage(command string, resume bool, sub, what, word string) slackMessage {
	// The word is the user's own text: cut short, escaped, and kept from ending the span early.
	shown := "`" + escapeMrkdwn(strings.ReplaceAll(truncate(word, 40), "`", "'")) + "`"
	text := fmt.Sprintf("Unknown %s %s", what, shown)
	if sub != "" {
		text += " for " + codeSpan(sub)
	}
	text += ": nothing done."
	// Some keyboards and clients turn "--" into a dash, which reads like the option but is not.
	if strings.HasPrefix(word, "—") || strings.HasPrefix(word, "–") {
		text += " It starts with a dash (—), not two hyphens (--): your keyboard may have joined them."
	}
	return textMessage(ephemeral, text+"\n\n"+helpText(command, resume))
}

// missingIDMessage answers a subcommand given no DR id, with an example of that subcommand.
func missingIDMessage(command, sub string) slackMessage {
	return textMessage(ephemeral, fmt.Sprintf("Which DR? Give its id, e.g. `%s %s %s`.", commandName(command), sub, exampleID))
}
