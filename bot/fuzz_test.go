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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// The fuzz targets of the Slack side. Each builds its Bots once and serves many inputs to them,
// so every outside effect is counted instead of performed: DR calls go to a fakeDR, every HTTP
// request (a fuzzed response_url may name any host) to a transport that answers locally, and
// deferred jobs to a recorder that runs nothing.

const fuzzID = "e59d6b86-9072-46eb-a996-13f8b44994c1"

// maxMessageText is Slack's limit of a message's top-level text, past which it truncates.
const maxMessageText = 40000

// fuzzBot is a Bot under fuzzing with its effects counted.
type fuzzBot struct {
	bot   *Bot
	dr    *fakeDR
	slack *fuzzTransport
	jobs  *fuzzDeferrer

	mu    sync.Mutex
	drIDs []string // ids the DR was asked about since the last reset
}

func newFuzzBot(tb testing.TB, edit func(*Config)) *fuzzBot {
	tb.Helper()
	fb := &fuzzBot{slack: &fuzzTransport{}, jobs: &fuzzDeferrer{}}
	record := func(id string) {
		fb.mu.Lock()
		fb.drIDs = append(fb.drIDs, id)
		fb.mu.Unlock()
	}
	fb.dr = &fakeDR{
		get: func(_ context.Context, id string) (*drapi.Detail, error) {
			record(id)
			return &drapi.Detail{ID: id, Name: "dr-fuzz", Status: drapi.StatusRunning}, nil
		},
		list: func(context.Context, drapi.ListFilter) ([]drapi.Summary, error) {
			return []drapi.Summary{{ID: fuzzID, Name: "dr-fuzz", Status: drapi.StatusRunning}}, nil
		},
		pauseAndFollow: func(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
			record(id)
			return drapi.Outcome{ID: id}, nil
		},
	}
	cfg := Config{
		SigningSecret:   testSecret,
		BotToken:        testToken,
		SlackAPIURL:     "https://slack.invalid/api/",
		AllowedUsers:    allowOnly("U1", "U2"),
		AllowedChannels: allowAll,
		AllowedIDs:      allowAll,
		AllowedTeams:    allowAll,
		Confirm:         true,
		LookupBudget:    time.Second,
		HTTPClient:      &http.Client{Transport: fb.slack},
		Deferrer:        fb.jobs,
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg, fb.dr)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	fb.bot = b
	return fb
}

// fuzzEffects is what a Bot did to the outside world since the last reset.
type fuzzEffects struct {
	drCalls int32
	drIDs   []string
	posts   int32
	jobs    []Job
}

func (fb *fuzzBot) reset() {
	fb.dr.calls.Store(0)
	fb.slack.n.Store(0)
	fb.jobs.take()
	fb.mu.Lock()
	fb.drIDs = nil
	fb.mu.Unlock()
}

func (fb *fuzzBot) effects() fuzzEffects {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	return fuzzEffects{drCalls: fb.dr.calls.Load(), drIDs: fb.drIDs, posts: fb.slack.n.Load(), jobs: fb.jobs.take()}
}

// checkNone fails unless nothing reached the DR API, Slack or the deferrer.
func (e fuzzEffects) checkNone(t *testing.T, what string) {
	t.Helper()
	if e.drCalls != 0 || e.posts != 0 || len(e.jobs) != 0 {
		t.Errorf("%s: got %d DR calls, %d posts to Slack, %d deferred jobs; want none", what, e.drCalls, e.posts, len(e.jobs))
	}
}

// checkIDs fails when any DR call or deferred job names an id that is not a canonical UUID.
func (e fuzzEffects) checkIDs(t *testing.T, what string) {
	t.Helper()
	for _, id := range e.drIDs {
		if err := drapi.ValidateID(id); err != nil {
			t.Errorf("%s: the DR was called with id %q: %v", what, id, err)
		}
	}
	for _, j := range e.jobs {
		if j.Kind == JobList && j.ID == "" {
			continue
		}
		if err := drapi.ValidateID(j.ID); err != nil {
			t.Errorf("%s: deferred a %s job for id %q: %v", what, j.Kind, j.ID, err)
		}
	}
}

