package bot

import (
	"context"
	"time"
)

// JobKind names the work a Job does.
type JobKind string

// The kinds of deferred work.
const (
	JobPause        JobKind = "pause"          // pause a DR and follow it to the end
	JobResume       JobKind = "resume"         // resume a DR (DR_RESUME) and follow it to the end
	JobStatus       JobKind = "status"         // answer /dr status after the lookup budget ran out
	JobList         JobKind = "list"           // answer /dr list after the lookup budget ran out
	JobDryRun       JobKind = "dry_run"        // answer /dr pause --dry-run after the lookup budget ran out
	JobResumeDryRun JobKind = "resume_dry_run" // answer /dr resume --dry-run after the lookup budget ran out
)

// acts reports whether a job of kind k changes a DR (a pause or a resume), as opposed to
// looking it up.
func (k JobKind) acts() bool { return k == JobPause || k == JobResume }

// Job is deferred work. It holds everything Run needs and no secrets, so it can travel as JSON,
// e.g. in an asynchronous invocation of the same Lambda function.
type Job struct {
	Kind JobKind `json:"kind"`
	ID   string  `json:"disaster_recovery_id,omitempty"`

	// ResponseURL is the response_url of the Slack request the job answers; ResponseURLUses is
	// how many of its 5 uses were already spent. FromClick: it is a click's, so replace_original
	// replaces the clicked message; a slash command's response_url posts every message anew
	// (Slack documents replacing for interactive messages only, and users report a new message
	// for slash commands), so the job never relies on it there.
	ResponseURL     string `json:"response_url,omitempty"`
	ResponseURLUses int    `json:"response_url_uses,omitempty"`
	FromClick       bool   `json:"from_click,omitempty"`
	// Channel and MessageTS name the message the job is about: the clicked card, or the message
	// an alert posted. Thread: the message is shared with other DR ids, so results go to its
	// thread instead of replacing it. BotMessage: the bot posted MessageTS itself with
	// chat.postMessage, so chat.update may edit it when there is a bot token; Slack refuses
	// chat.update on any other message, a slash command's answer included.
	Channel    string `json:"channel,omitempty"`
	MessageTS  string `json:"message_ts,omitempty"`
	Thread     bool   `json:"thread,omitempty"`
	BotMessage bool   `json:"bot_message,omitempty"`

	Team        string    `json:"team,omitempty"`
	Requester   string    `json:"requester,omitempty"` // Slack user id; empty when an alert asked
	Approver    string    `json:"approver,omitempty"`  // Slack user id; empty without a click
	RequestedAt time.Time `json:"requested_at"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	AlertSource string    `json:"alert_source,omitempty"` // "alertmanager", "grafana" or "smn"
	AlertTitle  string    `json:"alert_title,omitempty"`

	// Op is the holder of the ledger's claim on the DR (ledger.Op), made by the request that
	// deferred the pause or resume, and OpUntil when that claim expires. The job releases it when it
	// ends, on whichever instance it runs. Empty: the job claims the DR itself.
	Op      string    `json:"op,omitempty"`
	OpUntil time.Time `json:"op_until,omitzero"`
}

// Deferrer runs a Job after the Slack request that asked for it has been answered, by calling
// Bot.Run in this process or elsewhere. Defer must return quickly.
type Deferrer interface {
	Defer(ctx context.Context, job Job) error
}
