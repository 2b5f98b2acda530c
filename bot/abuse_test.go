package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// countingDR passes every call to the real client for the simulator and counts it, so a test
// can tell "refused by the bot" from "refused by drapi before the network".
func countingDR(t *testing.T, opts drsim.Options) (*drsim.Server, *fakeDR) {
	t.Helper()
	srv, c := newSim(t, opts)
	return srv, &fakeDR{get: c.Get, list: c.List, pauseAndFollow: c.PauseAndFollow}
}

// simCalls is how many requests reached the simulator, on any route.
func simCalls(s *drsim.Sim) int {
	return s.Count(drsim.RouteDetail) + s.Count(drsim.RouteList) + s.Count(drsim.RoutePause) + s.Count(drsim.RouteStart)
}

// replayable is one signed Slack request, kept to be sent again byte for byte.
type replayable struct {
	path, body string
	header     http.Header
}

func signOnce(path, body string) replayable {
	r := signedRequest(path, body)
	return replayable{path: path, body: body, header: r.Header.Clone()}
}

func (s replayable) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, s.path, strings.NewReader(s.body))
	r.Header = s.header.Clone()
	return r
}

// TestReplayedClick: Slack's signature stays valid for 5 minutes, so a captured click can be
// sent again. Sent 5 times in a row, or 5 times at once, and once more after the pause, it
// pauses once: the card's claim in the ledger refuses every repeat, while the job runs and
// after it let go of the DR, saying who used the card. The DR stays stopping until every replay
// is answered, so the job cannot end, and let go of the DR, before the last replay comes.
//
// Every replay carries the captured click's response_url, and each refusal spends one of its 5
// uses: real Slack would refuse the job's own progress and result after that. What is on trial
// here is the single pause, so this Slack takes more than 5 posts (Rules without FiveUses).
func TestReplayedClick(t *testing.T) {
	tests := []struct {
		name       string
		concurrent bool
	}{
		{"in a row", false},
		{"at once", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{StoppingFor: time.Hour})
			rules := slacktest.Strict
			rules.FiveUses = false
			e := newEnvRules(t, dr, rules, nil)
			card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
			click := signOnce("/slack/interactions",
				clickBody(t, "U2", chanID, card, actionsBlockID(drsim.SeedRunning), actionPause, e.slack.ActionURL("click")))

			const n = 5
			codes := make([]int, n)
			send := func(i int) {
				w := httptest.NewRecorder()
				e.bot.Interactions().ServeHTTP(w, click.request())
				codes[i] = w.Code
			}
			if tt.concurrent {
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						send(i)
					}()
				}
				close(start)
				wg.Wait()
			} else {
				for i := range n {
					send(i)
				}
			}
			for i, c := range codes {
				if c != http.StatusOK {
					t.Errorf("replay %d: got status %d; want 200", i, c)
				}
			}
			// Every replay is answered and the pause was taken: now it may end.
			waitStatus(t, srv.Sim, drsim.SeedRunning, drapi.StatusStopping)
			if err := srv.Sim.SetStatus(drsim.SeedRunning, drapi.StatusStopped); err != nil {
				t.Fatal(err)
			}

			final, before := e.slack.Until(t, isFinal)
			contains(t, "final", final.Text, "is paused")
			pausing, refused := 0, 0
			for _, p := range before {
				switch {
				case strings.Contains(p.Text, "Following it until it is stopped"):
					pausing++
				case strings.Contains(p.Text, "This card was already used: <@U2> approved the pause"):
					refused++
				}
			}
			if pausing != 1 || refused != n-1 {
				t.Errorf("got %d pausing and %d refused answers; want 1 and %d", pausing, refused, n-1)
			}

			// Once more after the pause, still inside the 5 minutes, once the job has let go of
			// the DR: the card's record refuses this one too.
			waitReleased(t, e.bot.ledger, drsim.SeedRunning)
			w := httptest.NewRecorder()
			e.bot.Interactions().ServeHTTP(w, click.request())
			if w.Code != http.StatusOK {
				t.Errorf("late replay: got status %d; want 200", w.Code)
			}
			// Shutdown waits for every job the replays started, so all they posted is in.
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			all := e.slack.Posts()
			paused := 0
			for _, p := range all {
				if isFinal(p) && strings.Contains(p.Text, "is paused") {
					paused++
				}
			}
			if paused != 1 {
				t.Errorf("got %d 'is paused' messages over the whole replay; want 1", paused)
			}
			if last := all[len(all)-1]; !strings.Contains(last.Text, "This card was already used: <@U2> approved the pause") {
				t.Errorf("late replay: got %q last; want the card refused as used", last.Text)
			}
			if got := srv.Sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("got %d pause POSTs; want 1", got)
			}
		})
	}
}

