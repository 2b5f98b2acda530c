// Package slacktest is a local Slack for the tests, the demo and the benchmarks, as
// net/http/httptest is a local HTTP server: it receives what the bot sends to Slack (response_url
// posts and Web API calls), shows it as a channel would, and sends the bot what Slack sends
// (signed slash commands and button clicks). With Rules it answers as Slack's documented and
// reported rules make it answer, so a test fails where real Slack would not show what the bot
// meant.
//
// It is tooling: the binary never imports it, and a test in functions/pause/internal/tools holds
// it to that.
package slacktest
