package bot

import (
	"fmt"
	"strings"
)

// allowList is a set of Slack or DR ids; all means "*" was given. The zero value allows nobody.
type allowList struct {
	all bool
	set map[string]bool
}

func parseAllowList(items []string) (allowList, error) {
	l := allowList{set: make(map[string]bool)}
	for _, item := range items {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case item == "*":
			l.all = true
		case strings.ContainsAny(item, " *,<>@"):
			return allowList{}, fmt.Errorf("invalid entry %q: want an id or *", item)
		default:
			l.set[item] = true
		}
	}
	return l, nil
}

func (l allowList) allows(id string) bool { return id != "" && (l.all || l.set[id]) }

// refusal says who or what was not allowed and which setting would allow it.
type refusal struct {
	reason  string // "user", "channel", "id" or "four_eyes"
	subject string // the Slack user or channel id, or the DR id
	setting string // the environment variable that grants access
}

func (r *refusal) Error() string {
	return fmt.Sprintf("%s %s not allowed by %s", r.reason, r.subject, r.setting)
}

// authorize checks the user and the channel of a request, and the DR id when one is given.
// It returns nil or a *refusal.
func (b *Bot) authorize(user, channel, id string) *refusal {
	if !b.users.allows(user) {
		return &refusal{reason: "user", subject: user, setting: "DR_ALLOWED_USERS"}
	}
	if !b.channels.allows(channel) {
		return &refusal{reason: "channel", subject: channel, setting: "DR_ALLOWED_CHANNELS"}
	}
	if id != "" && !b.ids.allows(id) {
		return &refusal{reason: "id", subject: id, setting: "DR_ALLOWED_IDS"}
	}
	return nil
}
