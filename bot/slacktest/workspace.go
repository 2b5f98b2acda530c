package slacktest

import (
	"slices"
	"strings"
)

// The Web API methods the double answers besides chat.postMessage and chat.update, as Post.Via
// names a call of them.
const (
	MethodAuthTest          = "auth.test"
	MethodConversationsInfo = "conversations.info"
)

// The bot user the bot token belongs to, as auth.test tells it.
const (
	BotUserID = "U0LOCALBOT"
	BotID     = "B0LOCAL01"
	BotName   = "drpause"
)

// Channel is a channel of the workspace, as conversations.info tells it. The double starts with
// one: DefaultChannel, DefaultChannelName, public, the bot a member.
//
// conversations.info needs channels:read for a public channel and groups:read for a private one
// (Config.Scopes), and finds a private channel only when the bot is a member of it, answering
// channel_not_found otherwise, as Slack hides private channels from non-members.
type Channel struct {
	ID, Name string
	Private  bool
	Member   bool // the bot user is in it
}

// AddChannel makes c a channel of the workspace, replacing the one with its id.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.convs[c.ID] = c
}

// RevokeToken revokes the bot token, as uninstalling the app does: every Web API call is then
// refused with token_revoked.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// authorize returns Slack's refusal of a call with token, or nil to let it through. The token is
// not empty. s.mu is held.
func (s *Server) authorize(token string) map[string]any {
	switch {
	case s.cfg.Token != "" && token != s.cfg.Token:
		return refusal("invalid_auth")
	case s.revoked:
		return refusal("token_revoked")
	}
	return nil
}

// needScope returns Slack's missing_scope answer when the token lacks scope, or nil. s.mu is
// held.
func (s *Server) needScope(scope string) map[string]any {
	if s.cfg.Scopes == nil || slices.Contains(s.cfg.Scopes, scope) {
		return nil
	}
	return map[string]any{"ok": false, "error": "missing_scope", "needed": scope, "provided": strings.Join(s.cfg.Scopes, ",")}
}

// authTest is auth.test: who the token is. s.mu is held.
//
// API docs: https://api.slack.com/methods/auth.test
func (s *Server) authTest(*Post) map[string]any {
	return map[string]any{
		"ok": true, "url": "https://" + DefaultTeamDomain + ".slack.com/", "team": DefaultTeamName, "user": BotName,
		"team_id": DefaultTeam, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false,
	}
}

// conversationsInfo is conversations.info: a channel, and whether the bot is in it. s.mu is
// held.
//
// API docs: https://api.slack.com/methods/conversations.info
func (s *Server) conversationsInfo(p *Post) map[string]any {
	c, ok := s.convs[p.Channel]
	scope := "channels:read"
	if ok && c.Private {
		scope = "groups:read"
	}
	if a := s.needScope(scope); a != nil {
		return a
	}
	if !ok || c.Private && !c.Member {
		return refusal("channel_not_found")
	}
	return map[string]any{"ok": true, "channel": map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": true, "is_group": false, "is_im": false, "is_mpim": false,
		"is_private": c.Private, "is_archived": false, "is_general": false, "is_member": c.Member,
	}}
}

func refusal(code string) map[string]any { return map[string]any{"ok": false, "error": code} }
