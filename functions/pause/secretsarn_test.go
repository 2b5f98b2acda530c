package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakesecrets"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

const (
	secretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:drpause-AbCdEf"
	// The values a rotation brings; the canaries of secrets_test.go are the values before it.
	canaryRotatedSigning = "sig-CANARY-rotated-2468ace0"
	canaryRotatedInvoke  = "inv-CANARY-rotated-13579bdf"
)

// secretValues is the DR_SECRETS_ARN secret with the given signing secret and invoke token.
func secretValues(signing, invoke string) string { return secretValuesSK(signing, invoke, canarySK) }

// secretValuesSK is secretValues with the given Huawei Cloud SK.
func secretValuesSK(signing, invoke, sk string) string {
	b, _ := json.Marshal(map[string]string{
		"HUAWEICLOUD_SDK_AK": canaryAK, "HUAWEICLOUD_SDK_SK": sk, "HUAWEICLOUD_SDK_SECURITY_TOKEN": canarySTS,
		"SLACK_SIGNING_SECRET": signing, "SLACK_BOT_TOKEN": canaryBotToken, "DR_INVOKE_TOKEN": invoke,
	})
	return string(b)
}

// secretValuesOf are the values of the secret, before and after the rotation.
var secretValuesOf = []string{canarySigning, canaryRotatedSigning, canaryInvoke, canaryRotatedInvoke,
	canaryAK, canarySK, canaryWrongSK, canarySTS, canaryBotToken}

// checkNoSecretValue fails if a value of the secret, or the AWS secret key, appears in s.
func checkNoSecretValue(t *testing.T, where, s string) {
	t.Helper()
	checkNone(t, where, s, append(secretValuesOf, canaryAWSSecret))
}

// checkNone fails if one of values appears in s.
func checkNone(t *testing.T, where, s string, values []string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(s, v) {
			t.Errorf("%s holds a secret value:\n%s", where, s)
			return
		}
	}
}

// secretsARNEnv is a deployment with no secret in its environment: DR_SECRETS_ARN names the
// secret the fake Secrets Manager holds, and AWS credentials are in the environment as Lambda
// puts them there (the session token left out: its value travels in every AWS call by design).
func secretsARNEnv(sm *fakesecrets.Server, slackAPI, drEndpoint string) []string {
	return []string{
		"DR_SECRETS_ARN=" + sm.ARN(),
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + sm.URL(),
		"AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=AKIDLOCALTEST",
		"AWS_SECRET_ACCESS_KEY=" + canaryAWSSecret,
		"DR_ENDPOINT=" + drEndpoint,
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"SLACK_API_URL=" + slackAPI,
		"DR_ALLOWED_USERS=*",
		"LOG_LEVEL=debug",
	}
}

// urlEvent is a Function URL event of a Slack request: a form body, base64-encoded, signed with
// secret now.
func urlEvent(t *testing.T, path string, body []byte, secret string) []byte {
	t.Helper()
	h := signedBy(secret, body)
	ev, err := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
		"headers": map[string]string{
			"content-type":              "application/x-www-form-urlencoded",
			"x-slack-request-timestamp": h.Get("X-Slack-Request-Timestamp"),
			"x-slack-signature":         h.Get("X-Slack-Signature"),
		},
		"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": path, "sourceIp": "127.0.0.1"}},
		"body":           base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// statusOf reads the statusCode and body of a Function URL answer.
func statusOf(t *testing.T, answer []byte) (int, string) {
	t.Helper()
	var a httpAnswer
	if err := json.Unmarshal(answer, &a); err != nil || a.StatusCode == 0 {
		t.Fatalf("answer: got %s; want a Function URL answer", answer)
	}
	return a.StatusCode, a.Body
}

// secretReads counts the reads of the secret's current version.
func secretReads(sm *fakesecrets.Server) int {
	n := 0
	for _, c := range sm.Calls() {
		if c.VersionStage == "AWSCURRENT" && c.Signed {
			n++
		}
	}
	return n
}

