package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
)

// heldDR answers lookups at once (or, with slowLookups, only once release is closed) and
// pauses in steps: running, then, once release is closed, stopping a few times and stopped;
// goldenID2 reads stopped, and resumes in the same steps to running.
// Holding it lets a test answer Slack first, as a real DR API's seconds do.
func heldDR(release <-chan struct{}, slowLookups bool) *fakeDR {
	wait := func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return &fakeDR{
		get: func(ctx context.Context, id string) (*drapi.Detail, error) {
			if slowLookups {
				if err := wait(ctx); err != nil {
					return nil, err
				}
			}
			if id == goldenID2 {
				return &drapi.Detail{ID: id, Name: "dr-billing", Status: drapi.StatusStopped}, nil
			}
			return &drapi.Detail{ID: id, Name: "dr-orders", Status: drapi.StatusRunning}, nil
		},
		startAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
			opt.OnStatus(drapi.StatusStopped)
			if err := wait(ctx); err != nil {
				return drapi.Outcome{ID: id, Initial: drapi.StatusStopped, Status: drapi.StatusStopped}, err
			}
			for range 4 {
				opt.OnStatus(drapi.StatusStarting)
			}
			opt.OnStatus(drapi.StatusRunning)
			return drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: drapi.StatusStopped,
				Status: drapi.StatusRunning, RequestID: "req-2", Attempts: 1}, nil
		},
		pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
			opt.OnStatus(drapi.StatusRunning)
			if err := wait(ctx); err != nil {
				return drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning}, err
			}
			for range 4 {
				opt.OnStatus(drapi.StatusStopping)
			}
			opt.OnStatus(drapi.StatusStopped)
			return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning,
				Status: drapi.StatusStopped, RequestID: "req-1", Attempts: 1}, nil
		},
	}
}

// TestLastWord: in every flow, against a Slack that applies Slack's editing rules, the last
// message the user reads in the channel is the result, never "Working on it…" or "Pausing…",
// and it got there only by ways Slack allows (newEnv fails the test on any other).
func TestLastWord(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Config)
		slow  bool // lookups wait for the release
		start func(t *testing.T, e *env)
		want  string // in the last message
	}{
		{
			name: "no-confirmation pause",
			edit: func(c *Config) { c.Confirm = false },
			start: func(t *testing.T, e *env) {
				contains(t, "answer", e.command(t, "U1", chanID, "pause "+goldenID).Text, "Pausing DR")
			},
			want: "is paused: status *stopped*",
		},
		{
			name: "no-confirmation pause with a bot token",
			edit: func(c *Config) { c.Confirm, c.BotToken = false, testToken },
			start: func(t *testing.T, e *env) {
				contains(t, "answer", e.command(t, "U1", chanID, "pause "+goldenID).Text, "Pausing DR")
			},
			want: "is paused: status *stopped*",
		},
		{
			name: "deferred lookup",
			edit: func(c *Config) { c.LookupBudget = 50 * time.Millisecond },
			slow: true,
			start: func(t *testing.T, e *env) {
				contains(t, "answer", e.command(t, "U1", chanID, "status "+goldenID).Text, "Working on it")
			},
			want: "dr-orders",
		},
		{
			name: "card and click",
			start: func(t *testing.T, e *env) {
				e.click(t, "U2", e.command(t, "U1", chanID, "pause "+goldenID), goldenID, actionPause, "click")
			},
			want: "is paused: status *stopped*",
		},
		{
			name: "card and click with a bot token",
			edit: func(c *Config) { c.BotToken = testToken },
			start: func(t *testing.T, e *env) {
				e.click(t, "U2", e.command(t, "U1", chanID, "pause "+goldenID), goldenID, actionPause, "click")
			},
			want: "is paused: status *stopped*",
		},
		{
			name: "resume card and click",
			edit: func(c *Config) { c.Resume = true },
			start: func(t *testing.T, e *env) {
				e.click(t, "U2", e.command(t, "U1", chanID, "resume "+goldenID2), goldenID2, actionResume, "click")
			},
			want: "is resumed: status *running*",
		},
		{
			name: "alert card and click",
			edit: func(c *Config) { c.BotToken = testToken },
			start: func(t *testing.T, e *env) {
				if err := e.bot.ProposePause(context.Background(), goldenProposal(goldenID)); err != nil {
					t.Fatalf("ProposePause: %v", err)
				}
				e.click(t, "U2", cardFromPost(t, e.slack.Next(t)), goldenID, actionPause, "click")
			},
			want: "is paused: status *stopped*",
		},
		{
			name: "auto-pause",
			edit: func(c *Config) { c.BotToken = testToken },
			start: func(t *testing.T, e *env) {
				if err := e.bot.PauseNow(context.Background(), goldenProposal(goldenID)); err != nil {
					t.Fatalf("PauseNow: %v", err)
				}
			},
			want: "is paused: status *stopped*",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			e := newEnv(t, heldDR(release, tt.slow), tt.edit)
			tt.start(t, e)
			// Slack has the answer; now the DR API may answer too.
			close(release)
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown (waits for the job): %v", err)
			}
			last, ok := e.slack.Last(chanID)
			if !ok {
				t.Fatalf("the channel shows nothing; Slack got %v", e.slack.Posts())
			}
			if !strings.Contains(last.Render(), tt.want) || strings.Contains(last.Text, "Working on it") ||
				strings.Contains(last.Text, ":hourglass_flowing_sand: Pausing") || strings.Contains(last.Text, ":hourglass_flowing_sand: Resuming") {
				t.Errorf("last message: got %q; want the result, with %q. The channel: %v", last.Text, tt.want, e.slack.Timeline())
			}
		})
	}
}

// TestProgressBudgetOnFallback: when chat.update fails and progress falls back to the click's
// response_url, progress still spends at most maxProgressPosts of its uses and leaves one for
// the result, which is the last word.
func TestProgressBudgetOnFallback(t *testing.T) {
	release := make(chan struct{})
	close(release)
	e := newEnv(t, heldDR(release, false), func(c *Config) { c.BotToken = testToken })
	e.bot.sleep = func(context.Context, time.Duration) error { return nil } // no waits between retries
	if err := e.bot.ProposePause(context.Background(), goldenProposal(goldenID)); err != nil {
		t.Fatalf("ProposePause: %v", err)
	}
	card := cardFromPost(t, e.slack.Next(t))
	e.slack.SetFaults(func(p slacktest.Post) *slacktest.Fault {
		if p.Via == slacktest.ViaUpdate {
			return &slacktest.Fault{Status: http.StatusInternalServerError}
		}
		return nil
	})
	e.click(t, "U2", card, goldenID, actionPause, "click")
	if err := e.bot.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown (waits for the job): %v", err)
	}

	progress, final := 0, 0
	for _, p := range e.slack.Posts() {
		switch {
		case p.Path != "/actions/click":
		case strings.Contains(p.Text, "status *stopping*"):
			progress++
		case isFinal(p):
			final++
		}
	}
	if progress != maxProgressPosts || final != 1 {
		t.Errorf("through response_url: got %d progress posts and %d results; want %d and 1 (the DR reported stopping 4 times)",
			progress, final, maxProgressPosts)
	}
	if n := postsTo(e.slack, "/actions/click"); n > slacktest.ResponseURLUses {
		t.Errorf("response_url posts: got %d; want at most %d", n, slacktest.ResponseURLUses)
	}
	if last, _ := e.slack.Last(chanID); !strings.Contains(last.Text, "is paused: status *stopped*") {
		t.Errorf("last message: got %q; want the result", last.Text)
	}
}
