package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// isFinal reports whether p is a final message Slack took.
func isFinal(p slacktest.Post) bool {
	return p.OK() && (strings.Contains(p.Text, ":white_check_mark:") || strings.Contains(p.Text, ":x:") ||
		strings.Contains(p.Text, ":warning:"))
}

// TestClickPause follows a pause from the card to stopped, reporting through the click's
// response_url. A bot token changes nothing: the card is the slash command's answer, which Slack
// does not let chat.update edit (alert cards, which the bot posts, are updated: TestPauseNow,
// TestLastWord).
func TestClickPause(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		finalPath string
	}{
		{"response_url", "", "/actions/click"},
		{"bot token", testToken, "/actions/click"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StoppingFor: 50 * time.Millisecond})
			e := newEnv(t, dr, func(c *Config) { c.BotToken = tt.token })
			card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
			e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")

			ack := e.slack.Next(t)
			if ack.Path != "/actions/click" || !ack.ReplaceOriginal {
				t.Errorf("ack: got %s replace_original=%v; want /actions/click, true", ack.Path, ack.ReplaceOriginal)
			}
			contains(t, "ack", ack.Text, "Pausing DR", "requested by <@U1>", "approved by <@U2>")
			if strings.Contains(ack.JSON(), actionPause) {
				t.Errorf("ack still holds the buttons: %s", ack.JSON())
			}
			final, _ := e.slack.Until(t, isFinal)
			if final.Path != tt.finalPath {
				t.Errorf("final: got path %s; want %s", final.Path, tt.finalPath)
			}
			if n := postsTo(e.slack, "/api/chat.update"); n != 0 {
				t.Errorf("got %d chat.update calls; want none on a slash command's answer", n)
			}
			contains(t, "final", final.Text, "is paused", "*stopped*")
			contains(t, "final blocks", final.JSON(), drsim.SeedRunning, "<@U1>", "<@U2>", "X-Request-Id", "Took")
			if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
				t.Errorf("got %d pause POSTs; want 1", n)
			}
			if n := postsTo(e.slack, "/actions/click"); n > responseURLUses {
				t.Errorf("response_url used %d times; want at most %d", n, responseURLUses)
			}
			approved := decisions(t, e.logs, "approved")
			if len(approved) != 1 || approved[0]["slack_user"] != "U2" || approved[0]["requested_by"] != "U1" ||
				approved[0]["disaster_recovery_id"] != drsim.SeedRunning || approved[0]["slack_team"] != teamID {
				t.Errorf("approved decisions: got %v; want one by U2 for U1", approved)
			}
			paused := decisions(t, e.logs, "paused")
			if len(paused) != 1 || paused[0]["outcome"] != "stopped" || paused[0]["request_id"] == "" {
				t.Errorf("paused decisions: got %v; want one, stopped, with a request id", paused)
			}
		})
	}
}

