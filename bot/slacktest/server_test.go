package slacktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/slacktest"
)

// respond posts a response_url message the way the bot does, and returns the status.
func respond(t *testing.T, responseURL, body string) int {
	t.Helper()
	resp, err := http.Post(responseURL, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post to response_url: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func client(s *slacktest.Server) *slack.Client {
	return slack.New("xoxb-test", slack.OptionAPIURL(s.APIURL()))
}

// app answers a slash command with an in-channel card and any click with 200; it checks the
// signature as the bot does.
func app(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/slack/commands" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"response_type":"in_channel","text":"card","blocks":[{"type":"actions","block_id":"b1","elements":[{"type":"button","action_id":"go","value":"v1","text":{"type":"plain_text","text":"Go"}}]}]}`)
		}
	})
}

func TestCommandAndClickAreSignedAndShown(t *testing.T) {
	s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Strict})
	a := s.Command(app(slacktest.LocalSecret), slacktest.SlashCommand{Text: "pause x"})
	if a.Status != http.StatusOK || a.Shown == nil || a.Shown.Ephemeral || a.Shown.Text != "card" {
		t.Fatalf("command: got %d %+v; want 200 and an in-channel card shown", a.Status, a.Shown)
	}
	if got := a.Shown.Buttons()["go"]; got != "v1" {
		t.Errorf("card buttons: got %q; want go=v1", got)
	}
	var clicked string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		clicked = form.Get("payload")
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		app(slacktest.LocalSecret).ServeHTTP(w, r)
	})
	if c := s.Click(h, slacktest.Click{MessageTS: a.Shown.TS, ActionID: "go", User: "U2"}); c.Status != http.StatusOK {
		t.Fatalf("click: got %d; want 200", c.Status)
	}
	for _, want := range []string{`"value":"v1"`, `"block_id":"b1"`, `"message_ts":"` + a.Shown.TS + `"`, `"id":"U2"`, `/actions/click-`} {
		if !strings.Contains(clicked, want) {
			t.Errorf("click payload %s: want %s", clicked, want)
		}
	}
	if a := s.Command(app("another secret"), slacktest.SlashCommand{Text: "x"}); a.Status != http.StatusUnauthorized {
		t.Errorf("command to an app with another secret: got %d; want 401", a.Status)
	}
}

// TestClickResponseURLReplaces: a click's response_url replaces the clicked message; a slash
// command's posts anew under the strict rules and replaces the answer without them.
func TestReplaceOriginal(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rules slacktest.Rules
		click bool
		want  []string // the channel's texts at the end
	}{
		{name: "click, strict", rules: slacktest.Strict, click: true, want: []string{"done"}},
		{name: "click, lenient", click: true, want: []string{"done"}},
		{name: "slash command, strict", rules: slacktest.Strict, want: []string{"card", "done"}},
		{name: "slash command, lenient", want: []string{"done"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := slacktest.Start(t, slacktest.Config{Rules: tt.rules})
			responseURL := s.ResponseURL("cmd")
			a := s.Command(app(slacktest.LocalSecret), slacktest.SlashCommand{Text: "x", ResponseURL: responseURL})
			if tt.click {
				responseURL = s.ActionURL("click")
				s.Click(app(slacktest.LocalSecret), slacktest.Click{MessageTS: a.Shown.TS, ActionID: "go", ResponseURL: responseURL})
			}
			if got := respond(t, responseURL, `{"replace_original":true,"response_type":"in_channel","text":"done"}`); got != http.StatusOK {
				t.Fatalf("response_url: got %d; want 200", got)
			}
			var texts []string
			for _, m := range s.Timeline() {
				texts = append(texts, m.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tt.want, "|") {
				t.Errorf("channel: got %q; want %q", texts, tt.want)
			}
			if last, _ := s.Last(slacktest.DefaultChannel); last.Text != "done" {
				t.Errorf("last message: got %q; want done", last.Text)
			}
		})
	}
}

func TestFiveUses(t *testing.T) {
	for _, strict := range []bool{true, false} {
		s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Rules{FiveUses: strict}})
		u := s.ResponseURL("r")
		for i := range slacktest.ResponseURLUses {
			if got := respond(t, u, `{"text":"m"}`); got != http.StatusOK {
				t.Fatalf("use %d: got %d; want 200", i+1, got)
			}
		}
		want := http.StatusNotFound
		if !strict {
			want = http.StatusOK
		}
		if got := respond(t, u, `{"text":"sixth"}`); got != want {
			t.Errorf("strict=%v: sixth use: got %d; want %d", strict, got, want)
		}
		if v := s.Violations(); len(v) != 1 || v[0].Rule != slacktest.RuleFiveUses || !strings.Contains(v[0].Detail, "post 6") {
			t.Errorf("strict=%v: violations: got %v; want the sixth post", strict, v)
		}
		if got := respond(t, s.ResponseURL("other"), `{"text":"m"}`); got != http.StatusOK {
			t.Errorf("another response_url: got %d; want 200", got)
		}
	}
}

