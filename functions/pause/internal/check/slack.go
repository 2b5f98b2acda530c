package check

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"
)

// checkSlack checks the bot token with auth.test, then the bot's membership of the alert
// channel with conversations.info, where one is configured.
//
// API docs: https://api.slack.com/methods/auth.test, https://api.slack.com/methods/conversations.info
func checkSlack(ctx context.Context, cfg Config) []Result {
	token := Result{Name: NameSlackToken}
	channel := Result{Name: NameAlertChannel}
	withChannel := func(rs ...Result) []Result {
		if cfg.AlertChannel == "" {
			return rs
		}
		return append(rs, channel)
	}
	if cfg.SlackToken == "" {
		token.OK = true
		token.Detail = "OK: not used: SLACK_BOT_TOKEN is not set, so results go through each request's response_url (alerts need the token)"
		channel.Detail = "not checked: SLACK_BOT_TOKEN is not set, and alert cards are posted with it"
		return withChannel(token)
	}
	opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
	}
	api := slack.New(cfg.SlackToken, opts...)

	who, err := api.AuthTestContext(ctx)
	if err != nil {
		token.Detail = tokenProblem(err)
		channel.Detail = "not checked: the bot token does not work (see " + NameSlackToken + ")"
		return withChannel(token)
	}
	token.OK = true
	token.Detail = "OK: the token is the bot user @" + who.User + " (" + who.UserID + ") of workspace " + who.Team + " (" + who.TeamID + ")"
	if cfg.AlertChannel == "" {
		return []Result{token}
	}

	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: cfg.AlertChannel})
	switch {
	case err != nil:
		channel.Detail = channelProblem(err, cfg.AlertChannel)
	case info.IsMember:
		channel.OK = true
		channel.Detail = "OK: the bot is a member of #" + info.Name + " (" + cfg.AlertChannel + "), DR_ALERT_CHANNEL"
	default:
		channel.Detail = "the bot is not a member of #" + info.Name + " (" + cfg.AlertChannel + "), DR_ALERT_CHANNEL, so alert cards " +
			"cannot be posted there: in that channel, /invite @" + who.User
	}
	return []Result{token, channel}
}

// slackCode returns Slack's error code from an ok:false answer, and the scope it said was
// needed, if any.
func slackCode(err error) (code, needed string, ok bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err, se.Needed, true
	}
	return "", "", false
}

// tokenProblem says what to fix after auth.test failed. The codes are those Slack documents for
// every Web API method (https://api.slack.com/methods/auth.test and its error table).
func tokenProblem(err error) string {
	code, _, ok := slackCode(err)
	if !ok {
		return otherSlackProblem(err)
	}
	switch code {
	case "token_revoked":
		return "token revoked (token_revoked): the app was uninstalled or reinstalled, or the token revoked: set SLACK_BOT_TOKEN " +
			"to the Bot User OAuth Token the app's OAuth & Permissions page shows now"
	case "invalid_auth":
		return "token rejected (invalid_auth): set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...)"
	case "not_authed":
		return "no token reached Slack (not_authed): set SLACK_BOT_TOKEN"
	case "account_inactive":
		return "the bot user or its workspace is deactivated (account_inactive): reinstall the app and set the new SLACK_BOT_TOKEN"
	}
	return "Slack refused the token (" + code + ")"
}

// channelProblem says what to fix after conversations.info failed for channel.
func channelProblem(err error, channel string) string {
	code, needed, ok := slackCode(err)
	if !ok {
		return otherSlackProblem(err)
	}
	switch code {
	case "missing_scope":
		scope := "channels:read"
		if strings.Contains(needed, "groups:read") && !strings.Contains(needed, "channels:read") {
			scope = "groups:read" // a private channel
		}
		return "unknown: the app lacks " + scope + ": add channels:read and groups:read to its bot scopes " +
			"(bot/slack-app-manifest.yaml has them), reinstall it and set the new SLACK_BOT_TOKEN"
	case "channel_not_found":
		return "channel " + channel + " not found (channel_not_found): check DR_ALERT_CHANNEL (the id on the channel's About tab); " +
			"a private channel is visible to the bot only once it is invited: /invite the bot there"
	}
	return "Slack refused conversations.info for " + channel + " (" + code + ")"
}

func otherSlackProblem(err error) string {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "rate limited by Slack: run the check again in a minute"
	}
	return "Slack is unreachable: " + err.Error() + ": check SLACK_API_URL and that this network may reach it over HTTPS"
}
