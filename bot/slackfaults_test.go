package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// responseURLPath stands for the secret part of a response_url: whoever holds it can post to the
// channel for 30 minutes, so it must never be logged.
const responseURLPath = "/actions/T1/4242/s3cr3tR3sp0nseP4th"

// slackAnswer is how the scripted Slack answers one post.
type slackAnswer struct {
	status     int    // 0 means 200
	retryAfter string // Retry-After header
	body       string // for the Web API; "" means {"ok":true,...}
	slow       bool   // hold the answer until the client gives up
}

var okAnswer = slackAnswer{}

// scriptedSlack is a Slack whose answers to a job's final message are scripted per attempt. Its
// answers to the click's acknowledgement are always 200: the result is what is on trial.
type scriptedSlack struct {
	srv         *httptest.Server
	responseURL func(attempt int) slackAnswer
	api         func(attempt int) slackAnswer

	mu        sync.Mutex
	attempts  map[string][]time.Time // "response_url" or "chat.update": when each final post came
	delivered string                 // where the final message was accepted, if it was
}

func newScriptedSlack(t *testing.T, responseURL, api func(attempt int) slackAnswer) *scriptedSlack {
	t.Helper()
	s := &scriptedSlack{responseURL: responseURL, api: api, attempts: make(map[string][]time.Time)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+responseURLPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(body, &m) != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		if !isFinal(post{Msg: slackMessage{Text: m.Text}}) {
			io.WriteString(w, "ok")
			return
		}
		s.answer(w, r, "response_url", s.responseURL)
	})
	mux.HandleFunc("POST /api/chat.update", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, "chat.update", s.api)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scriptedSlack) answer(w http.ResponseWriter, r *http.Request, kind string, script func(int) slackAnswer) {
	s.mu.Lock()
	s.attempts[kind] = append(s.attempts[kind], time.Now())
	a := okAnswer
	if script != nil {
		a = script(len(s.attempts[kind]))
	}
	if a.status == 0 && !a.slow && (a.body == "" || strings.Contains(a.body, `"ok":true`)) {
		s.delivered = kind
	}
	s.mu.Unlock()

	if a.slow {
		<-r.Context().Done()
		return
	}
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	if kind == "chat.update" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(max(a.status, http.StatusOK))
	switch {
	case a.body != "":
		io.WriteString(w, a.body)
	case kind == "chat.update":
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	default:
		io.WriteString(w, "ok")
	}
}

func (s *scriptedSlack) report(kind string) (attempts []time.Time, delivered string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts[kind]...), s.delivered
}

// always scripts a for every attempt.
func always(a slackAnswer) func(int) slackAnswer { return func(int) slackAnswer { return a } }

// then scripts a for the first n attempts and okAnswer after them.
func then(n int, a slackAnswer) func(int) slackAnswer {
	return func(attempt int) slackAnswer {
		if attempt <= n {
			return a
		}
		return okAnswer
	}
}

