package slacktest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// The ids of the local workspace, used when a request leaves them out.
const (
	DefaultTeam    = "T0LOCAL01"
	DefaultChannel = "C0LOCAL01"
	DefaultUser    = "U0LOCAL01"
)

// The names of the local workspace: the slash command's team_domain and channel_name, and what
// auth.test and conversations.info answer.
const (
	DefaultTeamName    = "Local"
	DefaultTeamDomain  = "example"
	DefaultChannelName = "dr-ops"
)

// SlashCommand is a slash command as Slack sends it. Empty ids get the defaults above; Command
// defaults to /dr.
type SlashCommand struct {
	Team, Channel, User string
	Command             string
	Text                string
	ResponseURL         string
}

// Form returns the form Slack posts, every field Slack sends included.
func (c SlashCommand) Form() url.Values {
	return url.Values{
		"token":        {"deprecated-verification-token"},
		"team_id":      {or(c.Team, DefaultTeam)},
		"team_domain":  {DefaultTeamDomain},
		"channel_id":   {or(c.Channel, DefaultChannel)},
		"channel_name": {DefaultChannelName},
		"user_id":      {or(c.User, DefaultUser)},
		"user_name":    {"someone"},
		"command":      {or(c.Command, "/dr")},
		"text":         {c.Text},
		"response_url": {c.ResponseURL},
		"trigger_id":   {"1234.5678.abcdef"},
		"api_app_id":   {"A0LOCAL01"},
	}
}

// Body returns the encoded form.
func (c SlashCommand) Body() string { return c.Form().Encode() }

// Click is a click on a button of a message, as Slack's block_actions payload tells it.
type Click struct {
	Team, Channel, User string
	MessageTS           string          // the clicked message
	Text                string          // its text
	Blocks              json.RawMessage // its blocks
	BlockID, ActionID   string          // the button; BlockID is found in Blocks when empty
	Value               string          // the button's value; found in Blocks when empty
	ResponseURL         string
}

