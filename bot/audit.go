package bot

import (
	"context"
	"log/slog"
	"time"
)

// decision is one audited decision of the bot: who asked what, where, and what came of it.
type decision struct {
	event     string // requested, approved, cancelled, refused, paused, failed, noop, status, list, dry_run
	team      string
	channel   string
	user      string // the Slack user who acted (approver on a click)
	requester string // the Slack user who asked, when different from user
	id        string
	op        string // the operation asked for (pause, resume), when the decision is about one
	outcome   string
	requestID string // X-Request-Id of the DWS answer
	source    string // alert source, for alert-triggered pauses
	latency   time.Duration
	err       error
}

// audit logs one decision as one line. Errors are drapi's or the bot's own, which hold no
// secrets and no bodies.
func (b *Bot) audit(ctx context.Context, d decision) {
	level := slog.LevelInfo
	if d.event == "refused" || d.event == "failed" {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("event", d.event),
		slog.String("slack_team", d.team),
		slog.String("slack_channel", d.channel),
		slog.String("slack_user", d.user),
		slog.String("disaster_recovery_id", d.id),
		slog.String("outcome", d.outcome),
		slog.String("request_id", d.requestID),
		slog.Int64("latency_ms", d.latency.Milliseconds()),
	}
	if d.op != "" {
		attrs = append(attrs, slog.String("operation", d.op))
	}
	if d.requester != "" {
		attrs = append(attrs, slog.String("requested_by", d.requester))
	}
	if d.source != "" {
		attrs = append(attrs, slog.String("alert_source", d.source))
	}
	if d.err != nil {
		attrs = append(attrs, slog.String("error", d.err.Error()))
	}
	b.log.LogAttrs(ctx, level, "slack decision", attrs...)
}
