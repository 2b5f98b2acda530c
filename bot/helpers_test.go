package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/logtest"
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
const waitFor = slacktest.DefaultWaitTimeout

// signature is Slack's v0 signature of body at ts with secret.
func signature(secret string, ts time.Time, body string) string {
	_, sig := slacktest.Sign(secret, ts, []byte(body))
	return sig
}

// signedRequest builds a POST to path carrying body, signed like Slack signs it.
func signedRequest(path, body string) *http.Request {
	return slacktest.NewRequest(testSecret, time.Now(), path, body)
}

func signedRequestAt(path, body string, ts time.Time, secret string) *http.Request {
	return slacktest.NewRequest(secret, ts, path, body)
}

// commandBody is a slash command form as Slack sends it.
func commandBody(user, channel, text, responseURL string) string {
	return slacktest.SlashCommand{Team: teamID, Channel: channel, User: user, Text: text, ResponseURL: responseURL}.Body()
}

// clickBody is the interactivity form Slack sends when user clicks the button actionID of the
// actions block blockID on the message msg (posted as 1.2 in channel).
func clickBody(t testing.TB, user, channel string, msg slackMessage, blockID, actionID, responseURL string) string {
	t.Helper()
	return clickOf(t, user, channel, msg, blockID, actionID, responseURL).Body()
}

// clickOf is the click of clickBody, for the Slack double to send. Its Team is the clicker's:
// set it to another for a user of another organisation, as in a Slack Connect channel.
func clickOf(t testing.TB, user, channel string, msg slackMessage, blockID, actionID, responseURL string) slacktest.Click {
	t.Helper()
	blocks, err := json.Marshal(msg.Blocks)
	if err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	return slacktest.Click{Team: teamID, Channel: channel, User: user, MessageTS: "1.2", Text: msg.Text, Blocks: blocks,
		BlockID: blockID, ActionID: actionID, Value: buttonValueOf(t, msg, blockID, actionID), ResponseURL: responseURL}
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

// relaxed names the rules of Slack that rules leave off, and the 3 s answer, which depends on
// how loaded the machine is.
func relaxed(rules slacktest.Rules) []string {
	out := []string{slacktest.RuleAnswerIn3s}
	if !rules.FiveUses {
		out = append(out, slacktest.RuleFiveUses)
	}
	if !rules.UpdateOwnOnly {
		out = append(out, slacktest.RuleUpdateOwnOnly)
	}
	return out
}

// postsTo counts the posts to path.
func postsTo(s *slacktest.Server, path string) int {
	n := 0
	for _, p := range s.Posts() {
		if p.Path == path {
			n++
		}
	}
	return n
}

// noPosts checks that nothing was posted to Slack so far.
func noPosts(t *testing.T, s *slacktest.Server) {
	t.Helper()
	if posts := s.Posts(); len(posts) != 0 {
		t.Errorf("got %d posts to Slack (%v); want none", len(posts), posts)
	}
}

// fakeDR is a DR whose methods are function fields; unset ones fail the test's expectations
// by returning an error. It counts calls.
type fakeDR struct {
	get            func(ctx context.Context, id string) (*drapi.Detail, error)
	list           func(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error)
	pauseAndFollow func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
	startAndFollow func(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
	calls          atomic.Int32
	pauses         atomic.Int32
	starts         atomic.Int32
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

func (f *fakeDR) StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	f.calls.Add(1)
	f.starts.Add(1)
	if f.startAndFollow == nil {
		return drapi.Outcome{ID: id}, fmt.Errorf("fake: unexpected StartAndFollow %s", id)
	}
	return f.startAndFollow(ctx, id, opt)
}

// decisions returns the audit lines with the given event.
func decisions(t *testing.T, logs *logtest.Buffer, event string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logs.Lines(t) {
		if l["msg"] == "slack decision" && l["event"] == event {
			out = append(out, l)
		}
	}
	return out
}

// env is a Bot under test with its Slack double and its logs.
type env struct {
	bot   *Bot
	slack *slacktest.Server
	logs  *logtest.Buffer
}

// newEnv builds a Bot over dr allowing U1 and U2 in every channel, for every id, with
// confirmation on, and a Slack that applies all of Slack's rules; edit adjusts the config.
func newEnv(t *testing.T, dr DR, edit func(*Config)) *env {
	t.Helper()
	return newEnvRules(t, dr, slacktest.Strict, edit)
}

// newEnvRules is newEnv with a Slack that applies only rules: for the few tests that need
// Slack to take what it would not, each saying why.
func newEnvRules(t *testing.T, dr DR, rules slacktest.Rules, edit func(*Config)) *env {
	t.Helper()
	d := slacktest.Start(t, slacktest.Config{SigningSecret: testSecret, Rules: rules})
	// Runs after the bot's Shutdown below, when every post is in.
	t.Cleanup(func() { d.CheckNoViolations(t, relaxed(rules)...) })
	logs := &logtest.Buffer{}
	cfg := Config{
		SigningSecret:   testSecret,
		SlackAPIURL:     d.APIURL(),
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

// command runs /dr text as user in channel and decodes the answer, which Slack shows.
func (e *env) command(t *testing.T, user, channel, text string) slackMessage {
	t.Helper()
	a := e.slack.Command(e.bot.Commands(), slacktest.SlashCommand{Team: teamID, Channel: channel, User: user, Text: text,
		ResponseURL: e.slack.ResponseURL("cmd")})
	if a.Status != http.StatusOK {
		t.Fatalf("command %q: got status %d (%s); want 200", text, a.Status, a.Body)
	}
	return decodeMessage(t, a.Body)
}

// click sends a click of user on actionID of the card for DR id, through the response_url
// named responseName. A card the channel shows (from command) is clicked where it is.
func (e *env) click(t *testing.T, user string, card slackMessage, id, actionID, responseName string) {
	t.Helper()
	c := clickOf(t, user, chanID, card, actionsBlockID(id), actionID, e.slack.ActionURL(responseName))
	c.MessageTS = e.shownAs(t, card)
	if a := e.slack.Click(e.bot.Interactions(), c); a.Status != http.StatusOK {
		t.Fatalf("click: got status %d (%s); want 200", a.Status, a.Body)
	}
}

// shownAs returns the ts of the message of the channel view holding card's blocks, or "" when
// the channel never showed it (a card the test built).
func (e *env) shownAs(t *testing.T, card slackMessage) string {
	t.Helper()
	want := renderJSON(t, card.Blocks)
	for _, m := range e.slack.Timeline() {
		if renderJSON(t, m.Fields["blocks"]) == want {
			return m.TS
		}
	}
	return ""
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
