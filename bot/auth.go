package bot

import "fmt"

// Allow reports whether a Slack user or channel id, or a DR id, may act. The caller parses its
// allow-list once and hands the bot one Allow per list; a nil Allow allows nobody.
type Allow func(id string) bool

func (a Allow) allows(id string) bool { return a != nil && id != "" && a(id) }

// refusal says who or what was not allowed and which setting would allow it.
type refusal struct {
	reason  string // "team", "user", "channel", "id" or "four_eyes"
	subject string // the Slack team, user or channel id, or the DR id
	setting string // the environment variable that grants access
	op      string // four_eyes: the operation asked for; empty for a pause
}

func (r *refusal) Error() string {
	return fmt.Sprintf("%s %s not allowed by %s", r.reason, r.subject, r.setting)
}

// authorize checks the user and the channel of a request, and the DR id when one is given.
// It returns nil or a *refusal.
func (b *Bot) authorize(user, channel, id string) *refusal {
	if !b.cfg.AllowedUsers.allows(user) {
		return &refusal{reason: "user", subject: user, setting: "DR_ALLOWED_USERS"}
	}
	if !b.cfg.AllowedChannels.allows(channel) {
		return &refusal{reason: "channel", subject: channel, setting: "DR_ALLOWED_CHANNELS"}
	}
	if id != "" && !b.cfg.AllowedIDs.allows(id) {
		return &refusal{reason: "id", subject: id, setting: "DR_ALLOWED_IDS"}
	}
	return nil
}

// authorizeTeam checks the Slack organisation a request comes from: it is allowed when its
// team id or its enterprise id is in DR_ALLOWED_TEAMS. On a click the team is the clicker's
// own, so an allowed approver from another organisation in a Slack Connect channel can act.
func (b *Bot) authorizeTeam(team, enterprise string) *refusal {
	if b.cfg.AllowedTeams.allows(team) || b.cfg.AllowedTeams.allows(enterprise) {
		return nil
	}
	subject := team
	if subject == "" {
		subject = enterprise
	}
	return &refusal{reason: "team", subject: subject, setting: "DR_ALLOWED_TEAMS"}
}
