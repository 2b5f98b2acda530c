package slacktest

// Rules are the rules of Slack the double applies. Each is off in the zero value, where the
// double takes whatever the bot sends; Strict turns them all on. A broken rule is reported by
// Violations whether it is applied or not.
type Rules struct {
	// AnswerIn3s: an answer to a slash command or a click that takes longer than 3 s is
	// dropped, as Slack then shows the user operation_timeout instead.
	AnswerIn3s bool
	// FiveUses: a response_url takes 5 posts; later ones are refused (404 used_url; the exact
	// error is UNVERIFIED: Slack documents the limit, not the answer).
	FiveUses bool
	// UpdateOwnOnly: chat.update edits only a message the bot posted itself with
	// chat.postMessage; any other is refused with ok:false and cant_update_message (Slack's
	// "modifying messages" guide; a slash command's answer is not the bot's own message).
	UpdateOwnOnly bool
	// CommandPostsAnew: replace_original through a slash command's response_url posts a new
	// message instead of replacing the answer, as users and maintainers report
	// (bolt-js#2287, bolt-python#1268). A click's response_url replaces the clicked message,
	// as documented.
	CommandPostsAnew bool
}

// Strict applies every rule.
var Strict = Rules{AnswerIn3s: true, FiveUses: true, UpdateOwnOnly: true, CommandPostsAnew: true}

// Slack's numbers behind the rules.
const (
	AnswerLimit     = 3000 // milliseconds Slack waits for the answer to a request
	ResponseURLUses = 5    // posts one response_url takes
)