func TestUpdateOwnMessagesOnly(t *testing.T) {
	ctx := context.Background()
	s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Strict})
	c := client(s)
	channel, ts, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText("done", false)); err != nil {
		t.Errorf("chat.update of the bot's own message: %v", err)
	}
	answer := s.Command(app(slacktest.LocalSecret), slacktest.SlashCommand{Channel: "C1", Text: "x"})
	_, _, _, err = c.UpdateMessageContext(ctx, "C1", answer.Shown.TS, slack.MsgOptionText("edited", false))
	if err == nil || !strings.Contains(err.Error(), "cant_update_message") {
		t.Errorf("chat.update of a slash command's answer: got %v; want cant_update_message", err)
	}
	_, _, _, err = c.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("edited", false))
	if err == nil || !strings.Contains(err.Error(), "message_not_found") {
		t.Errorf("chat.update of no message: got %v; want message_not_found", err)
	}
	var texts []string
	for _, m := range s.Timeline() {
		texts = append(texts, m.Text)
	}
	if strings.Join(texts, "|") != "done|card" {
		t.Errorf("channel: got %q; want the bot's message edited and the answer untouched", texts)
	}
	if got := len(s.Violations()); got != 2 {
		t.Errorf("violations: got %v; want 2", s.Violations())
	}

	lenient := slacktest.Start(t, slacktest.Config{})
	if _, _, _, err := client(lenient).UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("edited", false)); err != nil {
		t.Errorf("lenient chat.update of an unseen message: %v", err)
	}
	if v := lenient.Violations(); len(v) != 1 || v[0].Rule != slacktest.RuleUpdateOwnOnly {
		t.Errorf("lenient violations: got %v; want 1 of UpdateOwnOnly", v)
	}
	if _, _, err := slack.New("", slack.OptionAPIURL(s.APIURL())).PostMessageContext(ctx, "C1"); err == nil || !strings.Contains(err.Error(), "not_authed") {
		t.Errorf("chat.postMessage without a token: got %v; want not_authed", err)
	}
}

func TestAnswerIn3s(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Unix(1795600000, 0).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	slow := func(d time.Duration) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now.Add(int64(d))
			io.WriteString(w, "late answer")
		})
	}
	for _, strict := range []bool{true, false} {
		s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Rules{AnswerIn3s: strict}, Now: clock})
		if a := s.Command(slow(2900*time.Millisecond), slacktest.SlashCommand{}); a.Shown == nil {
			t.Errorf("strict=%v: an answer in 2.9 s: not shown", strict)
		}
		a := s.Command(slow(3100*time.Millisecond), slacktest.SlashCommand{})
		if (a.Shown == nil) != strict {
			t.Errorf("strict=%v: an answer in 3.1 s: shown %v", strict, a.Shown)
		}
		if v := s.Violations(); len(v) != 1 || v[0].Rule != slacktest.RuleAnswerIn3s || !strings.Contains(v[0].Detail, "3.1s") {
			t.Errorf("strict=%v: violations: got %v; want the 3.1 s answer", strict, v)
		}
	}
}

func TestFaultsAndThrottle(t *testing.T) {
	ctx := context.Background()
	s := slacktest.Start(t, slacktest.Config{})
	s.Throttle(slacktest.ViaPostMessage, 1, 2*time.Second)
	_, _, err := client(s).PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("throttled chat.postMessage: got %v; want a rate limit of 2s", err)
	}
	if _, _, err := client(s).PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the throttle: %v", err)
	}
	s.SetFaults(func(p slacktest.Post) *slacktest.Fault {
		if p.Via == slacktest.ViaResponseURL && p.Text == "final" {
			return &slacktest.Fault{Status: http.StatusInternalServerError}
		}
		return nil
	})
	if got := respond(t, s.ResponseURL("r"), `{"text":"progress"}`); got != http.StatusOK {
		t.Errorf("progress: got %d; want 200", got)
	}
	if got := respond(t, s.ResponseURL("r"), `{"text":"final"}`); got != http.StatusInternalServerError {
		t.Errorf("final: got %d; want 500", got)
	}
	posts := s.Posts()
	if len(posts) != 4 || posts[0].OK() || !posts[1].OK() || posts[3].OK() || posts[3].Status != 500 {
		t.Errorf("posts: got %v; want the refused ones marked", posts)
	}
}