// checkAuthorized fails when a job was deferred for a user the Bot does not allow (U1 and U2),
// or, with four eyes, approved by the user who asked.
func (e fuzzEffects) checkAuthorized(t *testing.T, what string, fourEyes bool) {
	t.Helper()
	allowed := func(u string) bool { return u == "U1" || u == "U2" }
	for _, j := range e.jobs {
		actor := j.Requester
		if j.Approver != "" {
			actor = j.Approver
		}
		if !allowed(actor) {
			t.Errorf("%s: deferred a %s job for user %q; want only allowed users", what, j.Kind, actor)
		}
		if fourEyes && j.Approver != "" && j.Approver == j.Requester {
			t.Errorf("%s: %q approved their own request with four eyes on", what, j.Approver)
		}
	}
}

// fuzzTransport answers every request locally, as Slack would, and counts them.
type fuzzTransport struct{ n atomic.Int32 }

func (c *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := "ok"
	if strings.Contains(r.URL.Path, "chat.") {
		body = `{"ok":true,"channel":"C1","ts":"1.2"}`
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// fuzzDeferrer is a Deferrer that keeps the jobs and runs none.
type fuzzDeferrer struct {
	mu   sync.Mutex
	jobs []Job
}

var _ Deferrer = (*fuzzDeferrer)(nil)

func (d *fuzzDeferrer) Defer(_ context.Context, j Job) error {
	d.mu.Lock()
	d.jobs = append(d.jobs, j)
	d.mu.Unlock()
	return nil
}

func (d *fuzzDeferrer) take() []Job {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.jobs
	d.jobs = nil
	return j
}

// fuzzRequest builds a POST to path carrying body, with the given signature headers.
func fuzzRequest(path string, body []byte, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Set would refuse nothing here, but a real server would never pass on a header holding a
	// line break; dropping those keeps the request one a server could deliver.
	if validHeaderValue(ts) {
		r.Header.Set("X-Slack-Request-Timestamp", ts)
	}
	if validHeaderValue(sig) {
		r.Header.Set("X-Slack-Signature", sig)
	}
	return r
}

func validHeaderValue(v string) bool { return !strings.ContainsAny(v, "\r\n\x00") }

// fuzzCommandSeeds are bodies shaped like Slack's, plus the abuse the issue lists.
func fuzzCommandSeeds() []string {
	cmd := func(text string) string {
		return commandBody("U1", chanID, text, "https://hooks.slack.com/commands/T1/1/x")
	}
	long := strings.Repeat("pause "+fuzzID+" ", 10000/43+1)[:10000]
	return []string{
		cmd(""),
		cmd("help"),
		cmd("list"),
		cmd("status " + fuzzID),
		cmd("pause " + fuzzID),
		cmd("pause " + strings.ToUpper(fuzzID) + " --dry-run"),
		cmd("pause -n " + fuzzID),
		cmd("pause ../../clusters/x"),
		cmd("pause " + fuzzID + "?b=1"),
		cmd("pause " + fuzzID + "/../x"),
		cmd("pause е59d6b86-9072-46eb-a996-13f8b44994c1"), // Cyrillic е
		cmd("pause " + fuzzID + "\r\nX-Injected: 1"),
		cmd("pause \xff\xfe" + fuzzID),
		cmd("status\u00a0" + fuzzID),
		cmd(long),
		commandBody("UX", chanID, "pause "+fuzzID, "https://hooks.slack.com/commands/T1/1/x"),
		commandBody("U1", chanID, "pause "+fuzzID, "javascript:alert(1)"),
		"ssl_check=1&token=x",
		"text=pause+" + fuzzID + "&user_id=U1&channel_id=C1&text=list",
		"%zz",
		"payload=%7B",
	}
}

// FuzzCommands serves arbitrary bodies to Commands, first with the caller's (almost surely
// forged) signature headers, then signed with the signing secret. Unsigned requests must act on
// nothing; signed ones must be answered with a status Slack understands, and may reach the DR API
// only with canonical ids.
func FuzzCommands(f *testing.F) {
	for _, body := range fuzzCommandSeeds() {
		f.Add([]byte(body), "", "")
		f.Add([]byte(body), strconv.FormatInt(time.Now().Unix(), 10), "v0=0000")
	}
	f.Add([]byte(strings.Repeat("a", maxBodyBytes+1)), "", "")
	f.Add([]byte("text=help"), "1", signature(testSecret, time.Unix(1, 0), "text=help")) // signed, but stale

	bots := []*fuzzBot{
		newFuzzBot(f, nil),
		newFuzzBot(f, func(c *Config) { c.Confirm = false }),
	}
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		for _, fb := range bots {
			w, e := fb.serveTwice(t, fb.bot.Commands(), "/slack/commands", body, ts, sig, "command")
			e.checkIDs(t, "signed command")
			e.checkAuthorized(t, "signed command", false)
			if e.posts != 0 {
				t.Errorf("signed command: got %d posts to Slack; want the answer in the response only", e.posts)
			}
			if w.Code == http.StatusOK && !isSSLCheck(body) {
				checkSlackAnswer(t, w.Body.Bytes())
			}
		}
	})
}

