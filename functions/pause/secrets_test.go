package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/grafanasign"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// The canaries: secret values no output may hold. They use only letters, digits and dashes, so
// JSON, form and URL encoding leave them unchanged and one substring test finds them anywhere.
const (
	canarySigning      = "sig-CANARY-7f3a9c0e5b1d2468"
	canaryBotToken     = "xoxb-1111-2222-CANARYbottoken9q8w7e"
	canaryAK           = "AKCANARYACCESSKEY042"
	canarySK           = "sk-CANARY-huawei-5d4c3b2a1f0e"
	canarySTS          = "sts-CANARY-securitytoken-8e7d6c5b"
	canaryInvoke       = "inv-CANARY-invoketoken-1a2b3c4d"
	canaryAlert        = "alr-CANARY-alerttoken-9z8y7x6w"
	canaryGrafana      = "gfn-CANARY-grafanasecret-4k5l6m"
	canaryAWSSecret    = "aws-CANARY-secretaccesskey-0p9o8i"
	canaryAWSSession   = "aws-CANARY-sessiontoken-7u6y5t"
	canaryWrongSK      = "sk-CANARY-rotated-0000ffff"
	canaryWrongSigning = "sig-CANARY-forger-13579bdf"
)

// secretCanaries are the values that must appear nowhere. The AK is an identifier, sent in every
// signed DR request by design, but it has no business in logs, answers or Slack either.
var secretCanaries = map[string]string{
	"SLACK_SIGNING_SECRET":           canarySigning,
	"SLACK_BOT_TOKEN":                canaryBotToken,
	"HUAWEICLOUD_SDK_AK":             canaryAK,
	"HUAWEICLOUD_SDK_SK":             canarySK,
	"HUAWEICLOUD_SDK_SECURITY_TOKEN": canarySTS,
	"DR_INVOKE_TOKEN":                canaryInvoke,
	"DR_ALERT_TOKEN":                 canaryAlert,
	"DR_GRAFANA_SECRET":              canaryGrafana,
	"AWS_SECRET_ACCESS_KEY":          canaryAWSSecret,
	"AWS_SESSION_TOKEN":              canaryAWSSession,
	"wrong SK of a rejected DR call": canaryWrongSK,
	"forger's signing secret":        canaryWrongSigning,
}

// leaks returns the names of the canaries found in s, sorted.
func leaks(s string) []string {
	var found []string
	for name, v := range secretCanaries {
		if strings.Contains(s, v) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	return found
}

// checkNoCanary fails the test when a canary appears in what was seen at where.
func checkNoCanary(t *testing.T, where, seen string) {
	t.Helper()
	if found := leaks(seen); len(found) > 0 {
		t.Errorf("%s holds the secrets %v:\n%s", where, found, seen)
	}
}

// wireRequest is one request exactly as it arrived on the wire.
type wireRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// wireTap serves a reverse proxy to a stand-in server and records every request raw before
// passing it on: stand-ins decode what they receive and so would hide where a secret travelled.
type wireTap struct {
	srv *httptest.Server
	mu  sync.Mutex
	all []wireRequest
}

func startTap(t *testing.T, target string) *wireTap {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	tap := &wireTap{}
	tap.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tap.mu.Lock()
		tap.all = append(tap.all, wireRequest{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		tap.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(tap.srv.Close)
	return tap
}

func (tap *wireTap) URL() string { return tap.srv.URL }

func (tap *wireTap) requests() []wireRequest {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return slices.Clone(tap.all)
}

// checkSlackWire fails if a canary reached Slack anywhere but where the bot token belongs:
// the Authorization header or the token form field of a Web API call (slack-go sends it as the
// form field; Slack accepts both).
func checkSlackWire(t *testing.T, reqs []wireRequest) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("Slack received nothing: the test exercised no Slack path")
	}
	for _, r := range reqs {
		h := r.Header.Clone()
		body := r.Body
		if strings.HasPrefix(r.Path, "/api/") {
			if a := h.Get("Authorization"); a != "" && a != "Bearer "+canaryBotToken {
				t.Errorf("%s: Authorization header %q; want the bot token or none", r.Path, a)
			}
			h.Del("Authorization")
			if form, err := url.ParseQuery(string(body)); err == nil && form.Has("token") {
				if got := form.Get("token"); got != canaryBotToken {
					t.Errorf("%s: token field %q; want the bot token", r.Path, got)
				}
				form.Del("token")
				body = []byte(form.Encode())
			}
		}
		var dump bytes.Buffer
		fmt.Fprintf(&dump, "%s %s\n", r.Method, r.Path)
		h.Write(&dump)
		dump.Write(body)
		checkNoCanary(t, "a request to Slack", dump.String())
	}
}

// checkDRWire fails if a canary crossed the wire to the DR API other than as signing requires:
// the AK in the Authorization header and the security token in X-Security-Token. The SK never
// travels, only signatures made with it.
func checkDRWire(t *testing.T, reqs []wireRequest) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("the DR API received nothing")
	}
	for _, r := range reqs {
		h := r.Header.Clone()
		if got := h.Get("X-Security-Token"); got != canarySTS {
			t.Errorf("%s %s: X-Security-Token %q; want the security token", r.Method, r.Path, got)
		}
		auth := h.Get("Authorization")
		if !strings.Contains(auth, "Access="+canaryAK+",") {
			t.Errorf("%s %s: Authorization %q; want it signed with the AK", r.Method, r.Path, auth)
		}
		h.Set("Authorization", strings.ReplaceAll(auth, canaryAK, "AK"))
		h.Del("X-Security-Token")
		var dump bytes.Buffer
		fmt.Fprintf(&dump, "%s %s\n", r.Method, r.Path)
		h.Write(&dump)
		dump.Write(r.Body)
		checkNoCanary(t, "a request to the DR API", dump.String())
	}
}

