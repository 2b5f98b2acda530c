package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// responseURLUses is how many times Slack accepts posts to one response_url.
const responseURLUses = 5

// maxProgressPosts caps the progress updates one job spends of a response_url, keeping a use
// for the final message whatever happened before.
const maxProgressPosts = 2

var errNoToken = errors.New("bot: SLACK_BOT_TOKEN is not set")

// respond posts m to a response_url. The URL is a bearer capability for 30 minutes, so it is
// kept out of the errors.
func (b *Bot) respond(ctx context.Context, responseURL string, m slackMessage) error {
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("post to response_url: not an http(s) URL")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return errors.New("post to response_url: cannot build request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("post to response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post to response_url: http %d", resp.StatusCode)
	}
	return nil
}

// postMessage posts m to channel with chat.postMessage, in the thread of threadTS when it is
// not empty, and returns the new message's ts.
func (b *Bot) postMessage(ctx context.Context, channel, threadTS string, m slackMessage) (string, error) {
	if b.api == nil {
		return "", errNoToken
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// updateMessage replaces the message channel/ts with m through chat.update.
func (b *Bot) updateMessage(ctx context.Context, channel, ts string, m slackMessage) error {
	if b.api == nil {
		return errNoToken
	}
	_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		return fmt.Errorf("chat.update of %s in %s: %w", ts, channel, err)
	}
	return nil
}

// reporter sends a job's messages: through the Web API when there is a bot token and the job
// knows its message, else through response_url within its 5 uses.
type reporter struct {
	b        *Bot
	job      *Job
	progress int // progress posts spent of the response_url
}

func (r *reporter) viaAPI() bool {
	return r.b.api != nil && r.job.Channel != "" && r.job.MessageTS != ""
}

// update reports progress. Progress is best effort: it is skipped in a shared thread and when
// the response_url has no use to spare.
func (r *reporter) update(ctx context.Context, m slackMessage) {
	if r.job.Thread {
		return
	}
	if !r.viaAPI() && (r.progress >= maxProgressPosts || r.job.ResponseURLUses >= responseURLUses-1) {
		return
	}
	if err := r.send(ctx, m); err != nil {
		r.b.log.LogAttrs(ctx, slog.LevelWarn, "slack progress update failed",
			slog.String("disaster_recovery_id", r.job.ID), slog.String("error", err.Error()))
		return
	}
	if !r.viaAPI() {
		r.progress++
	}
}

// final reports the end of the job.
func (r *reporter) final(ctx context.Context, m slackMessage) error { return r.send(ctx, m) }

func (r *reporter) send(ctx context.Context, m slackMessage) error {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	if r.viaAPI() {
		var err error
		if r.job.Thread {
			_, err = r.b.postMessage(ctx, r.job.Channel, r.job.MessageTS, m)
		} else {
			err = r.b.updateMessage(ctx, r.job.Channel, r.job.MessageTS, m)
		}
		if err == nil || r.job.ResponseURL == "" {
			return err
		}
		// The message may not be the bot's to update (a slash command answer); response_url
		// can still replace it.
		r.b.log.LogAttrs(ctx, slog.LevelWarn, "slack web api failed, using response_url",
			slog.String("disaster_recovery_id", r.job.ID), slog.String("error", err.Error()))
	}
	if r.job.ResponseURL == "" {
		return errors.New("bot: no response_url and no message to update")
	}
	if r.job.ResponseURLUses >= responseURLUses {
		return errors.New("bot: response_url uses exhausted")
	}
	if r.job.Thread {
		m.ReplaceOriginal = false
		m.ResponseType = inChannel
	}
	r.job.ResponseURLUses++
	return r.b.respond(ctx, r.job.ResponseURL, m)
}