// TestClickRefused: every click is authorized again, for the user who clicks.
func TestClickRefused(t *testing.T) {
	card := cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now()}, testKey)
	tests := []struct {
		name    string
		user    string
		channel string
		edit    func(*Config)
		want    []string
		outcome string
	}{
		{"user", "UX", chanID, nil, []string{"UX", "DR_ALLOWED_USERS"}, "not_allowed_user"},
		{"channel", "U2", "CX", func(c *Config) { c.AllowedChannels = allowOnly(chanID) },
			[]string{"CX", "DR_ALLOWED_CHANNELS"}, "not_allowed_channel"},
		{"id", "U2", chanID, func(c *Config) { c.AllowedIDs = allowOnly(drsim.SeedStopFailed) },
			[]string{drsim.SeedRunning, "DR_ALLOWED_IDS"}, "not_allowed_id"},
		{"four eyes", "U1", chanID, func(c *Config) { c.FourEyes = true },
			[]string{"Four-eyes", "<@U1>", "DR_FOUR_EYES"}, "four_eyes"},
	}
	for _, tt := range tests {
		for _, action := range []string{actionPause, actionCancel} {
			if tt.name == "four eyes" && action == actionCancel {
				continue // the requester may withdraw their own request
			}
			t.Run(tt.name+"/"+action, func(t *testing.T) {
				srv, dr := newSim(t, drsim.Options{})
				e := newEnv(t, dr, tt.edit)
				body := clickBody(t, tt.user, tt.channel, card, actionsBlockID(drsim.SeedRunning), action, e.slack.ActionURL("click"))
				w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", body))
				if w.Code != http.StatusOK {
					t.Fatalf("got status %d; want 200", w.Code)
				}
				p := e.slack.Next(t)
				if p.ResponseType != ephemeral || p.ReplaceOriginal {
					t.Errorf("refusal: got response_type %q replace_original=%v; want ephemeral, false",
						p.ResponseType, p.ReplaceOriginal)
				}
				contains(t, "refusal", p.Text, tt.want...)
				if n := srv.Sim.Count(drsim.RoutePause) + srv.Sim.Count(drsim.RouteDetail); n != 0 {
					t.Errorf("got %d DR calls; want 0", n)
				}
				refused := decisions(t, e.logs, "refused")
				if len(refused) != 1 || refused[0]["outcome"] != tt.outcome {
					t.Errorf("got refused decisions %v; want one with outcome %s", refused, tt.outcome)
				}
			})
		}
	}
}

// TestFourEyesOtherUser: with four eyes, another allowed user's click goes through.
func TestFourEyesOtherUser(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
	e := newEnv(t, dr, func(c *Config) { c.FourEyes = true })
	card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	contains(t, "card", renderJSON(t, card), "Someone other than <@U1> must approve")
	e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.Text, "is paused")
	if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("got %d pause POSTs; want 1", n)
	}
}

func TestClickCancel(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{})
	e := newEnv(t, dr, nil)
	card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	e.click(t, "U2", card, drsim.SeedRunning, actionCancel, "click")
	p := e.slack.Next(t)
	if p.Path != "/actions/click" || !p.ReplaceOriginal || p.ResponseType != inChannel {
		t.Errorf("got %s replace_original=%v response_type=%q; want /actions/click, true, in_channel",
			p.Path, p.ReplaceOriginal, p.ResponseType)
	}
	contains(t, "cancel", p.Text, "cancelled by <@U2>", "asked by <@U1>")
	if strings.Contains(p.JSON(), actionPause) {
		t.Errorf("cancelled card still holds the buttons: %s", p.JSON())
	}
	if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
		t.Errorf("got %d pause POSTs; want 0", n)
	}
	if len(decisions(t, e.logs, "cancelled")) != 1 {
		t.Errorf("got logs %s; want one cancelled decision", e.logs)
	}
}

// TestDoubleClick: a second click while the first pause is in flight sends no second POST: on
// the same card the card's record refuses it, on another card of the same DR the DR's claim
// (one operation per DR), and in a process with a ledger of its own the DR status.
func TestDoubleClick(t *testing.T) {
	t.Run("same process", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
		}}
		e := newEnv(t, dr, nil)
		first := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
		other := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
		e.click(t, "U2", first, goldenID, actionPause, "first")
		<-started
		e.click(t, "U1", first, goldenID, actionPause, "second")
		e.click(t, "U1", other, goldenID, actionPause, "third")
		for name, want := range map[string]string{
			"second": "This card was already used: <@U2> approved the pause",
			"third":  "is already being paused by <@U2>",
		} {
			got := e.slack.Wait(t, name, func(p slacktest.Post) bool { return p.Path == "/actions/"+name })
			if got.ResponseType != ephemeral || got.ReplaceOriginal {
				t.Errorf("%s: got response_type %q replace_original=%v; want ephemeral, false",
					name, got.ResponseType, got.ReplaceOriginal)
			}
			contains(t, name, got.Text, want, "no")
		}
		close(release)
		final, _ := e.slack.Until(t, isFinal)
		contains(t, "final", final.Text, "is paused")
		if n := dr.pauses.Load(); n != 1 {
			t.Errorf("got %d pauses; want 1", n)
		}
	})
	t.Run("another process", func(t *testing.T) {
		srv, dr := newSim(t, drsim.Options{StoppingFor: 300 * time.Millisecond})
		first := newEnv(t, dr, nil)
		second := newEnv(t, dr, nil)
		card := first.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
		first.click(t, "U2", card, drsim.SeedRunning, actionPause, "first")
		waitStatus(t, srv.Sim, drsim.SeedRunning, drapi.StatusStopping)
		second.click(t, "U1", card, drsim.SeedRunning, actionPause, "second")
		final, _ := second.slack.Until(t, isFinal)
		contains(t, "second final", final.Text, "already being paused", "no second pause sent")
		firstFinal, _ := first.slack.Until(t, isFinal)
		contains(t, "first final", firstFinal.Text, "is paused")
		if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
			t.Errorf("got %d pause POSTs; want 1", n)
		}
	})
}