// FuzzInteractions is FuzzCommands for button clicks.
func FuzzInteractions(f *testing.F) {
	for _, body := range fuzzInteractionSeeds() {
		f.Add([]byte(body), "", "")
		f.Add([]byte(body), strconv.FormatInt(time.Now().Unix(), 10), "v0=0000")
	}
	f.Add([]byte("payload="+strings.Repeat("a", maxBodyBytes)), "", "")

	bots := []*fuzzBot{
		newFuzzBot(f, nil),
		newFuzzBot(f, func(c *Config) { c.FourEyes = true }),
	}
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		for i, fb := range bots {
			_, e := fb.serveTwice(t, fb.bot.Interactions(), "/slack/interactions", body, ts, sig, "click")
			e.checkIDs(t, "signed click")
			e.checkAuthorized(t, "signed click", i == 1)
			if len(e.jobs) > 1 {
				t.Errorf("signed click: got %d deferred jobs; want at most 1", len(e.jobs))
			}
		}
	})
}

// serveTwice serves body to h with the fuzzed signature headers, where it must have no effect,
// then signed with the test secret; it returns the signed answer and what it did.
func (fb *fuzzBot) serveTwice(t *testing.T, h http.Handler, path string, body []byte, ts, sig, what string) (*httptest.ResponseRecorder, fuzzEffects) {
	t.Helper()
	fb.reset()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, fuzzRequest(path, body, ts, sig))
	checkUnsigned(t, w, body)
	fb.effects().checkNone(t, "unsigned "+what)

	fb.reset()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signedFuzzRequest(path, body))
	checkSigned(t, w, body)
	return w, fb.effects()
}

// signedFuzzRequest signs body now, with the test secret, as Slack would.
func signedFuzzRequest(path string, body []byte) *http.Request {
	now := time.Now()
	return fuzzRequest(path, body, strconv.FormatInt(now.Unix(), 10), signature(testSecret, now, string(body)))
}

// checkUnsigned: a request not signed with the secret is refused, or is an ssl_check answered
// with nothing.
func checkUnsigned(t *testing.T, w *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	switch {
	case len(body) > maxBodyBytes:
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("unsigned oversized body: got status %d; want 413", w.Code)
		}
	case isSSLCheck(body):
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("unsigned ssl_check: got status %d with %d bytes; want 200 with none", w.Code, w.Body.Len())
		}
	default:
		if w.Code != http.StatusUnauthorized {
			t.Errorf("unsigned body: got status %d; want 401", w.Code)
		}
	}
}

// checkSigned: a signed request gets 200, 400 for a malformed form, or 413 when too large.
func checkSigned(t *testing.T, w *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	want := []int{http.StatusOK, http.StatusBadRequest}
	if len(body) > maxBodyBytes {
		want = []int{http.StatusRequestEntityTooLarge}
	}
	if !slices.Contains(want, w.Code) {
		t.Errorf("signed body: got status %d; want one of %v", w.Code, want)
	}
}

