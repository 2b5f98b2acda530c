package bot

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// cardFromPost rebuilds the message a chat.postMessage call created, as Slack would send it
// back in a click payload.
func cardFromPost(t *testing.T, p slacktest.Post) slackMessage {
	t.Helper()
	raw, err := json.Marshal(p.Fields["blocks"])
	if err != nil {
		t.Fatal(err)
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("decode blocks %s: %v", raw, err)
	}
	return slackMessage{Text: p.Text, Blocks: blocks.BlockSet}
}

// TestProposePause: an alert's card holds buttons per DR; a click on one pauses that DR only,
// keeps the other's buttons, and reports in the card's thread.
func TestProposePause(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
	e := newEnv(t, dr, func(c *Config) { c.BotToken = testToken })
	p := goldenProposal(drsim.SeedRunning, drsim.SeedStopFailed)
	if err := e.bot.ProposePause(context.Background(), p); err != nil {
		t.Fatalf("ProposePause: %v", err)
	}
	posted := e.slack.Next(t)
	if posted.Path != "/api/chat.postMessage" || posted.Channel != chanID {
		t.Fatalf("got %s to %q; want chat.postMessage to %s", posted.Path, posted.Channel, chanID)
	}
	contains(t, "card", posted.JSON(), "DWSReplicationLagHigh", "alertmanager", "severity=critical",
		"https://prometheus.example/graph?g0.expr=lag", "0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d65")
	card := cardFromPost(t, posted)

	e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
	ack := e.slack.Next(t)
	if ack.Path != "/actions/click" || !ack.ReplaceOriginal {
		t.Fatalf("ack: got %s replace_original=%v; want /actions/click, true", ack.Path, ack.ReplaceOriginal)
	}
	valueOf := func(id string) string { return `"value":"{\"id\":\"` + id }
	if strings.Contains(ack.JSON(), valueOf(drsim.SeedRunning)) || !strings.Contains(ack.JSON(), valueOf(drsim.SeedStopFailed)) {
		t.Errorf("ack: got %s; want the clicked DR's buttons gone and the other's kept", ack.JSON())
	}
	contains(t, "ack", ack.JSON(), "approved by <@U2>", "requested by alert *DWSReplicationLagHigh* (alertmanager)")

	final, _ := e.slack.Until(t, isFinal)
	if final.Path != "/api/chat.postMessage" || final.ThreadTS != posted.TS {
		t.Errorf("final: got %s thread_ts=%q; want chat.postMessage in thread %s", final.Path, final.ThreadTS, posted.TS)
	}
	contains(t, "final", final.JSON(), "is paused", drsim.SeedRunning, "<@U2>")
	if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("got %d pause POSTs; want 1", n)
	}
	if got, _ := srv.Sim.Status(drsim.SeedStopFailed); got != "stop_failed" {
		t.Errorf("other DR: got status %s; want it untouched (stop_failed)", got)
	}
}

func TestProposePauseRefused(t *testing.T) {
	tests := []struct {
		name  string
		token string
		p     Proposal
		want  string
	}{
		{"no token", "", goldenProposal(goldenID), "SLACK_BOT_TOKEN"},
		{"no channel", testToken, Proposal{IDs: []string{goldenID}}, "no channel"},
		{"no ids", testToken, Proposal{Channel: chanID}, "no DR ids"},
		{"invalid id", testToken, Proposal{Channel: chanID, IDs: []string{"../x"}}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, &fakeDR{}, func(c *Config) { c.BotToken = tt.token })
			for name, call := range map[string]func(context.Context, Proposal) error{
				"ProposePause": e.bot.ProposePause, "PauseNow": e.bot.PauseNow,
			} {
				err := call(context.Background(), tt.p)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: got %v; want an error naming %q", name, err, tt.want)
				}
			}
			noPosts(t, e.slack)
		})
	}
}