func waitStatus(t *testing.T, sim *drsim.Sim, id string, want drapi.Status) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if got, _ := sim.Status(id); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("DR %s never reached %s", id, want)
		}
		time.Sleep(time.Millisecond) // a poll with a deadline: the simulator offers no notification
	}
}

// TestPauseOutcomes: every way the simulator can end a pause, as the final message says it.
func TestPauseOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		opts   drsim.Options
		setup  func(t *testing.T, s *drsim.Sim)
		edit   func(*Config)
		want   []string
		pauses int
		event  string
	}{
		{name: "stopped", id: drsim.SeedRunning, opts: drsim.Options{StoppingFor: drsim.Immediate},
			want: []string{"is paused", "*stopped*"}, pauses: 1, event: "paused"},
		{name: "from stop_failed", id: drsim.SeedStopFailed, opts: drsim.Options{StoppingFor: drsim.Immediate},
			want: []string{"is paused"}, pauses: 1, event: "paused"},
		{name: "already stopped", id: drsim.SeedStopped,
			want: []string{"already stopped", "no pause sent"}, pauses: 0, event: "noop"},
		{name: "already stopping", id: drsim.SeedRunning, opts: drsim.Options{StoppingFor: 50 * time.Millisecond},
			setup: func(t *testing.T, s *drsim.Sim) { mustDo(t, s.SetStatus(drsim.SeedRunning, drapi.StatusStopping)) },
			want:  []string{"already being paused", "no second pause sent"}, pauses: 0, event: "noop"},
		{name: "not found", id: unknownID,
			want: []string{"not found", "DWS.10101", "X-Request-Id"}, pauses: 0, event: "failed"},
		{name: "wrong status", id: drsim.SeedUnstart,
			want: []string{"wrong status", "*unstart*"}, pauses: 0, event: "failed"},
		{name: "status changed since the card", id: drsim.SeedRunning,
			setup: func(t *testing.T, s *drsim.Sim) {
				mustDo(t, s.SetStatus(drsim.SeedRunning, drapi.StatusSwitchovering))
			},
			want: []string{"wrong status", "*switchovering*"}, pauses: 0, event: "failed"},
		{name: "stop failed", id: drsim.SeedRunning, opts: drsim.Options{StoppingFor: 20 * time.Millisecond},
			setup: func(t *testing.T, s *drsim.Sim) { mustDo(t, s.SetOutcome(drsim.SeedRunning, drapi.StatusStopFailed)) },
			want:  []string{"ended in status *stop_failed*"}, pauses: 1, event: "failed"},
		{name: "server error", id: drsim.SeedRunning,
			setup: func(t *testing.T, s *drsim.Sim) {
				s.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: 500, Code: "DWS.9999", Msg: "Internal error."})
			},
			want: []string{"DWS API failed (HTTP 500)", "DWS.9999", "Internal error.", "X-Request-Id"}, pauses: 1, event: "failed"},
		{name: "bad parameter", id: drsim.SeedRunning,
			setup: func(t *testing.T, s *drsim.Sim) {
				s.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: 400, Code: "DWS.0001", Msg: "Invalid parameter."})
			},
			want: []string{"DWS refused: `DWS.0001` Invalid parameter., status now *running*.", "X-Request-Id"}, pauses: 1, event: "failed"},
		{name: "throttled once", id: drsim.SeedRunning, opts: drsim.Options{StoppingFor: drsim.Immediate},
			setup: func(t *testing.T, s *drsim.Sim) {
				s.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultThrottle, Times: 1})
			},
			want: []string{"is paused"}, pauses: 2, event: "paused"},
		{name: "wait reached", id: drsim.SeedRunning, opts: drsim.Options{StoppingFor: time.Hour},
			// Long enough for the first poll to see stopping even on a loaded machine.
			edit: func(c *Config) { c.Wait = time.Second },
			want: []string{"still *stopping* after DR_WAIT", "/dr status"}, pauses: 1, event: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, tt.opts)
			e := newEnv(t, dr, tt.edit)
			if tt.setup != nil {
				tt.setup(t, srv.Sim)
			}
			card := cardMessage(card{ID: tt.id, Requester: "U1", RequestedAt: time.Now()}, testKey)
			e.click(t, "U2", card, tt.id, actionPause, "click")
			final, _ := e.slack.Until(t, isFinal)
			contains(t, "final", final.JSON(), tt.want...)
			if n := srv.Sim.Count(drsim.RoutePause); n != tt.pauses {
				t.Errorf("got %d pause POSTs; want %d", n, tt.pauses)
			}
			if got := decisions(t, e.logs, tt.event); len(got) != 1 {
				t.Errorf("got logs %s; want one %q decision", e.logs, tt.event)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPauseErrorsInWords covers the errors the simulator cannot produce quickly: credentials
// rejected mid-way, and throttling until drapi gives up.
func TestPauseErrorsInWords(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"throttled", &drapi.Error{HTTPStatus: 429, Code: "APIG.0308", Message: "The throttling threshold has been reached.",
			RequestID: "req-429", Attempts: 4}, []string{"throttled by the DWS API after 4 tries", "APIG.0308", "req-429"}},
		{"credentials", &drapi.Error{HTTPStatus: 401, Code: "APIGW.0301", Message: "Incorrect IAM authentication information.",
			RequestID: "req-401", Attempts: 1}, []string{"rejected the credentials", "APIGW.0301", "req-401"}},
		{"network", fmt.Errorf("pause: %w", errors.New("connection reset by peer")),
			[]string{"could not reach the DWS API", "/dr status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
				opt.OnStatus(drapi.StatusRunning)
				return drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning}, tt.err
			}}
			e := newEnv(t, dr, nil)
			e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
			final, _ := e.slack.Until(t, isFinal)
			contains(t, "final", final.JSON(), tt.want...)
		})
	}
}

