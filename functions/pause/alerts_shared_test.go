package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// The alert routes' promises must hold with two instances at once: these tests run the real
// binary twice in HTTP mode, on one DynamoDB-compatible ledger (dynalite, a fresh table per
// test), one DR API simulator and one Slack double, and spread the alerts over both.

// TestStormBudgetAcrossProcesses: with DR_ALERT_MAX_IDS=2, three Alertmanager requests each
// naming one new DR id, sent at once to two processes, pause two DRs and refuse the third, and
// the channel is told once, however many requests the budget refuses on either process.
func TestStormBudgetAcrossProcesses(t *testing.T) {
	pair := startAlertPair(t, "DR_ALERT_AUTO=true", "DR_ALERT_MAX_IDS=2")
	ids := []string{drsim.SeedRunning, drsim.SeedStopFailed, drsim.SeedUnstart}
	for _, id := range ids { // each running, so the one refused is seen to stay so
		if err := pair.sim.Sim.SetStatus(id, drapi.StatusRunning); err != nil {
			t.Fatal(err)
		}
	}
	answers := make([]alertAnswer, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { answers[i] = pair.alert(t, pair.srv[i%2], id, fmt.Sprintf("storm-%d", i)) })
	}
	wg.Wait()

	var paused, refused []string
	for _, a := range answers {
		switch a.Decision {
		case "paused":
			paused = append(paused, a.IDs...)
		case "refused":
			refused = append(refused, a.IDs...)
			if !strings.Contains(a.Reason, "storm budget") {
				t.Errorf("refusal: got reason %q; want the storm budget", a.Reason)
			}
		}
	}
	if len(paused) != 2 || len(refused) != 1 {
		t.Fatalf("answers: got %+v; want two paused, one refused", answers)
	}
	for _, id := range paused {
		pair.slack.wait(t, id, "status *stopped*")
	}
	if got := pair.sim.Sim.Count(drsim.RoutePause); got != 2 {
		t.Errorf("pause calls to the DR API: got %d; want 2", got)
	}
	if st, _ := pair.sim.Sim.Status(refused[0]); st != drapi.StatusRunning {
		t.Errorf("refused DR %s: status %s; want running", refused[0], st)
	}

	// Another new id, on the process that did not refuse: refused too, without a second notice.
	other := pair.srv[0]
	if answers[0].Decision == "refused" || answers[2].Decision == "refused" {
		other = pair.srv[1]
	}
	if a := pair.alert(t, other, drsim.SeedStopped, "storm-3"); a.Decision != "refused" || !strings.Contains(a.Reason, "already reported") {
		t.Errorf("fourth id: got %q (%s); want refused, already reported", a.Decision, a.Reason)
	}
	if got := pair.slack.count("storm budget is spent"); got != 1 {
		t.Errorf("notices of the spent budget: got %d; want 1\n%s", got, strings.Join(pair.slack.texts(), "\n"))
	}
}

// TestSameAlertToBothProcesses: an Alertmanager notification delivered to both processes at
// once, as an HA pair of Alertmanagers would, gives one card.
func TestSameAlertToBothProcesses(t *testing.T) {
	pair := startAlertPair(t)
	answers := make([]alertAnswer, 2)
	var wg sync.WaitGroup
	for i, srv := range pair.srv {
		wg.Go(func() { answers[i] = pair.alert(t, srv, drsim.SeedRunning, "ha-duplicate") })
	}
	wg.Wait()
	decisions := []string{answers[0].Decision, answers[1].Decision}
	slices.Sort(decisions)
	if !slices.Equal(decisions, []string{"ignored", "proposed"}) {
		t.Errorf("decisions: got %+v; want one proposed and one ignored", answers)
	}
	if got := pair.slack.cards(); got != 1 {
		t.Errorf("cards: got %d; want 1\n%s", got, strings.Join(pair.slack.texts(), "\n"))
	}
}