// TestSecretsARNUnderEmulator runs the real bootstrap under the emulator with every secret in a
// fake Secrets Manager. It verifies Slack requests with the secret's signing secret; after the
// secret is rotated, the first request signed with the new value succeeds, without a restart and
// without waiting: the failed signature makes the function re-read the secret at once. A card
// posted before the rotation still pauses, and no secret value shows in the function's
// environment, logs or answers.
func TestSecretsARNUnderEmulator(t *testing.T) {
	slack := newSlack(t)
	sim := startSim(t, drapi.Credentials{AccessKey: canaryAK, SecretKey: canarySK, SecurityToken: canarySTS})
	lambdaAPI := fakelambda.Start()
	defer lambdaAPI.Close()
	sm := fakesecrets.Start(secretARN, secretValues(canarySigning, canaryInvoke))
	defer sm.Close()
	env := append(secretsARNEnv(sm, slack.APIURL(), sim.URL()),
		"AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL(), "AWS_LAMBDA_FUNCTION_NAME="+functionName)
	// The AWS keys are in the environment, as Lambda puts them there; the secret's values never.
	checkNone(t, "the function's environment", strings.Join(env, "\n"), secretValuesOf)
	fn := startEmulator(t, env)
	invoke := func(t *testing.T, event []byte) []byte {
		t.Helper()
		answer := fn.invoke(t, event)
		checkNoSecretValue(t, "the function's answer", string(answer))
		return answer
	}
	command := func(text, secret string) (int, string) {
		body := slashBody(text, slack.ResponseURL(strings.ReplaceAll(text, " ", "_")))
		return statusOf(t, invoke(t, urlEvent(t, "/slack/commands", body, secret)))
	}

	status, card := command("pause "+drsim.SeedRunning, canarySigning)
	if status != http.StatusOK || !strings.Contains(card, `"action_id":"dr_pause"`) {
		t.Fatalf("/dr pause signed with the secret's value: got %d %s; want 200 and a card", status, card)
	}
	checkBootstrapEnvironment(t)
	if got := secretReads(sm); got != 1 {
		t.Errorf("secret reads at start: got %d; want 1", got)
	}

	sm.Put(secretValues(canaryRotatedSigning, canaryInvoke))
	if status, body := command("status "+drsim.SeedRunning, canaryRotatedSigning); status != http.StatusOK {
		t.Fatalf("first request signed with the rotated secret: got %d %s; want 200", status, body)
	}
	if got := secretReads(sm); got != 2 {
		t.Errorf("secret reads after the rotation: got %d; want 2 (one re-read, on the failed signature)", got)
	}
	if status, _ := command("status "+drsim.SeedRunning, canarySigning); status != http.StatusUnauthorized {
		t.Errorf("request signed with the replaced secret: got %d; want 401", status)
	}

	// The card was posted before the rotation: its button is sealed with a key derived from the
	// previous signing secret, while Slack now signs the click with the new one.
	var fields map[string]any
	if err := json.Unmarshal([]byte(card), &fields); err != nil {
		t.Fatal(err)
	}
	click := clickBody(slacktest.Buttons(fields)["dr_pause"], slack.ActionURL("click"))
	if status, body := statusOf(t, invoke(t, urlEvent(t, "/slack/interactions", click, canaryRotatedSigning))); status != http.StatusOK {
		t.Fatalf("click on a card of the previous secret: got %d %s; want 200", status, body)
	}
	select {
	case inv := <-lambdaAPI.Calls():
		if got := invoke(t, inv.Payload); string(got) != "null" {
			t.Fatalf("deferred pause: got %s; want null (success)", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no asynchronous self-invocation after the click")
	}
	waitMessage(t, slack, mentions("is paused: status *stopped*"))
	checkNoSecretValue(t, "the function's output", fn.out.String())
	if !strings.Contains(fn.out.String(), `"changed":["SLACK_SIGNING_SECRET"]`) {
		t.Errorf("output: no line naming the rotated variable:\n%s", fn.out)
	}
}

// checkBootstrapEnvironment finds the running bootstrap of this test (the process whose
// environment names the test's secret) and fails if its environment holds a secret value.
func checkBootstrapEnvironment(t *testing.T) {
	t.Helper()
	found := false
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range environs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("DR_SECRETS_ARN="+secretARN)) {
			continue
		}
		exe, _ := os.Readlink(filepath.Join(filepath.Dir(p), "exe"))
		if exe != bootstrapPath {
			continue
		}
		found = true
		checkNone(t, "the bootstrap's environment", string(bytes.ReplaceAll(b, []byte{0}, []byte{'\n'})), secretValuesOf)
	}
	if !found {
		t.Error("no running bootstrap found in /proc to read its environment")
	}
}

// TestSecretsARNInHTTPMode: the same secret in HTTP mode. The secret first holds an SK the DR API
// refuses; one rotation brings the right SK and a new /invoke token: the new token works on its
// first try, and the re-read it triggers brings the DR client the new SK too.
func TestSecretsARNInHTTPMode(t *testing.T) {
	slack := newSlack(t)
	sim := startSim(t, drapi.Credentials{AccessKey: canaryAK, SecretKey: canarySK, SecurityToken: canarySTS})
	sm := fakesecrets.Start(secretARN, secretValuesSK(canarySigning, canaryInvoke, canaryWrongSK))
	defer sm.Close()
	srv := startHTTP(t, secretsARNEnv(sm, slack.APIURL(), sim.URL()))
	dryRun := []byte(`{"disaster_recovery_id":"` + drsim.SeedRunning + `","dry_run":true}`)
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

	if status, b := postNoSecret(t, srv.url+"/invoke", dryRun, bearer(canaryInvoke)); status != http.StatusBadGateway ||
		!strings.Contains(b, "APIGW.0301") {
		t.Fatalf("/invoke with the secret's token and an SK the API refuses: got %d %s; want 502 APIGW.0301", status, b)
	}
	sm.Put(secretValuesSK(canarySigning, canaryRotatedInvoke, canarySK))
	if status, b := postNoSecret(t, srv.url+"/invoke", dryRun, bearer(canaryRotatedInvoke)); status != http.StatusOK {
		t.Fatalf("/invoke with the rotated token, after the SK was put right: got %d %s; want 200", status, b)
	}
	if status, _ := postNoSecret(t, srv.url+"/invoke", dryRun, bearer(canaryInvoke)); status != http.StatusUnauthorized {
		t.Errorf("/invoke with the replaced token: got %d; want 401", status)
	}
	if got := secretReads(sm); got != 2 {
		t.Errorf("secret reads: got %d; want 2 (start, and one re-read on the failed token)", got)
	}
	stopServer(t, srv)
	checkNoSecretValue(t, "the server's output", srv.out.String())
}

// postNoSecret sends a POST and fails if a secret value is in the answer.
func postNoSecret(t *testing.T, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	status, b := post(t, url, "application/json", body, header)
	checkNoSecretValue(t, "the answer", string(b))
	return status, string(b)
}

// TestSecretsARNStartupErrors: a secret that cannot be used stops start-up with one line naming
// the variable at fault and no secret value.
func TestSecretsARNStartupErrors(t *testing.T) {
	sm := fakesecrets.Start(secretARN, secretValues(canarySigning, canaryInvoke))
	defer sm.Close()
	base := secretsARNEnv(sm, "https://slack.com/api/", "https://dws.cn-north-4.myhuaweicloud.com")
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unknown secret", []string{"DR_SECRETS_ARN=" + secretARN + "x"}, "DR_SECRETS_ARN: cannot read the secret: Secrets Manager GetSecretValue: http 400 ResourceNotFoundException"},
		{"no AWS region", []string{"AWS_REGION="}, "DR_SECRETS_ARN: cannot reach Secrets Manager: awsapi: AWS_REGION is not set"},
		{"also in the environment", []string{"SLACK_SIGNING_SECRET=" + canaryWrongSigning}, "SLACK_SIGNING_SECRET: set in the environment and in the DR_SECRETS_ARN secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bootstrapPath)
			cmd.Env = append(slices.Clone(base), tt.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.WaitDelay = 10 * time.Second
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(out.String(), "drpause: config: "+tt.want) {
				t.Errorf("got exit %d (%v) %q; want 1 and %q", code, err, out.String(), tt.want)
			}
			checkNoSecretValue(t, "the output", out.String())
			checkNoCanary(t, "the output", out.String())
		})
	}
}