// postNoLeak sends a POST, fails if a canary is in any part of the answer, status line and
// headers included, and returns its status and body.
func postNoLeak(t *testing.T, url, contentType string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	resp := send(t, url, contentType, body, header)
	defer resp.Body.Close()
	dump, err := httputil.DumpResponse(resp, true)
	if err != nil {
		t.Fatalf("POST %s: read answer: %v", url, err)
	}
	checkNoCanary(t, "the answer to POST "+resp.Request.URL.Path, string(dump))
	b, _ := io.ReadAll(resp.Body) // DumpResponse left a copy of the body in place
	return resp.StatusCode, b
}

// secretEnv is a deployment whose every secret is a canary, talking to the DR API at endpoint.
func secretEnv(slackAPI, endpoint string) []string {
	return []string{
		"DR_ENDPOINT=" + endpoint,
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + canaryAK,
		"HUAWEICLOUD_SDK_SK=" + canarySK,
		"HUAWEICLOUD_SDK_SECURITY_TOKEN=" + canarySTS,
		"SLACK_SIGNING_SECRET=" + canarySigning,
		"SLACK_BOT_TOKEN=" + canaryBotToken,
		"SLACK_API_URL=" + slackAPI,
		"DR_ALLOWED_USERS=*",
		"DR_INVOKE_TOKEN=" + canaryInvoke,
		"DR_ALERT_TOKEN=" + canaryAlert,
		"DR_GRAFANA_SECRET=" + canaryGrafana,
		"DR_ALERT_CHANNEL=C0LOCAL01",
		"AWS_ACCESS_KEY_ID=AKIDLOCALTEST",
		"AWS_SECRET_ACCESS_KEY=" + canaryAWSSecret,
		"AWS_SESSION_TOKEN=" + canaryAWSSession,
		"LOG_LEVEL=debug",
	}
}

// startSim serves a DR API simulator that accepts only creds, pausing at once.
func startSim(t *testing.T, creds drapi.Credentials) *drsim.Server {
	t.Helper()
	sim, err := drsim.Start(drsim.Options{Credentials: creds, StoppingFor: drsim.Immediate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// withCanaries puts the canary secrets into a recorded event of events/, which carries the
// documented local ones: the bearer tokens, and Grafana's signature made again, now.
func withCanaries(t *testing.T, event []byte) []byte {
	t.Helper()
	event = bytes.ReplaceAll(event, []byte(invokeToken), []byte(canaryInvoke))
	event = bytes.ReplaceAll(event, []byte(alertToken), []byte(canaryAlert))
	signed, err := grafanasign.ResignEvent(event, canaryGrafana, time.Now())
	if errors.Is(err, grafanasign.ErrNotGrafana) {
		return event
	}
	if err != nil {
		t.Fatalf("re-sign: %v", err)
	}
	return signed
}

// toTap rewrites the hooks.slack.com response_url of a recorded Slack body to go through tap.
func toTap(tapURL string) func([]byte) []byte {
	return func(body []byte) []byte {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return body
		}
		for k, vs := range form {
			for i, v := range vs {
				form[k][i] = strings.ReplaceAll(v, "https://hooks.slack.com/", tapURL+"/")
			}
		}
		return []byte(form.Encode())
	}
}

// slashBody is a /dr slash command as Slack sends it.
func slashBody(text, responseURL string) []byte {
	return []byte(url.Values{
		"team_id": {"T0LOCAL01"}, "channel_id": {"C0LOCAL01"}, "user_id": {"U0REQUEST"},
		"command": {"/dr"}, "text": {text}, "response_url": {responseURL}, "trigger_id": {"1.2.local"},
	}.Encode())
}

// signedBy signs body as Slack would with secret, now.
func signedBy(secret string, body []byte) http.Header {
	ts, sig := slacktest.Sign(secret, time.Now(), body)
	return http.Header{slacktest.HeaderTimestamp: {ts}, slacktest.HeaderSignature: {sig}}
}

// eventBody returns the HTTP body of a recorded Function URL event in events/.
func eventBody(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ Body string }
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Body == "" {
		t.Fatalf("%s: no body (%v)", name, err)
	}
	return []byte(ev.Body)
}

// stopServer sends SIGTERM and waits for the exit, so every log line has been written.
func stopServer(t *testing.T, srv *httpServer) {
	t.Helper()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15s after SIGTERM")
	}
}