// checkSlackAnswer fails unless data is a message Slack accepts: JSON within Slack's limits.
func checkSlackAnswer(t *testing.T, data []byte) {
	t.Helper()
	var m struct {
		Text   string       `json:"text"`
		Blocks slack.Blocks `json:"blocks"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("answer %.200q is not a Slack message: %v", data, err)
	}
	checkSlackLimits(t, m.Text, m.Blocks.BlockSet)
}

// checkSlackLimits checks the limits user input could push a message past. (Invalid UTF-8 in the
// text is no concern: JSON encoding replaces it on the way to Slack.)
func checkSlackLimits(t *testing.T, text string, blocks []slack.Block) {
	t.Helper()
	if n := utf8.RuneCountInString(text); n > maxMessageText {
		t.Errorf("got message text of %d characters; want at most %d", n, maxMessageText)
	}
	if len(blocks) > maxBlocks {
		t.Errorf("got %d blocks; want at most %d", len(blocks), maxBlocks)
	}
	for _, blk := range blocks {
		s, ok := blk.(*slack.SectionBlock)
		if !ok || s.Text == nil {
			continue
		}
		if n := utf8.RuneCountInString(s.Text.Text); n > maxSectionText {
			t.Errorf("got a section of %d characters; want at most %d", n, maxSectionText)
		}
	}
}

// FuzzCommandText runs the command-text parser, parseID and the subcommand dispatch behind it,
// on arbitrary text from an allowed user: whatever the text, the DR is called and jobs are
// deferred only for canonical ids, and the answer stays within Slack's limits.
func FuzzCommandText(f *testing.F) {
	for _, s := range []string{
		"", "help", "list", "LIST", "status " + fuzzID, "status", "status a b",
		"pause " + fuzzID, "pause " + fuzzID + " --dry-run", "pause --dry-run -n " + fuzzID,
		"pause " + fuzzID + " " + fuzzID, "pause " + strings.ToUpper(fuzzID),
		"pause ../../clusters/x", "pause a?b", "pause " + fuzzID + "?x=1", "pause " + fuzzID + "#",
		"pause е59d6b86-9072-46eb-a996-13f8b44994c1", // Cyrillic е
		"pause e59d6b86-9072-46eb-a996-13f8b44994c１", // fullwidth 1
		"pause e59d6b86\u200b-9072-46eb-a996-13f8b44994c1",
		"pause " + fuzzID + "\r\nX-Injected: 1", "pause \xff" + fuzzID, "pause `" + fuzzID + "`",
		"pause <@U2> <!channel>", "\u00a0pause\u3000" + fuzzID,
		strings.Repeat("x", 10000), "pause " + strings.Repeat("é", 5000),
	} {
		f.Add(s)
	}
	confirm := newFuzzBot(f, nil)
	direct := newFuzzBot(f, func(c *Config) { c.Confirm = false })
	f.Fuzz(func(t *testing.T, text string) {
		for _, arg := range strings.Fields(text) {
			id, ok := parseID(arg)
			if ok != (drapi.ValidateID(id) == nil) {
				t.Errorf("parseID(%q) = %q, %t; want ok exactly when the id is canonical", arg, id, ok)
			}
			if ok && !strings.EqualFold(id, arg) {
				t.Errorf("parseID(%q) = %q; want the argument up to case", arg, id)
			}
		}
		for _, fb := range []*fuzzBot{confirm, direct} {
			fb.reset()
			cmd := slack.SlashCommand{Command: "/dr", Text: text, TeamID: teamID, ChannelID: chanID, UserID: "U1",
				ResponseURL: "https://hooks.slack.com/commands/T1/1/x"}
			m := fb.bot.command(context.Background(), cmd)
			e := fb.effects()
			e.checkIDs(t, "command text")
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("answer to %.100q does not marshal: %v", text, err)
			}
			checkSlackAnswer(t, data)
			if m.ResponseType == inChannel {
				// Everyone sees it: the text typed must not become a mention there.
				for _, shown := range shownTexts(m) {
					shown = strings.ReplaceAll(shown, mention("U1"), "")
					if strings.Contains(shown, "<!") || strings.Contains(shown, "<@") || strings.Contains(shown, "<#") {
						t.Errorf("in-channel answer to %.100q: got text %.300q; want no mention from the command text", text, shown)
					}
				}
			}
			if e.posts != 0 {
				t.Errorf("got %d posts to Slack; want the answer in the response only", e.posts)
			}
		}
	})
}

// fuzzInteractionSeeds are block_actions payloads like Slack's, and broken ones.
func fuzzInteractionSeeds() []string {
	// Sealed with the fuzz bots' key and fresh, so a seed gets through to the pause; the
	// fuzzer cannot forge a MAC, so most of what it derives is refused as a changed button.
	now := time.Now().Unix()
	value := testKey.seal(buttonValue{ID: fuzzID, Requester: "U1", RequestedAt: now})
	payload := func(user, action, value, responseURL string) string {
		p := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"someone","team_id":"T1"},`+
			`"api_app_id":"A1","team":{"id":"T1","domain":"example"},"trigger_id":"1.2.3","response_url":%q,`+
			`"container":{"type":"message","message_ts":"1.2","channel_id":"C1","is_ephemeral":false},`+
			`"channel":{"id":"C1","name":"ops"},"message":{"type":"message","ts":"1.2","text":"card",`+
			`"blocks":[{"type":"actions","block_id":%q,"elements":[]}]},`+
			`"actions":[{"action_id":%q,"block_id":%q,"type":"button","value":%q,"action_ts":"1.3"}],"state":{"values":{}}}`,
			user, responseURL, actionsBlockID(fuzzID), action, actionsBlockID(fuzzID), value)
		return url.Values{"payload": {p}}.Encode()
	}
	const resp = "https://hooks.slack.com/actions/T1/1/x"
	return []string{
		payload("U2", actionPause, value, resp),
		payload("U1", actionPause, value, resp),
		payload("U2", actionCancel, value, resp),
		payload("UX", actionPause, value, resp),
		payload("U2", actionPause, `{"id":"../../clusters/x","at":1}`, resp),
		payload("U2", actionPause, `{"id":"`+fuzzID+`?a=b","at":1}`, resp),
		payload("U2", actionPause, `{"id":"е59d6b86-9072-46eb-a996-13f8b44994c1"}`, resp),
		payload("U2", actionPause, `{"id":"`+fuzzID+`\r\nX: y"}`, resp),
		payload("U2", actionPause, "not json", resp),
		// Hostile values the bot itself sealed: only the id check stands in their way.
		payload("U2", actionPause, testKey.seal(buttonValue{ID: "../../clusters/x", RequestedAt: now}), resp),
		payload("U2", actionPause, testKey.seal(buttonValue{ID: fuzzID + "?a=b", RequestedAt: now}), resp),
		payload("U1", actionPause, testKey.seal(buttonValue{ID: fuzzID, RequestedAt: now, AlertSource: "grafana"}), resp),
		payload("U2", actionPause, testKey.seal(buttonValue{ID: fuzzID, Requester: "U1", RequestedAt: 1}), resp),
		payload("U2", actionPause, value, "file:///etc/passwd"),
		payload("U2", "other_action", value, resp),
		url.Values{"payload": {`{"type":"view_submission"}`}}.Encode(),
		url.Values{"payload": {"\xff"}}.Encode(),
		"payload=%7B%22type%22%3A",
		"ssl_check=1",
		"",
	}
}

