package alerts_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// The end-to-end tests run an alert through the real bot to the simulated DR API and a local
// Slack, as a deployment would.

const (
	slackSecret = "test-slack-signing-secret"
	approver    = "U2"
	// e2eWait bounds every wait for deferred work: long for a loaded machine, short to fail fast.
	e2eWait = 5 * time.Second
)

// slackCall is one Web API call or response_url post the local Slack received.
type slackCall struct {
	path string
	text string
	form url.Values
}

// localSlack answers chat.postMessage, chat.update and response_url posts like Slack does.
type localSlack struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []slackCall
	added chan struct{} // gets a value after every call, for waiting without sleeping
}

func newLocalSlack(t *testing.T) *localSlack {
	t.Helper()
	s := &localSlack{added: make(chan struct{}, 1000)}
	mux := http.NewServeMux()
	api := func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		s.record(slackCall{path: r.URL.Path, text: r.PostForm.Get("text"), form: r.PostForm})
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"`+channel+`","ts":"1763626443.000100"}`)
	}
	mux.HandleFunc("POST /api/chat.postMessage", api)
	mux.HandleFunc("POST /api/chat.update", api)
	mux.HandleFunc("POST /response/", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		s.record(slackCall{path: r.URL.Path, text: m.Text})
		io.WriteString(w, "ok")
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *localSlack) record(c slackCall) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	s.added <- struct{}{}
}

// waitFor returns the first call matching ok, waiting for new calls up to e2eWait.
func (s *localSlack) waitFor(t *testing.T, what string, ok func(slackCall) bool) slackCall {
	t.Helper()
	deadline := time.After(e2eWait)
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if ok(c) {
				s.mu.Unlock()
				return c
			}
		}
		calls := fmt.Sprintf("%+v", s.calls)
		s.mu.Unlock()
		select {
		case <-s.added:
		case <-deadline:
			t.Fatalf("no %s within %s; Slack got %s", what, e2eWait, calls)
			return slackCall{}
		}
	}
}

func (s *localSlack) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.path == path {
			n++
		}
	}
	return n
}

// deployment is one instance of the product: a bot and an alert handler sharing a simulator
// and a Slack with other instances.
type deployment struct {
	bot    *bot.Bot
	alerts *alerts.Handler
}

func newDeployment(t *testing.T, sim *drsim.Server, sl *localSlack, auto bool) deployment {
	t.Helper()
	dr, err := drapi.New(sim.ClientConfig())
	if err != nil {
		t.Fatalf("drapi.New: %v", err)
	}
	b, err := bot.New(bot.Config{
		SigningSecret:   slackSecret,
		BotToken:        "xoxb-test-token",
		SlackAPIURL:     sl.srv.URL + "/api/",
		AllowedUsers:    allowOnly(approver),
		AllowedChannels: allowAll,
		AllowedIDs:      allowAll,
		AllowedTeams:    allowAll,
		Confirm:         true,
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
	h, err := alerts.New(alerts.Config{AlertBearer: bearerCheck(alertToken), Channel: channel, Auto: auto, AllowedIDs: allowAll}, b)
	if err != nil {
		t.Fatalf("alerts.New: %v", err)
	}
	return deployment{bot: b, alerts: h}
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
	sl := newLocalSlack(t)
	d := newDeployment(t, sim, sl, true)

	status, a := post(t, d.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "paused" {
		t.Fatalf("alert: got %d %q (%s); want 200 paused", status, a.Decision, a.Reason)
	}
	final := sl.waitFor(t, "final message", func(c slackCall) bool {
		return c.path == "/api/chat.update" && strings.Contains(c.text, "is paused: status *stopped*")
	})
	if !strings.Contains(final.text, drsim.SeedRunning) {
		t.Errorf("final message %q does not name %s", final.text, drsim.SeedRunning)
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
	sl := newLocalSlack(t)
	first := newDeployment(t, sim, sl, true)
	second := newDeployment(t, sim, sl, true)

	post(t, first.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	sl.waitFor(t, "first final message", func(c slackCall) bool {
		return c.path == "/api/chat.update" && strings.Contains(c.text, "is paused")
	})
	status, a := post(t, second.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "paused" {
		t.Fatalf("second instance: got %d %q; want 200 paused (it cannot know)", status, a.Decision)
	}
	sl.waitFor(t, "already-stopped message", func(c slackCall) bool {
		return c.path == "/api/chat.update" && strings.Contains(c.text, "was already stopped: no pause sent")
	})
	if got := sim.Sim.Count(drsim.RoutePause); got != 1 {
		t.Errorf("pause calls: got %d; want 1", got)
	}
}

func TestEndToEndCardAndClick(t *testing.T) {
	sim := startSim(t)
	sl := newLocalSlack(t)
	d := newDeployment(t, sim, sl, false)

	status, a := post(t, d.alerts.Alertmanager(), bearer(alertToken), alertFor(drsim.SeedRunning))
	if status != 200 || a.Decision != "proposed" {
		t.Fatalf("alert: got %d %q (%s); want 200 proposed", status, a.Decision, a.Reason)
	}
	card := sl.waitFor(t, "card", func(c slackCall) bool { return c.path == "/api/chat.postMessage" })
	if got, _ := sim.Sim.Status(drsim.SeedRunning); got != drapi.StatusRunning {
		t.Fatalf("status before the click: got %q; want running", got)
	}
	blocksJSON := card.form.Get("blocks")
	blockID, value := pauseButton(t, blocksJSON)

	click := clickRequest(t, blocksJSON, blockID, value, sl.srv.URL+"/response/click")
	rec := httptest.NewRecorder()
	d.bot.Interactions().ServeHTTP(rec, click)
	if rec.Code != http.StatusOK {
		t.Fatalf("click: got %d; want 200", rec.Code)
	}
	sl.waitFor(t, "final message", func(c slackCall) bool { return strings.Contains(c.text, "is paused: status *stopped*") })
	checkStatus(t, sim, drsim.SeedRunning, drapi.StatusStopped)
	if got := sl.count("/api/chat.postMessage"); got != 1 {
		t.Errorf("messages posted: got %d; want 1 card", got)
	}
}

// pauseButton finds the dr_pause button of a card and returns its block id and value.
func pauseButton(t *testing.T, blocksJSON string) (blockID, value string) {
	t.Helper()
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
		t.Fatalf("card blocks: %v", err)
	}
	for _, blk := range blocks.BlockSet {
		ab, ok := blk.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == "dr_pause" {
				return ab.BlockID, btn.Value
			}
		}
	}
	t.Fatalf("card has no dr_pause button: %s", blocksJSON)
	return "", ""
}

// clickRequest is the signed block_actions request Slack sends when the approver clicks Pause.
func clickRequest(t *testing.T, blocksJSON, blockID, value, responseURL string) *http.Request {
	t.Helper()
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"approver","team_id":"T1"},`+
		`"api_app_id":"A1","team":{"id":"T1","domain":"example"},"trigger_id":"1.2.3","response_url":%q,`+
		`"container":{"type":"message","message_ts":"1763626443.000100","channel_id":%q,"is_ephemeral":false},`+
		`"channel":{"id":%q,"name":"ops"},"message":{"type":"message","ts":"1763626443.000100","text":"card","blocks":%s},`+
		`"actions":[{"action_id":"dr_pause","block_id":%q,"type":"button","value":%q,"action_ts":"1.3"}],"state":{"values":{}}}`,
		approver, responseURL, channel, channel, blocksJSON, blockID, value)
	body := url.Values{"payload": {payload}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(slackSecret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	r := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return r
}

var _ alerts.Actions = (*bot.Bot)(nil)