// TestSlackFaults: when Slack fails to take a job's result, the bot retries what may succeed
// (429 after Retry-After, capped; 5xx; timeouts) at most maxSlackAttempts times, waiting in between, never what
// cannot (other 4xx, ok:false), falls back from the Web API to response_url, and logs at error
// level, naming the DR and only the response_url's host, when the result is lost.
func TestSlackFaults(t *testing.T) {
	t.Parallel()
	const (
		clientTimeout = 150 * time.Millisecond
		backoff       = slackRetryBackoff
	)
	throttled := func(secs string) slackAnswer {
		return slackAnswer{status: http.StatusTooManyRequests, retryAfter: secs, body: `{"ok":false,"error":"ratelimited"}`}
	}
	tests := []struct {
		name        string
		token       bool
		responseURL func(int) slackAnswer
		api         func(int) slackAnswer
		wantURL     int             // final posts to response_url
		wantAPI     int             // chat.update calls
		delivered   string          // "response_url", "chat.update" or "" when the result is lost
		waits       []time.Duration // between attempts, in order
	}{
		{name: "response_url 404 is not retried", responseURL: always(slackAnswer{status: 404, body: "expired_url"}),
			wantURL: 1},
		{name: "response_url 500 is retried, then given up", responseURL: always(slackAnswer{status: 500}),
			wantURL: maxSlackAttempts, waits: []time.Duration{backoff, 2 * backoff}},
		{name: "response_url 500 once", responseURL: then(1, slackAnswer{status: 503}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{backoff}},
		{name: "response_url slower than the client timeout", responseURL: always(slackAnswer{slow: true}),
			wantURL: maxSlackAttempts, waits: []time.Duration{backoff, 2 * backoff}},
		{name: "response_url slow once", responseURL: then(1, slackAnswer{slow: true}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{backoff}},
		{name: "response_url 429 honours Retry-After", responseURL: then(1, slackAnswer{status: 429, retryAfter: "2"}),
			wantURL: 2, delivered: "response_url", waits: []time.Duration{2 * time.Second}},
		{name: "chat.update 429 once", token: true, api: then(1, throttled("1")),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{time.Second}},
		{name: "chat.update 429 until the attempts run out", token: true, api: always(throttled("1")),
			wantAPI: maxSlackAttempts, wantURL: 1, delivered: "response_url", waits: []time.Duration{time.Second, time.Second}},
		{name: "chat.update Retry-After capped", token: true, api: then(1, throttled("3600")),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{maxSlackRetryAfter}},
		{name: "chat.update 429 without Retry-After", token: true, api: then(1, slackAnswer{status: 429}),
			wantAPI: 2, delivered: "chat.update", waits: []time.Duration{backoff}},
		{name: "chat.update 500", token: true, api: always(slackAnswer{status: 500, body: "<html>oops</html>"}),
			wantAPI: maxSlackAttempts, wantURL: 1, delivered: "response_url", waits: []time.Duration{backoff, 2 * backoff}},
		{name: "chat.update ok:false is not retried", token: true, api: always(slackAnswer{body: `{"ok":false,"error":"cant_update_message"}`}),
			wantAPI: 1, wantURL: 1, delivered: "response_url"},
		{name: "both fail", token: true, api: always(slackAnswer{status: 500}), responseURL: always(slackAnswer{status: 410}),
			wantAPI: maxSlackAttempts, wantURL: 1, waits: []time.Duration{backoff, 2 * backoff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			slk := newScriptedSlack(t, tt.responseURL, tt.api)
			dr := &fakeDR{pauseAndFollow: func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
				opt.OnStatus(drapi.StatusRunning)
				opt.OnStatus(drapi.StatusStopped)
				return drapi.Outcome{ID: id, PauseID: id, Posted: true, Initial: drapi.StatusRunning,
					Status: drapi.StatusStopped, RequestID: "req-1", Attempts: 1}, nil
			}}
			e := newEnv(t, dr, func(c *Config) {
				c.HTTPClient = &http.Client{Timeout: clientTimeout}
				c.SlackAPIURL = slk.srv.URL + "/api/"
				if tt.token {
					c.BotToken = testToken
				}
			})
			var mu sync.Mutex
			var waits []time.Duration
			e.bot.sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, d)
				return nil
			}
			card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now()}, testKey)
			body := clickBody(t, "U2", chanID, card, actionsBlockID(goldenID), actionPause, slk.srv.URL+responseURLPath)
			w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", body))
			if w.Code != http.StatusOK {
				t.Fatalf("click: got status %d; want 200", w.Code)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*slackTimeout)
			defer cancel()
			if err := e.bot.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown (waits for the job): %v", err)
			}

			urlPosts, delivered := slk.report("response_url")
			apiPosts, _ := slk.report("chat.update")
			if len(urlPosts) != tt.wantURL || len(apiPosts) != tt.wantAPI {
				t.Errorf("got %d response_url and %d chat.update attempts; want %d and %d",
					len(urlPosts), len(apiPosts), tt.wantURL, tt.wantAPI)
			}
			if delivered != tt.delivered {
				t.Errorf("result delivered through %q; want %q", delivered, tt.delivered)
			}
			mu.Lock()
			if !slices.Equal(waits, tt.waits) {
				t.Errorf("got waits %v between attempts; want %v", waits, tt.waits)
			}
			mu.Unlock()
			checkUndelivered(t, e.logs, slk.srv.URL, tt.delivered == "")

			// Nothing crashed: the bot still answers.
			if got := e.command(t, "U1", chanID, "help"); !strings.Contains(got.Text, "pause") {
				t.Errorf("help after the fault: got %q", got.Text)
			}
		})
	}
}

// checkUndelivered checks that an error-level line names the DR and says its result was not
// delivered, with the response_url's host only, exactly when lost is true; and that no log line
// holds the response_url's secret path or a secret.
func checkUndelivered(t *testing.T, logs *syncBuffer, slackURL string, lost bool) {
	t.Helper()
	u, err := url.Parse(slackURL)
	if err != nil {
		t.Fatal(err)
	}
	var found []map[string]any
	for _, l := range logs.lines(t) {
		if l["level"] == "ERROR" {
			found = append(found, l)
		}
	}
	switch {
	case !lost && len(found) > 0:
		t.Errorf("got error lines %v; want none: the result was delivered", found)
	case lost && len(found) != 1:
		t.Errorf("got error lines %v; want one saying the result was not delivered", found)
	case lost:
		l := found[0]
		msg := fmt.Sprint(l["error"])
		if l["disaster_recovery_id"] != goldenID || !strings.Contains(msg, "not delivered") || !strings.Contains(msg, u.Host) {
			t.Errorf("error line %v: want disaster_recovery_id %s and an error saying the result was not delivered to %s",
				l, goldenID, u.Host)
		}
	}
	all := logs.String()
	for _, s := range []string{strings.TrimPrefix(responseURLPath, "/actions"), "s3cr3tR3sp0nseP4th", testToken, testSecret} {
		if strings.Contains(all, s) {
			t.Errorf("logs contain %q:\n%s", s, all)
		}
	}
}
