package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The tests of this file show that a resume goes through the chain a pause does, against the
// simulator: the card, the click, four-eyes, single use, one operation per DR, the status
// pre-check, the follow and the result.

// simClock is the simulator's clock: the real time (the client signs with it) plus an offset a
// test moves forward to end a transition once it has seen it.
type simClock struct{ offset atomic.Int64 }

func (c *simClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// pass moves the clock past any transition the simulator holds.
func (c *simClock) pass() { c.offset.Add(int64(2 * time.Minute)) }

// resumeEnv is newEnv with DR_RESUME on, over a simulator whose transitions last until clock
// passes them.
func resumeEnv(t *testing.T, edit func(*Config)) (*env, *drsim.Server, *simClock) {
	t.Helper()
	clock := &simClock{}
	srv, dr := newSim(t, drsim.Options{Now: clock.Now, StoppingFor: time.Minute, StartingFor: time.Minute})
	e := newEnv(t, dr, func(c *Config) {
		c.Resume = true
		if edit != nil {
			edit(c)
		}
	})
	return e, srv, clock
}

// TestClickResume follows a resume from the card to running, from every status DWS starts a DR
// from, with the card telling the approver what resuming does and the progress on the way.
func TestClickResume(t *testing.T) {
	tests := []struct {
		name string
		id   string
		from drapi.Status // forced before the command; empty: as seeded
	}{
		{name: "stopped", id: drsim.SeedStopped},
		{name: "unstart", id: drsim.SeedUnstart},
		{name: "start_failed", id: drsim.SeedStopped, from: drapi.StatusStartFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, srv, clock := resumeEnv(t, nil)
			if tt.from != "" {
				if err := srv.Sim.SetStatus(tt.id, tt.from); err != nil {
					t.Fatal(err)
				}
			}
			card := e.command(t, "U1", chanID, "resume "+tt.id)
			raw := renderJSON(t, card)
			contains(t, "card", raw, "Resume DR replication?", `"action_id":"dr_resume"`, `"action_id":"dr_cancel"`,
				resumeWarning, "confirm that the primary cluster", "Only if the primary cluster is healthy", "Keep paused",
				"*Last successful sync*", `*Paused*\nnot recorded`)
			if strings.Contains(raw, `"action_id":"dr_pause"`) {
				t.Errorf("resume card holds a Pause button: %s", raw)
			}

			e.click(t, "U2", card, tt.id, actionResume, "click")
			ack := e.slack.Next(t)
			contains(t, "ack", ack.Text, "Resuming DR", "requested by <@U1>", "approved by <@U2>", "until it is running")
			progress := e.slack.Wait(t, "progress", func(p slacktest.Post) bool { return strings.Contains(p.Text, "status *starting*") })
			contains(t, "progress", progress.Text, "Resuming DR")
			clock.pass()
			final, _ := e.slack.Until(t, isFinal)
			contains(t, "final", final.Text, "is resumed", "*running*")
			contains(t, "final blocks", final.JSON(), tt.id, "<@U1>", "<@U2>", "X-Request-Id", "Took")
			if n := srv.Sim.Count(drsim.RouteStart); n != 1 {
				t.Errorf("got %d start POSTs; want 1", n)
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("got %d pause POSTs; want 0", n)
			}
			approved := decisions(t, e.logs, "approved")
			if len(approved) != 1 || approved[0]["operation"] != "resume" || approved[0]["slack_user"] != "U2" {
				t.Errorf("approved decisions: got %v; want one resume by U2", approved)
			}
			resumed := decisions(t, e.logs, "resumed")
			if len(resumed) != 1 || resumed[0]["outcome"] != "running" || resumed[0]["request_id"] == "" {
				t.Errorf("resumed decisions: got %v; want one, running, with a request id", resumed)
			}
		})
	}
}

