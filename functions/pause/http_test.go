package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// httpServer is the bootstrap running in HTTP mode.
type httpServer struct {
	url     string
	cmd     *exec.Cmd
	out     *output
	done    chan struct{} // closed when the process has exited
	waitErr error         // how it exited; read after done
}

// startHTTP runs the bootstrap in HTTP mode on a free loopback port and returns once it listens.
func startHTTP(t *testing.T, env []string) *httpServer {
	t.Helper()
	cmd := exec.Command(bootstrapPath)
	// Defaults first: a later entry wins, so a test may set its own grace.
	cmd.Env = append([]string{"DR_LISTEN_HOST=127.0.0.1", "PORT=0", "DR_SHUTDOWN_GRACE=3s"}, env...)
	out := newOutput()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go out.collect(pr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	s := &httpServer{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server output:\n%s", out)
		}
	})
	timeout := time.After(10 * time.Second)
	for s.url == "" {
		select {
		case line := <-out.lines:
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				s.url = "http://" + l.Addr
			}
		case <-s.done:
			t.Fatalf("exited before listening: %v\n%s", s.waitErr, out)
		case <-timeout:
			t.Fatalf("not listening after 10s:\n%s", out)
		}
	}
	return s
}

// post sends a POST with the given headers and returns the status and body.
func post(t *testing.T, url, contentType string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	resp := send(t, url, contentType, body, header)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// send sends a POST with the given headers; the caller reads and closes the answer.
func send(t *testing.T, url, contentType string, body []byte, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return resp
}

// slackHeaders signs body as Slack would, now.
func slackHeaders(body []byte) http.Header {
	ts, sig := slacktest.Sign(slacktest.LocalSecret, time.Now(), body)
	return http.Header{slacktest.HeaderTimestamp: {ts}, slacktest.HeaderSignature: {sig}}
}

// TestHTTPMode runs the real binary as a plain HTTP server: health check, a signed /dr pause,
// a click on the card's Pause button, the result through response_url, POST /invoke, and a
// graceful stop on SIGTERM. Nothing secret may appear in its output, at debug level.
func TestHTTPMode(t *testing.T) {
	slack := newSlack(t)
	env := append(baseEnv(slack), "LOG_LEVEL=debug", "HUAWEICLOUD_SDK_SK="+huaweiSK)
	srv := startHTTP(t, env)

	resp, err := http.Get(srv.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: got %d; want 200", resp.StatusCode)
	}

	cmd := url.Values{
		"team_id": {"T0LOCAL01"}, "channel_id": {"C0LOCAL01"}, "user_id": {"U0REQUEST"},
		"command": {"/dr"}, "text": {"pause " + drsim.SeedRunning},
		"response_url": {slack.ResponseURL("command")}, "trigger_id": {"1.2.local"},
	}
	body := []byte(cmd.Encode())
	status, card := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
	if status != http.StatusOK {
		t.Fatalf("slash command: got %d %s; want 200", status, card)
	}
	var cardFields map[string]any
	if err := json.Unmarshal(card, &cardFields); err != nil {
		t.Fatalf("slash command answer: %v: %s", err, card)
	}
	value, ok := slacktest.Buttons(cardFields)["dr_pause"]
	if !ok {
		t.Fatalf("card: no dr_pause button in %s", card)
	}

	// An unsigned click is refused and does nothing.
	click := clickBody(value, slack.ActionURL("click"))
	if status, _ := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click, nil); status != http.StatusUnauthorized {
		t.Errorf("unsigned click: got %d; want 401", status)
	}
	if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click, slackHeaders(click)); status != http.StatusOK {
		t.Fatalf("click: got %d %s; want 200", status, b)
	}
	final := waitMessage(t, slack, mentions("status *stopped*"))
	if !strings.Contains(final.Path, "/actions/click") && final.Via == "response_url" {
		t.Errorf("final message: got path %s; want the click's response_url", final.Path)
	}

	tests := []struct {
		name       string
		auth       string
		body       string
		wantStatus int
		want       string
	}{
		{"dry run", "Bearer " + invokeToken, `{"disaster_recovery_id":"` + drsim.SeedStopped + `","dry_run":true}`, 200, `"status":"stopped"`},
		{"wrong token", "Bearer nope", `{"disaster_recovery_id":"` + drsim.SeedStopped + `"}`, 401, `"code":"unauthorized"`},
		{"not pausable", "Bearer " + invokeToken, `{"disaster_recovery_id":"` + drsim.SeedUnstart + `"}`, 409, `"code":"status_not_allowed"`},
		{"bad json", "Bearer " + invokeToken, `{"disaster_recovery_id":`, 400, `"code":"invalid_request"`},
	}
	for _, tt := range tests {
		t.Run("invoke "+tt.name, func(t *testing.T) {
			status, b := post(t, srv.url+"/invoke", "application/json", []byte(tt.body), http.Header{"Authorization": {tt.auth}})
			if status != tt.wantStatus || !strings.Contains(string(b), tt.want) {
				t.Errorf("POST /invoke: got %d %s; want %d with %s", status, b, tt.wantStatus, tt.want)
			}
		})
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
		if srv.waitErr != nil {
			t.Errorf("exit after SIGTERM: got %v; want status 0", srv.waitErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after SIGTERM")
	}
	if !strings.Contains(srv.out.String(), `"msg":"stopped"`) {
		t.Errorf("output: no clean stop logged:\n%s", srv.out)
	}
	checkNoSecrets(t, srv.out.String())
}

// clickBody is an interaction payload as Slack sends it for a click on the card's Pause button
// by U0APPROVE.
func clickBody(value, responseURL string) []byte { return clickBodyBy("U0APPROVE", value, responseURL) }

// clickBodyBy is the same click by user.
func clickBodyBy(user, value, responseURL string) []byte {
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user},
		"team":         map[string]any{"id": "T0LOCAL01"},
		"channel":      map[string]any{"id": "C0LOCAL01"},
		"container":    map[string]any{"type": "message", "message_ts": "1795600801.000100", "channel_id": "C0LOCAL01"},
		"response_url": responseURL,
		"actions":      []any{map[string]any{"action_id": "dr_pause", "block_id": "dr_actions", "type": "button", "value": value}},
	})
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// TestConfigErrors checks that a bad setting stops start-up with one line naming the variable,
// and without the value of any secret.
func TestConfigErrors(t *testing.T) {
	real := []string{"DR_PROJECT_ID=" + drsim.ProjectID, "DR_REGION=cn-north-4", "HUAWEICLOUD_SDK_AK=AKLOCAL", "HUAWEICLOUD_SDK_SK=" + huaweiSK}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"missing project", []string{"DR_REGION=cn-north-4", "HUAWEICLOUD_SDK_AK=a", "HUAWEICLOUD_SDK_SK=" + huaweiSK}, "DR_PROJECT_ID"},
		{"missing sk", []string{"DR_PROJECT_ID=p", "DR_REGION=cn-north-4", "HUAWEICLOUD_SDK_AK=a"}, "HUAWEICLOUD_SDK_SK"},
		{"bad wait", append(real, "DR_WAIT=soon"), "DR_WAIT"},
		{"bad bool", append(real, "DR_CONFIRM=yes please"), "DR_CONFIRM"},
		{"bad level", append(real, "LOG_LEVEL=loud"), "LOG_LEVEL"},
		{"plain http endpoint", append(real, "DR_ENDPOINT=http://dws.example.com"), "DR_ENDPOINT"},
		{"region in capitals", append(real, "DR_REGION=CN-North-4"), "DR_REGION"},
		{"endpoint with a password", append(real, "DR_ENDPOINT=https://user:"+huaweiSK+"@dws.example.com"), "DR_ENDPOINT"},
		{"bad allowed id", append(real, "DR_ALLOWED_IDS=../../x"), "DR_ALLOWED_IDS"},
		{"bad port", append(real, "PORT=eighty"), "PORT"},
		{"lambda without runtime", append(real, "DR_MODE=lambda"), "AWS_LAMBDA_RUNTIME_API"},
		{"alerts without slack", append(real, "DR_ALERT_TOKEN="+alertToken, "DR_ALERT_CHANNEL=C1"), "SLACK_SIGNING_SECRET"},
		{"bad team", append(real, "DR_ALLOWED_TEAMS=Acme Corp"), "DR_ALLOWED_TEAMS"},
		{"unknown ledger", append(real, "DR_LEDGER=redis"), "DR_LEDGER"},
		{"dynamodb ledger without table", append(real, "DR_LEDGER=dynamodb"), "DR_LEDGER_TABLE"},
		{"dynamodb ledger without AWS keys", append(real, "DR_LEDGER=dynamodb", "DR_LEDGER_TABLE=drpause-ledger", "AWS_REGION=eu-west-1"), "AWS_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bootstrapPath)
			cmd.Env = tt.env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Fatalf("exit code: got %d (%v); want 1", code, err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr: got %q; want one line naming %s", stderr.String(), tt.want)
			}
			checkNoSecrets(t, stdout.String()+stderr.String())
		})
	}
}
