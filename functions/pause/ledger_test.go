package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// The tests of this file run the real binary twice, in HTTP mode, as two instances sharing one
// DynamoDB ledger (dynalite, through DR_LEDGER=dynamodb and AWS_ENDPOINT_URL_DYNAMODB) and one DR
// API (a simulator of the test's own, through DR_ENDPOINT, whose counts tell how many pauses
// were sent): each promise the ledger keeps must hold whichever instance a request lands on.

// pauseGate holds the pause POSTs on their way to the simulator until it opens, counting them,
// so a test can keep a pause in flight while it sends the requests that must find it so.
type pauseGate struct {
	open    chan struct{}
	once    sync.Once
	arrived atomic.Int32
}

func (g *pauseGate) release() { g.once.Do(func() { close(g.open) }) }

// instances is two product processes and what they share.
type instances struct {
	a, b  *httpServer
	sim   *drsim.Sim
	gate  *pauseGate
	slack *slacktest.Server
	table string
}

// startInstances starts the binary twice on one new ledger table, one DR API behind a pause
// gate (open unless gated) and one Slack double, with env on top of a deployment allowing
// everyone everywhere.
func startInstances(t *testing.T, gated bool, env ...string) *instances {
	t.Helper()
	endpoint, table := ledgertest.Table(t)
	in := &instances{gate: &pauseGate{open: make(chan struct{})}, table: table}
	if !gated {
		in.gate.release()
	}
	t.Cleanup(in.gate.release) // a gated request must not outlive the test
	in.slack = newSlack(t)
	creds := drsim.LocalCredentials()
	in.sim = drsim.New(drsim.Options{Credentials: creds, StoppingFor: drsim.Immediate})
	dr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pause") {
			in.gate.arrived.Add(1)
			select {
			case <-in.gate.open:
			case <-r.Context().Done():
				return
			}
		}
		in.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(dr.Close)
	base := append([]string{
		"DR_ENDPOINT=" + dr.URL,
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + creds.AccessKey,
		"HUAWEICLOUD_SDK_SK=" + creds.SecretKey,
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + in.slack.APIURL(),
		"DR_ALLOWED_USERS=*",
		"DR_INVOKE_TOKEN=" + invokeToken,
	}, ledgertest.Env(endpoint, table)...)
	env = append(base, env...)
	in.a, in.b = startHTTP(t, env), startHTTP(t, env)
	return in
}

// card asks srv for a pause card of id, as U0REQUEST in C0LOCAL01, and returns its button value.
func (in *instances) card(t *testing.T, srv *httpServer, id string) string {
	t.Helper()
	body := slashBody("pause "+id, in.slack.ResponseURL("command"))
	status, answer := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
	var fields map[string]any
	if status != http.StatusOK || json.Unmarshal(answer, &fields) != nil {
		t.Fatalf("/dr pause: got %d %s; want 200 with a card", status, answer)
	}
	value, ok := slacktest.Buttons(fields)["dr_pause"]
	if !ok {
		t.Fatalf("card: no dr_pause button in %s", answer)
	}
	return value
}

// buttonBody is a click by user on the button action (dr_pause or dr_cancel) carrying value, on
// a card in C0LOCAL01, answered at the response_url named name.
func (in *instances) buttonBody(user, action, value, name string) []byte {
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "team_id": "T0LOCAL01"},
		"team":         map[string]any{"id": "T0LOCAL01"},
		"channel":      map[string]any{"id": "C0LOCAL01"},
		"container":    map[string]any{"type": "message", "message_ts": "1795600801.000100", "channel_id": "C0LOCAL01"},
		"response_url": in.slack.ActionURL(name),
		"actions":      []any{map[string]any{"action_id": action, "block_id": "dr_actions", "type": "button", "value": value}},
	})
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// click sends body to srv's interactions route.
func click(t *testing.T, srv *httpServer, body []byte) {
	t.Helper()
	if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", body, slackHeaders(body)); status != http.StatusOK {
		t.Errorf("click: got %d %s; want 200", status, b)
	}
}

// said waits for a Slack message at the response_url named name and returns it as read. It is
// the one place these tests read the Slack double.
func (in *instances) said(t *testing.T, name string) string {
	t.Helper()
	m := waitMessage(t, in.slack, func(m slacktest.Post) bool { return m.Path == "/actions/"+name })
	return m.Render()
}

// saidAll returns every message Slack took so far, as read.
func (in *instances) saidAll() []string {
	var out []string
	for _, m := range in.slack.Posts() {
		if !m.OK() {
			continue
		}
		out = append(out, m.Path+": "+m.Render())
	}
	return out
}

func (in *instances) pauses(t *testing.T, want int) {
	t.Helper()
	if got := in.sim.Count(drsim.RoutePause); got != want {
		t.Errorf("pause POSTs to the DR API: got %d; want %d", got, want)
	}
}

func wantIn(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %s; want it to contain %q", what, got, w)
		}
	}
}