// TestResumeNothingToDo: a DR already running, or on its way, gets no card and no start; one
// whose status DWS does not start from is refused; one resumed elsewhere after its card was
// made is reported as running, with no start sent either.
func TestResumeNothingToDo(t *testing.T) {
	tests := []struct {
		name string
		id   string
		set  drapi.Status
		want string
	}{
		{name: "running", id: drsim.SeedRunning, want: "is already *running*: nothing to do, no resume sent"},
		{name: "starting", id: drsim.SeedStopped, set: drapi.StatusStarting, want: "is already being resumed (status *starting*): no second resume sent"},
		{name: "stop_failed", id: drsim.SeedStopFailed, want: "is *stop_failed*: a resume needs stopped, start_failed or unstart. Nothing sent."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, srv, _ := resumeEnv(t, nil)
			if tt.set != "" {
				if err := srv.Sim.SetStatus(tt.id, tt.set); err != nil {
					t.Fatal(err)
				}
			}
			got := e.command(t, "U1", chanID, "resume "+tt.id)
			if got.ResponseType != ephemeral {
				t.Errorf("got response_type %q; want an ephemeral answer, no card", got.ResponseType)
			}
			contains(t, "answer", got.Text, tt.want)
			if n := srv.Sim.Count(drsim.RouteStart); n != 0 {
				t.Errorf("got %d start POSTs; want 0", n)
			}
		})
	}
	t.Run("running by the click", func(t *testing.T) {
		e, srv, _ := resumeEnv(t, nil)
		card := e.command(t, "U1", chanID, "resume "+drsim.SeedStopped)
		if err := srv.Sim.SetStatus(drsim.SeedStopped, drapi.StatusRunning); err != nil {
			t.Fatal(err)
		}
		e.click(t, "U2", card, drsim.SeedStopped, actionResume, "click")
		contains(t, "final", e.finalText(t), "was already running: no resume sent")
		if n := srv.Sim.Count(drsim.RouteStart); n != 0 {
			t.Errorf("got %d start POSTs; want 0", n)
		}
	})
}

// TestResumeDisabled: with DR_RESUME off (the default) /dr resume and a click on a resume card
// are refused naming the setting, and nothing reaches the DR API; the help says how to turn it on.
func TestResumeDisabled(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{})
	e := newEnv(t, dr, nil)
	for _, text := range []string{"resume " + drsim.SeedStopped, "resume " + drsim.SeedStopped + " --dry-run", "resume"} {
		got := e.command(t, "U1", chanID, text)
		contains(t, text, got.Text, "Resume is off", "`DR_RESUME`", "Nothing done")
	}
	contains(t, "help", e.command(t, "U1", chanID, "help").Text, "resume &lt;id&gt;`: off in this deployment", "`DR_RESUME=true`")

	card := cardMessage(card{Op: resumeOp, ID: drsim.SeedStopped, Requester: "U1", RequestedAt: time.Now()}, testKey)
	e.click(t, "U2", card, drsim.SeedStopped, actionResume, "click")
	contains(t, "click", e.answer(t, "click"), "Resume is off", "`DR_RESUME`")
	if n := srv.Sim.Count(drsim.RouteStart) + srv.Sim.Count(drsim.RouteDetail); n != 0 {
		t.Errorf("got %d DR API calls; want none", n)
	}
	if refused := decisions(t, e.logs, "refused"); len(refused) != 4 || refused[3]["outcome"] != "resume_disabled" {
		t.Errorf("refused decisions: got %v; want 4, resume_disabled", refused)
	}
}