// FuzzInteractionPayload decodes arbitrary payloads and button values the way a signed click
// does, and runs the click: a job is deferred only for a canonical id, and button values that
// parse survive their own encoding.
func FuzzInteractionPayload(f *testing.F) {
	for _, body := range fuzzInteractionSeeds() {
		form, err := url.ParseQuery(body)
		if err != nil {
			continue
		}
		f.Add(form.Get("payload"), testKey.seal(buttonValue{ID: fuzzID, Requester: "U1", RequestedAt: time.Now().Unix()}))
	}
	for _, v := range []string{
		`{"id":"` + fuzzID + `","at":-9223372036854775808}`,
		`{"id":"` + strings.ToUpper(fuzzID) + `"}`,
		`{"id":"` + fuzzID + `","by":"<!channel>","src":"grafana","title":"` + strings.Repeat("t", 3000) + `"}`,
		`{"id":"` + fuzzID + `","id":"../x"}`,
		`{"ID":"` + fuzzID + `"}`,
		`[]`, `null`, `"` + fuzzID + `"`, "\xff",
	} {
		f.Add(`{"type":"block_actions"}`, v)
		// The same, sealed: past the MAC, the id check must still hold.
		var bv buttonValue
		if json.Unmarshal([]byte(v), &bv) == nil {
			f.Add(`{"type":"block_actions"}`, testKey.seal(bv))
		}
	}
	fb := newFuzzBot(f, nil)
	f.Fuzz(func(t *testing.T, payload, value string) {
		if v, err := testKey.open(value); err == nil {
			if verr := drapi.ValidateID(v.ID); verr != nil {
				t.Errorf("open(%q) accepted id %q: %v", value, v.ID, verr)
			}
			again, err := testKey.open(testKey.seal(v))
			if err != nil || again != v {
				t.Errorf("button value %+v: encoded and parsed again got %+v, %v; want it unchanged", v, again, err)
			}
		}

		var cb slack.InteractionCallback
		if json.Unmarshal([]byte(payload), &cb) != nil {
			return
		}
		// Put the fuzzed value on a pause button so the click gets past the action lookup.
		cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions,
			&slack.BlockAction{ActionID: actionPause, BlockID: actionsBlockID(fuzzID), Value: value})
		fb.reset()
		fb.bot.click(context.Background(), &cb)
		e := fb.effects()
		e.checkIDs(t, "click")
		e.checkAuthorized(t, "click", false)
		if e.drCalls != 0 {
			t.Errorf("click: got %d DR calls; want the work deferred", e.drCalls)
		}
		if len(e.jobs) > 1 {
			t.Errorf("click: got %d deferred jobs; want at most 1", len(e.jobs))
		}
	})
}

