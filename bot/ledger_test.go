package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The tests of this file show the promises the ledger keeps, one process at a time; the binary's
// tests (functions/pause) show them across two processes sharing one DynamoDB ledger.

// answer returns the text Slack received next at the click's response_url named name (see
// env.click). It is the one place these tests read the Slack double's answers.
func (e *env) answer(t *testing.T, name string) string {
	t.Helper()
	p, _ := e.slack.Until(t, func(p slacktest.Post) bool { return p.Path == "/actions/"+name })
	return p.Text
}

// finalText waits for the final message of a pause and returns its text.
func (e *env) finalText(t *testing.T) string {
	t.Helper()
	p, _ := e.slack.Until(t, isFinal)
	return p.Text
}

// clickAs is env.click by user as a member of team, as in a Slack Connect channel shared with
// another organisation.
func (e *env) clickAs(t *testing.T, user, team string, card slackMessage, id, actionID, responseName string) {
	t.Helper()
	c := clickOf(t, user, chanID, card, actionsBlockID(id), actionID, e.slack.ActionURL(responseName))
	c.Team, c.MessageTS = team, e.shownAs(t, card)
	if a := e.slack.Click(e.bot.Interactions(), c); a.Status != http.StatusOK {
		t.Fatalf("click: got status %d (%s); want 200", a.Status, a.Body)
	}
}

// downLedger is a ledger that cannot be reached, as DynamoDB behind a closed port.
type downLedger struct{}

var errDown = &ledger.UnavailableError{Ledger: "DynamoDB table drpause-test", Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}

func (downLedger) Claim(context.Context, string, string, time.Time) (ledger.Result, error) {
	return ledger.Result{}, errDown
}

func (downLedger) Mark(context.Context, string, ledger.State, string, time.Time) (ledger.Result, error) {
	return ledger.Result{}, errDown
}

func (downLedger) Release(context.Context, string, string) error { return errDown }
func (downLedger) Put(context.Context, string, string, time.Time) (ledger.Record, error) {
	return ledger.Record{}, errDown
}

func (downLedger) Get(context.Context, string) (ledger.Record, bool, error) {
	return ledger.Record{}, false, errDown
}