// TestResumeCardFourEyesAndSingleUse: a resume card keeps the pause card's promises: the
// requester cannot approve their own resume under four-eyes, the card acts once, and a Cancel
// after the click is too late.
func TestResumeCardFourEyesAndSingleUse(t *testing.T) {
	e, srv, clock := resumeEnv(t, func(c *Config) { c.FourEyes, c.AllowedUsers = true, allowOnly("U1", "U2", "U3") })
	card := e.command(t, "U1", chanID, "resume "+drsim.SeedStopped)
	contains(t, "card", renderJSON(t, card), "Someone other than <@U1> must approve")
	e.click(t, "U1", card, drsim.SeedStopped, actionResume, "own")
	contains(t, "own click", e.answer(t, "own"), "Four-eyes", "<@U1> asked for this resume", "DR_FOUR_EYES")

	e.click(t, "U2", card, drsim.SeedStopped, actionResume, "approve")
	e.slack.Wait(t, "progress", func(p slacktest.Post) bool { return strings.Contains(p.Text, "status *starting*") })
	e.click(t, "U3", card, drsim.SeedStopped, actionResume, "again")
	contains(t, "second click", e.answer(t, "again"), "This card was already used: <@U2> approved the resume of DR", "nothing sent")
	e.click(t, "U1", card, drsim.SeedStopped, actionCancel, "cancel")
	contains(t, "cancel", e.answer(t, "cancel"), "Too late to cancel: <@U2> approved the resume")
	clock.pass()
	contains(t, "final", e.finalText(t), "is resumed")
	if n := srv.Sim.Count(drsim.RouteStart); n != 1 {
		t.Errorf("got %d start POSTs; want 1", n)
	}
}

// TestResumeButtonMustMatchItsCard: Slack does not sign the action_id, so a click must use the
// button of the card's own operation: a resume card's value sent as dr_pause pauses nothing,
// and a pause card's value sent as dr_resume resumes nothing.
func TestResumeButtonMustMatchItsCard(t *testing.T) {
	e, srv, _ := resumeEnv(t, nil)
	tests := []struct {
		name   string
		card   slackMessage
		id     string
		action string
	}{
		{"resume card as pause", cardMessage(card{Op: resumeOp, ID: drsim.SeedStopped, Requester: "U1", RequestedAt: time.Now()}, testKey),
			drsim.SeedStopped, actionPause},
		{"pause card as resume", cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now()}, testKey),
			drsim.SeedRunning, actionResume},
	}
	for _, tt := range tests {
		c := clickOf(t, "U2", chanID, tt.card, actionsBlockID(tt.id), actionCancel, e.slack.ActionURL(tt.name))
		c.ActionID = tt.action // the value of the card's own button, under another action_id
		e.slack.Click(e.bot.Interactions(), c)
		contains(t, tt.name, e.answer(t, tt.name), "This button was not made by this app, or was changed: nothing done.")
	}
	if n := srv.Sim.Count(drsim.RouteStart) + srv.Sim.Count(drsim.RoutePause); n != 0 {
		t.Errorf("got %d start and pause POSTs; want none", n)
	}
}