// TestSlowPause: a DR API that takes 5 s (here: until the test releases it) does not hold the
// click's answer, and the result arrives through response_url.
func TestSlowPause(t *testing.T) {
	release := make(chan struct{})
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return drapi.Outcome{ID: id}, ctx.Err()
		}
		opt.OnStatus(drapi.StatusRunning)
		opt.OnStatus(drapi.StatusStopping)
		opt.OnStatus(drapi.StatusStopped)
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning,
			Status: drapi.StatusStopped, RequestID: "req-slow", Attempts: 1, Elapsed: 5 * time.Second}, nil
	}}
	e := newEnv(t, dr, nil)
	e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
	ack := e.slack.Next(t)
	contains(t, "ack", ack.Text, "Pausing DR")
	close(release)
	final, others := e.slack.Until(t, isFinal)
	contains(t, "final", final.JSON(), "is paused", "req-slow", "5s")
	if final.Path != "/actions/click" {
		t.Errorf("final: got path %s; want /actions/click", final.Path)
	}
	if len(others) != 1 || !strings.Contains(others[0].Text, "status *stopping*") {
		t.Errorf("got progress posts %+v; want one saying stopping", others)
	}
}

// TestResponseURLBudget: however often the status changes, one response_url is used at most
// 5 times and the final message still arrives.
func TestResponseURLBudget(t *testing.T) {
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		for i := range 10 {
			opt.OnStatus(drapi.StatusRunning)
			opt.OnStatus(drapi.Status(fmt.Sprintf("stopping-%d", i)))
		}
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, nil)
	e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
	_, before := e.slack.Until(t, isFinal)
	if got := len(before) + 1; got != 1+maxProgressPosts+1 {
		t.Errorf("got %d response_url posts; want %d (ack, %d progress, final)", got, 2+maxProgressPosts, maxProgressPosts)
	}
}

