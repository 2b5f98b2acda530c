package bot

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dws-dr/drpause/pkg/drapi"
)

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeMrkdwn makes text from outside (DR names, alert labels) safe inside mrkdwn: no mentions, no links.
func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// maxShownBadID caps an id from the DR API that is not a DR id: enough to recognise it, too
// little to flood a message.
const maxShownBadID = 40

// apiID shows an id the DR API returned. A DR id is a canonical UUID, and one is shown as such;
// anything else is shown escaped, cut to maxShownBadID characters and marked, rather than
// replaced, so that whoever looks into a broken or hostile answer sees what it said.
func apiID(id string) string {
	if drapi.ValidateID(id) == nil {
		return codeSpan(id)
	}
	return codeSpan(truncate(id, maxShownBadID)) + " (not a DR id: DWS gives UUIDs)"
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	// No string has more runes than bytes: most messages never need counting.
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// mention mentions a Slack user. Ids come from Slack or from a MACed button, but one that is
// not shaped like a user id is shown as text: "<@" + anything + ">" could close early and
// open a mention of its own.
func mention(user string) string {
	if user == "" || strings.IndexFunc(user, func(r rune) bool { return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) >= 0 {
		return codeSpan(user)
	}
	return "<@" + user + ">"
}

// codeSpan shows s as code. Slack reads <!channel> and <https://x|y> inside code spans too, so
// s is escaped here, where no caller can forget it; a backquote in s would end the span early.
// Pass raw text, not escaped text.
func codeSpan(s string) string {
	return "`" + escapeMrkdwn(strings.ReplaceAll(s, "`", "'")) + "`"
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return codeSpan(s)
}

func orStatus(s drapi.Status, fallback string) drapi.Status {
	if s == "" {
		return drapi.Status(fallback)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