// TestPauseAndResumeNeverAtOnce: one operation per DR holds across pause and resume. A resume
// card clicked while a pause of the DR is under way says so and sends nothing, and the reverse.
func TestPauseAndResumeNeverAtOnce(t *testing.T) {
	blocked := func(started chan<- struct{}, release <-chan struct{}, from, to drapi.Status) func(context.Context, string, drapi.FollowOptions) (drapi.Outcome, error) {
		return func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return drapi.Outcome{ID: id, OpID: id, Posted: true, Initial: from, Status: to}, nil
		}
	}
	tests := []struct {
		name           string
		first, second  operation
		firstStatus    drapi.Status // what the DR reads for the second card
		wantHeld       string
		wantFirstFinal string
	}{
		{name: "pause in flight blocks a resume", first: pauseOp, second: resumeOp, firstStatus: drapi.StatusStopped,
			wantHeld: "is already being paused by <@U2>", wantFirstFinal: "is paused"},
		{name: "resume in flight blocks a pause", first: resumeOp, second: pauseOp, firstStatus: drapi.StatusRunning,
			wantHeld: "is already being resumed by <@U2>", wantFirstFinal: "is resumed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			dr := &fakeDR{}
			if tt.first.Name == pauseOp.Name {
				dr.pauseAndFollow = blocked(started, release, drapi.StatusRunning, drapi.StatusStopped)
			} else {
				dr.startAndFollow = blocked(started, release, drapi.StatusStopped, drapi.StatusRunning)
			}
			e := newEnv(t, dr, func(c *Config) { c.Resume = true })
			first := cardMessage(card{Op: tt.first, ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
			second := cardMessage(card{Op: tt.second, ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
			e.click(t, "U2", first, goldenID, tt.first.action, "first")
			<-started
			e.click(t, "U1", second, goldenID, tt.second.action, "second")
			contains(t, "second", e.answer(t, "second"), tt.wantHeld, "no "+tt.second.Name+" sent")
			close(release)
			contains(t, "first final", e.finalText(t), tt.wantFirstFinal)
			if got := dr.pauses.Load() + dr.starts.Load(); got != 1 {
				t.Errorf("got %d pause and start calls; want only the first operation's", got)
			}
		})
	}
}

// TestResumeCardAfterANewPause: a resume card made before the DR's last pause is refused at the
// click, naming that pause: it may have been made because the primary is damaged, which the
// card's approver never saw. A new card shows the pause.
func TestResumeCardAfterANewPause(t *testing.T) {
	led := ledger.NewMemory()
	e, srv, clock := resumeEnv(t, func(c *Config) { c.FourEyes, c.Ledger = true, led })
	id := drsim.SeedStopped
	old := e.command(t, "U1", chanID, "resume "+id)
	// Someone resumes it at the console, then U2 asks for a pause and U1 approves it.
	if err := srv.Sim.SetStatus(id, drapi.StatusRunning); err != nil {
		t.Fatal(err)
	}
	pause := e.command(t, "U2", chanID, "pause "+id)
	e.click(t, "U1", pause, id, actionPause, "pause")
	e.slack.Wait(t, "stopping", func(p slacktest.Post) bool { return strings.Contains(p.Text, "status *stopping*") })
	clock.pass()
	contains(t, "pause final", e.finalText(t), "is paused")
	waitReleased(t, led, id)

	e.click(t, "U2", old, id, actionResume, "old")
	contains(t, "old card", e.answer(t, "old"), "was paused by <@U1> at", "a pause this card does not show: nothing sent",
		"`/dr resume "+id+"`")
	if n := srv.Sim.Count(drsim.RouteStart); n != 0 {
		t.Errorf("got %d start POSTs; want 0", n)
	}
	fresh := renderJSON(t, e.command(t, "U2", chanID, "resume "+id))
	contains(t, "new card", fresh, `*Paused*\n`, "by <@U1>")
}

// TestResumeEndings: how a resume ends is reported as a pause's is, with DWS's code, message and
// X-Request-Id on failure; a start whose answer was lost, or that another start beat, is sent
// once.
func TestResumeEndings(t *testing.T) {
	id := drsim.SeedStopped
	tests := []struct {
		name       string
		steer      func(t *testing.T, sim *drsim.Sim)
		want       []string
		wantStarts int
	}{
		{
			name: "start_failed at the end",
			steer: func(t *testing.T, sim *drsim.Sim) {
				if err := sim.SetOutcome(id, drapi.StatusStartFailed); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{":x: Resume of DR", "the DR ended in status *start_failed* instead of running", "X-Request-Id of its last answer `",
				`Final status*\nstart_failed`},
			wantStarts: 1,
		},
		{
			name: "refused by DWS",
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultError, Status: 400, Code: "DWS.4242", Msg: "The operation is not allowed.", Times: 1})
			},
			want:       []string{":x: Resume of DR", "DWS refused: `DWS.4242` The operation is not allowed., status now *stopped*", "error_code `DWS.4242`", "X-Request-Id `"},
			wantStarts: 1,
		},
		{
			name: "answer lost",
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultLost, Times: 1})
			},
			want:       []string{"is resumed: status *running*"},
			wantStarts: 1,
		},
		{
			name: "another start first",
			steer: func(t *testing.T, sim *drsim.Sim) {
				sim.Inject(drsim.Fault{Route: drsim.RouteStart, Kind: drsim.FaultStartedFirst, Times: 1})
			},
			want:       []string{"Another resume got there first, so DWS refused this one: it was resumed once"},
			wantStarts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StartingFor: drsim.Immediate})
			e := newEnv(t, dr, func(c *Config) { c.Resume = true })
			card := e.command(t, "U1", chanID, "resume "+id)
			tt.steer(t, srv.Sim)
			e.click(t, "U2", card, id, actionResume, "click")
			final, _ := e.slack.Until(t, isFinal)
			contains(t, "final", final.JSON(), tt.want...)
			if n := srv.Sim.Count(drsim.RouteStart); n != tt.wantStarts {
				t.Errorf("got %d start POSTs; want %d", n, tt.wantStarts)
			}
		})
	}
}

