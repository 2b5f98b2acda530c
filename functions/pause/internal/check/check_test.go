package check_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/check"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

const (
	botToken  = "xoxb-check-token-never-shown"
	alertChan = "C0ALERTS1"
)

// slackWorld is the Slack workspace of a test.
type slackWorld struct {
	revoked bool     // the bot token was revoked
	scopes  []string // the bot token's scopes; nil: every scope
	noAlert bool     // the alert channel does not exist
	private bool     // the alert channel is private
	member  bool     // the bot is in the alert channel
}

// scopesWithout are the bot token's scopes without the read scope named.
func scopesWithout(scope string) []string {
	return slices.DeleteFunc([]string{"chat:write", "commands", "channels:read", "groups:read"}, func(s string) bool { return s == scope })
}

// slackOf starts the Slack double as w, with all of Slack's rules, for the token botToken only,
// and returns its SLACK_API_URL.
func slackOf(t *testing.T, w slackWorld) string {
	t.Helper()
	s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Strict, Token: botToken, Scopes: w.scopes})
	t.Cleanup(func() { s.CheckNoViolations(t) })
	if !w.noAlert {
		s.AddChannel(slacktest.Channel{ID: alertChan, Name: "dr-alerts", Private: w.private, Member: w.member})
	}
	if w.revoked {
		s.RevokeToken()
	}
	return s.APIURL()
}

