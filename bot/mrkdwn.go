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

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	// No string has more runes than bytes: most messages never need counting.
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func mention(user string) string { return "<@" + user + ">" }

func codeSpan(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

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
