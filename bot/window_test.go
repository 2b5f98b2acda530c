package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// noDeferral fails the test when the bot defers work: within the answer window nothing may be
// left for after the answer.
type noDeferral struct{ t *testing.T }

func (d noDeferral) Defer(_ context.Context, job Job) error {
	d.t.Errorf("deferred a %s job of %s; want it done within the answer", job.Kind, job.ID)
	return errors.New("no deferral here")
}

// inWindow configures a bot served where nothing runs after the answer.
func inWindow(t *testing.T, edit func(*Config)) func(*Config) {
	return func(c *Config) {
		c.Deferrer = noDeferral{t}
		c.Platform = func(context.Context) Platform { return Platform{AnswerWindowOnly: true} }
		if edit != nil {
			edit(c)
		}
	}
}

// stoppingSim keeps a paused DR stopping long enough for any test, as a real pause does.
func stoppingSim(t *testing.T) (*drsim.Server, *drapi.Client) {
	return newSim(t, drsim.Options{StoppingFor: time.Hour})
}

// TestClickInWindow: where nothing runs after the answer, a click sends the pause and reads the
// status back before its answer, and the result, "accepted, stopping, follow with /dr status",
// is already in Slack when the click is answered.
func TestClickInWindow(t *testing.T) {
	sim, dr := stoppingSim(t)
	e := newEnv(t, dr, inWindow(t, nil))
	card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)

	e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")

	// Nothing is awaited: the posts were made before the click was answered.
	var texts []string
	for _, p := range e.slack.Posts() {
		texts = append(texts, p.Text)
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "Pausing DR") ||
		!strings.Contains(texts[1], "was accepted: status *stopping*") || !strings.Contains(texts[1], "/dr status "+drsim.SeedRunning) {
		t.Errorf("posts when the click was answered: got %q; want Pausing, then accepted and stopping with /dr status", texts)
	}
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pauses sent: got %d; want 1", got)
	}
	if st, _ := sim.Sim.Status(drsim.SeedRunning); st != drapi.StatusStopping {
		t.Errorf("status: got %s; want stopping", st)
	}
	if got := decisions(t, e.logs, "paused"); len(got) != 1 || got[0]["outcome"] != "stopping" {
		t.Errorf("audit: got %v; want one paused decision with outcome stopping", got)
	}
}

// TestCommandInWindowConfirmOff: without confirmation the slash command's own answer carries
// the result of the pause it sent.
func TestCommandInWindowConfirmOff(t *testing.T) {
	sim, dr := stoppingSim(t)
	e := newEnv(t, dr, inWindow(t, func(c *Config) { c.Confirm = false }))

	msg := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)

	if !strings.Contains(msg.Text, "was accepted: status *stopping*") || msg.ReplaceOriginal || msg.ResponseType != inChannel {
		t.Errorf("answer: got %+v; want the accepted pause, in the channel, as the original message", msg)
	}
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pauses sent: got %d; want 1", got)
	}
	noPosts(t, e.slack)
}

// TestPauseNowInWindow: an alert that pauses without a click sends each pause, and reports it,
// before PauseNow returns.
func TestPauseNowInWindow(t *testing.T) {
	sim, dr := stoppingSim(t)
	e := newEnv(t, dr, inWindow(t, func(c *Config) { c.BotToken = testToken }))

	if err := e.bot.PauseNow(context.Background(), goldenProposal(drsim.SeedRunning)); err != nil {
		t.Fatalf("PauseNow: %v", err)
	}
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pauses sent: got %d; want 1", got)
	}
	if n := postsTo(e.slack, "/api/chat.update"); n != 1 {
		t.Fatalf("chat.update calls when PauseNow returned: got %d; want 1 (the result)", n)
	}
	all := e.slack.Posts()
	last := all[len(all)-1]
	if !strings.Contains(last.Text, "was accepted: status *stopping*") {
		t.Errorf("result: got %q; want the accepted pause", last.Text)
	}
}