// TestShutdownInterrupts: a job cut short by Shutdown tells Slack what it had done.
func TestShutdownInterrupts(t *testing.T) {
	started := make(chan struct{})
	dr := &fakeDR{
		get: func(ctx context.Context, id string) (*drapi.Detail, error) { return goldenDetail(), nil },
	}
	dr.pauseAndFollow = func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		opt.OnStatus(drapi.StatusRunning)
		opt.OnStatus(drapi.StatusStopping)
		close(started)
		<-ctx.Done()
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopping},
			fmt.Errorf("follow: still stopping: %w", ctx.Err())
	}
	e := newEnv(t, dr, func(c *Config) { c.Wait = time.Hour })
	e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.bot.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: got %v; want context.DeadlineExceeded", err)
	}
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "interrupted", final.Text, "Interrupted", "pause request was accepted", "*stopping*", "/dr status "+goldenID)

	// After Shutdown, new work is refused instead of dropped.
	e.bot.cfg.Confirm = false
	got := e.command(t, "U1", chanID, "pause "+goldenID)
	contains(t, "after shutdown", got.Text, "cannot take new work")
}

// TestShutdownWaits: Shutdown lets running jobs finish when it has the time.
func TestShutdownWaits(t *testing.T) {
	release := make(chan struct{})
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		<-release
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, nil)
	e.click(t, "U2", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), goldenID, actionPause, "click")
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = e.bot.Shutdown(context.Background())
	}()
	close(release)
	wg.Wait()
	if err != nil {
		t.Errorf("Shutdown: got %v; want nil", err)
	}
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.Text, "is paused")
}

// TestClickIgnoredOrInvalid: interactions that are not card clicks do nothing, and a button
// value that does not name a valid DR is refused before any DR call.
func TestClickIgnoredOrInvalid(t *testing.T) {
	// Sealed with the bot's key: only the id check refuses it.
	invalid := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	setButtonValues(invalid, testKey.seal(buttonValue{ID: "../../disaster-recoveries", Requester: "U1", RequestedAt: time.Now().Unix()}))
	unsigned := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	setButtonValues(unsigned, `{"id":"../../disaster-recoveries","by":"U1"}`)
	tests := []struct {
		name string
		body func(e *env) string
		want string // the refusal; empty: no post at all
	}{
		{"view submission", func(e *env) string {
			return url.Values{"payload": {`{"type":"view_submission","user":{"id":"U2"}}`}}.Encode()
		}, ""},
		{"other action", func(e *env) string {
			return url.Values{"payload": {`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"other","value":"x"}]}`}}.Encode()
		}, ""},
		{"invalid id", func(e *env) string {
			return clickBody(t, "U2", chanID, invalid, actionsBlockID(goldenID), actionPause, e.slack.ActionURL("c"))
		}, "does not name a valid DR"},
		{"unsigned value", func(e *env) string {
			return clickBody(t, "U2", chanID, unsigned, actionsBlockID(goldenID), actionPause, e.slack.ActionURL("c"))
		}, "not made by this app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := &fakeDR{}
			e := newEnv(t, dr, nil)
			w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", tt.body(e)))
			if w.Code != http.StatusOK {
				t.Errorf("got status %d; want 200", w.Code)
			}
			if tt.want == "" {
				noPosts(t, e.slack)
			} else {
				contains(t, "refusal", e.slack.Next(t).Text, tt.want)
			}
			if n := dr.calls.Load(); n != 0 {
				t.Errorf("got %d DR calls; want 0", n)
			}
		})
	}
	t.Run("malformed payload", func(t *testing.T) {
		e := newEnv(t, &fakeDR{}, nil)
		w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", "payload=%7B"))
		if w.Code != http.StatusBadRequest {
			t.Errorf("got status %d; want 400", w.Code)
		}
	})
}

