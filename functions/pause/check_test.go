package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drsim"
)

// slackAPI is how the Slack stand-in of the self-check tests answers.
type slackAPI struct {
	authError string // auth.test's error code; empty: ok
	member    bool   // is the bot in the alert channel
}

// slackAPIStandIn answers auth.test and conversations.info for botToken as Slack's Web API does
// (ok:false with an error code). It is the one Slack stand-in of the self-check tests; the
// response_url and chat.* stand-in of the other tests does not serve these methods.
func slackAPIStandIn(t *testing.T, api slackAPI) string {
	t.Helper()
	answer := func(w http.ResponseWriter, v map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		switch {
		case r.Form.Get("token") != botToken:
			answer(w, map[string]any{"ok": false, "error": "invalid_auth"})
		case api.authError != "":
			answer(w, map[string]any{"ok": false, "error": api.authError})
		case r.PathValue("method") == "auth.test":
			answer(w, map[string]any{"ok": true, "team": "Local", "team_id": "T0LOCAL01", "user": "drpause", "user_id": "U0BOT"})
		case r.PathValue("method") == "conversations.info" && r.Form.Get("channel") == "C0LOCAL01":
			answer(w, map[string]any{"ok": true, "channel": map[string]any{"id": "C0LOCAL01", "name": "dr-alerts", "is_member": api.member}})
		default:
			answer(w, map[string]any{"ok": false, "error": "channel_not_found"})
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
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
			"SLACK_API_URL=" + slackAPIStandIn(t, api), "DR_ALERT_CHANNEL=C0LOCAL01", "DR_ALLOWED_USERS=U0REQUEST"}
	}
	tests := []struct {
		name     string
		env      []string
		wantCode int
		failing  map[string]string // check name -> phrase of its detail
	}{
		{name: "simulator and Slack fine", env: append([]string{"DR_SIMULATE=true"}, slackEnv(slackAPI{member: true})...)},
		{name: "real API and Slack fine", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{member: true})...)},
		{name: "wrong SK", env: append(realDWS(huaweiSK), slackEnv(slackAPI{member: true})...), wantCode: 1,
			failing: map[string]string{"dr_api": "credentials rejected (DWS answered HTTP 401 APIGW.0301"}},
		{name: "revoked bot token", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{authError: "token_revoked"})...), wantCode: 1,
			failing: map[string]string{"slack_bot_token": "token revoked (token_revoked)", "slack_alert_channel": "not checked"}},
		{name: "bot not in the alert channel", env: append(realDWS(drsim.SecretKey), slackEnv(slackAPI{})...), wantCode: 1,
			failing: map[string]string{"slack_alert_channel": "not a member of #dr-alerts (C0LOCAL01)"}},
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
			for _, c := range rep.Checks {
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
		"SLACK_API_URL=" + slackAPIStandIn(t, slackAPI{member: true}), "DR_ALERT_CHANNEL=C0LOCAL01", "DR_ALLOWED_USERS=U0REQUEST",
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
	for _, n := range []string{"config", "dr_api", "slack_bot_token", "slack_alert_channel", "secrets"} {
		if !names[n] {
			t.Errorf("report: no %s check in %+v", n, rep.Checks)
		}
	}
	checkNoSecrets(t, fn.out.String())
}