// TestPauseNow: auto mode posts one message, then pauses and reports: by updating the
// message for one DR, in its thread for several.
func TestPauseNow(t *testing.T) {
	tests := []struct {
		name      string
		ids       []string
		finalPath string
	}{
		{"one", []string{drsim.SeedRunning}, "/api/chat.update"},
		{"two", []string{drsim.SeedRunning, drsim.SeedStopFailed}, "/api/chat.postMessage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
			e := newEnv(t, dr, func(c *Config) { c.BotToken = testToken })
			if err := e.bot.PauseNow(context.Background(), goldenProposal(tt.ids...)); err != nil {
				t.Fatalf("PauseNow: %v", err)
			}
			first := e.slack.Next(t)
			if first.Path != "/api/chat.postMessage" || first.ThreadTS != "" {
				t.Fatalf("got %s thread_ts=%q; want a new chat.postMessage", first.Path, first.ThreadTS)
			}
			contains(t, "message", first.Text, "automatically", "DR_ALERT_AUTO")
			for range tt.ids {
				final, _ := e.slack.Until(t, isFinal)
				if final.Path != tt.finalPath {
					t.Errorf("final: got %s; want %s", final.Path, tt.finalPath)
				}
				contains(t, "final", final.JSON(), "is paused", "DR_ALERT_AUTO", "alert *DWSReplicationLagHigh*")
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != len(tt.ids) {
				t.Errorf("got %d pause POSTs; want %d", n, len(tt.ids))
			}
		})
	}
}

// TestPauseNowHandOffFails: when a job cannot be handed over, the thread of the "pausing
// automatically" message says so, and PauseNow returns the error for the alert's sender.
func TestPauseNowHandOffFails(t *testing.T) {
	dr := &fakeDR{}
	e := newEnv(t, dr, func(c *Config) {
		c.BotToken = testToken
		c.Deferrer = failingDeferrer{}
	})
	err := e.bot.PauseNow(context.Background(), goldenProposal(goldenID))
	if !errors.Is(err, errUnavailable) {
		t.Errorf("PauseNow: got %v; want errUnavailable", err)
	}
	first, failed := e.slack.Next(t), e.slack.Next(t)
	contains(t, "message", first.Text, "automatically")
	if failed.Path != "/api/chat.postMessage" || failed.ThreadTS != first.TS {
		t.Errorf("got %s thread_ts=%q; want a reply in the thread of %s", failed.Path, failed.ThreadTS, first.TS)
	}
	contains(t, "reply", failed.Text, "Could not start the pause of DR `"+goldenID+"`", "Nothing was sent to the DR API")
	if n := dr.calls.Load(); n != 0 {
		t.Errorf("got %d DR calls; want 0", n)
	}
}

func TestNotify(t *testing.T) {
	e := newEnv(t, &fakeDR{}, func(c *Config) { c.BotToken = testToken })
	if err := e.bot.Notify(context.Background(), chanID, "storm of 7 DRs <!channel> refused"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	p := e.slack.Next(t)
	if p.Path != "/api/chat.postMessage" || p.Channel != chanID {
		t.Errorf("got %s to %q; want chat.postMessage to %s", p.Path, p.Channel, chanID)
	}
	if got, want := p.Text, "storm of 7 DRs &lt;!channel&gt; refused"; got != want {
		t.Errorf("got text %q; want %q", got, want)
	}
}

// TestJobJSON: a Job survives the trip through JSON that an asynchronous invocation makes.
func TestJobJSON(t *testing.T) {
	job := Job{Kind: JobPause, ID: goldenID, ResponseURL: "https://hooks.slack.com/actions/T1/1/x", ResponseURLUses: 1,
		Channel: chanID, MessageTS: "1.2", Thread: true, Team: teamID, Requester: "U1", Approver: "U2",
		RequestedAt: goldenAt, ApprovedAt: goldenAt.Add(time.Minute), AlertSource: "smn", AlertTitle: "lag"}
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var got Job
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, job) {
		t.Errorf("round trip: got %+v; want %+v", got, job)
	}
	const want = `{"kind":"pause","disaster_recovery_id":"e59d6b86-9072-46eb-a996-13f8b44994c1",` +
		`"response_url":"https://hooks.slack.com/actions/T1/1/x","response_url_uses":1,"channel":"C1","message_ts":"1.2",` +
		`"thread":true,"team":"T1","requester":"U1","approver":"U2","requested_at":"2026-11-25T22:30:00Z",` +
		`"approved_at":"2026-11-25T22:31:00Z","alert_source":"smn","alert_title":"lag"}`
	if string(data) != want {
		t.Errorf("got JSON %s; want %s", data, want)
	}
}

