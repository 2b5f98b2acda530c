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

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

func isFinal(p post) bool {
	return strings.Contains(p.Msg.Text, ":white_check_mark:") || strings.Contains(p.Msg.Text, ":x:") ||
		strings.Contains(p.Msg.Text, ":warning:")
}

// TestClickPause follows a pause from the card to stopped, reporting through response_url, or
// through chat.update when there is a bot token.
func TestClickPause(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		finalPath string
	}{
		{"response_url", "", "/response/click"},
		{"chat.update", testToken, "/api/chat.update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StoppingFor: 50 * time.Millisecond})
			e := newEnv(t, dr, func(c *Config) { c.BotToken = tt.token })
			card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
			e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")

			ack := e.slack.next(t)
			if ack.Path != "/response/click" || !ack.Msg.ReplaceOriginal {
				t.Errorf("ack: got %s replace_original=%v; want /response/click, true", ack.Path, ack.Msg.ReplaceOriginal)
			}
			contains(t, "ack", ack.Msg.Text, "Pausing DR", "requested by <@U1>", "approved by <@U2>")
			if strings.Contains(ack.Raw, actionPause) {
				t.Errorf("ack still holds the buttons: %s", ack.Raw)
			}
			final, _ := e.slack.until(t, isFinal)
			if final.Path != tt.finalPath {
				t.Errorf("final: got path %s; want %s", final.Path, tt.finalPath)
			}
			if tt.token != "" && (final.Form.Get("channel") != chanID || final.Form.Get("ts") != "1.2") {
				t.Errorf("chat.update: got channel %q ts %q; want %s 1.2", final.Form.Get("channel"), final.Form.Get("ts"), chanID)
			}
			contains(t, "final", final.Msg.Text, "is paused", "*stopped*")
			contains(t, "final blocks", final.Raw, drsim.SeedRunning, "<@U1>", "<@U2>", "X-Request-Id", "Took")
			if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
				t.Errorf("got %d pause POSTs; want 1", n)
			}
			if n := e.slack.count("/response/click"); n > responseURLUses {
				t.Errorf("response_url used %d times; want at most %d", n, responseURLUses)
			}
			approved := e.logs.decisions(t, "approved")
			if len(approved) != 1 || approved[0]["slack_user"] != "U2" || approved[0]["requested_by"] != "U1" ||
				approved[0]["disaster_recovery_id"] != drsim.SeedRunning || approved[0]["slack_team"] != teamID {
				t.Errorf("approved decisions: got %v; want one by U2 for U1", approved)
			}
			paused := e.logs.decisions(t, "paused")
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
				body := clickBody(t, tt.user, tt.channel, card, actionsBlockID(drsim.SeedRunning), action, e.slack.responseURL("click"))
				w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", body))
				if w.Code != http.StatusOK {
					t.Fatalf("got status %d; want 200", w.Code)
				}
				p := e.slack.next(t)
				if p.Msg.ResponseType != ephemeral || p.Msg.ReplaceOriginal {
					t.Errorf("refusal: got response_type %q replace_original=%v; want ephemeral, false",
						p.Msg.ResponseType, p.Msg.ReplaceOriginal)
				}
				contains(t, "refusal", p.Msg.Text, tt.want...)
				if n := srv.Sim.Count(drsim.RoutePause) + srv.Sim.Count(drsim.RouteDetail); n != 0 {
					t.Errorf("got %d DR calls; want 0", n)
				}
				refused := e.logs.decisions(t, "refused")
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
	final, _ := e.slack.until(t, isFinal)
	contains(t, "final", final.Msg.Text, "is paused")
	if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("got %d pause POSTs; want 1", n)
	}
}