// TestBadSignatures: a request that is not signed by Slack, now, over exactly this body is
// refused with 401 before anything is parsed, on both routes, and reaches neither the DR API
// nor Slack. With DR_CONFIRM off, the slash command would otherwise pause at once.
func TestBadSignatures(t *testing.T) {
	now := time.Now()
	card := cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: now}, testKey)
	tests := []struct {
		name string
		// sign returns the request to send for the body, which is signed as given.
		sign func(path, body string) *http.Request
		want int
	}{
		{"valid (control)", func(p, b string) *http.Request { return signedRequest(p, b) }, http.StatusOK},
		{"forged with another secret", func(p, b string) *http.Request {
			return signedRequestAt(p, b, now, "not-the-signing-secret")
		}, http.StatusUnauthorized},
		{"tampered after signing", func(p, b string) *http.Request {
			r := signedRequest(p, b)
			tampered := strings.Replace(b, "U2", "U1", 1)
			r.Body, r.ContentLength = httptest.NewRequest(http.MethodPost, p, strings.NewReader(tampered)).Body, int64(len(tampered))
			return r
		}, http.StatusUnauthorized},
		{"stale, 6 minutes old", func(p, b string) *http.Request {
			return signedRequestAt(p, b, now.Add(-6*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"from the future, 6 minutes ahead", func(p, b string) *http.Request {
			return signedRequestAt(p, b, now.Add(6*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"timestamp changed after signing", func(p, b string) *http.Request {
			r := signedRequest(p, b)
			ts, err := strconv.ParseInt(r.Header.Get("X-Slack-Request-Timestamp"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts-1, 10))
			return r
		}, http.StatusUnauthorized},
		{"no signature", func(p, b string) *http.Request {
			r := signedRequest(p, b)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized},
		{"signature of another version", func(p, b string) *http.Request {
			r := signedRequest(p, b)
			r.Header.Set("X-Slack-Signature", strings.Replace(r.Header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
			return r
		}, http.StatusUnauthorized},
	}
	for _, route := range []string{"commands", "interactions"} {
		for _, tt := range tests {
			t.Run(route+"/"+tt.name, func(t *testing.T) {
				srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
				e := newEnv(t, dr, func(c *Config) { c.Confirm = false })
				h, body := e.bot.Commands(), commandBody("U2", chanID, "pause "+drsim.SeedRunning, e.slack.ResponseURL("r"))
				if route == "interactions" {
					h = e.bot.Interactions()
					body = clickBody(t, "U2", chanID, card, actionsBlockID(drsim.SeedRunning), actionPause, e.slack.ActionURL("r"))
				}
				w := e.do(t, h, tt.sign("/slack/"+route, body))
				if w.Code != tt.want {
					t.Fatalf("got status %d (%s); want %d", w.Code, w.Body, tt.want)
				}
				if tt.want == http.StatusOK {
					e.slack.Until(t, isFinal)
					if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
						t.Errorf("control: got %d pause POSTs; want 1", n)
					}
					return
				}
				if n := simCalls(srv.Sim); n != 0 {
					t.Errorf("got %d DR API requests; want 0", n)
				}
				noPosts(t, e.slack)
				refused := 0
				for _, l := range e.logs.Lines(t) {
					if l["msg"] == "slack request refused" && l["event"] == "invalid_signature" {
						refused++
					}
				}
				if refused != 1 {
					t.Errorf("got %d invalid_signature log lines; want 1:\n%s", refused, e.logs)
				}
			})
		}
	}
}

// TestOversizedBody: a validly signed body over the cap is refused with 413 before it is
// parsed or acted on.
func TestOversizedBody(t *testing.T) {
	for _, route := range []string{"commands", "interactions"} {
		t.Run(route, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{})
			e := newEnv(t, dr, func(c *Config) { c.Confirm = false })
			body := commandBody("U2", chanID, "pause "+drsim.SeedRunning+" "+strings.Repeat("x", maxBodyBytes), e.slack.ResponseURL("r"))
			w := e.do(t, map[string]http.Handler{"commands": e.bot.Commands(), "interactions": e.bot.Interactions()}[route],
				signedRequest("/slack/"+route, body))
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("got status %d; want 413", w.Code)
			}
			if n := simCalls(srv.Sim); n != 0 {
				t.Errorf("got %d DR API requests; want 0", n)
			}
			noPosts(t, e.slack)
		})
	}
}

// hostileIDs are DR ids an attacker, or a clumsy paste, might send. None is a canonical UUID.
var hostileIDs = []struct{ name, id string }{
	{"path traversal", "../../clusters/x"},
	{"traversal after a valid id", drsim.SeedRunning + "/../../clusters/x"},
	{"encoded traversal", "..%2F..%2Fclusters%2Fx"},
	{"query string", "a?b"},
	{"query after a valid id", drsim.SeedRunning + "?id=x"},
	{"fragment after a valid id", drsim.SeedRunning + "#x"},
	{"cyrillic look-alikes", strings.NewReplacer("e", "\u0435", "a", "\u0430").Replace(drsim.SeedRunning)},
	{"full-width digits", strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '\uff10'
		}
		return r
	}, drsim.SeedRunning)},
	{"header injection", drsim.SeedRunning + "\r\nX-Evil: 1"},
	{"NUL byte", drsim.SeedRunning + "\x00"},
	{"invalid UTF-8", "e59d6b86-9072-46eb-a996-13f8b449\xff\xfe"},
	{"10,000 characters", strings.Repeat("e59d6b86-", 1111) + "e"},
}

// TestHostileCommandText: /dr pause and /dr status with hostile ids, with DR_CONFIRM off so a
// valid id would pause at once, get a clear refusal and make no DR call at all.
func TestHostileCommandText(t *testing.T) {
	for _, sub := range []string{"pause", "status"} {
		for _, tt := range hostileIDs {
			t.Run(sub+"/"+tt.name, func(t *testing.T) {
				srv, dr := countingDR(t, drsim.Options{})
				e := newEnv(t, dr, func(c *Config) { c.Confirm = false })
				text := sub + " " + tt.id
				w := e.do(t, e.bot.Commands(), signedRequest("/slack/commands",
					commandBody("U1", chanID, text, e.slack.ResponseURL("cmd"))))
				if w.Code != http.StatusOK {
					t.Fatalf("got status %d (%s); want 200", w.Code, w.Body)
				}
				if !utf8.Valid(w.Body.Bytes()) {
					t.Errorf("answer is not valid UTF-8: %q", w.Body)
				}
				if w.Body.Len() > 4000 {
					t.Errorf("answer is %d bytes; want a short refusal", w.Body.Len())
				}
				got := decodeMessage(t, w.Body.Bytes())
				contains(t, "answer", got.Text, "is not a DR id: ids are lowercase UUIDs")
				if got.ResponseType != ephemeral {
					t.Errorf("got response_type %q; want ephemeral", got.ResponseType)
				}
				if n := dr.calls.Load(); n != 0 {
					t.Errorf("got %d DR client calls; want 0", n)
				}
				if n := simCalls(srv.Sim); n != 0 {
					t.Errorf("got %d DR API requests; want 0", n)
				}
				noPosts(t, e.slack)
			})
		}
	}
}

// TestHostileButtonValue: a click is signed by Slack, but the button value in it is whatever
// the client sent. Two layers stand between a hostile id in it and the DR API: the MAC refuses
// any value the bot did not make, and behind a valid MAC (a value the bot sealed itself) the id
// is still validated. Each layer is shown on its own, and nothing reaches the DR API.
func TestHostileButtonValue(t *testing.T) {
	layers := []struct {
		name    string
		seal    func(v buttonValue) string
		want    string
		outcome string
	}{
		{"unsigned", buttonValue.encode, "not made by this app, or was changed: nothing done", "bad_button"},
		{"sealed", testKey.seal, "does not name a valid DR: nothing done", "invalid_button_value"},
	}
	for _, layer := range layers {
		for _, tt := range hostileIDs {
			t.Run(layer.name+"/"+tt.name, func(t *testing.T) {
				srv, dr := countingDR(t, drsim.Options{})
				e := newEnv(t, dr, nil)
				card := cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now()}, testKey)
				setButtonValues(card, layer.seal(buttonValue{ID: tt.id, Requester: "U1", RequestedAt: time.Now().Unix()}))
				e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
				refusal := e.slack.Next(t)
				contains(t, "refusal", refusal.Text, layer.want)
				checkNoDRCalls(t, srv.Sim, dr)
				if refused := decisions(t, e.logs, "refused"); len(refused) != 1 || refused[0]["outcome"] != layer.outcome {
					t.Errorf("got refused decisions %v; want one with outcome %s", refused, layer.outcome)
				}
			})
		}
	}
	t.Run("raw invalid UTF-8 in the payload", func(t *testing.T) {
		srv, dr := countingDR(t, drsim.Options{})
		e := newEnv(t, dr, nil)
		card := cardMessage(card{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now()}, testKey)
		form, err := url.ParseQuery(clickBody(t, "U2", chanID, card, actionsBlockID(drsim.SeedRunning), actionPause, e.slack.ActionURL("click")))
		if err != nil {
			t.Fatal(err)
		}
		// Raw bytes inside the id of the clicked button's value; JSON encoders never write these.
		payload := form.Get("payload")
		at := strings.LastIndex(payload, `"value":"{\"id\":\"`+drsim.SeedRunning)
		if at < 0 {
			t.Fatalf("no button value in the payload %s", payload)
		}
		at += len(`"value":"{\"id\":\"`) + 30
		payload = payload[:at] + "\xff\xfe" + payload[at:]
		w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", url.Values{"payload": {payload}}.Encode()))
		if w.Code != http.StatusOK {
			t.Fatalf("got status %d (%s); want 200", w.Code, w.Body)
		}
		contains(t, "refusal", e.slack.Next(t).Text, "not made by this app, or was changed: nothing done")
		checkNoDRCalls(t, srv.Sim, dr)
	})
}