// TestLookupInWindow: a lookup slower than the window is answered as such, never deferred.
func TestLookupInWindow(t *testing.T) {
	blocked := &fakeDR{get: func(ctx context.Context, id string) (*drapi.Detail, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	e := newEnv(t, blocked, inWindow(t, func(c *Config) { c.LookupBudget = time.Millisecond }))

	msg := e.command(t, "U1", chanID, "status "+drsim.SeedRunning)

	if !strings.Contains(msg.Text, "did not answer within "+windowLookupBudget.String()) ||
		!strings.Contains(msg.Text, "/dr status "+drsim.SeedRunning) {
		t.Errorf("answer: got %q; want the slow-lookup answer naming /dr status", msg.Text)
	}
	noPosts(t, e.slack)
}

// TestRefusalOnSlack: a request whose DR API credentials are unusable is verified, then
// answered with why, ephemeral, and nothing else happens: no DR call, the card kept.
func TestRefusalOnSlack(t *testing.T) {
	const why = "FunctionGraph sent an incomplete set of agency credentials (no X-CFF-Security-Token)"
	_, dr := stoppingSim(t)
	card := newEnv(t, dr, nil).command(t, "U1", chanID, "pause "+drsim.SeedRunning)

	counted := &fakeDR{}
	e := newEnv(t, counted, func(c *Config) {
		c.Platform = func(context.Context) Platform { return Platform{AnswerWindowOnly: true, Refusal: why} }
	})
	msg := e.command(t, "U1", chanID, "status "+drsim.SeedRunning)
	if msg.ResponseType != ephemeral || !strings.Contains(msg.Text, why) || !strings.Contains(msg.Text, "Nothing was done") {
		t.Errorf("command answer: got %+v; want an ephemeral refusal saying why", msg)
	}

	e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
	posts := e.slack.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts after the click: got %d; want 1, the refusal", len(posts))
	}
	p := posts[0]
	if p.ResponseType != ephemeral || p.ReplaceOriginal || !strings.Contains(p.Text, why) {
		t.Errorf("click answer: got %v %+v; want an ephemeral refusal leaving the card", p, p.Fields)
	}
	if n := counted.calls.Load(); n != 0 {
		t.Errorf("DR calls: got %d; want none", n)
	}
	if got := decisions(t, e.logs, "refused"); len(got) != 2 || got[0]["outcome"] != "no_dr_credentials" {
		t.Errorf("audit: got %v; want two refusals for no_dr_credentials", got)
	}

	// An unsigned request learns nothing of it.
	w := e.do(t, e.bot.Commands(), signedRequestAt("/slack/commands", commandBody("U1", chanID, "list", ""), time.Now(), "wrong-secret"))
	if w.Code != 401 || strings.Contains(w.Body.String(), why) {
		t.Errorf("unsigned command: got %d %s; want 401 without the reason", w.Code, w.Body)
	}
}

// TestResumeClickInWindow: within the answer window a click on a resume card sends the start,
// never a pause, and reports it under way.
func TestResumeClickInWindow(t *testing.T) {
	sim, dr := newSim(t, drsim.Options{StartingFor: time.Hour})
	e := newEnv(t, dr, inWindow(t, func(c *Config) { c.Resume = true }))
	card := e.command(t, "U1", chanID, "resume "+drsim.SeedStopped)

	e.click(t, "U2", card, drsim.SeedStopped, actionResume, "click")

	if got := sim.Sim.Count(drsim.RoutePause); got != 0 {
		t.Errorf("pauses sent: got %d; want 0", got)
	}
	if got := sim.Sim.Count(drsim.RouteStart); got != 1 {
		t.Errorf("starts sent: got %d; want 1", got)
	}
	if st, _ := sim.Sim.Status(drsim.SeedStopped); st != drapi.StatusStarting {
		t.Errorf("status: got %s; want starting", st)
	}
	posts := e.slack.Posts()
	if len(posts) == 0 || !strings.Contains(posts[len(posts)-1].Text, "starting") {
		t.Errorf("last post when the click was answered: got %v; want the resume under way (starting)", posts)
	}
}