// FuzzAlertCard builds the alert cards from arbitrary alert data (title, a label, a link and a
// dropped id all come from the alert's sender): they must stay within Slack's limits, and none
// of that data may turn into a mention or a control sequence that pings the channel.
func FuzzAlertCard(f *testing.F) {
	for _, s := range [][6]string{
		{"DWSPrimaryUnhealthy", "severity", "critical", "Source", "http://prometheus:9090/graph?g0.expr=up", `"../../clusters/x" (not a valid id)`},
		{"<!channel> DR down", "<@U2>", "<!here>", "<!everyone>", "https://grafana/d/x|<!channel>", `"<!channel>" (not a valid id)`},
		{"a & b > c", "k", "<https://evil.example|click me>", "x|y", "https://a/b>c<d", `"` + fuzzID + `?a=b" (not a valid id)`},
		{strings.Repeat("t", 5000), strings.Repeat("k", 300), strings.Repeat("v", 3000), strings.Repeat("l", 200), "https://" + strings.Repeat("u", 3000), strings.Repeat("d", 100)},
		{"\xff\xfe", "\r\nX: y", "\x00", "`", "javascript:alert(1)", "`<!channel>`"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	at := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, title, labelKey, labelValue, linkText, linkURL, dropped string) {
		p := Proposal{
			Channel: "C0ALERTS", Source: "alertmanager", Title: title, IDs: []string{fuzzID},
			Labels:  map[string]string{labelKey: labelValue, "alertname": title},
			Links:   []Link{{Text: linkText, URL: linkURL}},
			Dropped: []string{dropped},
		}
		for _, m := range []slackMessage{alertCardMessage(p, newCardID(), at, testKey), alertAutoMessage(p, at)} {
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("card does not marshal: %v", err)
			}
			checkSlackAnswer(t, data)
			for _, text := range shownTexts(m) {
				for _, seq := range []string{"<!", "<@", "<#"} {
					if strings.Contains(text, seq) {
						t.Errorf("card text %.300q holds %q from alert data; want it escaped", text, seq)
					}
				}
			}
			for _, v := range buttonValues(m) {
				if n := utf8.RuneCountInString(v); n > maxButtonValue {
					t.Errorf("got a button value of %d characters; want at most %d", n, maxButtonValue)
				}
				if _, err := testKey.open(v); err != nil {
					t.Errorf("button value %.200q does not parse back: %v", v, err)
				}
			}
		}
	})
}

// maxButtonValue is Slack's limit of a button's value.
const maxButtonValue = 2000

// shownTexts returns every text of m that Slack renders.
func shownTexts(m slackMessage) []string {
	texts := []string{m.Text}
	add := func(o *slack.TextBlockObject) {
		if o != nil {
			texts = append(texts, o.Text)
		}
	}
	for _, blk := range m.Blocks {
		switch b := blk.(type) {
		case *slack.SectionBlock:
			add(b.Text)
			for _, f := range b.Fields {
				add(f)
			}
		case *slack.HeaderBlock:
			add(b.Text)
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if o, ok := el.(*slack.TextBlockObject); ok {
					add(o)
				}
			}
		}
	}
	return texts
}

// buttonValues returns the values of every button of m.
func buttonValues(m slackMessage) []string {
	var values []string
	for _, blk := range m.Blocks {
		ab, ok := blk.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok {
				values = append(values, btn.Value)
			}
		}
	}
	return values
}