// TestPauseThenResume: a DR paused from Slack can be resumed from Slack as soon as the channel
// shows the pause's result: the resume card shows who paused it, and since no other pause came
// in between, its click resumes the DR.
func TestPauseThenResume(t *testing.T) {
	e, srv, clock := resumeEnv(t, func(c *Config) { c.FourEyes = true })
	id := drsim.SeedRunning
	pause := e.command(t, "U1", chanID, "pause "+id)
	e.click(t, "U2", pause, id, actionPause, "pause")
	e.slack.Wait(t, "stopping", func(p slacktest.Post) bool { return strings.Contains(p.Text, "status *stopping*") })
	clock.pass()
	// The DR is free once the channel shows the result: no wait for the pause to let go.
	contains(t, "pause final", e.finalText(t), "is paused")

	resume := e.command(t, "U1", chanID, "resume "+id)
	contains(t, "resume card", renderJSON(t, resume), `*Paused*\n`, "by <@U2>")
	e.click(t, "U2", resume, id, actionResume, "resume")
	e.slack.Wait(t, "starting", func(p slacktest.Post) bool { return strings.Contains(p.Text, "status *starting*") })
	clock.pass()
	contains(t, "resume final", e.finalText(t), "is resumed: status *running*")
	if p, s := srv.Sim.Count(drsim.RoutePause), srv.Sim.Count(drsim.RouteStart); p != 1 || s != 1 {
		t.Errorf("got %d pause and %d start POSTs; want 1 and 1", p, s)
	}
}

// TestDRFreeBeforeTheResult: a job lets go of the DR before it reports, so that whoever reads
// the result and acts on it at once (a resume after a pause) is not told the DR is still held.
func TestDRFreeBeforeTheResult(t *testing.T) {
	for _, op := range []operation{pauseOp, resumeOp} {
		t.Run(op.Name, func(t *testing.T) {
			led := ledger.NewMemory()
			_, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate, StartingFor: drsim.Immediate})
			e := newEnv(t, dr, func(c *Config) { c.Resume, c.Ledger = true, led })
			id := drsim.SeedRunning
			if op.Name == resumeOp.Name {
				id = drsim.SeedStopped
			}
			var checked, heldAtResult atomic.Bool
			e.slack.SetFaults(func(p slacktest.Post) *slacktest.Fault {
				if strings.Contains(p.Text, ":white_check_mark:") {
					_, held, _ := led.Get(context.Background(), ledger.OpKey(id))
					heldAtResult.Store(held)
					checked.Store(true)
				}
				return nil
			})
			card := e.command(t, "U1", chanID, op.Name+" "+id)
			e.click(t, "U2", card, id, op.action, "click")
			contains(t, "final", e.finalText(t), "is "+op.Done)
			if !checked.Load() || heldAtResult.Load() {
				t.Errorf("DR held when the result reached Slack: got checked=%v held=%v; want checked, not held",
					checked.Load(), heldAtResult.Load())
			}
		})
	}
}