func TestRunRejectsBadJobs(t *testing.T) {
	e := newEnv(t, &fakeDR{}, nil)
	for _, job := range []Job{
		{Kind: "reboot", ID: goldenID},
		{Kind: JobPause, ID: "../../x"},
		{Kind: JobStatus, ID: ""},
	} {
		if err := e.bot.Run(context.Background(), job); err == nil {
			t.Errorf("Run(%+v): got nil error; want one", job)
		}
	}
	noPosts(t, e.slack)
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error
	}{
		{"no secret", Config{}, "signing secret"},
		{"bad api url", Config{SigningSecret: "s", SlackAPIURL: "ftp://x"}, "Slack API URL"},
		// Without a card the requester's own command would be the approval.
		{"four eyes without confirmation", Config{SigningSecret: "s", FourEyes: true, Confirm: false},
			"DR_FOUR_EYES requires DR_CONFIRM: with confirmation off nobody else approves"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, &fakeDR{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got error %v; want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{SigningSecret: "s", FourEyes: true, Confirm: true}, &fakeDR{}); err != nil {
		t.Errorf("New with four eyes and confirmation: got %v; want nil", err)
	}
	if _, err := New(Config{SigningSecret: "s"}, nil); err == nil {
		t.Errorf("New without DR: got nil error; want one")
	}
}

// TestManifest: the Slack app manifest points at the routes this package serves, with the
// scopes it needs.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "manifest", string(data),
		"command: /dr\n", "url: https://YOUR-FUNCTION-URL/slack/commands\n",
		"request_url: https://YOUR-FUNCTION-URL/slack/interactions\n",
		"- commands\n", "- chat:write\n", "- channels:read\n", "- groups:read\n", "is_enabled: true\n")
}

// recordingDeferrer keeps jobs instead of running them, as a Lambda deferrer hands them to
// another invocation.
type recordingDeferrer struct{ jobs chan Job }

func (d *recordingDeferrer) Defer(ctx context.Context, job Job) error {
	data, err := json.Marshal(job) // what travels in the asynchronous invocation
	if err != nil {
		return err
	}
	var copied Job
	if err := json.Unmarshal(data, &copied); err != nil {
		return err
	}
	d.jobs <- copied
	return nil
}

// TestExternalDeferrer: with a Config.Deferrer, a click hands over a self-contained Job, and Run
// on that Job, as the Lambda job entry calls it, completes the pause.
func TestExternalDeferrer(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
	rec := &recordingDeferrer{jobs: make(chan Job, 4)}
	e := newEnv(t, dr, func(c *Config) { c.Deferrer = rec })
	card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
	ack := e.slack.Next(t)
	contains(t, "ack", ack.Text, "Pausing DR")

	var job Job
	select {
	case job = <-rec.jobs:
	case <-time.After(waitFor):
		t.Fatal("no job deferred")
	}
	if job.Kind != JobPause || job.ID != drsim.SeedRunning || job.Requester != "U1" || job.Approver != "U2" ||
		job.Channel != chanID || job.MessageTS != ack.TS || job.Team != teamID || job.ResponseURLUses != 1 ||
		job.ResponseURL != e.slack.ActionURL("click") || job.RequestedAt.IsZero() {
		t.Errorf("got job %+v; want a pause of %s asked by U1, approved by U2, with its message", job, drsim.SeedRunning)
	}
	if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
		t.Errorf("got %d pause POSTs before Run; want 0", n)
	}

	if job.Op == "" || !job.OpUntil.After(time.Now()) {
		t.Errorf("got job op %q until %v; want the click's claim on the DR", job.Op, job.OpUntil)
	}
	// A second click before the job ran is refused by the card's record.
	e.click(t, "U1", card, drsim.SeedRunning, actionPause, "second")
	contains(t, "second click", e.slack.Next(t).Text, "This card was already used: <@U2>")

	if err := e.bot.Run(context.Background(), job); err != nil {
		t.Fatalf("Run: %v", err)
	}
	final, _ := e.slack.Until(t, isFinal)
	contains(t, "final", final.Text, "is paused")
	if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("got %d pause POSTs; want 1", n)
	}
	// The job, wherever it ran, let go of the DR when it ended.
	if r, held, err := e.bot.ledger.Get(context.Background(), ledger.OpKey(drsim.SeedRunning)); err != nil || held {
		t.Errorf("after Run: got the DR held by %+v (%v); want it released", r, err)
	}
	if err := e.bot.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: got %v; want nil (nothing in process)", err)
	}
}