func TestClickCancel(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{})
	e := newEnv(t, dr, nil)
	card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	e.click(t, "U2", card, drsim.SeedRunning, actionCancel, "click")
	p := e.slack.next(t)
	if p.Path != "/response/click" || !p.Msg.ReplaceOriginal || p.Msg.ResponseType != inChannel {
		t.Errorf("got %s replace_original=%v response_type=%q; want /response/click, true, in_channel",
			p.Path, p.Msg.ReplaceOriginal, p.Msg.ResponseType)
	}
	contains(t, "cancel", p.Msg.Text, "cancelled by <@U2>", "asked by <@U1>")
	if strings.Contains(p.Raw, actionPause) {
		t.Errorf("cancelled card still holds the buttons: %s", p.Raw)
	}
	if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
		t.Errorf("got %d pause POSTs; want 0", n)
	}
	if len(e.logs.decisions(t, "cancelled")) != 1 {
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
			got, _ := e.slack.until(t, func(p post) bool { return p.Path == "/response/"+name })
			if got.Msg.ResponseType != ephemeral || got.Msg.ReplaceOriginal {
				t.Errorf("%s: got response_type %q replace_original=%v; want ephemeral, false",
					name, got.Msg.ResponseType, got.Msg.ReplaceOriginal)
			}
			contains(t, name, got.Msg.Text, want, "no")
		}
		close(release)
		final, _ := e.slack.until(t, isFinal)
		contains(t, "final", final.Msg.Text, "is paused")
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
		final, _ := second.slack.until(t, isFinal)
		contains(t, "second final", final.Msg.Text, "already being paused", "no second pause sent")
		firstFinal, _ := first.slack.until(t, isFinal)
		contains(t, "first final", firstFinal.Msg.Text, "is paused")
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
			want: []string{"refused the call (HTTP 400)", "DWS.0001"}, pauses: 1, event: "failed"},
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
			final, _ := e.slack.until(t, isFinal)
			contains(t, "final", final.Raw, tt.want...)
			if n := srv.Sim.Count(drsim.RoutePause); n != tt.pauses {
				t.Errorf("got %d pause POSTs; want %d", n, tt.pauses)
			}
			if got := e.logs.decisions(t, tt.event); len(got) != 1 {
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
			final, _ := e.slack.until(t, isFinal)
			contains(t, "final", final.Raw, tt.want...)
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
	ack := e.slack.next(t)
	contains(t, "ack", ack.Msg.Text, "Pausing DR")
	close(release)
	final, others := e.slack.until(t, isFinal)
	contains(t, "final", final.Raw, "is paused", "req-slow", "5s")
	if final.Path != "/response/click" {
		t.Errorf("final: got path %s; want /response/click", final.Path)
	}
	if len(others) != 1 || !strings.Contains(others[0].Msg.Text, "status *stopping*") {
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
	_, before := e.slack.until(t, isFinal)
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
	final, _ := e.slack.until(t, isFinal)
	contains(t, "interrupted", final.Msg.Text, "Interrupted", "pause request was accepted", "*stopping*", "/dr status "+goldenID)

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
	final, _ := e.slack.until(t, isFinal)
	contains(t, "final", final.Msg.Text, "is paused")
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
			return clickBody(t, "U2", chanID, invalid, actionsBlockID(goldenID), actionPause, e.slack.responseURL("c"))
		}, "does not name a valid DR"},
		{"unsigned value", func(e *env) string {
			return clickBody(t, "U2", chanID, unsigned, actionsBlockID(goldenID), actionPause, e.slack.responseURL("c"))
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
				e.slack.none(t)
			} else {
				contains(t, "refusal", e.slack.next(t).Msg.Text, tt.want)
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
	job := Job{Kind: JobPause, ID: goldenID, ResponseURL: e.slack.responseURL("job"), ResponseURLUses: 1,
		Requester: "U1", Approver: "U2", RequestedAt: time.Now()}
	if err := e.bot.Run(ctx, job); err != nil {
		t.Fatalf("Run: got %v; want nil", err)
	}
	final := e.slack.next(t)
	contains(t, "final", final.Msg.Text, "Interrupted", "had not been sent", "*running*", "/dr status "+goldenID)
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
	final, _ := e.slack.until(t, isFinal)
	contains(t, "final", final.Raw, "rejected the credentials", "X-Request-Id")
	if strings.Contains(final.Raw, "wrong-secret-key") {
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
			contains(t, "answer", e.slack.next(t).Msg.Text, tt.want)
			if tt.pauses > 0 {
				e.slack.until(t, isFinal)
			}
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != tt.pauses {
				t.Errorf("got %d pause POSTs; want %d", n, tt.pauses)
			}
			if tt.pauses == 0 && tt.action == actionPause {
				if refused := e.logs.decisions(t, "refused"); len(refused) != 1 || refused[0]["outcome"] != "expired" {
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
	answer, _ := e.slack.until(t, func(p post) bool { return p.Path == "/response/cancel" })
	contains(t, "cancel", answer.Msg.Text, "Too late to cancel: <@U2> approved the pause")
	if answer.Msg.ResponseType != ephemeral || answer.Msg.ReplaceOriginal {
		t.Errorf("cancel: got response_type %q replace_original=%v; want ephemeral, false",
			answer.Msg.ResponseType, answer.Msg.ReplaceOriginal)
	}
	close(release)
	final, _ := e.slack.until(t, isFinal)
	contains(t, "final", final.Msg.Text, "is paused")
	if n := e.slack.count("/response/cancel"); n != 1 {
		t.Errorf("got %d posts to the cancel's response_url; want the one answer", n)
	}
	if got := e.logs.decisions(t, "cancelled"); len(got) != 0 {
		t.Errorf("got cancelled decisions %v; want none", got)
	}
	if refused := e.logs.decisions(t, "refused"); len(refused) != 1 || refused[0]["outcome"] != "in_flight" {
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
				pausing, failed := e.slack.next(t), e.slack.next(t)
				contains(t, name+" ack", pausing.Msg.Text, "Pausing DR")
				if failed.Path != "/response/"+name || !failed.Msg.ReplaceOriginal || failed.Msg.ResponseType != inChannel {
					t.Fatalf("%s: got %s replace_original=%v response_type=%q (%q); want the card replaced in the channel",
						name, failed.Path, failed.Msg.ReplaceOriginal, failed.Msg.ResponseType, failed.Msg.Text)
				}
				contains(t, name+" failure", failed.Raw, "Could not start the pause of DR `"+goldenID+"`",
					"Nothing was sent to the DR API", "/dr pause "+goldenID)
				if strings.Contains(failed.Raw, "Following it until") {
					t.Errorf("%s: the card still says it is pausing: %s", name, failed.Raw)
				}
				if tt.other != "" && !strings.Contains(failed.Raw, actionsBlockID(tt.other)) {
					t.Errorf("%s: the buttons of %s are gone from the shared card: %s", name, tt.other, failed.Raw)
				}
			}
			if n := dr.calls.Load(); n != 0 {
				t.Errorf("got %d DR calls; want 0", n)
			}
			if failed := e.logs.decisions(t, "failed"); len(failed) != 2 || failed[0]["outcome"] != "defer_failed" {
				t.Errorf("got failed decisions %v; want two with outcome defer_failed", failed)
			}
		})
	}
}
