package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/logtest"
)

// responseURLPath stands for the secret part of a response_url: whoever holds it can post to the
// channel for 30 minutes, so it must never be logged.
const responseURLPath = "/actions/T1/4242/s3cr3tR3sp0nseP4th"

// scripted counts the attempts to deliver a job's final message, per way (ViaResponseURL or
// ViaUpdate), and answers each as a script says: nil lets Slack take it. Acknowledgements and
// progress updates are always taken: the result is what is on trial.
type scripted struct {
	mu       sync.Mutex
	attempts map[string]int
}

func script(s *slacktest.Server, responseURL, api func(attempt int) *slacktest.Fault) *scripted {
	sc := &scripted{attempts: make(map[string]int)}
	scripts := map[string]func(int) *slacktest.Fault{slacktest.ViaResponseURL: responseURL, slacktest.ViaUpdate: api}
	s.SetFaults(func(p slacktest.Post) *slacktest.Fault {
		if !isFinal(p) {
			return nil
		}
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.attempts[p.Via]++
		if f := scripts[p.Via]; f != nil {
			return f(sc.attempts[p.Via])
		}
		return nil
	})
	return sc
}

func (sc *scripted) count(via string) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.attempts[via]
}

// deliveredBy returns the way the final message was taken by Slack, or "" when it was lost.
func deliveredBy(s *slacktest.Server) string {
	for _, p := range s.Posts() {
		if isFinal(p) && p.OK() {
			return p.Via
		}
	}
	return ""
}

// always scripts f for every attempt.
func always(f *slacktest.Fault) func(int) *slacktest.Fault {
	return func(int) *slacktest.Fault { return f }
}

// then scripts f for the first n attempts and lets the others through.
func then(n int, f *slacktest.Fault) func(int) *slacktest.Fault {
	return func(attempt int) *slacktest.Fault {
		if attempt <= n {
			return f
		}
		return nil
	}
}

