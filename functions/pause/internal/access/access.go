// Package access holds the two rules every route shares, each parsed once from configuration:
// the allow-lists (DR_ALLOWED_USERS, DR_ALLOWED_CHANNELS, DR_ALLOWED_IDS) and the bearer-token
// check (DR_INVOKE_TOKEN, DR_ALERT_TOKEN). Both deny by default: a nil List and a nil bearer
// check allow nobody, so a route handed nothing is closed rather than open.
package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// List is an allow-list of ids, or of every id when it was given "*". The zero value and a nil
// *List allow nobody.
type List struct {
	all bool
	ids map[string]bool
}

// Allows reports whether id is on the list. The empty id never is.
func (l *List) Allows(id string) bool {
	return l != nil && id != "" && (l.all || l.ids[id])
}

// SlackIDs parses items that are Slack ids of any kind, such as U012AB3CD, or "*". A mention, a
// display name or a list squeezed into one item is refused, since it would never match an id
// and silently allow nobody. Errors name the item's position, not its value.
func SlackIDs(items []string) (*List, error) {
	return parse(items, func(id string) bool { return !strings.ContainsAny(id, " *,<>@#") },
		"is not a Slack id: want ids such as U012AB3CD, or *")
}

// SlackUsers parses the items of DR_ALLOWED_USERS: Slack user ids, or "*". A name, an email
// or a mention would never match the user id a request carries, so it is refused rather than
// left to allow nobody. Errors name the item's position, not its value.
func SlackUsers(items []string) (*List, error) {
	return parse(items, IsUserID,
		"is not a Slack user id: want ids such as U012AB3CD (a member's profile: ⋮, Copy member ID), or *")
}

// SlackChannels parses the items of DR_ALLOWED_CHANNELS: Slack channel ids, or "*". A channel
// name such as #dr-ops would never match the channel id a request carries.
func SlackChannels(items []string) (*List, error) {
	return parse(items, IsChannelID,
		"is not a Slack channel id: want ids such as C012AB3CD (the channel's About tab), or *")
}

// IsUserID reports whether id has the shape of a Slack user id: U, or W on Enterprise Grid,
// then uppercase letters and digits.
func IsUserID(id string) bool { return slackID(id, "UW") }

// IsChannelID reports whether id has the shape of a Slack conversation id: C for a channel, G
// for a private channel or group, D for a direct message, then uppercase letters and digits.
func IsChannelID(id string) bool { return slackID(id, "CGD") }

func slackID(id, prefixes string) bool {
	if len(id) < 2 || !strings.ContainsRune(prefixes, rune(id[0])) {
		return false
	}
	for _, c := range id[1:] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// DRIDs parses the items of DR_ALLOWED_IDS: canonical lowercase DR ids, or "*". An id in
// another spelling is refused: it would never match the canonical id a request carries.
func DRIDs(items []string) (*List, error) {
	return parse(items, func(id string) bool { return drapi.ValidateID(id) == nil },
		"is not an id: want canonical lowercase UUIDs or *")
}

func parse(items []string, valid func(string) bool, want string) (*List, error) {
	l := &List{ids: make(map[string]bool, len(items))}
	for i, item := range items {
		switch {
		case item == "*":
			l.all = true
		case item == "" || !valid(item):
			return nil, fmt.Errorf("item %d %s", i+1, want)
		default:
			l.ids[item] = true
		}
	}
	return l, nil
}

// Bearer returns the check of an Authorization header against token, or nil when token is
// empty, which the routes take as "disabled". Both sides are hashed before the constant-time
// compare, so neither the token's bytes nor its length can be learnt from timing.
func Bearer(token string) func(authorization string) bool {
	return RotatingBearer(rotating.Fixed(token))
}

// RotatingBearer is Bearer for a token that may be rotated while the program runs (one read from
// DR_SECRETS_ARN): a wrong token asks the secret for a re-read, so a caller already using a new
// token is let in on its first try. It is nil when the secret has no value at start. Surrounding
// whitespace is trimmed from both sides, as configuration trims the tokens it reads, so a token
// pasted with a trailing newline means the same on every route.
func RotatingBearer(s rotating.Secret) func(authorization string) bool {
	if s.Current() == "" {
		return nil
	}
	return func(authorization string) bool {
		scheme, got, ok := strings.Cut(authorization, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		// The request's context does not matter here: a re-read is bounded on its own.
		return rotating.Verify(context.Background(), s, func(token string) bool {
			want := sha256.Sum256([]byte(strings.TrimSpace(token)))
			return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
		})
	}
}