// simClient returns a DR client for a running simulator, its config edited by edit.
func simClient(t *testing.T, edit func(*drapi.Config)) *drapi.Client {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := sim.ClientConfig()
	if edit != nil {
		edit(&cfg)
	}
	c, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// policyDenied serves a DWS that refuses every call for a permission IAM did not grant. Which
// code DWS sends then is UNVERIFIED: the check must name the permission for any 403 that is not
// a rejected signature (APIG(W).0301), so this code is only an example.
func policyDenied(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-403")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error_code":"DWS.0003","error_msg":"Policy doesn't allow dws:cluster:getDisasterRecovery to be performed."}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The shared ledger is what the ledger check pings.
var _ check.Pinger = (*ledger.DynamoDB)(nil)

// fakeLedger is a Pinger whose answer is err.
type fakeLedger struct{ err error }

func (f fakeLedger) Ping(context.Context) error { return f.err }

// TestRun: against the simulator and the Slack double the check reports OK, and when one
// piece is broken it names that piece, says what to fix, and the others stay OK.
func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		dr      func(*drapi.Config) // nil: the simulator's own config
		drCreds string              // DRCredentials; "-" for none
		slack   slackWorld
		token   string
		ledger  check.Pinger
		failing map[string]string // check name -> a phrase of its detail; every other check is OK
	}{
		{name: "everything works", slack: slackWorld{member: true}, ledger: fakeLedger{}},
		{name: "wrong secret key", slack: slackWorld{member: true},
			dr:      func(c *drapi.Config) { c.Credentials.SecretKey = "not-the-simulator-sk" },
			failing: map[string]string{check.NameDRAPI: "credentials rejected (DWS answered HTTP 401 APIGW.0301"}},
		{name: "permission missing", slack: slackWorld{member: true},
			dr: func(c *drapi.Config) { c.Endpoint = policyDenied(t) },
			failing: map[string]string{check.NameDRAPI: "permission dws:cluster:getDisasterRecovery missing (DWS answered HTTP 403 DWS.0003 " +
				"Policy doesn't allow dws:cluster:getDisasterRecovery to be performed., X-Request-Id req-403)"}},
		{name: "no credentials here (agency only)", drCreds: "-", slack: slackWorld{member: true},
			failing: map[string]string{check.NameDRAPI: "not checked: no DR API credentials here"}},
		{name: "revoked bot token", slack: slackWorld{revoked: true},
			failing: map[string]string{check.NameSlackToken: "token revoked (token_revoked)", check.NameAlertChannel: "not checked"}},
		{name: "wrong bot token", slack: slackWorld{member: true}, token: "xoxb-someone-else",
			failing: map[string]string{check.NameSlackToken: "token rejected (invalid_auth)", check.NameAlertChannel: "not checked"}},
		{name: "bot not in the channel", slack: slackWorld{},
			failing: map[string]string{check.NameAlertChannel: "not a member of #dr-alerts (C0ALERTS1), DR_ALERT_CHANNEL, so alert cards cannot be posted there: in that channel, /invite @drpause"}},
		{name: "app without channels:read", slack: slackWorld{scopes: scopesWithout("channels:read")},
			failing: map[string]string{check.NameAlertChannel: "unknown: the app lacks channels:read"}},
		{name: "app without groups:read, private channel", slack: slackWorld{scopes: scopesWithout("groups:read"), private: true},
			failing: map[string]string{check.NameAlertChannel: "unknown: the app lacks groups:read"}},
		{name: "channel not found", slack: slackWorld{noAlert: true},
			failing: map[string]string{check.NameAlertChannel: "channel C0ALERTS1 not found (channel_not_found): check DR_ALERT_CHANNEL"}},
		{name: "ledger unreachable", slack: slackWorld{member: true}, ledger: fakeLedger{errors.New("dial tcp: connection refused")},
			failing: map[string]string{check.NameLedger: "drpause-ledger is unreachable: dial tcp: connection refused"}},
		{name: "shared ledger unreachable", slack: slackWorld{member: true},
			ledger:  fakeLedger{&ledger.UnavailableError{Ledger: "DynamoDB table drpause-ledger", Err: errors.New("dial tcp: connection refused")}},
			failing: map[string]string{check.NameLedger: "drpause-ledger is unreachable: dial tcp: connection refused: check DR_LEDGER_TABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := "HUAWEICLOUD_SDK_AK/SK"
			if tt.drCreds == "-" {
				creds = ""
			}
			token := botToken
			if tt.token != "" {
				token = tt.token
			}
			cfg := check.Config{
				Version:       "v1.2.3",
				DR:            simClient(t, tt.dr),
				DRCredentials: creds,
				SlackToken:    token,
				SlackAPIURL:   slackOf(t, tt.slack),
				AlertChannel:  alertChan,
				Secrets:       []check.SecretSource{{"SLACK_BOT_TOKEN", "environment"}, {"HUAWEICLOUD_SDK_SK", "file"}},
				Ledger:        tt.ledger,
				LedgerName:    "drpause-ledger",
				Redact:        []string{token, drsim.SecretKey, "not-the-simulator-sk"},
			}
			rep := check.Run(context.Background(), cfg)

			want := []string{check.NameConfig, check.NameDRAPI, check.NameSlackToken, check.NameAlertChannel, check.NameSecrets}
			if tt.ledger != nil {
				want = append(want, check.NameLedger)
			}
			var names []string
			for _, c := range rep.Checks {
				names = append(names, c.Name)
				phrase, failing := tt.failing[c.Name]
				switch {
				case failing && (c.OK || !strings.Contains(c.Detail, phrase)):
					t.Errorf("%s: got ok=%t %q; want failed with %q", c.Name, c.OK, c.Detail, phrase)
				case !failing && (!c.OK || !strings.HasPrefix(c.Detail, "OK")):
					t.Errorf("%s: got ok=%t %q; want OK", c.Name, c.OK, c.Detail)
				}
			}
			if strings.Join(names, ",") != strings.Join(want, ",") {
				t.Errorf("checks: got %v; want %v", names, want)
			}
			if rep.OK() != (len(tt.failing) == 0) || rep.Version != "v1.2.3" {
				t.Errorf("report: OK %t, version %q; want OK %t, v1.2.3", rep.OK(), rep.Version, len(tt.failing) == 0)
			}
			out, _ := json.Marshal(rep)
			for _, s := range cfg.Redact {
				if strings.Contains(string(out), s) {
					t.Errorf("report shows a secret: %s", out)
				}
			}
		})
	}
}