// TestSlackFaults: when Slack fails to take a job's result, the bot retries what may succeed
// (429 after Retry-After, capped; 5xx; timeouts) at most maxSlackAttempts times, waiting in between, never what
// cannot (other 4xx, ok:false), falls back from the Web API to response_url, and logs at error
// level, naming the DR and only the response_url's host, when the result is lost.
func TestSlackFaults(t *testing.T) {
	t.Parallel()
	const (
		clientTimeout = 150 * time.Millisecond
		backoff       = slackRetryBackoff
	)
	throttled := func(secs int) *slacktest.Fault {
		return &slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second}
	}
	tests := []struct {
		name        string
		token       bool
		responseURL func(int) *slacktest.Fault
		api         func(int) *slacktest.Fault
		wantURL     int             // final posts to response_url
		wantAPI     int             // chat.update calls
		delivered   string          // "response_url", "chat.update" or "" when the result is lost
		waits       []time.Duration // between attempts, in order
	}{
		{name: "response_url 404 is not retried", responseURL: always(&slacktest.Fault{Status: 404, Body: "expired_url"}),
			wantURL: 1},
		{name: "response_url 500 is retried, then given up", responseURL: always(&slacktest.Fault{Status: 500}),
			wantURL: maxSlackAttempts, waits: []time.Duration{backoff, 2 * backoff}},
		{name: "response_url 500 once", responseURL: then(1, &slacktest.Fault{Status: 503}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{backoff}},
		{name: "response_url slower than the client timeout", responseURL: always(&slacktest.Fault{Hang: true}),
			wantURL: maxSlackAttempts, waits: []time.Duration{backoff, 2 * backoff}},
		{name: "response_url slow once", responseURL: then(1, &slacktest.Fault{Hang: true}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{backoff}},
		{name: "response_url 429 honours Retry-After", responseURL: then(1, &slacktest.Fault{Status: 429, RetryAfter: 2 * time.Second}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{2 * time.Second}},
		{name: "chat.update 429 once", token: true, api: then(1, throttled(1)),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{time.Second}},
		{name: "chat.update 429 until the attempts run out", token: true, api: always(throttled(1)),
			wantAPI: maxSlackAttempts, wantURL: 1, delivered: "response_url", waits: []time.Duration{time.Second, time.Second}},
		{name: "chat.update Retry-After capped", token: true, api: then(1, throttled(3600)),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{maxSlackRetryAfter}},
		{name: "chat.update 429 without Retry-After", token: true, api: then(1, &slacktest.Fault{Status: 429}),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{backoff}},
		{name: "chat.update 500", token: true, api: always(&slacktest.Fault{Status: 500, Body: "<html>oops</html>"}),
			wantAPI: maxSlackAttempts, wantURL: 1, delivered: "response_url", waits: []time.Duration{backoff, 2 * backoff}},
		{name: "chat.update ok:false is not retried", token: true, api: always(&slacktest.Fault{Body: `{"ok":false,"error":"cant_update_message"}`}),
			wantAPI: 1, wantURL: 1, delivered: "response_url"},
		{name: "both fail", token: true, api: always(&slacktest.Fault{Status: 500}), responseURL: always(&slacktest.Fault{Status: 410}),
			wantAPI: maxSlackAttempts, wantURL: 1, waits: []time.Duration{backoff, 2 * backoff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
				opt.OnStatus(drapi.StatusRunning)
				opt.OnStatus(drapi.StatusStopped)
				return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning,
					Status: drapi.StatusStopped, RequestID: "req-1", Attempts: 1}, nil
			}}
			e := newEnv(t, dr, func(c *Config) {
				c.HTTPClient = &http.Client{Timeout: clientTimeout}
				if tt.token {
					c.BotToken = testToken
				}
			})
			var mu sync.Mutex
			var waits []time.Duration
			e.bot.sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, d)
				return nil
			}
			slk := script(e.slack, tt.responseURL, tt.api)
			// chat.update edits only a card the bot posted itself: an alert's. Without a token,
			// a /dr pause card.
			card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
			if tt.token {
				if err := e.bot.ProposePause(context.Background(), goldenProposal(goldenID)); err != nil {
					t.Fatalf("ProposePause: %v", err)
				}
				card = cardFromPost(t, e.slack.Next(t))
			}
			e.click(t, "U2", card, goldenID, actionPause, strings.TrimPrefix(responseURLPath, "/actions/"))
			ctx, cancel := context.WithTimeout(context.Background(), 2*slackTimeout)
			defer cancel()
			if err := e.bot.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown (waits for the job): %v", err)
			}

			urlPosts, apiPosts, delivered := slk.count(slacktest.ViaResponseURL), slk.count(slacktest.ViaUpdate), deliveredBy(e.slack)
			if urlPosts != tt.wantURL || apiPosts != tt.wantAPI {
				t.Errorf("got %d response_url and %d chat.update attempts; want %d and %d",
					urlPosts, apiPosts, tt.wantURL, tt.wantAPI)
			}
			if delivered != tt.delivered {
				t.Errorf("result delivered through %q; want %q", delivered, tt.delivered)
			}
			mu.Lock()
			if !slices.Equal(waits, tt.waits) {
				t.Errorf("got waits %v between attempts; want %v", waits, tt.waits)
			}
			mu.Unlock()
			checkUndelivered(t, e.logs, e.slack.URL(), tt.delivered == "")

			// Nothing crashed: the bot still answers.
			if got := e.command(t, "U1", chanID, "help"); !strings.Contains(got.Text, "pause") {
				t.Errorf("help after the fault: got %q", got.Text)
			}
		})
	}
}

// checkUndelivered checks that an error-level line names the DR and says its result was not
// delivered, with the response_url's host only, exactly when lost is true; and that no log line
// holds the response_url's secret path or a secret.
func checkUndelivered(t *testing.T, logs *logtest.Buffer, slackURL string, lost bool) {
	t.Helper()
	u, err := url.Parse(slackURL)
	if err != nil {
		t.Fatal(err)
	}
	var found []map[string]any
	for _, l := range logs.Lines(t) {
		if l["level"] == "ERROR" {
			found = append(found, l)
		}
	}
	switch {
	case !lost && len(found) > 0:
		t.Errorf("got error lines %v; want none: the result was delivered", found)
	case lost && len(found) != 1:
		t.Errorf("got error lines %v; want one saying the result was not delivered", found)
	case lost:
		l := found[0]
		msg := fmt.Sprint(l["error"])
		if l["disaster_recovery_id"] != goldenID || !strings.Contains(msg, "not delivered") || !strings.Contains(msg, u.Host) {
			t.Errorf("error line %v: want disaster_recovery_id %s and an error saying the result was not delivered to %s",
				l, goldenID, u.Host)
		}
	}
	all := logs.String()
	for _, s := range []string{strings.TrimPrefix(responseURLPath, "/actions"), "s3cr3tR3sp0nseP4th", testToken, testSecret} {
		if strings.Contains(all, s) {
			t.Errorf("logs contain %q:\n%s", s, all)
		}
	}
}
