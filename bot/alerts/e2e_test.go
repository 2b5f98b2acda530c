package alerts_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The end-to-end tests run an alert through the real bot to the simulated DR API and a local
// Slack, as a deployment would.

const (
	slackSecret = "test-slack-signing-secret"
	approver    = "U2"
	// e2eWait bounds every wait for deferred work: long for a loaded machine, short to fail fast.
	e2eWait = 5 * time.Second
)

// deployment is one instance of the product: a bot and an alert handler sharing a simulator
// and a Slack with other instances.
type deployment struct {
	bot    *bot.Bot
	alerts *alerts.Handler
}

func newDeployment(t *testing.T, sim *drsim.Server, sl *slacktest.Server, auto bool) deployment {
	t.Helper()
	dr, err := drapi.New(sim.ClientConfig())
	if err != nil {
		t.Fatalf("drapi.New: %v", err)
	}
	b, err := bot.New(bot.Config{
		SigningSecret:   slackSecret,
		BotToken:        "xoxb-test-token",
		SlackAPIURL:     sl.APIURL(),
		AllowedUsers:    allowOnly(approver),
		AllowedChannels: allowAll,
		AllowedIDs:      allowAll,
		AllowedTeams:    allowAll,
		Confirm:         true,
		Resume:          true, // on, so that alerts are shown never to use it
		Wait:            e2eWait,
		Follow:          drapi.FollowOptions{MinInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond},
	}, dr)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
		defer cancel()
		b.Shutdown(ctx)
	})
	h, err := alerts.New(alerts.Config{AlertBearer: bearerCheck(alertToken), Channel: channel, Auto: auto, AllowedIDs: allowAll, Ledger: ledger.NewMemory()}, b)
	if err != nil {
		t.Fatalf("alerts.New: %v", err)
	}
	return deployment{bot: b, alerts: h}
}

// startSlack starts a Slack that applies all of Slack's rules and fails the test for each one
// the bot broke.
func startSlack(t *testing.T) *slacktest.Server {
	t.Helper()
	sl := slacktest.Start(t, slacktest.Config{SigningSecret: slackSecret, Rules: slacktest.Strict, WaitTimeout: e2eWait})
	t.Cleanup(func() { sl.CheckNoViolations(t, slacktest.RuleAnswerIn3s) })
	return sl
}