func TestWaitNextUntil(t *testing.T) {
	s := slacktest.Start(t, slacktest.Config{WaitTimeout: 10 * time.Second})
	go func() {
		for _, text := range []string{"one", "two", "three"} {
			respond(t, s.ResponseURL("r"), `{"text":"`+text+`"}`)
		}
	}()
	if p := s.Next(t); p.Text != "one" || p.Name != "r" || p.Via != slacktest.ViaResponseURL {
		t.Errorf("Next: got %v; want one", p)
	}
	p, before := s.Until(t, func(p slacktest.Post) bool { return p.Text == "three" })
	if p.Text != "three" || len(before) != 1 || before[0].Text != "two" {
		t.Errorf("Until: got %v after %v; want three after two", p, before)
	}
	if p := s.Wait(t, "the first", func(p slacktest.Post) bool { return p.Text == "one" }); p.Seq != 1 {
		t.Errorf("Wait: got %v; want post 1", p)
	}
}

func TestForward(t *testing.T) {
	s := slacktest.Start(t, slacktest.Config{})
	app := slacktest.Start(t, slacktest.Config{}) // any server will do: the double's own 404
	a := s.Command(slacktest.Forward(app.URL()), slacktest.SlashCommand{})
	if a.Status != http.StatusNotFound {
		t.Errorf("forwarded command: got %d; want the target's 404", a.Status)
	}
}

// TestWorkspace: auth.test names the bot user, conversations.info tells whether the bot is in a
// channel, and both refuse as Slack does: an unknown or revoked token, a missing scope, a channel
// the bot cannot see.
func TestWorkspace(t *testing.T) {
	ctx := context.Background()
	s := slacktest.Start(t, slacktest.Config{Token: "xoxb-test"})
	s.AddChannel(slacktest.Channel{ID: "C2", Name: "outside"})
	s.AddChannel(slacktest.Channel{ID: "G1", Name: "secret", Private: true})
	c := client(s)

	who, err := c.AuthTestContext(ctx)
	if err != nil || who.UserID != slacktest.BotUserID || who.User != slacktest.BotName || who.TeamID != slacktest.DefaultTeam ||
		who.Team != slacktest.DefaultTeamName || who.BotID != slacktest.BotID {
		t.Errorf("auth.test: got %+v, %v; want the bot user of the local workspace", who, err)
	}
	for _, tt := range []struct {
		channel, wantErr string
		member           bool
	}{
		{channel: slacktest.DefaultChannel, member: true},
		{channel: "C2"},
		{channel: "G1", wantErr: "channel_not_found"}, // private, and the bot is not in it
		{channel: "C404", wantErr: "channel_not_found"},
	} {
		info, err := c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: tt.channel})
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("conversations.info %s: got %v; want %s", tt.channel, err, tt.wantErr)
			}
		case err != nil || info.ID != tt.channel || info.IsMember != tt.member:
			t.Errorf("conversations.info %s: got %+v, %v; want is_member %t", tt.channel, info, err, tt.member)
		}
	}

	if _, err := slack.New("xoxb-other", slack.OptionAPIURL(s.APIURL())).AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("auth.test with another token: got %v; want invalid_auth", err)
	}
	scoped := slacktest.Start(t, slacktest.Config{Scopes: []string{"chat:write", "commands", "channels:read"}})
	scoped.AddChannel(slacktest.Channel{ID: "G1", Name: "secret", Private: true, Member: true})
	_, err = client(scoped).GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "G1"})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "groups:read" || se.Provided != "chat:write,commands,channels:read" {
		t.Errorf("conversations.info of a private channel without groups:read: got %v; want missing_scope naming groups:read", err)
	}
	if _, err := client(scoped).GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: slacktest.DefaultChannel}); err != nil {
		t.Errorf("conversations.info with channels:read: %v", err)
	}

	s.RevokeToken()
	if _, err := c.AuthTestContext(ctx); err == nil || err.Error() != "token_revoked" {
		t.Errorf("auth.test after RevokeToken: got %v; want token_revoked", err)
	}
	if _, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err == nil || err.Error() != "token_revoked" {
		t.Errorf("chat.postMessage after RevokeToken: got %v; want token_revoked", err)
	}
	if got := s.Count(slacktest.MethodAuthTest); got != 3 {
		t.Errorf("auth.test calls: got %d; want 3", got)
	}
}