// TestRunCutShortByDeadline: Run called with a context that ends before DR_WAIT, as a Lambda
// invocation's does, stops following in time to tell Slack what it had done.
func TestRunCutShortByDeadline(t *testing.T) {
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		opt.OnStatus(drapi.StatusRunning)
		<-ctx.Done()
		return drapi.Outcome{ID: id, Initial: drapi.StatusRunning, Status: drapi.StatusRunning}, ctx.Err()
	}}
	e := newEnv(t, dr, func(c *Config) { c.Wait = time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), slackTimeout+50*time.Millisecond)
	defer cancel()
	job := Job{Kind: JobPause, ID: goldenID, ResponseURL: e.slack.ActionURL("job"), ResponseURLUses: 1,
		Requester: "U1", Approver: "U2", RequestedAt: time.Now()}
	if err := e.bot.Run(ctx, job); err != nil {
		t.Fatalf("Run: got %v; want nil", err)
	}
	final := e.slack.Next(t)
	contains(t, "final", final.Text, "Interrupted", "had not been sent", "*running*", "/dr status "+goldenID)
}

// TestPauseCredentialsRejected: the simulator refusing the signature, through the real client,
// ends the pause with words and the request id, and nothing is paused.
func TestPauseCredentialsRejected(t *testing.T) {
	srv, _ := newSim(t, drsim.Options{})
	cfg := srv.ClientConfig()
	cfg.Credentials.SecretKey = "wrong-secret-key"
	dr, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, dr, nil)
	e.click(t, "U2", cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now()}, testKey),
		drsim.SeedRunning, actionPause, "click")
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.JSON(), "rejected the credentials", "X-Request-Id")
	if strings.Contains(final.JSON(), "wrong-secret-key") {
		t.Errorf("final message contains the secret key")
	}
	if got, _ := srv.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
		t.Errorf("got status %s; want running", got)
	}
}

// TestExpiredCard: a card is an approval asked for now; a click on it after CardTTL pauses
// nothing, while Cancel may still clear it.
func TestExpiredCard(t *testing.T) {
	tests := []struct {
		name   string
		ttl    time.Duration // Config.CardTTL; 0: the default
		age    time.Duration
		action string
		want   string // in the answer to the click
		pauses int
	}{
		{"fresh, default TTL", 0, DefaultCardTTL - time.Minute, actionPause, "Pausing DR", 1},
		{"expired, default TTL", 0, DefaultCardTTL + time.Minute, actionPause,
			"This request expired (made 1h1m0s ago): run `/dr pause " + drsim.SeedRunning + "` again.", 0},
		{"weeks old", 0, 21 * 24 * time.Hour, actionPause, "This request expired (made 504h0m0s ago)", 0},
		{"fresh, short TTL", 5 * time.Minute, 4 * time.Minute, actionPause, "Pausing DR", 1},
		{"expired, short TTL", 5 * time.Minute, 6 * time.Minute, actionPause, "This request expired (made 6m0s ago)", 0},
		{"cancel of an expired card", 0, DefaultCardTTL + time.Minute, actionCancel, "cancelled by <@U2>", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
			// A card holds whole seconds; a clock on one makes the age in the answer exact.
			now := time.Now().Truncate(time.Second)
			e := newEnv(t, dr, func(c *Config) {
				c.CardTTL = tt.ttl
				c.Now = func() time.Time { return now }
			})
			card := cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: now.Add(-tt.age)}, testKey)
			e.click(t, "U2", card, drsim.SeedRunning, tt.action, "click")
			contains(t, "answer", e.slack.Next(t).Text, tt.want)
			if tt.pauses > 0 {
				e.slack.Until(t, isFinal)
			}
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != tt.pauses {
				t.Errorf("got %d pause POSTs; want %d", n, tt.pauses)
			}
			if tt.pauses == 0 && tt.action == actionPause {
				if refused := decisions(t, e.logs, "refused"); len(refused) != 1 || refused[0]["outcome"] != "expired" {
					t.Errorf("got refused decisions %v; want one with outcome expired", refused)
				}
			}
		})
	}
}

