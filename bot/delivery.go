package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// responseURLUses is how many times Slack accepts posts to one response_url.
const responseURLUses = 5

// maxProgressPosts caps the progress updates one job spends of a response_url, keeping a use
// for the final message whatever happened before.
const maxProgressPosts = 2

var (
	errNoToken       = errors.New("bot: SLACK_BOT_TOKEN is not set")
	errUsesExhausted = errors.New("bot: response_url uses exhausted")
)

// Retry policy of the posts that carry a job's messages to Slack.
const (
	maxSlackAttempts   = 3
	slackRetryBackoff  = 200 * time.Millisecond // before the second attempt; doubled for the third
	maxSlackRetryAfter = 3 * time.Second        // cap of Slack's Retry-After
)

// httpStatusError is a non-2xx answer to a post to a response_url.
type httpStatusError struct {
	status     int
	retryAfter time.Duration
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("http %d", e.status) }

// respond posts m to a response_url. The URL is a bearer capability for 30 minutes, so the
// errors name only its host.
func (b *Bot) respond(ctx context.Context, responseURL string, m slackMessage) error {
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("post to response_url: not an http(s) URL")
	}
	body, err := json.Marshal(b.outgoing(m))
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
		return fmt.Errorf("post to response_url at %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post to response_url at %s: %w", u.Host, &httpStatusError{
			status:     resp.StatusCode,
			retryAfter: retryAfter(resp.Header.Get("Retry-After")),
		})
	}
	return nil
}

// retryAfter reads Retry-After in seconds, the form Slack sends; 0 when absent or unreadable.
func retryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// withRetry calls send until it succeeds, up to attempts times, as long as the failure may be
// Slack's passing trouble (see retryDelay) and ctx leaves time for the wait.
func (b *Bot) withRetry(ctx context.Context, attempts int, send func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := send(ctx)
		if err == nil || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		wait, ok := retryDelay(err, attempt)
		if !ok {
			return err
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < wait {
			return err
		}
		if b.sleep(ctx, wait) != nil {
			return err
		}
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryDelay reports whether a failed post to Slack is worth sending again, and after how long:
// throttling (after Retry-After, capped), a 5xx, or a transport failure such as a timeout. Any
// other 4xx, and Slack's ok:false answers, would fail again. A transport failure may hide a
// delivered post; sending it again replaces the same message, or at worst repeats a result in
// a thread, which beats losing it.
func retryDelay(err error, attempt int) (time.Duration, bool) {
	backoff := slackRetryBackoff << (attempt - 1)
	status, after := 0, time.Duration(0)
	if e, ok := errors.AsType[*httpStatusError](err); ok {
		status, after = e.status, e.retryAfter
	} else if e, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		status, after = http.StatusTooManyRequests, e.RetryAfter
	} else if e, ok := errors.AsType[slack.StatusCodeError](err); ok {
		status = e.Code
	}
	switch {
	case status == http.StatusTooManyRequests && after > 0:
		return min(after, maxSlackRetryAfter), true
	case status == http.StatusTooManyRequests || status >= 500:
		return backoff, true
	case status != 0:
		return 0, false
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return backoff, true
	}
	return 0, false
}

// postMessage posts m to channel with chat.postMessage, in the thread of threadTS when it is
// not empty, and returns the new message's ts.
func (b *Bot) postMessage(ctx context.Context, channel, threadTS string, m slackMessage) (string, error) {
	api := b.slackAPI()
	if api == nil {
		return "", errNoToken
	}
	m = b.outgoing(m)
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// updateMessage replaces the message channel/ts with m through chat.update.
func (b *Bot) updateMessage(ctx context.Context, channel, ts string, m slackMessage) error {
	api := b.slackAPI()
	if api == nil {
		return errNoToken
	}
	m = b.outgoing(m)
	_, _, _, err := api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		return fmt.Errorf("chat.update of %s in %s: %w", ts, channel, err)
	}
	return nil
}

// reporter sends a job's messages where Slack lets the bot change them: with chat.update on a
// message the bot posted itself, in the thread of a shared message, or through response_url
// within its 5 uses. A click's response_url replaces the card; a slash command's posts each
// message anew, so the final message always comes after, and supersedes, "Pausing…".
type reporter struct {
	b        *Bot
	job      *Job
	progress int // progress posts spent of the response_url
}

// errNoProgressBudget: a progress update would spend a response_url use the final message needs.
var errNoProgressBudget = errors.New("bot: no response_url use to spare for progress")

func (r *reporter) viaAPI() bool {
	return r.b.botToken.Current() != "" && r.job.Channel != "" && r.job.MessageTS != "" && (r.job.BotMessage || r.job.Thread)
}

// update reports progress. Progress is best effort: it is skipped in a shared thread and when
// the response_url has no use to spare, whichever way the update was meant to go.
func (r *reporter) update(ctx context.Context, m slackMessage) {
	if r.job.Thread {
		return
	}
	// One attempt: a retry would spend response_url uses the final message may need.
	err := r.send(ctx, m, 1, true)
	if err != nil && !errors.Is(err, errNoProgressBudget) {
		r.b.log.LogAttrs(ctx, slog.LevelWarn, "slack progress update failed",
			slog.String("disaster_recovery_id", r.job.ID), slog.String("error", err.Error()))
	}
}

// final reports the end of the job.
func (r *reporter) final(ctx context.Context, m slackMessage) error {
	return r.send(ctx, m, maxSlackAttempts, false)
}

// send delivers m in at most attempts posts to each of the Web API and response_url. A
// progress update through response_url is held to maxProgressPosts and always leaves a use
// for the final message.
func (r *reporter) send(ctx context.Context, m slackMessage, attempts int, progress bool) error {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	if r.viaAPI() {
		err := r.b.withRetry(ctx, attempts, func(ctx context.Context) error {
			if r.job.Thread {
				_, err := r.b.postMessage(ctx, r.job.Channel, r.job.MessageTS, m)
				return err
			}
			return r.b.updateMessage(ctx, r.job.Channel, r.job.MessageTS, m)
		})
		if err == nil || r.job.ResponseURL == "" {
			return err
		}
		// Slack may be failing the Web API only; the click's response_url reaches the same card.
		r.b.log.LogAttrs(ctx, slog.LevelWarn, "slack web api failed, using response_url",
			slog.String("disaster_recovery_id", r.job.ID), slog.String("error", err.Error()))
	}
	if r.job.ResponseURL == "" {
		return errors.New("bot: no response_url and no message to update")
	}
	if progress && (r.progress >= maxProgressPosts || r.job.ResponseURLUses >= responseURLUses-1) {
		return errNoProgressBudget
	}
	if r.job.Thread || !r.job.FromClick {
		// A new message, said as one: a slash command's response_url may post anew whatever
		// replace_original says, and a shared card stays for the other DRs.
		m.ReplaceOriginal = false
	}
	if r.job.Thread {
		m.ResponseType = inChannel
	}
	err := r.b.withRetry(ctx, attempts, func(ctx context.Context) error {
		if r.job.ResponseURLUses >= responseURLUses {
			return errUsesExhausted
		}
		// Every attempt counts: Slack may have counted a post whose answer was lost.
		r.job.ResponseURLUses++
		return r.b.respond(ctx, r.job.ResponseURL, m)
	})
	if err == nil && progress {
		r.progress++
	}
	return err
}