// TestSingleUseCard: each Pause button acts once, ever; Cancel voids the card; a later click
// says who used or cancelled it and when, and sends nothing.
func TestSingleUseCard(t *testing.T) {
	t.Run("cancelled, then clicked by someone else", func(t *testing.T) {
		srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, nil)
		card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
		e.click(t, "U1", card, drsim.SeedRunning, actionCancel, "cancel")
		contains(t, "cancel", e.answer(t, "cancel"), "cancelled by <@U1>")
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "pause")
		contains(t, "pause after cancel", e.answer(t, "pause"), "This card was cancelled by <@U1> at", "nothing sent")
		e.click(t, "U2", card, drsim.SeedRunning, actionCancel, "again")
		contains(t, "second cancel", e.answer(t, "again"), "This card was cancelled by <@U1> at")
		if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
			t.Errorf("got %d pause POSTs; want 0", n)
		}
	})
	t.Run("used, then clicked again after a resume", func(t *testing.T) {
		srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, nil)
		card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "first")
		contains(t, "first final", e.finalText(t), "is paused")
		if err := srv.Sim.SetStatus(drsim.SeedRunning, drapi.StatusRunning); err != nil {
			t.Fatal(err)
		}
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "again")
		contains(t, "again", e.answer(t, "again"), "This card was already used: <@U2> approved the pause", "nothing sent")
		e.click(t, "U1", card, drsim.SeedRunning, actionCancel, "cancel")
		contains(t, "cancel after use", e.answer(t, "cancel"), "Too late to cancel: <@U2> approved the pause")
		if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
			t.Errorf("got %d pause POSTs; want 1", n)
		}
	})
	t.Run("an alert card: once per DR, Cancel voids the rest", func(t *testing.T) {
		srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, nil)
		card := alertCardMessage(goldenProposal(drsim.SeedRunning, drsim.SeedStopFailed), newCardID(), time.Now(), testKey)
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "first")
		contains(t, "first final", e.finalText(t), "is paused")
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "again")
		contains(t, "same DR again", e.answer(t, "again"), "This card was already used: <@U2>")
		e.click(t, "U1", card, drsim.SeedStopFailed, actionCancel, "cancel")
		contains(t, "cancel", e.answer(t, "cancel"), "Cancelled by <@U1>", "nothing more is paused from this card")
		e.click(t, "U2", card, drsim.SeedStopFailed, actionPause, "other")
		contains(t, "other DR after cancel", e.answer(t, "other"), "This card was cancelled by <@U1> at")
		if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
			t.Errorf("got %d pause POSTs; want 1", n)
		}
	})
	t.Run("a button carried to another channel", func(t *testing.T) {
		dr := &fakeDR{}
		e := newEnv(t, dr, nil)
		card := cardMessage(card{Channel: "C0ELSEWHERE", ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
		e.click(t, "U2", card, goldenID, actionPause, "moved")
		contains(t, "moved", e.answer(t, "moved"), "not made by this app, or was changed")
		if n := dr.calls.Load(); n != 0 {
			t.Errorf("got %d DR calls; want 0", n)
		}
	})
}

// TestLedgerUnreachable: with the ledger unreachable nothing is paused, and Slack says so,
// naming the ledger, on every path that would pause; a Cancel says the card still stands.
func TestLedgerUnreachable(t *testing.T) {
	dr := &fakeDR{get: func(context.Context, string) (*drapi.Detail, error) {
		return &drapi.Detail{ID: goldenID, Status: drapi.StatusRunning}, nil
	}}
	e := newEnv(t, dr, func(c *Config) { c.Ledger = downLedger{}; c.BotToken = testToken })
	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	e.click(t, "U2", card, goldenID, actionPause, "pause")
	contains(t, "click", e.answer(t, "pause"), "The ledger (DynamoDB table drpause-test) is unreachable: nothing was paused")
	e.click(t, "U1", card, goldenID, actionCancel, "cancel")
	contains(t, "cancel", e.answer(t, "cancel"), "The ledger (DynamoDB table drpause-test) is unreachable: nothing was cancelled: the card still stands")

	if err := e.bot.PauseNow(context.Background(), goldenProposal(goldenID)); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("PauseNow: got %v; want ErrUnavailable", err)
	}
	thread, _ := e.slack.Until(t, func(p slacktest.Post) bool { return strings.Contains(p.Text, "unreachable") })
	contains(t, "auto pause", thread.Text, "The ledger (DynamoDB table drpause-test) is unreachable: nothing was paused")

	off := newEnv(t, dr, func(c *Config) { c.Ledger = downLedger{}; c.Confirm = false })
	answer := off.command(t, "U1", chanID, "pause "+goldenID)
	contains(t, "confirm off", answer.Text, "The ledger (DynamoDB table drpause-test) is unreachable: nothing was paused")

	// A job whose claim ran out while it queued takes the DR again: without the ledger it
	// does nothing either, and ends the card with why.
	job := Job{Kind: JobPause, ID: goldenID, Requester: "U1", Approver: "U2", RequestedAt: time.Now(),
		ResponseURL: e.slack.ActionURL("job")}
	if err := e.bot.Run(context.Background(), job); err != nil {
		t.Fatalf("Run: %v", err)
	}
	contains(t, "job", e.answer(t, "job"), "is unreachable: nothing was paused")

	// A Lambda job that cannot claim its job id is abandoned: Slack hears nothing was done.
	job.ResponseURL = e.slack.ActionURL("abandoned")
	if err := e.bot.Abandon(context.Background(), job, errDown); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	contains(t, "abandoned job", e.answer(t, "abandoned"), "The ledger (DynamoDB table drpause-test) is unreachable: nothing was paused")
	if n := dr.pauses.Load(); n != 0 {
		t.Errorf("got %d pauses; want 0", n)
	}
}

