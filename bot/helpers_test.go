package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

const (
	testSecret = "test-signing-secret-0123456789abcdef"
	testToken  = "xoxb-test-bot-token-never-logged"
	// Users and channels of the tests: U1 asks, U2 approves, UX and CX are not allowed.
	teamID = "T1"
	chanID = "C1"
)

// testKey is the button key of every Bot built with testSecret: cards made with it are the
// bot's own.
var testKey = newButtonKey(testSecret)

// waitFor bounds every wait for deferred work: long enough for a loaded machine, short enough
// to fail fast.
const waitFor = 20 * time.Second

// sign returns Slack's v0 signature of body at ts with secret.
func sign(secret string, ts time.Time, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts.Unix(), body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// signedRequest builds a POST to path carrying body, signed like Slack signs it.
func signedRequest(path, body string) *http.Request {
	return signedRequestAt(path, body, time.Now(), testSecret)
}

func signedRequestAt(path, body string, ts time.Time, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", sign(secret, ts, body))
	return r
}

// commandBody is a slash command form as Slack sends it.
func commandBody(user, channel, text, responseURL string) string {
	return url.Values{
		"token":        {"deprecated-verification-token"},
		"team_id":      {teamID},
		"team_domain":  {"example"},
		"channel_id":   {channel},
		"channel_name": {"ops"},
		"user_id":      {user},
		"user_name":    {"someone"},
		"command":      {"/dr"},
		"text":         {text},
		"response_url": {responseURL},
		"trigger_id":   {"123.456.abc"},
		"api_app_id":   {"A1"},
	}.Encode()
}

// clickBody is the interactivity form Slack sends when user clicks the button actionID of the
// actions block blockID on the message msg (posted as ts in channel).
func clickBody(t testing.TB, user, channel string, msg slackMessage, blockID, actionID, responseURL string) string {
	t.Helper()
	return clickBodyFrom(t, user, teamID, channel, msg, blockID, actionID, responseURL)
}

// clickBodyFrom is clickBody for a user of the Slack team userTeam, as in a Slack Connect
// channel shared with another organisation.
func clickBodyFrom(t testing.TB, user, userTeam, channel string, msg slackMessage, blockID, actionID, responseURL string) string {
	t.Helper()
	value := buttonValueOf(t, msg, blockID, actionID)
	blocks, err := json.Marshal(msg.Blocks)
	if err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"someone","team_id":%q},`+
		`"api_app_id":"A1","team":{"id":%q,"domain":"example"},"trigger_id":"1.2.3","response_url":%q,`+
		`"container":{"type":"message","message_ts":"1.2","channel_id":%q,"is_ephemeral":false},`+
		`"channel":{"id":%q,"name":"ops"},"message":{"type":"message","ts":"1.2","text":%q,"blocks":%s},`+
		`"actions":[{"action_id":%q,"block_id":%q,"type":"button","value":%q,"action_ts":"1.3"}],"state":{"values":{}}}`,
		user, userTeam, userTeam, responseURL, channel, channel, msg.Text, blocks, actionID, blockID, value)
	return url.Values{"payload": {payload}}.Encode()
}

// buttonValueOf returns the value of button actionID in the actions block blockID of msg.
func buttonValueOf(t testing.TB, msg slackMessage, blockID, actionID string) string {
	t.Helper()
	for _, blk := range msg.Blocks {
		ab, ok := blk.(*slack.ActionBlock)
		if !ok || ab.BlockID != blockID {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
				return btn.Value
			}
		}
	}
	t.Fatalf("no button %s in block %s", actionID, blockID)
	return ""
}

// post is one request the Slack double received.
type post struct {
	Path string       // "/response/<name>", "/api/chat.postMessage" or "/api/chat.update"
	Msg  slackMessage // the JSON a response_url received; text only for Web API calls
	Raw  string       // the JSON body of a response_url post, or the blocks of a Web API call
	Form url.Values   // the form of a Web API call
}

// slackDouble is a local Slack: it records response_url posts and Web API calls, answering
// chat.postMessage and chat.update like Slack does.
type slackDouble struct {
	srv   *httptest.Server
	posts chan post
	mu    sync.Mutex
	all   []post
}

func newSlackDouble(t *testing.T) *slackDouble {
	d := &slackDouble{posts: make(chan post, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /response/{name}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			slackMessage
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		d.record(post{Path: r.URL.Path, Msg: m.slackMessage, Raw: unescaped(body)})
		io.WriteString(w, "ok")
	})
	web := func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		d.record(post{Path: r.URL.Path, Form: r.PostForm, Msg: slackMessage{Text: r.PostForm.Get("text")}, Raw: unescaped([]byte(r.PostForm.Get("blocks")))})
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	}
	mux.HandleFunc("POST /api/chat.postMessage", web)
	mux.HandleFunc("POST /api/chat.update", web)
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	return d
}

func (d *slackDouble) record(p post) {
	d.mu.Lock()
	d.all = append(d.all, p)
	d.mu.Unlock()
	d.posts <- p
}

func (d *slackDouble) responseURL(name string) string { return d.srv.URL + "/response/" + name }

func (d *slackDouble) apiURL() string { return d.srv.URL + "/api/" }

// next returns the next post, failing the test when none arrives in time.
func (d *slackDouble) next(t *testing.T) post {
	t.Helper()
	select {
	case p := <-d.posts:
		return p
	case <-time.After(waitFor):
		t.Fatalf("no post to Slack within %s", waitFor)
		return post{}
	}
}

// until returns the first post for which done is true, collecting the posts before it.
func (d *slackDouble) until(t *testing.T, done func(post) bool) (post, []post) {
	t.Helper()
	var seen []post
	deadline := time.After(waitFor)
	for {
		select {
		case p := <-d.posts:
			if done(p) {
				return p, seen
			}
			seen = append(seen, p)
		case <-deadline:
			t.Fatalf("no matching post to Slack within %s; got %d others: %+v", waitFor, len(seen), seen)
			return post{}, nil
		}
	}
}

// none checks that nothing was posted to Slack so far.
func (d *slackDouble) none(t *testing.T) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.all) != 0 {
		t.Errorf("got %d posts to Slack (%+v); want none", len(d.all), d.all)
	}
}

func (d *slackDouble) count(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, p := range d.all {
		if strings.HasPrefix(p.Path, path) {
			n++
		}
	}
	return n
}

// fakeDR is a DR whose methods are function fields; unset ones fail the test's expectations
// by returning an error. It counts calls.
type fakeDR struct {
	get            func(ctx context.Context, id string) (*drapi.Detail, error)
	list           func(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error)
	pauseAndFollow func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
	calls          atomic.Int32
	pauses         atomic.Int32
}

var _ DR = (*fakeDR)(nil)

func (f *fakeDR) Get(ctx context.Context, id string) (*drapi.Detail, error) {
	f.calls.Add(1)
	if f.get == nil {
		return nil, fmt.Errorf("fake: unexpected Get %s", id)
	}
	return f.get(ctx, id)
}

func (f *fakeDR) List(ctx context.Context, lf drapi.ListFilter) ([]drapi.Summary, error) {
	f.calls.Add(1)
	if f.list == nil {
		return nil, fmt.Errorf("fake: unexpected List")
	}
	return f.list(ctx, lf)
}

func (f *fakeDR) PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	f.calls.Add(1)
	f.pauses.Add(1)
	if f.pauseAndFollow == nil {
		return drapi.Outcome{ID: id}, fmt.Errorf("fake: unexpected PauseAndFollow %s", id)
	}
	return f.pauseAndFollow(ctx, id, opt)
}

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines decodes the JSON log lines.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// decisions returns the audit lines with the given event.
func (s *syncBuffer) decisions(t *testing.T, event string) []map[string]any {
	var out []map[string]any
	for _, l := range s.lines(t) {
		if l["msg"] == "slack decision" && l["event"] == event {
			out = append(out, l)
		}
	}
	return out
}

// env is a Bot under test with its Slack double and its logs.
type env struct {
	bot   *Bot
	slack *slackDouble
	logs  *syncBuffer
}

// newEnv builds a Bot over dr allowing U1 and U2 in every channel, for every id, with
// confirmation on; edit adjusts the config.
func newEnv(t *testing.T, dr DR, edit func(*Config)) *env {
	t.Helper()
	d := newSlackDouble(t)
	logs := &syncBuffer{}
	cfg := Config{
		SigningSecret:   testSecret,
		SlackAPIURL:     d.apiURL(),
		AllowedUsers:    allowOnly("U1", "U2"),
		AllowedChannels: allowAll,
		AllowedIDs:      allowAll,
		AllowedTeams:    allowAll,
		Confirm:         true,
		// Generous: it bounds only a pause that never ends, and a loaded CI machine must not
		// turn a normal follow into "DR_WAIT reached".
		Wait:         15 * time.Second,
		LookupBudget: time.Second,
		Follow:       drapi.FollowOptions{MinInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond},
		Logger:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg, dr)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		for _, s := range []string{testSecret, testToken} {
			if strings.Contains(logs.String(), s) {
				t.Errorf("logs contain a secret")
			}
		}
	})
	return &env{bot: b, slack: d, logs: logs}
}

// do serves r with h and returns the answer. It asserts no wall-clock time: that Slack never
// waits on the DR API is shown causally by the slow-path tests (the answer arrives while the DR
// call is still blocked), and measured by `make bench`.
func (e *env) do(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// command runs /dr text as user in channel and decodes the answer.
func (e *env) command(t *testing.T, user, channel, text string) slackMessage {
	t.Helper()
	w := e.do(t, e.bot.Commands(), signedRequest("/slack/commands", commandBody(user, channel, text, e.slack.responseURL("cmd"))))
	if w.Code != http.StatusOK {
		t.Fatalf("command %q: got status %d (%s); want 200", text, w.Code, w.Body)
	}
	return decodeMessage(t, w.Body.Bytes())
}

// click sends a click of user on actionID of the card for DR id.
func (e *env) click(t *testing.T, user string, card slackMessage, id, actionID, responseName string) {
	t.Helper()
	body := clickBody(t, user, chanID, card, actionsBlockID(id), actionID, e.slack.responseURL(responseName))
	w := e.do(t, e.bot.Interactions(), signedRequest("/slack/interactions", body))
	if w.Code != http.StatusOK {
		t.Fatalf("click: got status %d (%s); want 200", w.Code, w.Body)
	}
}

// decodeMessage decodes a message as Slack would, blocks included.
func decodeMessage(t *testing.T, data []byte) slackMessage {
	t.Helper()
	var m struct {
		slackMessage
		Blocks slack.Blocks `json:"blocks"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode message %s: %v", data, err)
	}
	m.slackMessage.Blocks = m.Blocks.BlockSet
	return m.slackMessage
}

// newSim starts the DR simulator and returns it with a real drapi client for it.
func newSim(t *testing.T, opts drsim.Options) (*drsim.Server, *drapi.Client) {
	t.Helper()
	srv, err := drsim.Start(opts)
	if err != nil {
		t.Fatalf("drsim.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := drapi.New(srv.ClientConfig())
	if err != nil {
		t.Fatalf("drapi.New: %v", err)
	}
	return srv, c
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %q; want it to contain %q", what, got, w)
		}
	}
}

// renderJSON marshals v without escaping <, > and &, so tests can look for <@U1>.
func renderJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return unescaped(b)
}

// unescaped re-renders JSON data with <, > and & as themselves.
func unescaped(data []byte) string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return buf.String()
}