func startSim(t *testing.T) *drsim.Server {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{StoppingFor: drsim.Immediate})
	if err != nil {
		t.Fatalf("drsim.Start: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// alertFor is the reference Alertmanager webhook naming id.
func alertFor(id string) []byte {
	return []byte(strings.ReplaceAll(referenceAlertmanager, idA, id))
}

// checkStatus checks the simulator's view of id once the bot has reported the end.
func checkStatus(t *testing.T, sim *drsim.Server, id string, want drapi.Status) {
	t.Helper()
	if got, _ := sim.Sim.Status(id); got != want {
		t.Errorf("status of %s: got %q; want %q", id, got, want)
	}
}

func TestEndToEndAutoPauseFollowedToStopped(t *testing.T) {
	sim := startSim(t)
	sl := startSlack(t)
	d := newDeployment(t, sim, sl, true)

	status, a := post(t, d.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "paused" {
		t.Fatalf("alert: got %d %q (%s); want 200 paused", status, a.Decision, a.Reason)
	}
	final := sl.Wait(t, "final message", func(p slacktest.Post) bool {
		return p.Via == slacktest.ViaUpdate && strings.Contains(p.Text, "is paused: status *stopped*")
	})
	if !strings.Contains(final.Text, drsim.SeedRunning) {
		t.Errorf("final message %q does not name %s", final.Text, drsim.SeedRunning)
	}
	checkStatus(t, sim, drsim.SeedRunning, drapi.StatusStopped)
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pause calls: got %d; want 1", got)
	}
}

// TestEndToEndDuplicateAcrossInstances: two instances (two Lambda containers) get the same alert,
// the second after the first pause has started, as a repeat or a second Alertmanager of an HA
// pair sends it. Their dedup caches are separate, so the DR status check is what keeps it to one
// pause. Two instances acting at the same instant can each send one, and DWS refuses the second:
// pkg/drapi's TestPauseAndFollow covers how that refusal is reported.
func TestEndToEndDuplicateAcrossInstances(t *testing.T) {
	sim := startSim(t)
	sl := startSlack(t)
	first := newDeployment(t, sim, sl, true)
	second := newDeployment(t, sim, sl, true)

	post(t, first.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	sl.Wait(t, "first final message", func(p slacktest.Post) bool {
		return p.Via == slacktest.ViaUpdate && strings.Contains(p.Text, "is paused")
	})
	status, a := post(t, second.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "paused" {
		t.Fatalf("second instance: got %d %q; want 200 paused (it cannot know)", status, a.Decision)
	}
	sl.Wait(t, "already-stopped message", func(p slacktest.Post) bool {
		return p.Via == slacktest.ViaUpdate && strings.Contains(p.Text, "was already stopped: no pause sent")
	})
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pause calls: got %d; want 1", got)
	}
}

func TestEndToEndCardAndClick(t *testing.T) {
	sim := startSim(t)
	sl := startSlack(t)
	d := newDeployment(t, sim, sl, false)

	status, a := post(t, d.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "proposed" {
		t.Fatalf("alert: got %d %q (%s); want 200 proposed", status, a.Decision, a.Reason)
	}
	card := sl.Wait(t, "card", func(p slacktest.Post) bool { return p.Via == slacktest.ViaPostMessage })
	if got, _ := sim.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
		t.Fatalf("status before the click: got %q; want running", got)
	}
	click := sl.Click(d.bot.Interactions(), slacktest.Click{Team: "T1", User: approver, MessageTS: card.TS, ActionID: "dr_pause"})
	if click.Status != http.StatusOK {
		t.Fatalf("click: got %d; want 200", click.Status)
	}
	sl.Wait(t, "final message", func(p slacktest.Post) bool { return strings.Contains(p.Text, "is paused: status *stopped*") })
	checkStatus(t, sim, drsim.SeedRunning, drapi.StatusStopped)
	if got := sl.Count(slacktest.ViaPostMessage); got != 1 {
		t.Errorf("messages posted: got %d; want 1 card", got)
	}
}

// TestEndToEndAlertsNeverResume: an alert never resumes a DR, in any mode, even with DR_RESUME
// on: a firing alert naming a stopped DR pauses nothing more and starts nothing (auto mode), or
// proposes a pause whose card has no Resume to click; a resolved one is ignored.
func TestEndToEndAlertsNeverResume(t *testing.T) {
	resolved := strings.ReplaceAll(string(alertFor(drsim.SeedStopped)), `"status":"firing"`, `"status":"resolved"`)
	tests := []struct {
		name         string
		auto         bool
		body         []byte
		wantDecision string
	}{
		{name: "auto", auto: true, body: alertFor(drsim.SeedStopped), wantDecision: "paused"},
		{name: "card", body: alertFor(drsim.SeedStopped), wantDecision: "proposed"},
		{name: "resolved, auto", auto: true, body: []byte(resolved), wantDecision: "ignored"},
		{name: "resolved, card", body: []byte(resolved), wantDecision: "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			sl := startSlack(t)
			d := newDeployment(t, sim, sl, tt.auto)
			status, a := post(t, d.alerts.Alertmanager(), bearer(alertToken), tt.body)
			if status != 200 || a.Decision != tt.wantDecision {
				t.Fatalf("alert: got %d %q (%s); want 200 %s", status, a.Decision, a.Reason, tt.wantDecision)
			}
			switch tt.wantDecision {
			case "paused":
				sl.Wait(t, "final message", func(p slacktest.Post) bool {
					return strings.Contains(p.Text, "was already stopped: no pause sent")
				})
			case "proposed":
				card := sl.Wait(t, "card", func(p slacktest.Post) bool { return p.Via == slacktest.ViaPostMessage })
				if strings.Contains(card.JSON(), "dr_resume") {
					t.Errorf("alert card offers a resume: %s", card.JSON())
				}
				// Even a click sending dr_resume with the card's value resumes nothing.
				if card.Buttons()["dr_pause"] == "" {
					t.Fatalf("alert card without a Pause button: %s", card.JSON())
				}
				sl.Click(d.bot.Interactions(), slacktest.Click{Team: "T1", User: approver, MessageTS: card.TS, ActionID: "dr_resume",
					Value: card.Buttons()["dr_pause"], ResponseURL: sl.ActionURL("click")})
				sl.Wait(t, "refusal", func(p slacktest.Post) bool { return strings.Contains(p.Text, "was not made by this app") })
			}
			if got := sim.Sim.Count(drsim.RouteStart); got != 0 {
				t.Errorf("start calls: got %d; want 0", got)
			}
			checkStatus(t, sim, drsim.SeedStopped, drapi.StatusStopped)
		})
	}
}

var _ alerts.Actions = (*bot.Bot)(nil)