// TestAlertLedgerUnreachable: when the ledger's table cannot be reached, an alert does nothing
// (no card, no pause) and is answered 503, which senders retry, with a body that does not name
// the ledger; the log does.
func TestAlertLedgerUnreachable(t *testing.T) {
	const table = "drpause-no-such-table"
	pair := startAlertPair(t, "DR_ALERT_AUTO=true", "DR_LEDGER_TABLE="+table)
	body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "alerts": []map[string]any{{
		"status": "firing", "fingerprint": "f1", "startsAt": "2026-11-20T08:14:03.512Z",
		"labels": map[string]string{"alertname": "DWSPrimaryUnhealthy", "disaster_recovery_id": drsim.SeedRunning},
	}}})
	status, answer := post(t, pair.srv[0].url+"/alerts/alertmanager", "application/json", body,
		http.Header{"Authorization": {"Bearer " + alertToken}})
	if status != http.StatusServiceUnavailable || strings.Contains(string(answer), table) || strings.Contains(string(answer), "ledger") {
		t.Errorf("answer: got %d %s; want 503 with a body that does not name the ledger", status, answer)
	}
	if got := pair.slack.texts(); len(got) != 0 {
		t.Errorf("Slack messages: got %q; want none", got)
	}
	if got := pair.sim.Sim.Count(drsim.RoutePause); got != 0 {
		t.Errorf("pause calls to the DR API: got %d; want 0", got)
	}
	waitLog(t, pair.srv[0], `"ledger":"DynamoDB table `+table+`"`)
}

// alertPair is two product processes sharing a ledger, a DR API and Slack.
type alertPair struct {
	srv   [2]*httpServer
	sim   *drsim.Server
	slack *alertSlack
}

// startAlertPair starts the binary twice on one fresh ledger table, with the Alertmanager route
// on, every id allowed, and env on top.
func startAlertPair(t *testing.T, env ...string) *alertPair {
	t.Helper()
	endpoint, table := ledgertest.Table(t)
	creds := drsim.LocalCredentials()
	p := &alertPair{sim: startSim(t, creds), slack: startAlertSlack(t)}
	base := []string{
		"DR_ENDPOINT=" + p.sim.URL(),
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + creds.AccessKey,
		"HUAWEICLOUD_SDK_SK=" + creds.SecretKey,
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + p.slack.apiURL(),
		"DR_ALLOWED_USERS=*",
		"DR_ALERT_TOKEN=" + alertToken,
		"DR_ALERT_CHANNEL=C0LOCAL01",
	}
	base = append(base, ledgertest.Env(endpoint, table)...)
	for i := range p.srv {
		p.srv[i] = startHTTP(t, append(slices.Clone(base), env...))
	}
	return p
}

// alertAnswer is a decoded 200 answer of an alert route.
type alertAnswer struct {
	Decision string   `json:"decision"`
	IDs      []string `json:"ids"`
	Reason   string   `json:"reason"`
}

// alert sends srv an Alertmanager notification of one firing alert naming id, with fingerprint
// fp, and returns its 200 answer.
func (p *alertPair) alert(t *testing.T, srv *httpServer, id, fp string) alertAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "dws-dr-pause", "truncatedAlerts": 0,
		"alerts": []map[string]any{{
			"status": "firing", "fingerprint": fp, "startsAt": "2026-11-20T08:14:03.512Z",
			"labels": map[string]string{"alertname": "DWSPrimaryUnhealthy", "disaster_recovery_id": id},
		}},
	})
	status, answer := post(t, srv.url+"/alerts/alertmanager", "application/json", body,
		http.Header{"Authorization": {"Bearer " + alertToken}})
	var a alertAnswer
	if err := json.Unmarshal(answer, &a); status != http.StatusOK || err != nil {
		t.Errorf("alert for %s: got %d %s; want 200 and a decision", id, status, answer)
	}
	return a
}

// alertSlack is the Slack side of these tests. They reach the double only through these
// methods, so it can be replaced under them.
type alertSlack struct{ d *slacktest.Server }

func startAlertSlack(t *testing.T) *alertSlack {
	return &alertSlack{d: newSlack(t)}
}

func (s *alertSlack) apiURL() string { return s.d.APIURL() }

// texts renders every message the bot sent, as a person reads it.
func (s *alertSlack) texts() []string {
	var out []string
	for _, m := range s.d.Posts() {
		out = append(out, m.Render())
	}
	return out
}

// count is how many messages mention substr.
func (s *alertSlack) count(substr string) int {
	n := 0
	for _, text := range s.texts() {
		if strings.Contains(text, substr) {
			n++
		}
	}
	return n
}

// cards is how many messages carry a Pause button.
func (s *alertSlack) cards() int {
	n := 0
	for _, m := range s.d.Posts() {
		if _, ok := m.Buttons()["dr_pause"]; ok {
			n++
		}
	}
	return n
}

// wait waits until one message mentions every one of substrs.
func (s *alertSlack) wait(t *testing.T, substrs ...string) {
	t.Helper()
	waitMessage(t, s.d, func(m slacktest.Post) bool {
		text := m.Render()
		for _, sub := range substrs {
			if !strings.Contains(text, sub) {
				return false
			}
		}
		return true
	})
}