// TestTwoInstancesSingleUseCards: a card acts at most once whichever instance each click lands
// on: cancelled on one, it pauses nothing on the other; used once, it pauses nothing again,
// even after the DR was resumed; the same click delivered to both at once pauses once.
func TestTwoInstancesSingleUseCards(t *testing.T) {
	t.Run("cancelled on one, clicked on the other", func(t *testing.T) {
		in := startInstances(t, false)
		value := in.card(t, in.a, drsim.SeedRunning)
		click(t, in.a, in.buttonBody("U0REQUEST", "dr_cancel", value, "cancel"))
		wantIn(t, "cancel", in.said(t, "cancel"), "cancelled by <@U0REQUEST>")
		click(t, in.b, in.buttonBody("U0APPROVE", "dr_pause", value, "pause"))
		wantIn(t, "pause on the other instance", in.said(t, "pause"), "This card was cancelled by <@U0REQUEST> at", "nothing sent")
		in.pauses(t, 0)
	})
	t.Run("used, resumed, clicked again on the other", func(t *testing.T) {
		in := startInstances(t, false)
		value := in.card(t, in.a, drsim.SeedRunning)
		click(t, in.a, in.buttonBody("U0APPROVE", "dr_pause", value, "first"))
		waitMessage(t, in.slack, mentions("status *stopped*"))
		if err := in.sim.SetStatus(drsim.SeedRunning, drapi.StatusRunning); err != nil {
			t.Fatal(err)
		}
		click(t, in.b, in.buttonBody("U0APPROVE", "dr_pause", value, "again"))
		wantIn(t, "the used card again", in.said(t, "again"), "This card was already used: <@U0APPROVE> approved the pause", "nothing sent")
		in.pauses(t, 1)
	})
	t.Run("the same click to both at once", func(t *testing.T) {
		in := startInstances(t, false)
		body := in.buttonBody("U0APPROVE", "dr_pause", in.card(t, in.a, drsim.SeedRunning), "click")
		var wg sync.WaitGroup
		for _, srv := range []*httpServer{in.a, in.b} {
			wg.Go(func() { click(t, srv, body) })
		}
		wg.Wait()
		waitMessage(t, in.slack, mentions("status *stopped*"))
		waitMessage(t, in.slack, mentions("This card was already used"))
		var pausing, used int
		for _, m := range in.saidAll() {
			switch {
			case strings.Contains(m, "/actions/click") && strings.Contains(m, "Pausing DR"):
				pausing++
			case strings.Contains(m, "/actions/click") && strings.Contains(m, "This card was already used: <@U0APPROVE>"):
				used++
			}
		}
		if pausing != 1 || used != 1 {
			t.Errorf("got %d pausing and %d used answers; want 1 and 1:\n%s", pausing, used, strings.Join(in.saidAll(), "\n"))
		}
		in.pauses(t, 1)
	})
}

// invokeBody is POST /invoke's body for a pause of id.
func invokeBody(id string, wait bool) []byte {
	return []byte(fmt.Sprintf(`{"disaster_recovery_id":%q,"wait":%t}`, id, wait))
}

func invokeOn(t *testing.T, srv *httpServer, body []byte) (int, string) {
	t.Helper()
	status, answer := post(t, srv.url+"/invoke", "application/json", body, http.Header{"Authorization": {"Bearer " + invokeToken}})
	return status, string(answer)
}

