// Package rotating is a secret that may change while the program runs, as the code that checks
// requests with it sees it: the value in force, the one it replaced (still good for what was
// made with it before the change), and a way to ask for a re-read when a request fails to
// verify, so a request made with a value rotated in since the last read passes on its first try.
//
// It depends only on the standard library, so the Slack side, the alert routes and the Lambda
// entry can all take a Secret without knowing where it is kept.
package rotating

import (
	"context"
	"log/slog"
	"strconv"
)

// Secret is a secret that may be rotated while the program runs. Implementations are safe for
// concurrent use; Current and Previous are cheap enough for every request.
type Secret interface {
	// Current returns the value in force, or "" when the secret has none.
	Current() string
	// Previous returns the value Current replaced, while what was made with it (a card's
	// button, a queued job) is still accepted; "" otherwise.
	Previous() string
	// Recheck is called after a request failed to verify with failed, a value Current
	// returned. It re-reads the secret when its policy allows and reports whether Current
	// now returns something other than failed.
	Recheck(ctx context.Context, failed string) bool
}

// Fixed is a Secret that never changes: a value from the environment or a file. It redacts
// itself when printed or logged.
type Fixed string

var _ Secret = Fixed("")

// Current returns the value.
func (f Fixed) Current() string { return string(f) }

// Previous is always "": a fixed value replaced nothing.
func (Fixed) Previous() string { return "" }

// Recheck reports false: there is nothing to re-read.
func (Fixed) Recheck(context.Context, string) bool { return false }

// String redacts the value for every fmt verb that uses it.
func (f Fixed) String() string {
	if f == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts %#v.
func (f Fixed) GoString() string { return strconv.Quote(f.String()) }

// LogValue keeps the value out of slog output.
func (f Fixed) LogValue() slog.Value { return slog.StringValue(f.String()) }

// MarshalJSON keeps the value out of anything that dumps a configuration as JSON.
func (f Fixed) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(f.String())), nil }

// Reveal returns the value itself, for the one place that needs it.
func (f Fixed) Reveal() string { return string(f) }

// Verify reports whether ok accepts the value of s in force, asking s for a re-read once when it
// does not. It is for signatures and tokens checked as they arrive, whose senders switch to a
// new value at once: the previous value is never accepted. ok is never called with "".
func Verify(ctx context.Context, s Secret, ok func(value string) bool) bool {
	cur := s.Current()
	if cur != "" && ok(cur) {
		return true
	}
	if !s.Recheck(ctx, cur) {
		return false
	}
	next := s.Current()
	return next != "" && ok(next)
}

// VerifyRecent is Verify for what a program made itself with a key derived from s and gets back
// later (a card's button value, a queued job): it also accepts the previous value, so what was
// made just before a rotation, or by an instance that re-read the secret at another time, still
// opens. ok is never called with "".
func VerifyRecent(ctx context.Context, s Secret, ok func(value string) bool) bool {
	cur := s.Current()
	if cur != "" && ok(cur) {
		return true
	}
	if prev := s.Previous(); prev != "" && prev != cur && ok(prev) {
		return true
	}
	if !s.Recheck(ctx, cur) {
		return false
	}
	if next := s.Current(); next != "" && ok(next) {
		return true
	}
	prev := s.Previous()
	return prev != "" && prev != cur && ok(prev)
}
