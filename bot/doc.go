// Package bot is the Slack side of drpause: the /dr slash command and its buttons, verified with
// Slack's request signature, authorized against allow-lists of Slack ids, and answered within
// Slack's 3 seconds while the pause itself runs as deferred work that reports back to Slack.
//
// The package talks to the DR API only through the DR interface and to Slack only through
// net/http and slack-go, so it runs the same behind a plain HTTP server and behind AWS Lambda.
// What must hold across instances (a card acts once, one operation per DR) lives in the Ledger
// the caller hands it, shared with the alerts and /invoke.
package bot