// TestTwoInstancesOnePausePerDR: a pause in flight holds its DR on every instance, whoever
// asked: five /invoke calls at once to each instance send one pause and the nine others answer
// 409 in progress; a click's pause holds the DR against /invoke on the other instance.
func TestTwoInstancesOnePausePerDR(t *testing.T) {
	t.Run("/invoke five times at once on each", func(t *testing.T) {
		in := startInstances(t, true)
		type answer struct {
			status int
			body   string
		}
		answers := make(chan answer, 10)
		for _, srv := range []*httpServer{in.a, in.b} {
			for range 5 {
				go func() {
					status, body := invokeOn(t, srv, invokeBody(drsim.SeedRunning, false))
					answers <- answer{status, body}
				}()
			}
		}
		// The nine that do not hold the DR answer while the one that does waits at the gate.
		for range 9 {
			select {
			case a := <-answers:
				if a.status != http.StatusConflict || !strings.Contains(a.body, `"code":"in_progress"`) {
					t.Errorf("got %d %s; want 409 in_progress", a.status, a.body)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("nine calls did not answer while one pause was held at the gate")
			}
		}
		in.gate.release()
		if a := <-answers; a.status != http.StatusOK {
			t.Errorf("the call holding the DR: got %d %s; want 200", a.status, a.body)
		}
		if n := in.gate.arrived.Load(); n != 1 {
			t.Errorf("pause POSTs sent: got %d; want 1", n)
		}
		in.pauses(t, 1)
	})
	t.Run("a click on one holds the DR against /invoke on the other", func(t *testing.T) {
		in := startInstances(t, true)
		click(t, in.a, in.buttonBody("U0APPROVE", "dr_pause", in.card(t, in.a, drsim.SeedRunning), "click"))
		wantIn(t, "click", in.said(t, "click"), "Pausing DR")
		type answer struct {
			status int
			body   string
		}
		answered := make(chan answer, 1)
		go func() {
			status, body := invokeOn(t, in.b, invokeBody(drsim.SeedRunning, true))
			answered <- answer{status, body}
		}()
		var status int
		var body string
		select {
		case a := <-answered:
			status, body = a.status, a.body
		case <-time.After(20 * time.Second):
			t.Fatal("/invoke did not answer while the click's pause was held at the gate")
		}
		if status != http.StatusConflict || !strings.Contains(body, `"code":"in_progress"`) || !strings.Contains(body, "pause by U0APPROVE") {
			t.Errorf("/invoke while the click's pause runs: got %d %s; want 409 in_progress naming U0APPROVE", status, body)
		}
		in.gate.release()
		waitMessage(t, in.slack, mentions("status *stopped*"))
		in.pauses(t, 1)
	})
}

// TestLedgerUnreachable: with the ledger's endpoint a closed port, nothing is paused, and Slack
// and /invoke (503) say why, naming the table.
func TestLedgerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	in := startInstances(t, false, "AWS_ENDPOINT_URL_DYNAMODB="+closed)
	wantTable := "The ledger (DynamoDB table " + in.table + ") is unreachable: nothing was paused"

	click(t, in.a, in.buttonBody("U0APPROVE", "dr_pause", in.card(t, in.a, drsim.SeedRunning), "click"))
	wantIn(t, "click", in.said(t, "click"), wantTable)
	status, body := invokeOn(t, in.b, invokeBody(drsim.SeedRunning, false))
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"ledger_unavailable"`) ||
		!strings.Contains(body, "the ledger (DynamoDB table "+in.table+") is unreachable: nothing was paused") {
		t.Errorf("/invoke: got %d %s; want 503 ledger_unavailable naming the table", status, body)
	}
	in.pauses(t, 0)
	for _, srv := range []*httpServer{in.a, in.b} {
		checkNoSecrets(t, srv.out.String())
		if strings.Contains(srv.out.String(), ledgertest.Credentials.SecretAccessKey) {
			t.Errorf("the AWS secret key is in the output:\n%s", srv.out)
		}
	}
}

// TestLambdaJobDeliveredTwice: Lambda delivers asynchronous events at least once. The sealed
// job of a click, delivered to two instances of the function at once (the real bootstrap under
// two emulators, one DynamoDB ledger, one DR API), pauses once and reports once; the instance
// that lost the job id logs the second delivery.
func TestLambdaJobDeliveredTwice(t *testing.T) {
	endpoint, table := ledgertest.Table(t)
	slack := newSlack(t)
	lambdaAPI := fakelambda.Start()
	defer lambdaAPI.Close()
	creds := drsim.LocalCredentials()
	sim := startSim(t, creds)
	env := append([]string{
		"DR_ENDPOINT=" + sim.URL(),
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + creds.AccessKey,
		"HUAWEICLOUD_SDK_SK=" + creds.SecretKey,
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=*",
	}, lambdaEnv(lambdaAPI)...)
	// The ledger's environment last: its AWS keys and region win over lambdaEnv's.
	env = append(env, ledgertest.Env(endpoint, table)...)
	first, second := startEmulator(t, env), startEmulator(t, env)

	event, err := os.ReadFile("../../events/button-click.json")
	if err != nil {
		t.Fatal(err)
	}
	if event, err = slacktest.ResignEvent(event, slacktest.LocalSecret, time.Now(), resign(slacktest.LocalSecret, pointAtDouble(slack))); err != nil {
		t.Fatal(err)
	}
	first.invoke(t, event)
	var inv fakelambda.Invocation
	select {
	case inv = <-lambdaAPI.Calls():
	case <-time.After(10 * time.Second):
		t.Fatal("no asynchronous self-invocation after the click")
	}

	var wg sync.WaitGroup
	for _, fn := range []*emulator{first, second} {
		wg.Go(func() {
			if got := fn.invoke(t, inv.Payload); string(got) != "null" {
				t.Errorf("job: got %s; want null (done, or already done)", got)
			}
		})
	}
	wg.Wait()
	if n := sim.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("pause POSTs: got %d; want 1", n)
	}
	// A job ends with one message carrying its verdict: done, refused or failed.
	var finals []string
	for _, m := range slack.Posts() {
		if text := m.Render(); m.OK() && (strings.Contains(text, ":white_check_mark:") ||
			strings.Contains(text, ":x:") || strings.Contains(text, ":warning:")) {
			finals = append(finals, text)
		}
	}
	if len(finals) != 1 || !strings.Contains(finals[0], "status *stopped*") {
		t.Errorf("final messages: got %d %q; want 1, stopped", len(finals), finals)
	}
	logs := first.out.String() + second.out.String()
	if !strings.Contains(logs, `"msg":"job delivered again: already run, nothing done"`) {
		t.Errorf("no instance logged the second delivery:\n%s", logs)
	}
	checkNoSecrets(t, logs)
}