// TestOneOperationPerDR: a click, an alert's auto-pause and a command with confirmation off
// all claim the same DR in the ledger: while one holds it the others send nothing and say who
// holds it; a job that queued past its claim takes the DR again only if it is free.
func TestOneOperationPerDR(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var pauses atomic.Int32
	dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
		if pauses.Add(1) == 1 {
			close(started)
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}, get: func(context.Context, string) (*drapi.Detail, error) {
		return &drapi.Detail{ID: goldenID, Status: drapi.StatusRunning}, nil
	}}
	shared := ledger.NewMemory()
	e := newEnv(t, dr, func(c *Config) { c.Ledger = shared; c.BotToken = testToken })
	off := newEnv(t, dr, func(c *Config) { c.Ledger = shared; c.Confirm = false })

	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	e.click(t, "U2", card, goldenID, actionPause, "click")
	<-started

	if err := e.bot.PauseNow(context.Background(), goldenProposal(goldenID)); err != nil {
		t.Fatalf("PauseNow: %v", err)
	}
	thread, _ := e.slack.Until(t, func(p slacktest.Post) bool { return strings.Contains(p.Text, "already being paused") })
	contains(t, "auto pause", thread.Text, "DR `"+goldenID+"` is already being paused by <@U2> (since", "no second pause sent")
	answer := off.command(t, "U1", chanID, "pause "+goldenID)
	contains(t, "confirm off", answer.Text, "is already being paused by <@U2>")

	// A job that queued so long its claim ran out, while the DR is held by another.
	late := Job{Kind: JobPause, ID: goldenID, Requester: "U1", Approver: "U1", RequestedAt: time.Now(),
		ResponseURL: e.slack.ActionURL("late"), Op: ledger.NewOp("pause", "U1").String(), OpUntil: time.Now().Add(-time.Second)}
	if err := e.bot.Run(context.Background(), late); err != nil {
		t.Fatalf("Run: %v", err)
	}
	contains(t, "late job", e.answer(t, "late"), "already being paused by <@U2>", "no second pause sent")

	close(release)
	contains(t, "click's final", e.finalText(t), "is paused")
	if n := pauses.Load(); n != 1 {
		t.Errorf("got %d pauses; want 1", n)
	}
	// Released at the end of the job, right after its final message: the same late job then
	// finds the DR free and runs.
	waitReleased(t, shared, goldenID)
	if err := e.bot.Run(context.Background(), late); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := pauses.Load(); n != 2 {
		t.Errorf("got %d pauses after the DR was free; want 2", n)
	}
	if _, held, _ := shared.Get(context.Background(), ledger.OpKey(goldenID)); held {
		t.Error("the DR is still held after every job ended")
	}
}

// waitReleased polls l until DR id is free, or fails the test.
func waitReleased(t *testing.T, l Ledger, id string) {
	t.Helper()
	for deadline := time.Now().Add(waitFor); ; {
		if _, held, err := l.Get(context.Background(), ledger.OpKey(id)); err == nil && !held {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("DR %s still held after %s", id, waitFor)
		}
		time.Sleep(time.Millisecond) // a poll with a deadline: a job signals nothing when it lets go
	}
}