// Body returns the form Slack posts: one field, payload.
func (c Click) Body() string {
	blocks := c.Blocks
	if len(blocks) == 0 {
		blocks = json.RawMessage("[]")
	}
	if c.BlockID == "" || c.Value == "" {
		var fields map[string]any
		json.Unmarshal([]byte(`{"blocks":`+string(blocks)+`}`), &fields)
		for _, b := range buttons(fields) {
			if b.actionID == c.ActionID && (c.BlockID == "" || b.blockID == c.BlockID) {
				c.BlockID = or(c.BlockID, b.blockID)
				c.Value = or(c.Value, b.value)
				break
			}
		}
	}
	team, channel, ts := or(c.Team, DefaultTeam), or(c.Channel, DefaultChannel), or(c.MessageTS, "1795600800.000100")
	type obj = map[string]any
	// A struct, not a map: Slack sends actions last, after the message, and tests that edit the
	// raw payload find the clicked value by that.
	payload, _ := json.Marshal(struct {
		Type        string `json:"type"`
		User        obj    `json:"user"`
		APIAppID    string `json:"api_app_id"`
		Team        obj    `json:"team"`
		TriggerID   string `json:"trigger_id"`
		ResponseURL string `json:"response_url"`
		Container   obj    `json:"container"`
		Channel     obj    `json:"channel"`
		Message     obj    `json:"message"`
		Actions     []obj  `json:"actions"`
		State       obj    `json:"state"`
	}{
		Type:        "block_actions",
		User:        obj{"id": or(c.User, DefaultUser), "username": "someone", "team_id": team},
		APIAppID:    "A0LOCAL01",
		Team:        obj{"id": team, "domain": DefaultTeamDomain},
		TriggerID:   "1234.5678.click",
		ResponseURL: c.ResponseURL,
		Container:   obj{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		Channel:     obj{"id": channel, "name": DefaultChannelName},
		Message:     obj{"type": "message", "ts": ts, "text": c.Text, "blocks": blocks},
		Actions: []obj{{
			"action_id": c.ActionID, "block_id": c.BlockID, "type": "button", "value": c.Value,
			"text": obj{"type": "plain_text", "text": c.ActionID}, "action_ts": "1795600801.000200",
		}},
		State: obj{"values": obj{}},
	})
	return url.Values{"payload": {string(payload)}}.Encode()
}

// Answer is an app's answer to a request the double sent it.
type Answer struct {
	Status  int
	Body    []byte
	Elapsed time.Duration
	// Shown is the message the answer became in the channel; nil for an empty or failed answer,
	// or one that came too late under Rules.AnswerIn3s.
	Shown *Shown
}

// Message decodes a JSON answer, blocks included, into v.
func (a Answer) Message(v any) error { return json.Unmarshal(a.Body, v) }

// Command sends c to h, signed, as Slack sends a slash command to POST /slack/commands; an
// empty ResponseURL gets a fresh one of this double. The answer is shown in the channel as
// Slack shows it: in the channel or only to the user.
func (s *Server) Command(h http.Handler, c SlashCommand) Answer {
	if c.ResponseURL == "" {
		s.mu.Lock()
		s.lastTS++
		n := s.lastTS
		s.mu.Unlock()
		c.ResponseURL = s.ResponseURL("command-" + strconv.Itoa(n))
	}
	a, raw := s.send(h, "/slack/commands", c.Body())
	path := pathOf(c.ResponseURL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[path] = or(c.Channel, DefaultChannel)
	if !s.acceptAnswer(a, "slash command "+c.Text) || len(a.Body) == 0 {
		return a
	}
	fields, responseType := answerFields(raw, a.Body)
	sh := s.newShown(ViaAnswer, or(c.Channel, DefaultChannel), "", fields)
	sh.Ephemeral = responseType != "in_channel"
	s.original[path] = sh
	cp := sh.clone()
	a.Shown = &cp
	return a
}

// Click sends c to h, signed, as Slack sends a click to POST /slack/interactions. c.MessageTS
// names a message of the channel view, whose text, blocks and channel fill c's empty fields; a
// click on a message the double never saw (no MessageTS, or one it does not know) shows that
// message first, as posted earlier. An empty ResponseURL gets a fresh one; either way it is
// bound to the clicked message, which replace_original then replaces.
func (s *Server) Click(h http.Handler, c Click) Answer {
	s.mu.Lock()
	sh := s.find(c.Channel, c.MessageTS)
	if sh == nil || c.MessageTS == "" {
		var fields map[string]any
		json.Unmarshal([]byte(`{"text":`+strconv.Quote(c.Text)+`,"blocks":`+string(orRaw(c.Blocks))+`}`), &fields)
		sh = s.newShown(ViaEarlier, or(c.Channel, DefaultChannel), "", fields)
		if c.MessageTS != "" {
			sh.TS = c.MessageTS
		}
	}
	if len(c.Blocks) == 0 {
		c.Blocks, _ = json.Marshal(sh.Fields["blocks"])
		c.Text = sh.Text
	}
	c.Channel, c.MessageTS = sh.Channel, sh.TS
	if c.ResponseURL == "" {
		s.lastTS++
		c.ResponseURL = s.ActionURL("click-" + strconv.Itoa(s.lastTS))
	}
	s.original[pathOf(c.ResponseURL)] = sh
	s.channels[pathOf(c.ResponseURL)] = sh.Channel
	s.mu.Unlock()

	a, _ := s.send(h, "/slack/interactions", c.Body())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptAnswer(a, "click on "+c.ActionID) // Slack ignores the body of a click's answer
	return a
}

// send signs body, posts it to h at target and reads the answer.
func (s *Server) send(h http.Handler, target, body string) (Answer, *httptest.ResponseRecorder) {
	r := NewRequest(s.cfg.SigningSecret, s.cfg.Now(), target, body)
	r.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	w := httptest.NewRecorder()
	start := s.cfg.Now()
	h.ServeHTTP(w, r)
	return Answer{Status: w.Code, Body: w.Body.Bytes(), Elapsed: s.cfg.Now().Sub(start)}, w
}

// acceptAnswer checks the 3 s rule and reports whether the answer is shown. s.mu is held.
func (s *Server) acceptAnswer(a Answer, what string) bool {
	if a.Elapsed > AnswerLimit*time.Millisecond {
		s.violate(RuleAnswerIn3s, "answer to the %s took %s: Slack waits %d ms", what, a.Elapsed, AnswerLimit)
		if s.cfg.Rules.AnswerIn3s {
			return false
		}
	}
	return a.Status == http.StatusOK
}

// answerFields reads a slash command's answer: JSON with text, blocks and response_type, or
// plain text.
func answerFields(w *httptest.ResponseRecorder, body []byte) (map[string]any, string) {
	if ct, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type")); ct == "application/json" {
		var fields map[string]any
		if json.Unmarshal(body, &fields) == nil {
			rt, _ := fields["response_type"].(string)
			return fields, rt
		}
	}
	return map[string]any{"text": string(body)}, ""
}

// Forward returns a handler that sends each request to the server at base (a running binary),
// for Command and Click.
func Forward(base string) http.Handler {
	u, err := url.Parse(base)
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, fmt.Sprintf("slacktest: forward to %q: %v", base, err), http.StatusBadGateway)
		})
	}
	p := httputil.NewSingleHostReverseProxy(u)
	return p
}

func pathOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Path
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orRaw(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("[]")
	}
	return r
}
