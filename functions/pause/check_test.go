package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// slackAPI is the Slack workspace of a self-check test.
type slackAPI struct {
	revoked bool // the bot token was revoked
	member  bool // is the bot in the alert channel
}

// checkSlack starts the Slack double as api, with all of Slack's rules, taking the token botToken
// only, its alert channel C0LOCAL01 named dr-alerts, and returns its SLACK_API_URL.
func checkSlack(t *testing.T, api slackAPI) string {
	t.Helper()
	s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Strict, Token: botToken})
	t.Cleanup(func() { s.CheckNoViolations(t, slacktest.RuleAnswerIn3s) })
	s.AddChannel(slacktest.Channel{ID: "C0LOCAL01", Name: "dr-alerts", Member: api.member})
	if api.revoked {
		s.RevokeToken()
	}
	return s.APIURL()
}

// report is the -check output.
type report struct {
	Version string `json:"version"`
	Checks  []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

// runCheckBinary runs the real binary with -check in env and returns its report, stderr and exit
// code.
func runCheckBinary(t *testing.T, env []string) (report, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bootstrapPath, "-check")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the report: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	checkNoSecrets(t, stdout.String()+stderr.String())
	return rep, stderr.String(), cmd.ProcessState.ExitCode()
}

// TestCheckFlag runs `bootstrap -check` as `make check` does: it prints the report on stdout
// and exits 0 only when every check is OK; a failing check names the piece on stderr too.
func TestCheckFlag(t *testing.T) {
	dws, err := drsim.Start(drsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dws.Close()
	realDWS := func(sk string) []string {
		return []string{"DR_PROJECT_ID=" + drsim.ProjectID, "DR_ENDPOINT=" + dws.URL(),
			"HUAWEICLOUD_SDK_AK=" + drsim.AccessKey, "HUAWEICLOUD_SDK_SK=" + sk}
	}
	slackEnv := func(api slackAPI) []string {
		return []string{"SLACK_SIGNING_SECRET=local-signing-secret", "SLACK_BOT_TOKEN=" + botToken,
			"SLACK_API_URL=" + checkSlack(t, api), "DR_ALERT_CHANNEL=C0LOCAL01", "DR_ALLOWED_USERS=U0REQUEST"}
	}
	// The shared ledger: a table on the tests' dynalite, and one on a closed loopback port.
	endpoint, table := ledgertest.Table(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name     string
		env      []string
		wantCode int
		failing  map[string]string // check name -> phrase of its detail
		ok       map[string]string // check name -> phrase of its OK detail
	}{
		{name: "simulator and Slack fine", env: append([]string{"DR_SIMULATE=true"}, slackEnv(slackAPI{member: true})...),
			ok: map[string]string{"ledger": "OK: memory: one process, nothing to reach"}},
		{name: "real API and Slack fine", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{member: true})...)},
		{name: "wrong SK", env: append(realDWS(huaweiSK), slackEnv(slackAPI{member: true})...), wantCode: 1,
			failing: map[string]string{"dr_api": "credentials rejected (DWS answered HTTP 401 APIGW.0301"}},
		{name: "revoked bot token", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{revoked: true})...), wantCode: 1,
			failing: map[string]string{"slack_bot_token": "token revoked (token_revoked)", "slack_alert_channel": "not checked"}},
		{name: "bot not in the alert channel", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{})...), wantCode: 1,
			failing: map[string]string{"slack_alert_channel": "not a member of #dr-alerts (C0LOCAL01)"}},
		{name: "shared ledger reachable", env: slices.Concat(realDWS(drsim.SecretKey), slackEnv(slackAPI{member: true}), ledgertest.Env(endpoint, table)),
			ok: map[string]string{"ledger": "OK: DynamoDB table " + table + " answered"}},
		{name: "shared ledger unreachable", env: slices.Concat(realDWS(drsim.SecretKey), slackEnv(slackAPI{member: true}), ledgertest.Env(closed, "drpause-ledger")),
			wantCode: 1, failing: map[string]string{"ledger": "DynamoDB table drpause-ledger is unreachable: DynamoDB GetItem: "}},
		{name: "configuration does not load", env: []string{"DR_REGION=cn-north-4"}, wantCode: 1,
			failing: map[string]string{"config": "config: DR_PROJECT_ID: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, stderr, code := runCheckBinary(t, tt.env)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d; want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if rep.Version == "" || len(rep.Checks) == 0 {
				t.Fatalf("report: got %+v; want a version and checks", rep)
			}
			names := map[string]bool{}
			for _, c := range rep.Checks {
				names[c.Name] = true
				if phrase, ok := tt.ok[c.Name]; ok && !strings.Contains(c.Detail, phrase) {
					t.Errorf("%s: got %q; want it to say %q", c.Name, c.Detail, phrase)
				}
				phrase, failing := tt.failing[c.Name]
				switch {
				case failing && (c.OK || !strings.Contains(c.Detail, phrase)):
					t.Errorf("%s: got ok=%t %q; want failed with %q", c.Name, c.OK, c.Detail, phrase)
					continue
				case !failing && (!c.OK || !strings.HasPrefix(c.Detail, "OK")):
					t.Errorf("%s: got ok=%t %q; want OK", c.Name, c.OK, c.Detail)
				}
				if failing && !strings.Contains(stderr, c.Name) {
					t.Errorf("stderr: got %q; want it to name %s", stderr, c.Name)
				}
			}
			for name := range tt.failing {
				if !names[name] {
					t.Errorf("report: no %s check in %+v", name, rep.Checks)
				}
			}
			for name := range tt.ok {
				if !names[name] {
					t.Errorf("report: no %s check in %+v", name, rep.Checks)
				}
			}
			if len(tt.failing) == 0 && stderr != "" {
				t.Errorf("stderr: got %q; want nothing", stderr)
			}
		})
	}
}

// TestCheckInvocation: a direct Lambda invocation {"action": "check"} answers the same report,
// through the real bootstrap under the emulator.
func TestCheckInvocation(t *testing.T) {
	env := []string{"DR_SIMULATE=true", "SLACK_SIGNING_SECRET=local-signing-secret", "SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + checkSlack(t, slackAPI{member: true}), "DR_ALERT_CHANNEL=C0LOCAL01", "DR_ALLOWED_USERS=U0REQUEST",
		"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDLOCALTEST", "AWS_SECRET_ACCESS_KEY=local-aws-secret",
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName}
	fn := startEmulator(t, env)
	var rep report
	if out := fn.invoke(t, []byte(`{"action":"check"}`)); json.Unmarshal(out, &rep) != nil || len(rep.Checks) == 0 {
		t.Fatalf("answer: got %s; want the report", out)
	}
	names := map[string]bool{}
	for _, c := range rep.Checks {
		names[c.Name] = true
		if !c.OK {
			t.Errorf("%s: got %q; want OK", c.Name, c.Detail)
		}
	}
	for _, n := range []string{"config", "dr_api", "slack_bot_token", "slack_alert_channel", "secrets", "ledger"} {
		if !names[n] {
			t.Errorf("report: no %s check in %+v", n, rep.Checks)
		}
	}
	checkNoSecrets(t, fn.out.String())
}