// TestSecretsNeverLeak runs every path of the real binary in HTTP mode, at debug level, with
// canary secrets, and fails if one appears in its logs, in an HTTP answer or in anything Slack
// receives. The DR API is a simulator reached through the real signing path; a second instance
// talks to a simulator that rejects its credentials.
func TestSecretsNeverLeak(t *testing.T) {
	slack := newSlack(t)
	tap := startTap(t, slack.URL())
	creds := drapi.Credentials{AccessKey: canaryAK, SecretKey: canarySK, SecurityToken: canarySTS}
	sim := startSim(t, creds)
	// The same AK and token with an SK the API no longer takes: every call is answered 401.
	rotated := startSim(t, drapi.Credentials{AccessKey: canaryAK, SecretKey: canaryWrongSK, SecurityToken: canarySTS})

	responseURL := func(name string) string { return tap.URL() + "/commands/" + name }
	form := "application/x-www-form-urlencoded"

	t.Run("accepted credentials", func(t *testing.T) {
		drTap := startTap(t, sim.URL())
		srv := startHTTP(t, secretEnv(tap.URL()+"/api/", drTap.URL()))
		command := func(t *testing.T, text string, want ...string) []byte {
			t.Helper()
			body := slashBody(text, responseURL(strings.ReplaceAll(text, " ", "_")))
			status, b := postNoLeak(t, srv.url+"/slack/commands", form, body, signedBy(canarySigning, body))
			if status != http.StatusOK {
				t.Fatalf("/dr %s: got %d %s; want 200", text, status, b)
			}
			for _, w := range want {
				if !strings.Contains(string(b), w) {
					t.Errorf("/dr %s: got %s; want it to contain %s", text, b, w)
				}
			}
			return b
		}
		command(t, "help", "pauses a GaussDB(DWS)")
		command(t, "status "+drsim.SeedRunning, "*running*")
		command(t, "list", "DR tasks")
		command(t, "pause "+drsim.SeedRunning+" --dry-run", "Dry run, nothing sent")
		card := command(t, "pause "+drsim.SeedRunning, `"action_id":"dr_pause"`)
		command(t, "pause "+drsim.SeedUnstart, "a pause needs running or stop_failed")

		var cardFields map[string]any
		if err := json.Unmarshal(card, &cardFields); err != nil {
			t.Fatalf("card: %v: %s", err, card)
		}
		click := clickBody(slacktest.Buttons(cardFields)["dr_pause"], tap.URL()+"/actions/click")
		if status, _ := postNoLeak(t, srv.url+"/slack/interactions", form, click, signedBy(canaryWrongSigning, click)); status != http.StatusUnauthorized {
			t.Errorf("click signed with another secret: got %d; want 401", status)
		}
		if status, b := postNoLeak(t, srv.url+"/slack/interactions", form, click, signedBy(canarySigning, click)); status != http.StatusOK {
			t.Fatalf("click: got %d %s; want 200", status, b)
		}
		waitMessage(t, slack, mentions("is paused: status *stopped*"))

		am := eventBody(t, "alert-alertmanager.json")
		gf := eventBody(t, "alert-grafana.json")
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(canaryGrafana))
		mac.Write([]byte(ts + ":"))
		mac.Write(gf)
		goodSig := hex.EncodeToString(mac.Sum(nil))
		requests := []struct {
			name, path string
			header     http.Header
			body       []byte
			wantStatus int
		}{
			{"invoke dry run", "/invoke", http.Header{"Authorization": {"Bearer " + canaryInvoke}},
				[]byte(`{"disaster_recovery_id":"` + drsim.SeedStopFailed + `","dry_run":true}`), 200},
			{"invoke pause", "/invoke", http.Header{"Authorization": {"Bearer " + canaryInvoke}},
				[]byte(`{"disaster_recovery_id":"` + drsim.SeedStopFailed + `","wait":true}`), 200},
			{"invoke wrong token", "/invoke", http.Header{"Authorization": {"Bearer " + canaryAlert}},
				[]byte(`{"disaster_recovery_id":"` + drsim.SeedStopped + `"}`), 401},
			{"invoke not pausable", "/invoke", http.Header{"Authorization": {"Bearer " + canaryInvoke}},
				[]byte(`{"disaster_recovery_id":"` + drsim.SeedUnstart + `"}`), 409},
			{"alertmanager", "/alerts/alertmanager", http.Header{"Authorization": {"Bearer " + canaryAlert}}, am, 200},
			{"alertmanager wrong token", "/alerts/alertmanager", http.Header{"Authorization": {"Bearer " + canaryInvoke}}, am, 401},
			{"grafana", "/alerts/grafana", http.Header{"X-Grafana-Alerting-Signature": {goodSig}, "X-Grafana-Alerting-Timestamp": {ts}}, gf, 200},
			{"grafana wrong signature", "/alerts/grafana", http.Header{"X-Grafana-Alerting-Signature": {strings.Repeat("ab", 32)}, "X-Grafana-Alerting-Timestamp": {ts}}, gf, 401},
			{"smn not configured", "/alerts/smn", nil, []byte(`{"type":"Notification"}`), 403},
		}
		for _, tt := range requests {
			if status, b := postNoLeak(t, srv.url+tt.path, "application/json", tt.body, tt.header); status != tt.wantStatus {
				t.Errorf("%s: got %d %s; want %d", tt.name, status, b, tt.wantStatus)
			}
		}
		// The alerts propose a card through chat.postMessage: the Web API path carries the token.
		waitMessage(t, slack, func(m slacktest.Post) bool { return m.Via == "chat.postMessage" })

		stopServer(t, srv)
		checkNoCanary(t, "the server's output", srv.out.String())
		checkSlackWire(t, tap.requests())
		checkDRWire(t, drTap.requests())
	})

	t.Run("rejected credentials", func(t *testing.T) {
		srv := startHTTP(t, secretEnv(tap.URL()+"/api/", rotated.URL()))
		body := slashBody("status "+drsim.SeedRunning, responseURL("rejected_status"))
		if status, b := postNoLeak(t, srv.url+"/slack/commands", form, body, signedBy(canarySigning, body)); status != http.StatusOK ||
			!strings.Contains(string(b), "rejected the credentials") {
			t.Errorf("/dr status: got %d %s; want 200 saying the credentials were rejected", status, b)
		}
		if status, b := postNoLeak(t, srv.url+"/invoke", "application/json",
			[]byte(`{"disaster_recovery_id":"`+drsim.SeedRunning+`"}`), http.Header{"Authorization": {"Bearer " + canaryInvoke}}); status < 400 {
			t.Errorf("/invoke: got %d %s; want an error", status, b)
		}
		// A card made before the key was rotated: the click's job meets the 401.
		click := clickBody(bot.ButtonValue(canarySigning, drsim.SeedRunning, "U0REQUEST", time.Now()), responseURL("rejected_click"))
		if status, b := postNoLeak(t, srv.url+"/slack/interactions", form, click, signedBy(canarySigning, click)); status != http.StatusOK {
			t.Fatalf("click: got %d %s; want 200", status, b)
		}
		waitMessage(t, slack, mentions("failed: the DWS API rejected the credentials"))
		stopServer(t, srv)
		out := srv.out.String()
		if !strings.Contains(out, "APIGW.0301") {
			t.Errorf("output: no APIGW.0301 logged for the rejected credentials:\n%s", out)
		}
		checkNoCanary(t, "the server's output", out)
		checkSlackWire(t, tap.requests())
	})

	t.Run("config errors", func(t *testing.T) {
		base := secretEnv(tap.URL()+"/api/", sim.URL())
		tests := []struct {
			name string
			env  []string
			want string
		}{
			{"bad wait", []string{"DR_WAIT=soon"}, "DR_WAIT"},
			{"secret pasted into a duration", []string{"DR_SHUTDOWN_GRACE=" + canarySK}, "DR_SHUTDOWN_GRACE"},
			{"secret pasted into a boolean", []string{"DR_CONFIRM=" + canaryInvoke}, "DR_CONFIRM"},
			{"secret pasted into the log level", []string{"LOG_LEVEL=" + canaryBotToken}, "LOG_LEVEL"},
			{"secret pasted into the mode", []string{"DR_MODE=" + canarySigning}, "DR_MODE"},
			{"secret pasted into the port", []string{"PORT=" + canaryAlert}, "PORT"},
			{"secret pasted into the allowed ids", []string{"DR_ALLOWED_IDS=" + drsim.SeedRunning + "," + canarySTS}, "DR_ALLOWED_IDS"},
			{"plain http endpoint", []string{"DR_ENDPOINT=http://dws.example.com"}, "DR_ENDPOINT"},
			{"bad slack api url", []string{"SLACK_API_URL=slack"}, "SLACK_API_URL"},
			{"bad max ids", []string{"DR_ALERT_MAX_IDS=0"}, "DR_ALERT_MAX_IDS"},
			{"missing sk", []string{"HUAWEICLOUD_SDK_SK="}, "HUAWEICLOUD_SDK_SK"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cmd := exec.Command(bootstrapPath)
				cmd.Env = append(slices.Clone(base), tt.env...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				cmd.WaitDelay = 10 * time.Second
				err := cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(out.String(), tt.want) {
					t.Errorf("got exit %d (%v) %q; want 1 naming %s", code, err, out.String(), tt.want)
				}
				checkNoCanary(t, "the output", out.String())
			})
		}
	})

	t.Run("lambda mode", func(t *testing.T) {
		// A Slack of its own, so messages of the HTTP runs cannot stand in for this run's.
		slack := newSlack(t)
		tap := startTap(t, slack.URL())
		lambdaAPI := fakelambda.Start()
		defer lambdaAPI.Close()
		lambdaTap := startTap(t, lambdaAPI.URL())
		fresh := startSim(t, creds)
		env := append(secretEnv(tap.URL()+"/api/", fresh.URL()),
			"AWS_ENDPOINT_URL_LAMBDA="+lambdaTap.URL(), "AWS_REGION=eu-west-1", "AWS_LAMBDA_FUNCTION_NAME="+functionName)
		fn := startEmulator(t, env)
		invoke := func(t *testing.T, event []byte) []byte {
			t.Helper()
			answer := fn.invoke(t, event)
			checkNoCanary(t, "the function's answer", string(answer))
			return answer
		}

		files, err := filepath.Glob("../../events/*.json")
		if err != nil || len(files) == 0 {
			t.Fatalf("events: got %d files (%v); want some", len(files), err)
		}
		for _, file := range files {
			event, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			event = withCanaries(t, event)
			forged := false
			if signed, err := slacktest.ResignEvent(event, canarySigning, time.Now(), resign(canarySigning, toTap(tap.URL()))); err == nil {
				event = signed
				forgery, _ := slacktest.ResignEvent(event, canaryWrongSigning, time.Now(), slacktest.Resign{})
				if a := invoke(t, forgery); !bytes.Contains(a, []byte(`"statusCode":401`)) {
					t.Errorf("%s signed with another secret: got %s; want statusCode 401", filepath.Base(file), a)
				}
				forged = true
			} else if !errors.Is(err, slacktest.ErrNotSlack) {
				t.Fatalf("re-sign: %v", err)
			}
			if a := invoke(t, event); bytes.Contains(a, []byte(`"statusCode":401`)) {
				t.Errorf("%s: got %s; want its canary credentials accepted", filepath.Base(file), a)
			}
			if name := filepath.Base(file); name == "button-click.json" && forged {
				// Run the deferred pause the click sent to the Lambda API, as Lambda would.
				select {
				case inv := <-lambdaAPI.Calls():
					invoke(t, inv.Payload)
				case <-time.After(10 * time.Second):
					t.Fatal("no asynchronous self-invocation after the click")
				}
				waitMessage(t, slack, mentions("is paused: status *stopped*"))
			}
		}
		checkNoCanary(t, "the function's output", fn.out.String())
		// The session token travels to the Lambda API in its header by design; nothing else may.
		for _, r := range lambdaTap.requests() {
			h := r.Header.Clone()
			if got := h.Get("X-Amz-Security-Token"); got != canaryAWSSession {
				t.Errorf("Lambda API call: X-Amz-Security-Token %q; want the session token", got)
			}
			h.Del("X-Amz-Security-Token")
			var dump bytes.Buffer
			h.Write(&dump)
			dump.Write(r.Body)
			checkNoCanary(t, "a request to the Lambda API", r.Path+"\n"+dump.String())
		}
		if len(lambdaTap.requests()) == 0 {
			t.Error("the Lambda API received nothing: the deferred path was not exercised")
		}
		checkSlackWire(t, tap.requests())
	})
}
