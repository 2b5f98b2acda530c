package check_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/functions/pause/internal/check"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

const (
	botToken  = "xoxb-check-token-never-shown"
	alertChan = "C0ALERTS1"
)

// slackWorld is what the Slack stand-in answers.
type slackWorld struct {
	authError    string // auth.test's error code; empty: ok
	channelError string // conversations.info's error code; empty: ok
	needed       string // the scope a missing_scope answer names
	member       bool   // is_member of the alert channel
}

// slackStandIn answers auth.test and conversations.info as Slack's Web API does (ok:false with
// an error code, and needed/provided on missing_scope), for the token botToken only. It is the
// one Slack stand-in of these tests.
func slackStandIn(t *testing.T, w slackWorld) string {
	t.Helper()
	answer := func(rw http.ResponseWriter, body map[string]any) {
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(body)
	}
	authed := func(r *http.Request) bool {
		r.ParseForm()
		return r.Form.Get("token") == botToken || r.Header.Get("Authorization") == "Bearer "+botToken
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth.test", func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case !authed(r):
			answer(rw, map[string]any{"ok": false, "error": "invalid_auth"})
		case w.authError != "":
			answer(rw, map[string]any{"ok": false, "error": w.authError})
		default:
			answer(rw, map[string]any{"ok": true, "url": "https://example.slack.com/", "team": "Example", "user": "drpause",
				"team_id": "T0EXAMPLE", "user_id": "U0DRPAUSE", "bot_id": "B0DRPAUSE"})
		}
	})
	mux.HandleFunc("POST /api/conversations.info", func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case !authed(r):
			answer(rw, map[string]any{"ok": false, "error": "invalid_auth"})
		case w.channelError == "missing_scope":
			answer(rw, map[string]any{"ok": false, "error": "missing_scope", "needed": w.needed, "provided": "chat:write,commands"})
		case w.channelError != "":
			answer(rw, map[string]any{"ok": false, "error": w.channelError})
		case r.Form.Get("channel") != alertChan:
			answer(rw, map[string]any{"ok": false, "error": "channel_not_found"})
		default:
			answer(rw, map[string]any{"ok": true, "channel": map[string]any{"id": alertChan, "name": "dr-alerts",
				"is_channel": true, "is_member": w.member}})
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
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

// TestRun: against the simulator and the Slack stand-in the check reports OK, and when one
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
		{name: "revoked bot token", slack: slackWorld{authError: "token_revoked"},
			failing: map[string]string{check.NameSlackToken: "token revoked (token_revoked)", check.NameAlertChannel: "not checked"}},
		{name: "wrong bot token", slack: slackWorld{member: true}, token: "xoxb-someone-else",
			failing: map[string]string{check.NameSlackToken: "token rejected (invalid_auth)", check.NameAlertChannel: "not checked"}},
		{name: "bot not in the channel", slack: slackWorld{},
			failing: map[string]string{check.NameAlertChannel: "not a member of #dr-alerts (C0ALERTS1), DR_ALERT_CHANNEL, so alert cards cannot be posted there: in that channel, /invite @drpause"}},
		{name: "app without channels:read", slack: slackWorld{channelError: "missing_scope", needed: "channels:read"},
			failing: map[string]string{check.NameAlertChannel: "unknown: the app lacks channels:read"}},
		{name: "app without groups:read, private channel", slack: slackWorld{channelError: "missing_scope", needed: "groups:read"},
			failing: map[string]string{check.NameAlertChannel: "unknown: the app lacks groups:read"}},
		{name: "channel not found", slack: slackWorld{channelError: "channel_not_found"},
			failing: map[string]string{check.NameAlertChannel: "channel C0ALERTS1 not found (channel_not_found): check DR_ALERT_CHANNEL"}},
		{name: "ledger unreachable", slack: slackWorld{member: true}, ledger: fakeLedger{errors.New("dial tcp: connection refused")},
			failing: map[string]string{check.NameLedger: "drpause-ledger is unreachable: dial tcp: connection refused"}},
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
				SlackAPIURL:   slackStandIn(t, tt.slack),
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
		SlackToken: botToken, SlackAPIURL: slackStandIn(t, slackWorld{member: true}), AlertChannel: alertChan,
		Secrets:  []check.SecretSource{{"SLACK_SIGNING_SECRET", "environment"}, {"SLACK_BOT_TOKEN", "environment"}, {"DR_INVOKE_TOKEN", "file"}},
		Warnings: []string{"DR_ALLOWED_USERS: *: every member may pause"},
	})
	want := map[string]string{
		check.NameConfig:       "OK: loaded, with warnings: DR_ALLOWED_USERS: *: every member may pause",
		check.NameDRAPI:        "OK: the built-in simulator answered (DR_SIMULATE: no real DR API was called): a signed list call answered with 4 DR tasks",
		check.NameSlackToken:   "OK: the token is the bot user @drpause (U0DRPAUSE) of workspace Example (T0EXAMPLE)",
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