// TestCancelAfterPause: a Cancel that loses the race to a Pause says it is too late and leaves
// the card to the pause, which carries on to its end.
func TestCancelAfterPause(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, nil)
	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	e.click(t, "U2", card, goldenID, actionPause, "pause")
	<-started
	e.click(t, "U1", card, goldenID, actionCancel, "cancel")
	answer, _ := e.slack.Until(t, func(p slacktest.Post) bool { return p.Path == "/actions/cancel" })
	contains(t, "cancel", answer.Text, "Too late to cancel: <@U2> approved the pause")
	if answer.ResponseType != ephemeral || answer.ReplaceOriginal {
		t.Errorf("cancel: got response_type %q replace_original=%v; want ephemeral, false",
			answer.ResponseType, answer.ReplaceOriginal)
	}
	close(release)
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.Text, "is paused")
	if n := postsTo(e.slack, "/actions/cancel"); n != 1 {
		t.Errorf("got %d posts to the cancel's response_url; want the one answer", n)
	}
	if got := decisions(t, e.logs, "cancelled"); len(got) != 0 {
		t.Errorf("got cancelled decisions %v; want none", got)
	}
	if refused := decisions(t, e.logs, "refused"); len(refused) != 1 || refused[0]["outcome"] != "in_flight" {
		t.Errorf("got refused decisions %v; want one with outcome in_flight", refused)
	}
}

// failingDeferrer refuses every job, as a full or shutting-down deferrer does.
type failingDeferrer struct{}

func (failingDeferrer) Defer(context.Context, Job) error { return errUnavailable }

// TestClickHandOffFails: when the job cannot be handed over after the card already said
// "Pausing", the card is replaced again, in the channel, with what really happened; the card's
// and the DR's claims are released, so the next click tries again instead of "already used".
func TestClickHandOffFails(t *testing.T) {
	tests := []struct {
		name  string
		card  slackMessage
		other string // a DR whose buttons must survive on a shared card
	}{
		{"card", cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey), ""},
		{"shared alert card", alertCardMessage(goldenProposal(goldenID, goldenID2), newCardID(), time.Now(), testKey), goldenID2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := &fakeDR{}
			e := newEnv(t, dr, func(c *Config) { c.Deferrer = failingDeferrer{} })
			for _, name := range []string{"first", "second"} {
				e.click(t, "U2", tt.card, goldenID, actionPause, name)
				pausing, failed := e.slack.Next(t), e.slack.Next(t)
				contains(t, name+" ack", pausing.Text, "Pausing DR")
				if failed.Path != "/actions/"+name || !failed.ReplaceOriginal || failed.ResponseType != inChannel {
					t.Fatalf("%s: got %s replace_original=%v response_type=%q (%q); want the card replaced in the channel",
						name, failed.Path, failed.ReplaceOriginal, failed.ResponseType, failed.Text)
				}
				contains(t, name+" failure", failed.JSON(), "Could not start the pause of DR `"+goldenID+"`",
					"Nothing was sent to the DR API", "/dr pause "+goldenID)
				if strings.Contains(failed.JSON(), "Following it until") {
					t.Errorf("%s: the card still says it is pausing: %s", name, failed.JSON())
				}
				if tt.other != "" && !strings.Contains(failed.JSON(), actionsBlockID(tt.other)) {
					t.Errorf("%s: the buttons of %s are gone from the shared card: %s", name, tt.other, failed.JSON())
				}
			}
			if n := dr.calls.Load(); n != 0 {
				t.Errorf("got %d DR calls; want 0", n)
			}
			if failed := decisions(t, e.logs, "failed"); len(failed) != 2 || failed[0]["outcome"] != "defer_failed" {
				t.Errorf("got failed decisions %v; want two with outcome defer_failed", failed)
			}
		})
	}
}