// TestForgedButtonValue: the requester of a four-eyes card cannot approve it by re-sending their
// click with the value edited (the click itself stays validly signed by Slack), nor can anyone
// put another requester in the audit line. Each edit keeps the card's MAC; the control shows the
// unedited value from the same user would be refused by four-eyes only.
func TestForgedButtonValue(t *testing.T) {
	tests := []struct {
		name string
		user string
		edit func(v map[string]any)
	}{
		{"requester removed", "U1", func(v map[string]any) { delete(v, "by") }},
		{"requester changed", "U1", func(v map[string]any) { v["by"] = "U2" }},
		{"alert source set", "U1", func(v map[string]any) { delete(v, "by"); v["src"] = "grafana"; v["title"] = "x" }},
		{"requester forged for the audit", "U2", func(v map[string]any) { v["by"] = "U9" }},
		{"request time moved", "U2", func(v map[string]any) { v["at"] = v["at"].(float64) + 1 }},
		{"MAC removed", "U2", func(v map[string]any) { delete(v, "mac") }},
		{"MAC of another key", "U2", func(v map[string]any) {
			v["mac"] = newButtonKey("another-signing-secret").sum(buttonValue{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: int64(v["at"].(float64))})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := countingDR(t, drsim.Options{StoppingFor: drsim.Immediate})
			e := newEnv(t, dr, func(c *Config) { c.FourEyes = true })
			card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
			calls := dr.calls.Load() // the card's lookup
			value := buttonValueOf(t, card, actionsBlockID(drsim.SeedRunning), actionPause)
			var v map[string]any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				t.Fatalf("button value %q: %v", value, err)
			}
			tt.edit(v)
			edited, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			setButtonValues(card, string(edited))
			e.click(t, tt.user, card, drsim.SeedRunning, actionPause, "click")

			p := e.slack.Next(t)
			contains(t, "answer", p.Text, "This button was not made by this app, or was changed: nothing done.")
			if p.ResponseType != ephemeral || p.ReplaceOriginal {
				t.Errorf("answer: got response_type %q replace_original=%v; want ephemeral, false", p.ResponseType, p.ReplaceOriginal)
			}
			// Shutdown waits for any job the click started, so a pause it sent is counted.
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if n := dr.calls.Load() - calls; n != 0 {
				t.Errorf("got %d DR client calls after the click; want 0", n)
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("got %d pause POSTs; want 0", n)
			}
			refused := decisions(t, e.logs, "refused")
			if len(refused) != 1 || refused[0]["outcome"] != "bad_button" || refused[0]["slack_user"] != tt.user {
				t.Errorf("got refused decisions %v; want one by %s with outcome bad_button", refused, tt.user)
			}
			for _, l := range e.logs.Lines(t) {
				if l["requested_by"] == "U9" {
					t.Errorf("audit line %v names the forged requester", l)
				}
			}
		})
	}
	t.Run("control: unedited, by the requester", func(t *testing.T) {
		_, dr := countingDR(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, func(c *Config) { c.FourEyes = true })
		card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
		e.click(t, "U1", card, drsim.SeedRunning, actionPause, "click")
		contains(t, "answer", e.slack.Next(t).Text, "Four-eyes rule")
	})
}

// setButtonValues sets the value of every button of msg.
func setButtonValues(msg slackMessage, value string) {
	for _, blk := range msg.Blocks {
		if ab, ok := blk.(*slack.ActionBlock); ok {
			for _, el := range ab.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					btn.Value = value
				}
			}
		}
	}
}

func checkNoDRCalls(t *testing.T, sim *drsim.Sim, dr *fakeDR) {
	t.Helper()
	if n := dr.calls.Load(); n != 0 {
		t.Errorf("got %d DR client calls; want 0", n)
	}
	if n := simCalls(sim); n != 0 {
		t.Errorf("got %d DR API requests; want 0", n)
	}
}