// TestAllowedTeams: DR_ALLOWED_TEAMS is checked on every command and click, against the team or
// the enterprise of the request; on a click, against the clicker's own team, so an allowed
// approver from another organisation in a Slack Connect channel can act.
func TestAllowedTeams(t *testing.T) {
	dr := &fakeDR{get: func(context.Context, string) (*drapi.Detail, error) {
		return &drapi.Detail{ID: goldenID, Status: drapi.StatusRunning}, nil
	}, pauseAndFollow: func(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, func(c *Config) { c.AllowedTeams = allowOnly(teamID, "T0PARTNER", "E0GRID") })
	command := func(team, enterprise, text string) string {
		form, _ := url.ParseQuery(commandBody("U1", chanID, text, e.slack.ResponseURL("cmd")))
		form.Set("team_id", team)
		form.Set("enterprise_id", enterprise)
		w := e.do(t, e.bot.Commands(), signedRequest("/slack/commands", form.Encode()))
		return decodeMessage(t, w.Body.Bytes()).Text
	}
	for _, text := range []string{"pause " + goldenID, "status " + goldenID, "list", "help"} {
		got := command("T0OTHER", "", text)
		contains(t, text+" from another team", got, "T0OTHER", "DR_ALLOWED_TEAMS")
	}
	if n := dr.calls.Load(); n != 0 {
		t.Errorf("got %d DR calls for refused teams; want 0", n)
	}
	got := command("T0INGRID", "E0GRID", "pause "+goldenID)
	if strings.Contains(got, "DR_ALLOWED_TEAMS") {
		t.Errorf("a team of an allowed enterprise: got %q; want a card", got)
	}

	card := cardMessage(card{ID: goldenID, Requester: "U1", Team: teamID, RequestedAt: time.Now()}, testKey)
	e.clickAs(t, "U2", "T0OTHER", card, goldenID, actionPause, "outsider")
	contains(t, "click from another team", e.answer(t, "outsider"), "T0OTHER", "DR_ALLOWED_TEAMS")
	e.clickAs(t, "U2", "T0PARTNER", card, goldenID, actionPause, "partner")
	contains(t, "click from an allowed partner", e.answer(t, "partner"), "Pausing DR")
	if n := dr.pauses.Load(); n > 1 {
		t.Errorf("got %d pauses; want at most 1", n)
	}
	if refused := decisions(t, e.logs, "refused"); len(refused) != 5 || refused[0]["outcome"] != "not_allowed_team" {
		t.Errorf("got refused decisions %v; want 5, not_allowed_team", refused)
	}
}

// TestLookupSlots: lookups piling up behind a slow DR API never keep a pause from starting, and
// one user cannot take every lookup slot.
func TestLookupSlots(t *testing.T) {
	gate := make(chan struct{})
	var lookups atomic.Int32
	dr := &fakeDR{get: func(ctx context.Context, id string) (*drapi.Detail, error) {
		lookups.Add(1)
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &drapi.Detail{ID: id, Status: drapi.StatusRunning}, nil
	}, pauseAndFollow: func(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
		return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, func(c *Config) { c.AllowedUsers = allowAll; c.LookupBudget = time.Millisecond })
	t.Cleanup(func() { close(gate) }) // runs before newEnv's Shutdown: the lookups end

	// Each command has a response_url of its own, as in Slack.
	n := 0
	status := func(user string) string {
		t.Helper()
		n++
		a := e.slack.Command(e.bot.Commands(), slacktest.SlashCommand{Team: teamID, Channel: chanID, User: user,
			Text: "status " + goldenID, ResponseURL: e.slack.ResponseURL(fmt.Sprintf("lookup-%d", n))})
		if a.Status != http.StatusOK {
			t.Fatalf("status as %s: got status %d (%s); want 200", user, a.Status, a.Body)
		}
		return decodeMessage(t, a.Body).Text
	}
	const users = maxLocalLookups / maxLookupsPerUser
	for u := range users {
		for range maxLookupsPerUser {
			if got := status(fmt.Sprintf("U%02d", u)); !strings.Contains(got, "Working on it") {
				t.Fatalf("lookup of U%02d: got %q; want it deferred", u, got)
			}
		}
	}
	contains(t, "one lookup too many for a user", status("U00"),
		fmt.Sprintf("You already have %d lookups waiting", maxLookupsPerUser))
	contains(t, "every lookup slot taken", status("U99"), "cannot take new work right now")

	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
	e.click(t, "U2", card, goldenID, actionPause, "pause")
	contains(t, "pause click", e.answer(t, "pause"), "Pausing DR")
	contains(t, "pause final", e.finalText(t), "is paused")
	if approved := decisions(t, e.logs, "approved"); len(approved) != 1 || approved[0]["outcome"] != "deferred" {
		t.Errorf("got approved decisions %v; want the click's, deferred", approved)
	}
}

// TestResumeCardNeedsTheLedger: a resume card records the pause it shows, and its click checks
// that pause is still the last one; without the ledger no card is made that could never be used.
func TestResumeCardNeedsTheLedger(t *testing.T) {
	dr := &fakeDR{get: func(context.Context, string) (*drapi.Detail, error) {
		return &drapi.Detail{ID: goldenID, Status: drapi.StatusStopped}, nil
	}}
	e := newEnv(t, dr, func(c *Config) { c.Ledger = downLedger{}; c.Resume = true })
	answer := e.command(t, "U1", chanID, "resume "+goldenID)
	contains(t, "resume", answer.Text, "The ledger (DynamoDB table drpause-test) is unreachable: nothing was resumed")
	if strings.Contains(renderJSON(t, answer.Blocks), actionResume) {
		t.Errorf("answer: got a card with a %s button; want none", actionResume)
	}
}

// TestAbandonTooLate: a job that arrived too late to act on is ended with why, and the DR it
// had claimed is free again.
func TestAbandonTooLate(t *testing.T) {
	dr := &fakeDR{}
	e := newEnv(t, dr, nil)
	op := ledger.NewOp("pause", "U2")
	if r, err := e.bot.ledger.Claim(context.Background(), ledger.OpKey(goldenID), op.String(), time.Now().Add(time.Hour)); err != nil || !r.OK {
		t.Fatalf("claim: %v %+v", err, r)
	}
	job := Job{Kind: JobPause, ID: goldenID, Requester: "U1", Approver: "U2", RequestedAt: time.Now(),
		ResponseURL: e.slack.ActionURL("late"), Op: op.String()}
	if err := e.bot.Abandon(context.Background(), job, errors.New("job arrived 16m0s after it was made")); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	contains(t, "late job", e.answer(t, "late"), "reached the bot too late to act on", "nothing was paused", "/dr status "+goldenID)
	if r, err := e.bot.ledger.Claim(context.Background(), ledger.OpKey(goldenID), "next", time.Now().Add(time.Hour)); err != nil || !r.OK {
		t.Errorf("claim after the late job: got %v %+v; want the DR free", err, r)
	}
}