// TestRunDetails pins the OK details a deployment reads after a good check.
func TestRunDetails(t *testing.T) {
	rep := check.Run(context.Background(), check.Config{
		Version: "v1", DR: simClient(t, nil), Simulated: true,
		SlackToken: botToken, SlackAPIURL: slackOf(t, slackWorld{member: true}), AlertChannel: alertChan,
		Secrets:  []check.SecretSource{{"SLACK_SIGNING_SECRET", "environment"}, {"SLACK_BOT_TOKEN", "environment"}, {"DR_INVOKE_TOKEN", "file"}},
		Warnings: []string{"DR_ALLOWED_USERS: *: every member may pause"},
	})
	want := map[string]string{
		check.NameConfig: "OK: loaded, with warnings: DR_ALLOWED_USERS: *: every member may pause",
		check.NameDRAPI:  "OK: the built-in simulator answered (DR_SIMULATE: no real DR API was called): a signed list call answered with 4 DR tasks",
		check.NameSlackToken: "OK: the token is the bot user @" + slacktest.BotName + " (" + slacktest.BotUserID + ") of workspace " +
			slacktest.DefaultTeamName + " (" + slacktest.DefaultTeam + ")",
		check.NameAlertChannel: "OK: the bot is a member of #dr-alerts (C0ALERTS1), DR_ALERT_CHANNEL",
		check.NameSecrets:      "OK: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN from environment; DR_INVOKE_TOKEN from file",
	}
	for _, c := range rep.Checks {
		if !c.OK || !strings.HasPrefix(c.Detail, want[c.Name]) {
			t.Errorf("%s: got ok=%t %q; want OK starting %q", c.Name, c.OK, c.Detail, want[c.Name])
		}
	}
	if len(rep.Checks) != len(want) {
		t.Errorf("got %d checks; want %d", len(rep.Checks), len(want))
	}
}

// TestRunLocalLedger: a ledger with nothing to reach is reported OK, saying why.
func TestRunLocalLedger(t *testing.T) {
	rep := check.Run(context.Background(), check.Config{DR: simClient(t, nil), Simulated: true, LedgerLocal: "memory: one process, nothing to reach"})
	for _, c := range rep.Checks {
		if c.Name == check.NameLedger {
			if !c.OK || c.Detail != "OK: memory: one process, nothing to reach" {
				t.Errorf("%s: got ok=%t %q; want OK, nothing to reach", c.Name, c.OK, c.Detail)
			}
			return
		}
	}
	t.Errorf("checks: got %+v; want a ledger check", rep.Checks)
}

// TestRunWithoutSlackToken: a deployment without a bot token is fine for the token check, but
// cannot prove an alert channel.
func TestRunWithoutSlackToken(t *testing.T) {
	rep := check.Run(context.Background(), check.Config{DR: simClient(t, nil), Simulated: true, AlertChannel: alertChan})
	for _, c := range rep.Checks {
		switch c.Name {
		case check.NameSlackToken:
			if !c.OK || !strings.Contains(c.Detail, "not used: SLACK_BOT_TOKEN is not set") {
				t.Errorf("%s: got ok=%t %q; want OK, not used", c.Name, c.OK, c.Detail)
			}
		case check.NameAlertChannel:
			if c.OK || !strings.Contains(c.Detail, "not checked: SLACK_BOT_TOKEN is not set") {
				t.Errorf("%s: got ok=%t %q; want not checked", c.Name, c.OK, c.Detail)
			}
		}
	}
}

// TestRedact: a secret an outside answer echoed never reaches the report.
func TestRedact(t *testing.T) {
	leaky := lister(func(context.Context, drapi.ListFilter) ([]drapi.Summary, error) {
		return nil, errors.New("proxy said: bad key leaked-sk-value")
	})
	rep := check.Run(context.Background(), check.Config{DR: leaky, DRCredentials: "HUAWEICLOUD_SDK_AK/SK", Redact: []string{"leaked-sk-value"}})
	out, _ := json.Marshal(rep)
	if strings.Contains(string(out), "leaked-sk-value") || !strings.Contains(string(out), "[redacted]") {
		t.Errorf("report: got %s; want the secret redacted", out)
	}
}

type lister func(context.Context, drapi.ListFilter) ([]drapi.Summary, error)

func (l lister) List(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error) {
	return l(ctx, f)
}

// TestReportShape: the JSON is the interface file's.
func TestReportShape(t *testing.T) {
	out, _ := json.Marshal(check.Report{Version: "v1", Checks: []check.Result{{Name: "dr_api", OK: true, Detail: "OK"}}})
	if got, want := string(out), `{"version":"v1","checks":[{"name":"dr_api","ok":true,"detail":"OK"}]}`; got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}
